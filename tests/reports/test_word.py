"""The report as a Word file: read back with python-docx, its Decree 30 layout (margins,
Times New Roman, motto, number line, signature block, recipients) and every indicator
value, computed here through fieldapp.indicators, in Vietnamese format."""
import datetime

import docx
import pytest
from click.testing import CliRunner
from docx.shared import Mm

from fieldapp.cli import main
from fieldapp.forms import text
from fieldapp.indicators.compute import compute
from tests.reports.test_report import seed
from tests.support import factories


@pytest.fixture(scope="module")
def word_report(tmp_path_factory):
    """The period-2 report of the seeded village written as .docx, and its site."""
    root = tmp_path_factory.mktemp("word")
    site = factories.village_site(root / "village")
    seed(site)
    out = root / "report.docx"
    result = CliRunner().invoke(main, ["--data", site.data_dir, "report", "--out", str(out),
                                       "--period", "2"])
    assert result.exit_code == 0, result.output
    return docx.Document(str(out)), site


def _all_text(document):
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def test_word_report_has_the_decree_30_page_and_font(word_report):
    document, _ = word_report
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert Mm(20) <= section.top_margin <= Mm(25) and Mm(20) <= section.bottom_margin <= Mm(25)
    assert Mm(30) <= section.left_margin <= Mm(35) and Mm(15) <= section.right_margin <= Mm(20)
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14


def test_word_report_has_motto_number_signature_and_dotted_blanks(word_report):
    document, _ = word_report
    words = _all_text(document)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in words and "Độc lập - Tự do - Hạnh phúc" in words
    assert "Số: …………/BC-…………" in words           # unset settings: blanks, never invented
    assert "Nơi nhận:" in words and "- Lưu: VT." in words
    assert words.index("BÁO CÁO") < words.index("Nơi nhận:")


def test_word_report_shows_every_indicator_in_vietnamese_format(word_report):
    document, site = word_report
    answer = compute(site.settings, site.store.histories(), datetime.date(2025, 8, 7))
    table = document.tables[1]
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert len(rows) == len({e["label"] for e in answer["indicators"]})
    for entry in answer["indicators"]:
        cells = rows[entry["label"]]
        assert cells[1] == f"{text.vn_number(entry['numerator'])}/{text.vn_number(entry['denominator'])}"
        assert cells[2] == text.percent(entry["value"])


def test_document_settings_from_the_cli_are_saved_and_printed(tmp_path):
    site = factories.village_site(tmp_path / "village")
    seed(site)
    out = tmp_path / "r.docx"
    result = CliRunner().invoke(main, [
        "--data", site.data_dir, "report", "--out", str(out), "--period", "2",
        "--issuer", "UBND XÃ PHÚ RIỀNG", "--symbol", "BC-UBND", "--signer-capacity",
        "KT. CHỦ TỊCH", "--signer-title", "PHÓ CHỦ TỊCH", "--signer-name", "Nguyễn Văn Ân",
        "--recipient", "UBND tỉnh", "--recipient", "Lưu: VT."])
    assert result.exit_code == 0, result.output
    words = _all_text(docx.Document(str(out)))
    for expected in ("UBND XÃ PHÚ RIỀNG", "Số: …………/BC-UBND", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                     "Nguyễn Văn Ân", "- UBND tỉnh", "- Lưu: VT."):
        assert expected in words
    assert "…………/BC-UBND" in words      # the number itself stays for the register


def test_word_report_numbers_pages_at_top_centre_from_page_two(word_report):
    document, _ = word_report
    section = document.sections[0]
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    codes = [node.text for node in header._p.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}instrText")]
    assert [c.strip() for c in codes] == ["PAGE"]
    assert header.alignment == 1                       # WD_ALIGN_PARAGRAPH.CENTER
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()


def test_word_report_keeps_headings_with_tables_and_repeats_header_rows(word_report):
    document, _ = word_report
    headings = [p for p in document.paragraphs if p.text.startswith(("1. ", "2. "))]
    assert headings and all(p.paragraph_format.keep_with_next for p in headings)
    tag = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader"
    grids = [t for t in document.tables if t.style.name == "Table Grid"]
    assert grids
    for table in grids:
        assert table.rows[0]._tr.find(f".//{tag}") is not None
        assert all(row._tr.find(f".//{tag}") is None for row in table.rows[1:])


def test_word_shortfall_column_explains_itself(word_report):
    document, _ = word_report
    table = next(t for t in document.tables
                 if t.rows[0].cells[-1].text == "Còn cần thêm")
    needed = {row.cells[0].text: row.cells[-1].text for row in table.rows[1:]}
    # 2/3 satisfied against 90 %: (2 + 7) / (3 + 7) = 90 % if all 7 new answers are satisfied
    assert needed["Người dân hài lòng với dịch vụ công trực tuyến"] == (
        "cần thêm 7 ý kiến hài lòng nếu các ý kiến mới đều hài lòng")
    assert needed["Hộ đã được đến tận nhà hướng dẫn"] == "cần thêm 1 hộ"
