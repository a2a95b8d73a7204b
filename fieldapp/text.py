"""Vietnamese text helpers: NFC, search folding, and display formats."""
import unicodedata

__all__ = ["nfc", "fold", "percent", "points", "vn_date", "vn_number"]


def nfc(text):
    """Return text in NFC."""
    return unicodedata.normalize("NFC", text)


def fold(text):
    """Fold text for search: lower case, no diacritics, đ as d, spaces collapsed."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    stripped = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.split())


def percent(value, digits=1):
    """Format a ratio as a Vietnamese percentage: 0.523 -> '52,3 %'; None -> '—'."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}".replace(".", ",") + " %"


def points(value):
    """A difference of two ratios in percentage points, unsigned: 0.146 -> '14,6'."""
    if value is None:
        return "—"
    return f"{abs(value) * 100:.1f}".replace(".", ",")


def vn_number(value):
    """Format an integer Vietnamese style: 12345 -> '12.345'."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", ".")


def vn_date(value):
    """Format an ISO date (or date) as dd/mm/yyyy."""
    if value is None:
        return "—"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    year, month, day = text[:10].split("-")
    return f"{day}/{month}/{year}"
