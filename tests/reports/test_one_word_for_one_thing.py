"""One word for one thing: a period is "Tuần" or "Tháng" (never "Đợt") on pages, in the
PDF and in CSV headers; a change in a rate is "điểm %"; a missing target is "Không đặt
chỉ tiêu"; rates have one decimal everywhere; one label per denominator source."""
import csv
import datetime
import io
import pathlib
import re
import subprocess

import pytest

from fieldapp import create_app
from fieldapp.auth.accounts import add_user
from fieldapp.forms import text
from fieldapp.indicators.definitions import SOURCES, source_label
from fieldapp.indicators.periods import monthly_periods, period_kind, period_name, weekly_periods
from fieldapp.indicators.procedures import template_csv
from fieldapp.site import Site, init_site
from tests.support import factories
from tests.support.factories import household, person, visit
from tests.support.pages import login_page

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "fieldapp" / "templates"
D = datetime.date


def pdf_text(data, tmp_path):
    out = tmp_path / "report.pdf"
    out.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(out), "-"], check=True,
                          capture_output=True, text=True).stdout


def words(html):
    """A page's text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# ---------------------------------------------------------------- no "Đợt", one rounding

def test_no_template_names_a_period_dot():
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in TEMPLATES.rglob("*.html")
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bđợt\b", line, re.IGNORECASE)]
    assert offenders == []


def test_no_template_rounds_a_rate_its_own_way():
    offenders = [str(path.relative_to(ROOT)) for path in TEMPLATES.rglob("*.html")
                 if re.search(r"percent\(", path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_csv_headers_name_the_period_as_the_campaign_does():
    from fieldapp.reports.csv import indicator_columns
    weeks = {"periods": [p.as_json() for p in weekly_periods(D(2025, 7, 25), D(2025, 8, 25))]}
    months = {"periods": [p.as_json() for p in monthly_periods(D(2025, 7, 25), D(2025, 9, 30))]}
    assert indicator_columns(weeks)[2] == "Tuần" and indicator_columns(months)[2] == "Tháng"
    header = template_csv(monthly_periods(D(2025, 7, 25), D(2025, 9, 30)), "tháng")
    assert header.decode("utf-8-sig").startswith("Tháng,Lĩnh vực,")
    for columns in (indicator_columns(weeks), indicator_columns(months)):
        assert "Đợt" not in columns


def test_the_kind_of_period_is_stored_or_read_from_the_periods():
    months = monthly_periods(D(2025, 7, 25), D(2025, 9, 30))
    weeks = weekly_periods(D(2025, 7, 25), D(2025, 8, 25))
    assert period_kind({"periods": [p.as_json() for p in months]}) == "month"
    assert period_kind({"periods": [p.as_json() for p in weeks]}) == "week"
    assert period_kind({"period_kind": "month", "periods": []}) == "month"
    assert period_kind(None) == "week"
    assert period_name({"period_kind": "month"}, 2) == "Tháng thứ 2"     # not February
    assert period_name({"period_kind": "week"}, 3) == "Tuần 3"


def test_a_change_is_in_points_a_gap_unsigned_and_rates_have_one_decimal():
    assert text.points(0.0526) == "+5,3 điểm %"
    assert text.points(-0.1) == "−10,0 điểm %"
    assert text.points(0.00001) == "0,0 điểm %"         # rounds to nothing: no sign
    assert text.points(-0.133, signed=False) == "13,3 điểm %"
    assert text.points(None) == "—"
    assert text.percent(0.525) == "52,5 %" and text.percent(2 / 3) == "66,7 %"
    assert text.target(None) == "Không đặt chỉ tiêu" and text.target(0.8) == "80,0 %"
    assert text.target_line(0.825) == "chỉ tiêu 82,5 %"


def test_each_denominator_source_has_one_label():
    assert source_label("official") == SOURCES["official"]
    assert len(set(SOURCES.values())) == len(SOURCES)
    assert source_label(None) == ""


# ---------------------------------------------------------------- a monthly campaign

@pytest.fixture
def monthly(tmp_path):
    """A village site whose campaign is counted in months: 25–31/07 and 01–25/08/2025,
    with one household met in each month; its lead signed in."""
    path = tmp_path / "village"
    init_site(str(path), "village", factories.COMMUNE,
              [{"id": "thon-3", "name": "Thôn 3", "adult_population": None, "targets": {}}],
              factories.START, factories.END, "month")
    site = Site(str(path))
    add_user(site, "lan", "lead", factories.LEAD_PIN, "thon-3")
    first, second = household("Hộ Một"), household("Hộ Hai", day=D(2025, 8, 5))
    site.store.submit([first, person(first["id"]), visit(first["id"]),
                       second, person(second["id"], day=D(2025, 8, 5)),
                       visit(second["id"], day=D(2025, 8, 5))])
    client = create_app({"DATA_DIR": str(path), "TESTING": True}).test_client()
    assert login_page(client, "lan", factories.LEAD_PIN).status_code == 302
    return client


def test_a_monthly_campaign_says_thang_on_the_dashboard(monthly):
    page = words(monthly.get("/village/dashboard?as_of=2025-08-25").get_data(as_text=True))
    # the campaign's months 1 and 2 are July and August: never "Tháng 2" (February)
    assert "Tháng thứ 1" in page and "Tháng thứ 2" in page and "Tháng 2" not in page
    assert "Tuần 1" not in page and "Đợt" not in page
    # the second month: 1 household visited of 1 in July, 2 of 2 in August: no change
    assert "Không đặt chỉ tiêu" in page           # adult level 2 has no default target
    reports = words(monthly.get("/reports/").get_data(as_text=True))
    assert "Báo cáo tháng thứ 2" in reports and "tháng 2:" not in reports and "đợt" not in reports.lower()


def test_a_monthly_campaign_says_thang_in_the_csv(monthly):
    response = monthly.get("/reports/indicators.csv?period=2")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert "Tháng" in rows[0] and "Đợt" not in rows[0] and "Tuần" not in rows[0]
    assert {r["Tháng"] for r in rows} == {"1", "2"}
    level2 = next(r for r in rows if r["Mã chỉ số"] == "adult_vneid_level2" and r["Tháng"] == "2")
    assert level2["Chỉ tiêu"] == "Không đặt chỉ tiêu"
    visited = next(r for r in rows if r["Mã chỉ số"] == "households_visited"
                   and r["Tháng"] == "2")
    assert (visited["Tử số"], visited["Mẫu số"], visited["Tỷ lệ"]) == ("2", "2", "100,0 %")
    online = next(r for r in rows if r["Mã chỉ số"] == "adult_online_usage" and r["Tháng"] == "2")
    assert online["Mẫu số theo"] == source_label("registered")


def test_a_monthly_campaign_says_thang_in_the_pdf(monthly, tmp_path):
    response = monthly.get("/reports/report.pdf?period=2")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('bao-cao-thang-2.pdf"')
    report = pdf_text(response.data, tmp_path)
    assert "tháng thứ 2" in report and "Tháng thứ 2: từ ngày 01/08/2025" in report
    assert not re.search(r"[Tt]háng 2\b", report)
    assert "So với tháng" in report and "Tháng thứ 1" in report
    assert "đợt" not in report.lower() and "tuần" not in report.lower()
    assert re.search(r"Không\s+đặt", report) and "Theo dõi" not in report  # may wrap
    assert "điểm %" in report
    assert "50,0 %" in report                     # the default online target, one decimal


def test_a_monthly_campaign_says_thang_in_the_word_file(monthly):
    import docx
    response = monthly.get("/reports/report.docx?period=2")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    everything = body + "\n" + "\n".join(cells)
    assert "tháng thứ 2" in everything and "đợt" not in everything.lower()
    assert not re.search(r"[Tt]háng 2\b", everything)
    assert "Không đặt chỉ tiêu" in cells and "Theo dõi" not in everything


def no_target_lines(pdf, tmp_path):
    """For each 'Không đặt chỉ tiêu' in the PDF, the lines it takes: 1 or 2, or 3 when
    'Không' is not followed on its line by 'đặt', or 'chỉ tiêu' is not together on the
    same or the next line under it (pdftotext lists words line by line across cells)."""
    out = tmp_path / "bbox.pdf"
    out.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(out), "-"], check=True,
                          capture_output=True, text=True).stdout
    words = [(float(x), float(y), word) for x, y, word in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)]
    spans = []
    for i, (x, y, word) in enumerate(words):
        if word != "Không" or i + 1 == len(words):
            continue
        if words[i + 1][2] != "đặt" or words[i + 1][1] != y:
            spans.append(3)
            continue
        below = [wy for (wx, wy, w), nxt in zip(words, words[1:])
                 if w == "chỉ" and nxt[2] == "tiêu" and nxt[1] == wy
                 and 0 <= wy - y <= 20 and abs(wx - x) <= 60]
        spans.append(1 if y in below else 2 if below else 3)
    return spans


def test_no_target_takes_two_lines_at_most_in_the_pdf_columns(monthly, tmp_path):
    spans = no_target_lines(monthly.get("/reports/report.pdf?period=2").data, tmp_path)
    # the indicators table (target and verdict columns) and the comparison table at least
    assert len(spans) >= 3 and max(spans) <= 2, spans


def test_no_target_breaks_only_between_its_halves_on_pages(monthly):
    assert text.target_cell(None) == ('<span class="nobr">Không đặt</span> '
                                      '<span class="nobr">chỉ tiêu</span>')
    assert text.target_cell(0.5) == "50,0 %"
    css = (ROOT / "fieldapp" / "static" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"^\.nobr \{ white-space: nowrap; \}", css, re.M)
