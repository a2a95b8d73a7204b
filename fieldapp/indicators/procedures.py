"""The one-stop shop's procedure figures per period and the rates computed from them.

Commune staff enter, per campaign period and procedure area, counts of files: received,
received online, full-online, settled, carrying a fee, paid online, digitised. The rates
of the plans (Phú Riềng 2025, Gio Sơn 2025, Lộc Hà 2024) follow, overall and for land,
construction and investment together, cumulative from the campaign start to a date, with
the period's own figures alongside, a target and a baseline year.
"""
import datetime
from dataclasses import dataclass

from fieldapp.forms.rules import CHOICES
from fieldapp.forms.text import fold
from fieldapp.indicators.periods import numbered, periods_from_settings
from fieldapp.indicators.tables import CsvError, read_table, unguard

__all__ = ["AREAS", "COLUMNS", "PARTS", "RATES", "DEFAULT_TARGETS", "FiguresError",
           "check_figures", "save_figures", "figures", "read_figures_csv", "template_csv",
           "procedure_indicators", "settings_targets", "LCI"]

AREAS = dict(CHOICES["service_area"])
LCI = ("land", "construction", "investment")
COLUMNS = {
    "received": "Hồ sơ tiếp nhận",
    "received_online": "Tiếp nhận trực tuyến",
    "full_online": "Trực tuyến toàn trình",
    "settled": "Đã giải quyết",
    "with_fee": "Có phí, lệ phí",
    "paid_online": "Thanh toán trực tuyến",
    "digitised": "Đã số hóa",
}
# a part is never larger than its whole
PARTS = {"received_online": "received", "full_online": "settled",
         "paid_online": "with_fee", "digitised": "received"}
MAX_COUNT = 10_000_000


@dataclass(frozen=True)
class Rate:
    key: str
    label: str
    numerator: str
    denominator: str
    target: float


RATES = (
    Rate("full_online_rate", "Hồ sơ trực tuyến toàn trình / hồ sơ đã giải quyết",
         "full_online", "settled", 0.60),
    Rate("online_filing_rate", "Hồ sơ tiếp nhận trực tuyến / hồ sơ tiếp nhận",
         "received_online", "received", 0.60),
    Rate("online_payment_rate", "Hồ sơ thanh toán trực tuyến / hồ sơ có phí, lệ phí",
         "paid_online", "with_fee", 0.60),
    Rate("digitisation_rate", "Hồ sơ được số hóa / hồ sơ tiếp nhận",
         "digitised", "received", 0.80),
)
DEFAULT_TARGETS = {r.key: r.target for r in RATES}
DEFAULT_TARGETS.update({f"{r.key}_lci": r.target for r in RATES})


class FiguresError(Exception):
    """Figures that cannot be stored; `errors` lists Vietnamese lines, one per bad cell,
    and `cells` the "area-column" of each line's cell (None where no one cell is at fault)."""

    def __init__(self, errors, cells=None):
        super().__init__("; ".join(errors))
        self.errors = errors
        self.cells = list(cells) if cells is not None else [None] * len(errors)


def _count(raw):
    """A cell as a non-negative integer (blank is 0), or raise ValueError."""
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw or "").strip().replace("\u00a0", "").replace(" ", "")
        if text == "":
            return 0
        if text.count(".") and all(len(p) == 3 for p in text.split(".")[1:]):
            text = text.replace(".", "")          # 1.234 written the Vietnamese way
        if not (text.isascii() and text.isdigit()):
            raise ValueError
        value = int(text)
    if not 0 <= value <= MAX_COUNT:
        raise ValueError
    return value


def check_figures(rows, where=lambda area: AREAS[area]):
    """Check {area: {column: raw}}; return {area: {column: int}} or raise FiguresError."""
    clean, errors, cells = {}, [], []
    for area, row in rows.items():
        if area not in AREAS:
            errors.append(f"Lĩnh vực không hợp lệ: “{area}”.")
            cells.append(None)
            continue
        values = {}
        for column, label in COLUMNS.items():
            try:
                values[column] = _count(row.get(column))
            except ValueError:
                errors.append(f"{where(area)} – {label}: phải là số nguyên không âm "
                              f"(đang là “{row.get(column)}”).")
                cells.append(f"{area}-{column}")
        for part, whole in PARTS.items():
            if part in values and whole in values and values[part] > values[whole]:
                errors.append(f"{where(area)} – {COLUMNS[part]} ({values[part]}) lớn hơn "
                              f"{COLUMNS[whole]} ({values[whole]}).")
                cells.append(f"{area}-{part}")
        clean[area] = values
    if errors:
        raise FiguresError(errors, cells)
    return clean


