"""The plan's annex uploaded as .xlsx reads like its CSV: the same rows, the same per-cell
errors; bytes that are not a workbook, and a zip bomb, are refused with a clear message."""
import io
import zipfile

import openpyxl
import pytest

from fieldapp.indicators import annex


def workbook(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_annex_xlsx_gives_the_same_rows_as_its_csv():
    content = workbook([["Mã thôn", "Tên thôn"], ["thon-1", "Thôn Một"], ["thon-2", "Ấp Mới"]])
    rows, errors = annex.read_annex_csv(content)
    csv_rows, _ = annex.read_annex_csv("Mã thôn,Tên thôn\nthon-1,Thôn Một\nthon-2,Ấp Mới\n"
                                       .encode("utf-8"))
    assert errors == [] and rows == csv_rows


def test_annex_xlsx_names_the_row_and_column_of_a_bad_cell():
    content = workbook([["Mã thôn", "Tên thôn"], ["thon-1", "Thôn Một"], ["Thôn 2!", "Hai"]])
    _, errors = annex.read_annex_csv(content)
    assert len(errors) == 1 and errors[0].startswith("Dòng 3, cột “Mã thôn”")


def test_bytes_that_look_like_a_zip_but_are_not_a_workbook_are_refused():
    with pytest.raises(annex.AnnexError, match="không phải bảng Excel"):
        annex.read_annex_csv(b"PK\x03\x04 not really a zip")


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert len(out.getvalue()) < 200_000
    with pytest.raises(annex.AnnexError, match="quá lớn khi giải nén"):
        annex.read_annex_csv(out.getvalue())
