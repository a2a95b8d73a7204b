"""The Word report as LibreOffice lays it out (PDF and PNG): A4, Times New Roman's metric
twin, the Decree 30 parts in order, page numbers from page 2, the signature block never
alone on its page. Skipped where LibreOffice (`soffice`) is not installed."""
import shutil
import subprocess

import pytest

from fieldapp.reports.formats import render_report
from fieldapp.reports import weekly as report
from tests.reports.test_report import _ink_bottom, _words, pdf_flow, seed
from tests.support import factories

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None,
                                reason="LibreOffice (soffice) is not installed")


@pytest.fixture(scope="module")
def word_pdf(tmp_path_factory):
    """The seeded village's period-2 report as .docx, turned into PDF by LibreOffice once."""
    root = tmp_path_factory.mktemp("word-render")
    site = factories.village_site(root / "village", users=False)
    seed(site)
    data = report.report_data(site.settings, site.store.histories(), period=2)
    (root / "report.docx").write_bytes(render_report(data, "docx"))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{root}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(root), str(root / "report.docx")],
                   check=True, capture_output=True, timeout=120)
    return root / "report.pdf"


def test_libreoffice_lays_the_word_report_out_on_a4_in_a_times_metric_font(word_pdf):
    info = subprocess.run(["pdfinfo", str(word_pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info
    fonts = subprocess.run(["pdffonts", str(word_pdf)], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all("LiberationSerif" in n or "TimesNewRoman" in n for n in names), fonts


def test_word_report_reads_in_decree_30_order_when_laid_out(word_pdf):
    text_ = " ".join(pdf_flow(word_pdf).split())
    order = ["Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", "1. Kết quả so với chỉ tiêu",
             "2. Chỉ tiêu chưa đạt", "cần thêm 7 ý kiến hài lòng nếu các ý kiến mới đều hài lòng",
             "Nơi nhận:", "- Lưu: VT."]
    places = [text_.find(words) for words in order]
    assert -1 not in places and places == sorted(places), list(zip(order, places))
    assert "Số: …………/BC-…………" in text_


def test_laid_out_word_report_numbers_pages_from_two_and_keeps_its_margins(word_pdf):
    words = _words(word_pdf)
    pages = max(w[0] for w in words)
    left, right = 32 * 72 / 25.4, 595.3 - 17 * 72 / 25.4
    assert min(w[1] for w in words) >= left - 1
    for number in range(2, pages + 1):
        top = min((w for w in words if w[0] == number), key=lambda w: w[2])
        assert top[4] == str(number) and abs((top[1] + top[3]) / 2 - (left + right) / 2) < 5
    first = min((w for w in words if w[0] == 1), key=lambda w: w[2])
    assert first[4] != "1"


def test_laid_out_signature_block_is_not_alone_on_its_page(word_pdf):
    last = max(w[0] for w in _words(word_pdf))
    page = subprocess.run(["pdftotext", "-f", str(last), "-l", str(last), str(word_pdf), "-"],
                          capture_output=True, text=True).stdout
    body = page[:page.index("Nơi nhận:")]
    assert any(label in body for label in ("Chỉ số", "Hộ", "Người")), page
    assert _ink_bottom(word_pdf, 1) > 0.6             # page 1 carries the body, not a heading
