"""Reading the first sheet of an uploaded .xlsx as text cells, the way a CSV reads, so the
annex and one-stop-shop uploads give the same per-cell errors. Bounded: the zip's
declared sizes are checked before anything is inflated, so a zip bomb is refused."""
import io
import zipfile

__all__ = ["XLSX_MAGIC", "MAX_INFLATED", "xlsx_rows"]

XLSX_MAGIC = b"PK\x03\x04"
MAX_INFLATED = 20 * 1024 * 1024
MAX_COLUMNS = 64


def _text(cell):
    """A cell as the text a CSV would hold: 85 % cells as '85', 3.0 as '3'."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        if "%" in (cell.number_format or ""):
            value = value * 100
        value = round(value, 6)
        return str(int(value)) if value == int(value) else str(value).replace(".", ",")
    return str(value)


def xlsx_rows(content, max_rows, error):
    """[[cell text]] of the first sheet's rows (at most max_rows + 1); raise error(message)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise error("Tệp không phải bảng Excel (.xlsx) hợp lệ.") from None
    if inflated > MAX_INFLATED:
        raise error("Tệp Excel quá lớn khi giải nén: hãy chỉ để lại bảng số liệu.")
    import openpyxl
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(max_col=MAX_COLUMNS):
            rows.append([_text(c) for c in row])
            if len(rows) > max_rows + 1:
                break
        book.close()
    except Exception:   # openpyxl raises many kinds on damaged files
        raise error("Tệp không phải bảng Excel (.xlsx) hợp lệ.") from None
    while rows and rows[-1] and not any(c.strip() for c in rows[-1]):
        rows.pop()
    return [r for r in rows]
