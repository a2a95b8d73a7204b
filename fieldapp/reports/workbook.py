"""The report's tables as an Excel workbook (openpyxl): one sheet per table, numbers as
numbers, rates as numbers with a percent format, frozen header rows, the campaign and
date in each sheet's header."""
import io

from fieldapp.forms import text

__all__ = ["render_xlsx"]

PERCENT = "0.0%"
HEADER = ("Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá")
MET = {True: "Đạt", False: "Chưa đạt", None: ""}


def _sheet(book, title, caption, header, rows):
    from openpyxl.styles import Font
    # Excel refuses these characters in sheet names; openpyxl numbers duplicates
    clean = "".join("-" if c in "[]:*?/\\" else c for c in title).strip("'")[:31]
    sheet = book.create_sheet(clean or "Thôn")
    sheet.append([caption])
    sheet.append(list(header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A3"
    for index, name in enumerate(header, start=1):
        column = sheet.cell(row=2, column=index).column_letter
        width = max([len(str(name))] + [len(str(r[index - 1])) for r in rows
                                        if r[index - 1] is not None])
        sheet.column_dimensions[column].width = min(60, width + 2)
    for row in sheet.iter_rows(min_row=3):
        for cell in row[3:5]:
            cell.number_format = PERCENT
    return sheet


def _rows(entries):
    # a missing target reads as on every page and document, in its cell and the verdict
    return [(e["label"], e["numerator"], e["denominator"], e["value"],
             text.NO_TARGET if e["target"] is None else e["target"],
             text.NO_TARGET if e["target"] is None else MET[e["met"]]) for e in entries]


def render_xlsx(data):
    """Workbook (.xlsx) bytes of a report (fieldapp.reports.weekly.ReportData)."""
    import openpyxl
    book = openpyxl.Workbook()
    book.remove(book.active)
    name = (data.settings.get("campaign") or {}).get("name") or ""
    caption = f"{name} · số liệu tính đến hết ngày {text.vn_date(data.as_of)}"
    _sheet(book, "Chỉ số", caption, HEADER, _rows(data.answer["indicators"]))
    for village_id, entries in data.answer["by_village"].items():
        if data.is_village:
            break
        _sheet(book, data.village_name(village_id), caption, HEADER, _rows(entries))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