def save_figures(site, by_period, username):
    """Replace the figures of the given periods ({period: {area: values}}) in one write."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    table = site.table("procedures")
    with site.meta_lock:
        # plain dicts: re-inserted Documents keep their ids, which new rows would reuse
        kept = [dict(row) for row in table.all() if row["period"] not in by_period]
        fresh = [dict(values, period=period, area=area, updated_at=now, updated_by=username)
                 for period, rows in by_period.items() for area, values in rows.items()]
        table.truncate()
        table.insert_multiple(kept + fresh)


def figures(site):
    """{period: {area: {column: int}}} as stored."""
    with site.meta_lock:
        rows = site.table("procedures").all()
    out = {}
    for row in rows:
        out.setdefault(row["period"], {})[row["area"]] = {c: row.get(c, 0) for c in COLUMNS}
    return out


def _header_key(header, options):
    folded = fold(header)
    for key, label in options.items():
        if folded in (fold(key), fold(label)):
            return key
    return None


PERIOD_HEADERS = ("Tuần", "Tháng", "Đợt", "period")    # "Đợt": files made before the word


def read_figures_csv(content, period_numbers, word="tuần"):
    """Parse a figures CSV into {period: {area: {column: int}}}; raise FiguresError.

    Columns: the period number (headed Tuần or Tháng, as the campaign's `word`), Lĩnh vực
    (area, key or Vietnamese name), then the seven counts under their Vietnamese or English
    names. Nothing is returned if any cell is bad.
    """
    try:
        header, body = read_table(content)
    except CsvError as error:
        raise FiguresError([error.message]) from None
    names = {"period": word.capitalize(), "area": "Lĩnh vực", **COLUMNS}
    periods = {fold(h) for h in PERIOD_HEADERS}
    columns = ["period" if fold(h) in periods else _header_key(h, names) for h in header]
    unknown = [h for h, c in zip(header, columns) if c is None and h]
    missing = [names[k] for k in ("period", "area") if k not in columns]
    if unknown or missing:
        raise FiguresError((["Không hiểu cột: " + ", ".join(f"“{h}”" for h in unknown)] if unknown else [])
                           + ([f"Thiếu cột “{m}”." for m in missing]) + ["Hãy dùng tệp mẫu."])
    out, errors = {}, []
    for number, cells in body:
        row = {column: unguard(cell) for column, cell in zip(columns, cells)}
        period_raw, area_raw = (row.get("period") or "").strip(), (row.get("area") or "").strip()
        area = _header_key(area_raw, AREAS)
        if not period_raw.isdigit() or int(period_raw) not in period_numbers:
            errors.append(f"Dòng {number}, cột “{names['period']}”: “{period_raw}” không phải "
                          f"{word} của chiến dịch.")
            continue
        if area is None:
            errors.append(f"Dòng {number}, cột “Lĩnh vực”: không hiểu “{area_raw}”.")
            continue
        period = int(period_raw)
        if area in out.get(period, {}):
            errors.append(f"Dòng {number}: {numbered(word, period)}, lĩnh vực {AREAS[area]} bị lặp lại.")
            continue
        try:
            clean = check_figures({area: row}, where=lambda a, n=number: f"Dòng {n}, {AREAS[a]}")
        except FiguresError as error:
            errors.extend(error.errors)
            continue
        out.setdefault(period, {}).update(clean)
    if errors:
        raise FiguresError(errors)
    return out


def template_table(periods, word="tuần"):
    """(header, rows) of the template: a row per period and area, figures left blank,
    its first column headed by the campaign's `word` for a period (Tuần, Tháng)."""
    return ([word.capitalize(), "Lĩnh vực", *COLUMNS.values()],
            [[period.number, label] + [None] * len(COLUMNS)
             for period in periods for label in AREAS.values()])


def template_csv(periods, word="tuần"):
    """A template CSV (UTF-8 with BOM, opens in Excel) with a row per period and area,
    its first column headed by the campaign's `word` for a period (Tuần, Tháng)."""
    import csv
    import io
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    header, rows = template_table(periods, word)
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


def settings_targets(settings):
    """Targets of the procedure rates, with the commune's own where set."""
    return dict(DEFAULT_TARGETS, **(settings.get("procedure_targets") or {}))


def _sum(rows, areas=None):
    total = {c: 0 for c in COLUMNS}
    for area, values in rows.items():
        if areas is None or area in areas:
            for column in COLUMNS:
                total[column] += values.get(column, 0)
    return total


def _entries(total, period_total, targets, baseline):
    out = []
    for suffix, label_suffix in (("", ""), ("_lci", " (đất đai, xây dựng, đầu tư)")):
        for rate in RATES:
            key = rate.key + suffix
            t, p = total[suffix], period_total[suffix] if period_total else None
            numerator, denominator = t[rate.numerator], t[rate.denominator]
            value = numerator / denominator if denominator else None
            target = targets.get(key)
            entry = {"key": key, "label": rate.label + label_suffix, "numerator": numerator,
                     "denominator": denominator, "value": value, "target": target,
                     "met": None if value is None or target is None else value >= target,
                     "denominator_source": "one_stop_shop",
                     "baseline": (baseline.get("values") or {}).get(key),
                     "baseline_year": baseline.get("year")}
            if p is not None:
                entry.update(period_numerator=p[rate.numerator],
                             period_denominator=p[rate.denominator],
                             period_value=(p[rate.numerator] / p[rate.denominator]
                                           if p[rate.denominator] else None))
            out.append(entry)
    return out


def procedure_indicators(settings, stored, as_of):
    """(list as of `as_of`, {period number: list}) of the procedure rates.

    Cumulative: the figures of every period that has started by the date count.
    """
    targets = settings_targets(settings)
    baseline = settings.get("procedure_baseline") or {}
    periods = periods_from_settings(settings.get("campaign") or {})
    by_period, running = {}, {}
    for period in periods:
        if period.start > as_of:
            break
        rows = stored.get(period.number, {})
        running = {area: {c: running.get(area, {}).get(c, 0) + rows.get(area, {}).get(c, 0)
                          for c in COLUMNS} for area in set(running) | set(rows)}
        total = {"": _sum(running), "_lci": _sum(running, LCI)}
        own = {"": _sum(rows), "_lci": _sum(rows, LCI)}
        by_period[period.number] = _entries(total, own, targets, baseline)
    total = {"": _sum(running), "_lci": _sum(running, LCI)}
    return _entries(total, None, targets, baseline), by_period
