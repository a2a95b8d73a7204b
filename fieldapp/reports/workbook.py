"""Excel workbooks (openpyxl): the report's tables, and the indicator and volunteer tables
beside their CSV files. One sheet per table, numbers as numbers, rates as numbers with a
percent format, dates as dates, frozen header rows, columns wide enough for Vietnamese
labels, and the campaign and date in each sheet's first row and printed header."""
import io

from fieldapp.forms import text
from fieldapp.indicators.definitions import source_label
from fieldapp.indicators.periods import period_word
from fieldapp.reports.weekly import needed_words, still_needed, unit

__all__ = ["render_xlsx", "indicators_xlsx", "volunteers_xlsx", "tables_xlsx", "template_xlsx",
           "Table", "PERCENT", "POINTS"]

PERCENT = "0.0%"
POINTS = '+0.0" điểm "%;"−"0.0" điểm "%;0.0" điểm "%'   # a change of rates: +5,2 điểm %
DATE = "DD/MM/YYYY"
HEADER = ("Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá", "Còn cần thêm",
          "Giải thích")
MET = {True: "Đạt", False: "Chưa đạt", None: ""}


def period_header(word):
    """The header of a by-period sheet, its first column named as the campaign names a
    period (Tuần, Tháng)."""
    return (word.capitalize(), "Từ ngày", "Đến ngày", "Mã chỉ số", "Chỉ số", "Tử số",
            "Mẫu số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá", "Mẫu số theo")


class Table:
    """One sheet: its title, header and rows; which columns are rates and which dates."""

    def __init__(self, title, header, rows, percent=(), dates=(), formats=None):
        self.title, self.header, self.rows = title, tuple(header), [list(r) for r in rows]
        self.percent = {header.index(name) for name in percent}
        self.dates = {header.index(name) for name in dates}
        # other number formats: {column name: Excel format}
        self.formats = {header.index(name): code for name, code in (formats or {}).items()}


def _width(value):
    if value is None:
        return 0
    if hasattr(value, "year"):
        return 10
    if isinstance(value, float):
        return 7
    return len(str(value))


