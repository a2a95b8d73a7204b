"""Tables an officer keeps in Excel: reading one saved from it (an .xlsx sheet, or CSV in
UTF-8 with or without BOM, comma or semicolon separated; messages are Vietnamese), and
writing the CSV templates it opens."""
import csv
import io

from fieldapp.indicators.sheets import XLSX_MAGIC, xlsx_rows

__all__ = ["CsvError", "read_table", "BOM", "unguard", "excel_csv"]

BOM = "\ufeff"
MAX_BYTES = 2 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")       # what a spreadsheet may run


def excel_csv(header, rows):
    """CSV bytes of `header` and `rows` for Excel in a Vietnamese locale: UTF-8 with BOM,
    semicolons (the comma is the decimal mark), CRLF; text a spreadsheet would run as a
    formula gets the leading apostrophe that `unguard` takes off again."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["'" + v if isinstance(v, str) and v[:1] in FORMULA_STARTS else v
                      for v in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")


def unguard(raw):
    """A code's or a number's cell without the leading apostrophe that our CSV files put
    before text a spreadsheet would run as a formula (reports.csv) and that people type
    to keep a number as text ('0123): neither a code nor a number starts with one."""
    text = raw.strip() if isinstance(raw, str) else raw
    return text[1:] if isinstance(text, str) and text.startswith("'") else raw


class CsvError(Exception):
    """A file that cannot be read as a table; `message` is Vietnamese."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def read_table(content, max_rows=1000, rows_are="số liệu", header_hint=""):
    """Return (header cells, [(line number, cells)]) of the non-empty rows; raise CsvError.

    `rows_are` and `header_hint` only word the messages ("chưa có thôn nào", "(Mã thôn…)").
    """
    if len(content) > MAX_BYTES:
        raise CsvError("Tệp quá lớn.")
    if content.startswith(XLSX_MAGIC):
        table = xlsx_rows(content, max_rows, CsvError)
        return _table(table, max_rows, rows_are, header_hint)
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvError("Tệp đang ở dạng UTF-16. Hãy lưu lại dưới dạng “CSV UTF-8”.")
    if b"\x00" in content:
        raise CsvError("Tệp không phải văn bản CSV (có byte 0). Hãy lưu lại dưới dạng "
                       "“CSV UTF-8”.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError("Tệp không phải văn bản UTF-8. Trong Excel hãy chọn Lưu thành → "
                       "“CSV UTF-8 (phân tách bằng dấu phẩy)”.") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise CsvError(f"Tệp trống: dòng đầu phải là tiêu đề cột{header_hint}.")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    try:
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as error:
        raise CsvError(f"Tệp CSV bị lỗi định dạng: {error}.") from None
    return _table(table, max_rows, rows_are, header_hint)


def _table(table, max_rows, rows_are, header_hint):
    """(header, [(line number, cells)]) of a table of text cells; raise CsvError."""
    if not table or not any(c.strip() for c in table[0]):
        raise CsvError(f"Tệp trống: dòng đầu phải là tiêu đề cột{header_hint}.")
    body = [(n, cells) for n, cells in enumerate(table[1:], start=2)
            if any(c.strip() for c in cells)]
    if not body:
        raise CsvError(f"Tệp chỉ có dòng tiêu đề, chưa có {rows_are}.")
    if len(body) > max_rows:
        raise CsvError(f"Tệp có quá {max_rows} dòng.")
    return [h.strip() for h in table[0]], body
