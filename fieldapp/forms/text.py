"""Vietnamese text helpers: NFC, search folding, and display formats."""
import datetime
import unicodedata

__all__ = ["nfc", "fold", "decimal", "percent", "points", "target", "target_cell", "target_line", "vn_date",
           "vn_span", "vn_number", "vn_time", "TZ_OFFSET", "NO_TARGET", "POINTS"]

TZ_OFFSET = datetime.timedelta(hours=7)   # Asia/Ho_Chi_Minh has no daylight saving
NO_TARGET = "Không đặt chỉ tiêu"           # what every page and report says for a missing target
POINTS = "điểm %"                          # the unit of a change in a rate, everywhere


def nfc(text):
    """Return text in NFC."""
    return unicodedata.normalize("NFC", text)


def fold(text):
    """Fold text for search: lower case, no diacritics, đ as d, spaces collapsed."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    stripped = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.split())


def decimal(value):
    """A number with one decimal, Vietnamese comma: 52.34 -> '52,3'. Every rate, change
    and gap is rounded here, so pages, reports and CSV files agree."""
    return f"{value:.1f}".replace(".", ",")


def percent(value):
    """Format a ratio as a Vietnamese percentage: 0.523 -> '52,3 %'; None -> '—'."""
    if value is None:
        return "—"
    return decimal(value * 100) + " %"


def points(value, signed=True):
    """A difference of two ratios in percentage points: 0.052 -> '+5,2 điểm %', -0.1 ->
    '−10,0 điểm %'; `signed=False` for a size without direction (a gap): '5,2 điểm %'."""
    if value is None:
        return "—"
    shown = decimal(abs(value) * 100)
    sign = ""
    if signed and shown != "0,0":
        sign = "+" if value > 0 else "−"
    return f"{sign}{shown} {POINTS}"


def target(value):
    """A target as every page shows it: '80,0 %', or 'Không đặt chỉ tiêu' when unset."""
    return NO_TARGET if value is None else percent(value)


def target_cell(value):
    """A target in a table's narrow column, as HTML: 'Không đặt chỉ tiêu' breaks only
    after 'Không đặt', so it takes two lines at most (three, word by word, before)."""
    from markupsafe import Markup, escape
    if value is not None:
        return percent(value)
    words = NO_TARGET.split()
    return Markup(" ").join(Markup('<span class="nobr">%s</span>') % escape(" ".join(part))
                            for part in (words[:2], words[2:]))


def target_line(value):
    """A target beside a figure: 'chỉ tiêu 80,0 %', or 'Không đặt chỉ tiêu' when unset."""
    return NO_TARGET if value is None else "chỉ tiêu " + percent(value)


def vn_number(value):
    """Format an integer Vietnamese style: 12345 -> '12.345'."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", ".")


def vn_date(value):
    """Format an ISO date (or date) as dd/mm/yyyy; a stored UTC time gives its date in Vietnam."""
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime) or (isinstance(value, str) and "T" in value):
        value = _vietnam(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    year, month, day = text[:10].split("-")
    return f"{day}/{month}/{year}"


def vn_span(start, end):
    """Two dates as one span, the year said once when both share it: 15/08–25/08/2025
    (a select's option at 360 px holds no more)."""
    first, last = vn_date(start), vn_date(end)
    if len(first) == len(last) == 10 and first[-4:] == last[-4:]:
        first = first[:-5]
    return f"{first}–{last}"


def vn_time(value):
    """A stored UTC time (2025-08-25T07:02:00.000Z) as Vietnamese local time: 25/08/2025 14:02."""
    if not value:
        return "—"
    return _vietnam(value).strftime("%d/%m/%Y %H:%M")


def _vietnam(value):
    """A UTC time (ISO text or datetime; naive counts as UTC) as a naive time in Vietnam."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value + TZ_OFFSET