def _sheet(book, table, caption, caption_row=True):
    from openpyxl.styles import Alignment, Font
    # Excel refuses these characters in sheet names; openpyxl numbers duplicates
    clean = "".join("-" if c in "[]:*?/\\" else c for c in table.title).strip("'")[:31]
    sheet = book.create_sheet(clean or "Bảng")
    if caption_row:
        sheet.append([caption])
        sheet["A1"].font = Font(bold=True)
    sheet.append(list(table.header))
    first = 3 if caption_row else 2
    for cell in sheet[first - 1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":     # text such as '=HYPERLINK(…)' stays text
                cell.data_type = "s"
    sheet.freeze_panes = f"A{first}"
    # printed on every page: the caption at the top, the header rows repeated
    sheet.oddHeader.center.text = caption.replace("&", "&&")
    sheet.print_title_rows = f"1:{first - 1}"
    for index, name in enumerate(table.header):
        column = sheet.cell(row=2, column=index + 1).column_letter
        width = max([min(len(name), 24)] + [_width(r[index]) for r in table.rows])
        sheet.column_dimensions[column].width = min(60, width + 2)
    for row in sheet.iter_rows(min_row=first):
        for index in table.percent:
            row[index].number_format = PERCENT
        for index in table.dates:
            row[index].number_format = DATE
        for index, code in table.formats.items():
            row[index].number_format = code
    return sheet


def tables_xlsx(tables, caption):
    """Workbook (.xlsx) bytes of Tables, one sheet each, `caption` heading every sheet."""
    import openpyxl
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in tables:
        _sheet(book, table, caption)
    if not tables:
        book.create_sheet("Trống").append([caption, "Chưa có số liệu."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_xlsx(title, header, rows, caption, percent=()):
    """A fill-in sheet for an upload: the header in row 1 (the upload reads it there), then
    `rows`; the rates in `percent` columns as numbers with a percent format."""
    import openpyxl
    book = openpyxl.Workbook()
    book.remove(book.active)
    _sheet(book, Table(title, header, rows, percent=percent), caption, caption_row=False)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _caption(settings, as_of, what):
    name = (settings.get("campaign") or {}).get("name") or ""
    place = settings.get("site_name") or settings.get("commune_name") or ""
    parts = [what, name, place, f"số liệu tính đến hết ngày {text.vn_date(as_of)}"]
    return " · ".join(p for p in parts if p)


def _target(entry):
    # a missing target reads as on every page and document, in its cell and the verdict
    return text.NO_TARGET if entry["target"] is None else entry["target"]


def _verdict(entry):
    return text.NO_TARGET if entry["target"] is None else MET[entry["met"]]


def _rows(entries):
    rows = []
    for e in entries:
        needed = still_needed(e)
        rows.append((e["label"], e["numerator"], e["denominator"], e["value"], _target(e),
                     _verdict(e), needed,
                     None if needed is None else needed_words(needed, unit(e["key"]))))
    return rows


def procedure_header(word):
    return (word.capitalize(), "Chỉ số", f"Tử số trong {word}", f"Mẫu số trong {word}",
            f"Tỷ lệ trong {word}", "Tử số luỹ kế", "Mẫu số luỹ kế", "Luỹ kế", "Chỉ tiêu")


def member_header(word):
    return ("Tổ viên", "Thôn", "Lần đến nhà", "Hộ đã đến", f"Hộ đã đến trong {word}",
            "Hỗ trợ kích hoạt mức 2", "Hỗ trợ mở tài khoản NH", "Phiếu khảo sát", "Điểm")


def _by_period_rows(data):
    """The scope's indicators at the end of every period up to the report's."""
    import datetime
    rows = []
    for period in data.answer["by_period"]:
        start = datetime.date.fromisoformat(period["start"])
        end = datetime.date.fromisoformat(period["as_of"])
        rows += [[period["period"], start, end, e["key"], e["label"], e["numerator"],
                  e["denominator"], e["value"], _target(e), _verdict(e)]
                 for e in period["indicators"]]
    return rows


def _procedure_rows(data):
    """The one-stop shop's rates, in each period and cumulated (commune reports only)."""
    stored = data.extra.get("procedure_figures")
    if not stored or data.is_village:
        return []
    from fieldapp.indicators.procedures import procedure_indicators
    _, by_period = procedure_indicators(data.settings, stored, data.as_of)
    return [[number, e["label"], e.get("period_numerator"), e.get("period_denominator"),
             e.get("period_value"), e["numerator"], e["denominator"], e["value"], e["target"]]
            for number, entries in sorted(by_period.items())
            if number <= data.period.number for e in entries]


def _member_rows(data):
    rows = []
    for r in data.stats:
        old = data.stats_before.get((r["village_id"], r["author"]))
        rows.append([r["name"], data.village_name(r["village_id"]), r["visits"],
                     r["households_visited"],
                     r["households_visited"] - (old["households_visited"] if old else 0),
                     r["vneid_level2"], r["bank_account"], r["surveys"], r["score"]])
    return rows


def render_xlsx(data):
    """Workbook (.xlsx) bytes of a report (fieldapp.reports.weekly.ReportData): the
    indicators against targets, each village's, the indicators by period, the one-stop
    shop's rates and the members' work, one sheet each."""
    rates, word = ("Tỷ lệ", "Chỉ tiêu"), data.period_word
    tables = [Table("Chỉ số", HEADER, _rows(data.answer["indicators"]), percent=rates)]
    if not data.is_village:
        tables += [Table(data.village_name(village_id), HEADER, _rows(entries), percent=rates)
                   for village_id, entries in data.answer["by_village"].items()]
    tables.append(Table(f"Theo {word}", period_header(word)[:-1], _by_period_rows(data),
                        rates, ("Từ ngày", "Đến ngày")))
    procedures = _procedure_rows(data)
    if procedures:
        tables.append(Table("Thủ tục hành chính", procedure_header(word), procedures,
                            percent=(f"Tỷ lệ trong {word}", "Luỹ kế", "Chỉ tiêu")))
    tables.append(Table("Tổ viên", member_header(word), _member_rows(data)))
    return tables_xlsx(tables, _caption(data.settings, data.as_of, ""))


def _period_row(group, entry):
    p = group["period"]
    return [p.number, p.start, p.end, entry["key"], entry["label"], entry["numerator"],
            entry["denominator"], entry["value"], _target(entry), MET[entry["met"]],
            source_label(entry.get("denominator_source"))]


def indicators_xlsx(settings, histories, village_ids=None, period=None, today=None,
                    procedure_figures=None):
    """The indicator CSV's figures as a workbook: the commune's indicators by period, each
    village's, and the one-stop shop's, one sheet each (a village site: its village's)."""
    from fieldapp.reports.csv import indicator_groups
    cutoff, groups = indicator_groups(settings, histories, village_ids, period, today,
                                      procedure_figures)
    rates, days = ("Tỷ lệ", "Chỉ tiêu"), ("Từ ngày", "Đến ngày")
    word = period_word(settings.get("campaign"))
    header = period_header(word)
    titles = {"commune": f"Toàn xã theo {word}", "procedures": "Thủ tục hành chính"}
    tables = []
    for table in ("commune", "procedures"):
        rows = [_period_row(g, e) for g in groups if g["table"] == table for e in g["entries"]]
        if rows:
            tables.append(Table(titles[table], header, rows, rates, days))
    villages = [g for g in groups if g["table"] == "village"]
    if len({g["village_id"] for g in villages}) == 1 and not tables:
        tables.append(Table(villages[0]["scope"], header,
                            [_period_row(g, e) for g in villages for e in g["entries"]],
                            rates, days))
    elif villages:
        villages.sort(key=lambda g: (g["scope"], g["village_id"], g["period"].number))
        tables.append(Table("Từng thôn", ("Thôn", "Mã thôn") + header,
                            [[g["scope"], g["village_id"]] + _period_row(g, e)
                             for g in villages for e in g["entries"]], rates, days))
    return tables_xlsx(tables, _caption(settings, cutoff, f"Chỉ số theo từng {word}"))


def volunteers_xlsx(settings, histories, village_ids=None, as_of=None):
    """The volunteer CSV's table as a workbook: one sheet, counts as numbers."""
    from fieldapp.indicators.periods import today_local
    from fieldapp.reports.csv import VOLUNTEER_COLUMNS, volunteer_rows
    rows = volunteer_rows(settings, histories, village_ids, as_of)
    return tables_xlsx([Table("Tổ viên", VOLUNTEER_COLUMNS, rows)],
                       _caption(settings, as_of or today_local(), "Kết quả của tổ viên"))
