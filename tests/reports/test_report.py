"""The chairman's report: figures in the PDF text equal the ones worked out by hand here,
periods compared, shortfalls counted, empty sites honest, bad periods refused, names
with any Vietnamese characters (and hostile ones) printed as written."""
import csv
import datetime
import io
import re
import subprocess

import pytest

from fieldapp.cli import main
from fieldapp.reports import csv as csvexport
from fieldapp.reports import weekly as report
from fieldapp.indicators.periods import weekly_periods
from tests.support import factories
from tests.support.pages import csrf_token, login_page
from tests.support.factories import household, person, survey, visit

D = datetime.date


def pdf_text(path):
    """The text of a PDF, laid out as on the page (poppler)."""
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def section(text_, start, end=None):
    """The text between two section headings."""
    tail = text_[text_.index(start):]
    return tail[:tail.index(end)] if end else tail


def line_with(text_, *needles):
    """The one line that holds every needle, in order; fail when there is none."""
    pattern = re.compile(r"\s.*".join(re.escape(n) for n in needles))
    found = [line for line in text_.splitlines() if pattern.search(line)]
    assert found, f"no line with {needles} in:\n{text_}"
    return found[0]


def seed(site):
    """Two periods of work in thon-3 whose indicators are worked out by hand in the tests.

    End of period 1 (31/07): 4 households, adults p1 p2 p4 p5 (p3 is a child).
    End of period 2 (07/08): a 5th household, p2 and p5 updated, more visits and a survey.
    """
    p1, p2 = D(2025, 7, 25), D(2025, 8, 3)
    homes = [household(f"Hộ {n}", day=p1) for n in range(1, 5)]
    h1, h2, h3, h4 = (h["id"] for h in homes)
    first_p2 = person(h2, "Lê Văn Bảy", 1990, day=p1)
    first_p5 = person(h4, "Đặng Thị Ếch", 1960, day=p1)
    versions = homes + [
        person(h1, "Nguyễn Thị Ánh", 1980, "level2", True, True, day=p1),
        first_p2,
        person(h3, "Trần Bé", 2012, day=p1),
        person(h4, "Phạm Văn Dũng", 1975, "level2", True, False, day=p1),
        first_p5,
        visit(h1, "met", ["vneid_level2", "bank_account"], day=D(2025, 7, 26)),
        visit(h2, "absent", day=D(2025, 7, 27)),
        survey("land", 5, day=D(2025, 7, 28)),
        survey("civil_status", 3, day=D(2025, 7, 28)),
        # period 2
        person(h2, "Lê Văn Bảy", 1990, "level2", True, True, day=p2, record_id=first_p2["id"]),
        person(h4, "Đặng Thị Ếch", 1960, "none", True, False, day=p2, record_id=first_p5["id"]),
        visit(h2, "met", ["vneid_level2"], day=p2, author="lan", device_id="ph-lan"),
        visit(h3, "met", day=D(2025, 8, 4)),
        visit(h4, "met", day=D(2025, 8, 4)),
        survey("construction", 4, day=D(2025, 8, 5)),
        household("Hộ 5", day=D(2025, 8, 5)),
    ]
    site.store.submit(versions)
    return versions


# (label start, numerator/denominator, value) at the end of period 2, in report order
PERIOD2 = [("Người trưởng thành sử", "2/4", "50,0 %"), ("Người dân hài lòng", "2/3", "66,7 %"),
           ("Hài lòng với thủ tục", "2/2", "100,0 %"), ("Hộ có ít nhất 1", "3/5", "60,0 %"),
           ("Người trưởng thành có", "3/4", "75,0 %"), ("Người trưởng thành có", "4/4", "100,0 %"),
           ("Hộ đã được đến", "4/5", "80,0 %")]
KEYS = ["adult_online_usage", "satisfaction", "satisfaction_land_construction_investment",
        "household_vneid_level2", "adult_vneid_level2", "adult_bank_account",
        "households_visited"]
PERIOD1 = ["25,0 %", "50,0 %", "100,0 %", "50,0 %", "50,0 %", "50,0 %", "25,0 %"]
CHANGES = ["+25,0", "+16,7", "0,0", "+10,0", "+25,0", "+50,0", "+55,0"]


def pdf_flow(path):
    """The text of a PDF in reading order, each table cell's lines together (poppler)."""
    return subprocess.run(["pdftotext", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def village_report(village_pdf):
    """The text of the seeded village's period-2 report, laid out as on the page."""
    return pdf_text(village_pdf)


@pytest.fixture(scope="module")
def village_pdf(tmp_path_factory):
    """The period-2 report of the seeded village, written by `fieldapp report`."""
    from click.testing import CliRunner
    root = tmp_path_factory.mktemp("report")
    site = factories.village_site(root / "village")
    seed(site)
    out = root / "report.pdf"
    result = CliRunner().invoke(main, ["--data", site.data_dir, "report", "--out", str(out),
                                       "--period", "2"])
    assert result.exit_code == 0, result.output
    return out


def test_report_figures_equal_the_indicators_worked_out_by_hand(village_report):
    text_ = section(village_report, "2. Kết quả so với chỉ tiêu", "3. So sánh")
    lines = [line_with(text_, label, fraction, value) for label, fraction, value in PERIOD2]
    assert len(set(lines)) == len(lines)
    for line, change in zip(lines, CHANGES):
        assert change in line
    assert "Đạt" in lines[0] and "Chưa đạt" in lines[3]


def test_report_compares_the_period_with_every_earlier_one(village_report):
    assert "tuần 2" in village_report and "25/07/2025" in village_report
    text_ = section(village_report, "3. So sánh tuần 2 với tuần 1", "4. Chỉ tiêu chưa đạt")
    values = [line_with(text_, start, p1, p2) for (start, _, p2), p1 in zip(PERIOD2, PERIOD1)]
    assert len(values) == 7


def test_report_says_what_is_behind_and_how_many_are_missing(village_report):
    text_ = section(village_report, "4. Chỉ tiêu chưa đạt", "5. Đề nghị biểu dương")
    # satisfaction 2/3 vs 90 %: (0.9*3 - 2) / (1 - 0.9) = 7 more satisfied answers
    line_with(text_, "Người dân hài lòng", "66,7 %", "90,0 %", "23,3 điểm %", "cần thêm 7 ý kiến")
    line_with(text_, "Hộ có ít nhất 1", "60,0 %", "100,0 %", "40,0", "cần thêm 2 hộ")
    line_with(text_, "Hộ đã được đến", "80,0 %", "100,0 %", "20,0", "cần thêm 1 hộ")
    assert "Người trưởng thành sử dụng" not in text_      # 50 % meets its target


def test_report_commends_the_volunteers_with_their_figures(village_report):
    text_ = section(village_report, "5. Đề nghị biểu dương")
    # minh: 3 households met (2 in week 2), 1 level-2 help, 1 bank help, 3 surveys
    assert re.search(r"minh\s+3\s+2\s+1\s+1\s+3", text_), text_
    assert re.search(r"lan\s+1\s+1\s+1\s+0\s+0", text_), text_
    assert text_.index("minh") < text_.index("lan")


def test_pdf_uses_a_named_serif_font_with_vietnamese_glyphs(tmp_path):
    site = factories.village_site(tmp_path / "v", name="Thôn Đồng Ễnh Ương", users=False)
    data = report.report_data(site.settings, {}, period=1)
    out = tmp_path / "r.pdf"
    out.write_bytes(report.render_pdf(report.render_html(data)))
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    # Times New Roman where installed, else its metric twin Liberation Serif (fonts-liberation2)
    assert names and all(re.search(r"\+(Liberation-?Serif|Times-?New-?Roman)", name)
                         for name in names), fonts
    assert "Type 3" not in fonts
    text_ = pdf_text(out)
    assert "Thôn Đồng Ễnh Ương" in text_
    assert "Chưa có số liệu" in text_                     # no records: an honest empty report


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    """The report PDF of an 11-week campaign, made once for this module's tests."""
    return _long_campaign_pdf(tmp_path_factory.mktemp("long"))


def _long_campaign_pdf(tmp_path):
    """The report PDF of an 11-week campaign, at its last week."""
    site = factories.village_site(tmp_path / "v", users=False)
    seed(site)
    weeks = weekly_periods(D(2025, 7, 25), D(2025, 10, 10))
    settings = dict(site.settings, campaign=dict(site.settings["campaign"],
                                                 periods=[p.as_json() for p in weeks]))
    data = report.report_data(settings, site.store.histories(), period=len(weeks))
    out = tmp_path / "long.pdf"
    out.write_bytes(report.render_pdf(report.render_html(data)))
    return out


def test_a_long_campaign_compares_every_period_within_the_page_width(long_pdf):
    out = long_pdf
    text_ = section(pdf_text(out), "3. So sánh tuần 11", "4. Chỉ tiêu chưa đạt")
    for week in range(1, 12):
        assert f"Tuần {week}" in text_
    # households visited: 25,0 % after week 1, 80,0 % from week 2 on (4 of 5 households)
    assert len(re.findall(r"80,0 %", text_)) >= 10
    boxes = subprocess.run(["pdftotext", "-bbox", str(out), "-"], check=True,
                           capture_output=True, text=True).stdout
    right = max(float(x) for x in re.findall(r'xMax="([0-9.]+)"', boxes))
    assert right <= 595.3 - 17 * 72 / 25.4 + 1, right      # inside the A4 right margin


def commune_with(tmp_path, villages):
    """A commune site of `villages` ((id, name, adult population), …)."""
    return factories.commune_site(tmp_path / "commune", villages=villages)


def test_commune_report_covers_each_village_and_escapes_names(tmp_path, runner):
    hostile = '<b>Ấp</b> Mới & "Đồng" </style><script>x</script>'
    site = commune_with(tmp_path, (("thon-3", "Thôn 3", None), ("ap-moi", hostile, None)))
    a, b, c = (household(f"Hộ {n}", village_id=v) for n, v in
               ((1, "thon-3"), (2, "thon-3"), (3, "ap-moi")))
    site.store.submit([a, b, c, visit(a["id"], "met", village_id="thon-3"),
                       visit(c["id"], "met", village_id="ap-moi", author="tu", device_id="ph-tu")],
                      partition="batch-1")
    html = report.render_html(report.report_data(site.settings, site.store.histories(), 1))
    assert "<b>Ấp</b>" not in html and "&lt;b&gt;Ấp&lt;/b&gt;" in html
    out = tmp_path / "c.pdf"
    result = runner.invoke(main, ["--data", site.data_dir, "report", "--out", str(out),
                                  "--period", "1"])
    assert result.exit_code == 0, result.output
    text_ = pdf_text(out)
    assert "<b>Ấp</b> Mới" in text_                      # printed as written, not as markup
    line_with(section(text_, "2. Kết quả so với chỉ tiêu"), "Hộ đã được đến", "2/3", "66,7 %")
    villages = section(text_, "4. Kết quả từng thôn", "5. Chỉ tiêu chưa đạt")
    line_with(villages, "Hộ đã được đến", "50,0 %", "100,0 %")
    line_with(villages, "1/2", "1/1")


def test_empty_commune_gives_an_honest_report(tmp_path, runner):
    site = commune_with(tmp_path, ())
    out = tmp_path / "e.pdf"
    result = runner.invoke(main, ["--data", site.data_dir, "report", "--out", str(out),
                                  "--period", "4"])
    assert result.exit_code == 0, result.output
    text_ = pdf_text(out)
    assert "Chưa có số liệu" in text_ and "chưa có thôn nào" in text_
    assert "Chưa có tổ viên nào" in text_


@pytest.mark.parametrize("args, message", [
    (["--period", "9"], "Không có tuần 9: chiến dịch có các tuần 1–4."),
    (["--period", "0"], "0 nằm ngoài khoảng"),
    (["--as-of", "2025-13-01"], "ví dụ 14/08/2025"),
    (["--as-of", "2025-07-01"], "chưa có tuần nào để báo cáo"),
])
def test_bad_periods_get_a_clear_error_and_no_file(site, runner, tmp_path, args, message):
    out = tmp_path / "x.pdf"
    result = runner.invoke(main, ["--data", site.data_dir, "report", "--out", str(out)] + args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


def test_choose_period_defaults_to_the_latest_started_period():
    weeks = weekly_periods(factories.START, factories.END)
    settings = {"campaign": {"periods": [p.as_json() for p in weeks]}}
    period, cutoff, _ = report.choose_period(settings, today=D(2025, 8, 10))
    assert (period.number, cutoff) == (3, D(2025, 8, 10))
    period, cutoff, _ = report.choose_period(settings, period=1, today=D(2026, 1, 1))
    assert (period.number, cutoff) == (1, D(2025, 7, 31))


def test_still_needed_counts_people_households_and_answers():
    entry = {"key": "households_visited", "target": 1.0, "numerator": 7, "denominator": 10,
             "met": False}
    assert report.still_needed(entry) == 3
    entry = {"key": "adult_online_usage", "target": 0.5, "numerator": 0, "denominator": 3,
             "met": False}
    assert report.still_needed(entry) == 2
    entry = {"key": "satisfaction", "target": 0.9, "numerator": 8, "denominator": 10,
             "met": False}
    assert report.still_needed(entry) == 10          # (8 + 10) / (10 + 10) = 90 %


# ---------------------------------------------------------------- pages and CSV

def test_report_pages_need_a_lead_staff_or_admin(client, site):
    assert client.get("/reports/").status_code == 302
    assert client.get("/reports/report.pdf").status_code == 302
    login_page(client, "minh", factories.VOL_PIN)
    for path in ("/reports/", "/reports/report.pdf", "/reports/qr.pdf", "/reports/indicators.csv",
                 "/reports/report.docx", "/reports/report.xlsx"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "không có quyền" in response.get_data(as_text=True)


def test_lead_downloads_the_report_and_bad_periods_get_a_vietnamese_page(client, site):
    seed(site)
    login_page(client, "lan", factories.LEAD_PIN)
    page = client.get("/reports/").get_data(as_text=True)
    assert "Báo cáo tuần 4" in page and "Báo cáo tuần 1" in page
    response = client.get("/reports/report.pdf?period=2")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    word = client.get("/reports/report.docx?period=2")
    assert word.status_code == 200 and word.data.startswith(b"PK")
    workbook = client.get("/reports/report.xlsx?period=2")
    assert workbook.status_code == 200 and workbook.data.startswith(b"PK")
    assert client.get("/reports/report.docx?period=7").status_code == 404
    missing = client.get("/reports/report.pdf?period=7")
    assert missing.status_code == 404
    assert "Không có tuần 7" in missing.get_data(as_text=True)
    bad = client.get("/reports/report.pdf?period=%3Cb%3E")
    assert bad.status_code == 400 and "Số tuần không hợp lệ" in bad.get_data(as_text=True)


def test_login_cards_sheet_needs_the_form_token(client, site):
    login_page(client, "lan", factories.LEAD_PIN)
    assert client.post("/reports/qr-login.pdf").status_code == 400
    token = csrf_token(client, "/reports/")
    response = client.post("/reports/qr-login.pdf", data={"csrf_token": token})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_indicator_csv_has_a_bom_and_parses_back_to_the_figures(client, site):
    seed(site)
    login_page(client, "lan", factories.LEAD_PIN)
    response = client.get("/reports/indicators.csv?period=2")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0]) == list(csvexport.indicator_columns(site.settings["campaign"]))
    period1 = {r["Mã chỉ số"]: r for r in rows if r["Tuần"] == "1"}
    period2 = {r["Mã chỉ số"]: r for r in rows if r["Tuần"] == "2"}
    assert [f'{period2[k]["Tử số"]}/{period2[k]["Mẫu số"]}' for k in KEYS] == [
        f for _, f, _ in PERIOD2]
    assert [period2[k]["Tỷ lệ"] for k in KEYS] == [v for _, _, v in PERIOD2]
    assert [period1[k]["Tỷ lệ"] for k in KEYS] == PERIOD1
    assert {r["Phạm vi"] for r in rows} == {"Thôn 3"}
    assert period2["households_visited"]["Đến ngày"] == "07/08/2025"


def test_volunteer_csv_counts_each_volunteers_work(client, site):
    versions = seed(site)
    roster = factories.version("member", {"full_name": "Hoàng Kim Thảo", "username": "minh",
                                          "active": True}, author="lan")
    site.store.submit([roster])
    login_page(client, "lan", factories.LEAD_PIN)
    response = client.get("/reports/volunteers.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    rows = {r["Tên đăng nhập"]: r for r in table}
    # people are named from the roster; without a roster entry the login stands in
    assert rows["minh"]["Tổ viên"] == "Hoàng Kim Thảo" and rows["lan"]["Tổ viên"] == "lan"
    for author in ("minh", "lan"):
        mine = [v for v in versions if v["author"] == author]
        visits = [v for v in mine if v["type"] == "visit"]
        assert int(rows[author]["Lần đến nhà"]) == len(visits)
        assert int(rows[author]["Hộ đã đến"]) == len(
            {v["data"]["household_id"] for v in visits if v["data"]["outcome"] == "met"})
        assert int(rows[author]["Phiếu khảo sát"]) == sum(v["type"] == "survey" for v in mine)


def test_csv_cells_cannot_start_a_formula():
    body = csvexport.to_csv(("a",), [("=HYPERLINK(1)",), ("Thôn 3",)])
    assert body.splitlines()[1] == "'=HYPERLINK(1)" and body.splitlines()[2] == "Thôn 3"


def test_staff_get_the_whole_commune_in_csv_and_pdf(tmp_path):
    from fieldapp import create_app
    site = commune_with(tmp_path, (("thon-3", "Thôn 3", 10), ("ap-moi", "Ấp Mới", None)))
    a, b = household("Hộ 1", village_id="thon-3"), household("Hộ 2", village_id="ap-moi")
    site.store.submit([a, b, visit(b["id"], "met", village_id="ap-moi"),
                       person(a["id"], "Ông Ba", 1950, online=True, village_id="thon-3")],
                      partition="batch-1")
    client = create_app({"DATA_DIR": site.data_dir, "TESTING": True}).test_client()
    login_page(client, "canbo", factories.PASSWORD)
    response = client.get("/reports/indicators.csv?period=1")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    visited = {r["Phạm vi"]: (r["Tử số"], r["Mẫu số"], r["Tỷ lệ"]) for r in rows
               if r["Mã chỉ số"] == "households_visited"}
    assert visited == {"Toàn xã": ("1", "2", "50,0 %"), "Thôn 3": ("0", "1", "0,0 %"),
                       "Ấp Mới": ("1", "1", "100,0 %")}
    online = {r["Phạm vi"]: (r["Tử số"], r["Mẫu số"], r["Mẫu số theo"]) for r in rows
              if r["Mã chỉ số"] == "adult_online_usage"}
    # Thôn 3 counts on its official 10 adults, Ấp Mới on the 0 registered: 1/10 in all
    assert online["Toàn xã"][:2] == ("1", "10") and online["Toàn xã"][2].startswith("kết hợp")
    assert online["Thôn 3"][1] == "10"
    pdf = client.get("/reports/report.pdf?period=1")
    assert pdf.status_code == 200
    out = tmp_path / "staff.pdf"
    out.write_bytes(pdf.data)
    text_ = pdf_text(out)
    assert "Ấp Mới" in text_ and "Thôn 3" in text_
    line_with(section(text_, "2. Kết quả so với chỉ tiêu"), "Hộ đã được đến", "1/2", "50,0 %")


def _words(path):
    """[(page number, xMin, yMin, xMax, word)] of a PDF (poppler's bounding boxes)."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                           capture_output=True, text=True).stdout
    words, page = [], 0
    for line in boxes.splitlines():
        if "<page " in line:
            page += 1
        found = re.search(r'xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)"[^>]*>(.*)</word>',
                          line)
        if found:
            words.append((page, float(found[1]), float(found[2]), float(found[3]), found[4]))
    return words


def test_pdf_report_numbers_pages_at_top_centre_from_page_two(long_pdf):
    words = _words(long_pdf)
    pages = max(w[0] for w in words)
    assert pages >= 2
    left, right = 32 * 72 / 25.4, 595.3 - 17 * 72 / 25.4
    for number in range(1, pages + 1):
        top = min((w for w in words if w[0] == number), key=lambda w: w[2])
        if number == 1:
            assert top[4] != "1"                                   # no number on page 1
            continue
        assert top[4] == str(number), top
        assert top[2] < 22 * 72 / 25.4                             # in the top margin
        middle = (top[1] + top[3]) / 2
        assert abs(middle - (left + right) / 2) < 5, middle       # centred in the text block
    assert min(w[1] for w in words) >= left - 1                    # Decree 30 left margin


HEADINGS = re.compile(r"^\s*(\d+\. |Biểu đồ:|Từng thôn:|Tổ viên tích cực|Thôn có kết quả)")


def test_no_page_ends_with_a_heading_left_alone(long_pdf, village_report):
    for text_ in (pdf_text(long_pdf), village_report):
        for page in [p for p in text_.split("\f") if p.strip()]:
            last = [line for line in page.splitlines() if line.strip()][-1]
            assert not HEADINGS.match(last), last


def _ink_bottom(path, page):
    """How far down page `page` the ink goes, as a share of the page's height (pdftoppm)."""
    image = subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", str(page), "-l", str(page),
                            str(path)], check=True, capture_output=True).stdout
    magic, width, height, _, pixels = image.split(maxsplit=4)
    assert magic == b"P5"
    width, height = int(width), int(height)
    rows = [pixels[r * width:(r + 1) * width] for r in range(height)]
    inked = [r for r, row in enumerate(rows) if min(row) < 128]
    return (max(inked) + 1) / height


def test_page_one_is_filled_to_its_bottom_margin(long_pdf, village_pdf):
    # the A4 text block ends 22 mm above the bottom edge: 92.6 % of the height
    for path in (long_pdf, village_pdf):
        assert _ink_bottom(path, 1) > 0.85, path


def test_pdf_has_the_decree_30_number_signature_and_recipients(tmp_path):
    site = factories.village_site(tmp_path / "v", users=False)
    seed(site)
    site.update_settings(lambda settings: settings.update(document={
        "issuer": "UBND XÃ PHÚ RIỀNG", "symbol": "BC-UBND", "signer_capacity": "KT. CHỦ TỊCH",
        "signer_title": "PHÓ CHỦ TỊCH", "signer_name": "Nguyễn Văn Ân",
        "recipients": ["UBND tỉnh Đồng Nai", "Lưu: VT."]}))
    data = report.report_data(site.settings, site.store.histories(), period=2,
                              today=D(2025, 8, 8))
    out = tmp_path / "r.pdf"
    out.write_bytes(report.render_pdf(report.render_html(data)))
    text_ = pdf_flow(out)
    # each column of the head and of the foot in its order (the two columns sit side by side)
    for order in (["UBND XÃ PHÚ RIỀNG", "Số: …………/BC-UBND", "BÁO CÁO"],
                  ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                   "Phú Riềng, ngày 08 tháng 8 năm 2025", "BÁO CÁO", "1. Tóm tắt"],
                  ["1. Tóm tắt", "Nơi nhận:", "- UBND tỉnh Đồng Nai", "- Lưu: VT."],
                  ["1. Tóm tắt", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Ân"]):
        places = [text_.find(words) for words in order]
        assert -1 not in places and places == sorted(places), list(zip(order, places))
    assert "fieldapp" not in text_.lower()                  # no footnote naming the program
    # the signer's name sits under the capacity, leaving room to sign (Decree 30)
    words = _words(out)
    capacity = next(w for w in words if w[4] == "KT.")
    name = next(w for w in words if w[4] == "Ân")
    assert name[2] - capacity[2] > 50 and name[1] > 595.3 / 2


def test_unset_document_settings_print_dotted_blanks_not_invented_values(village_pdf):
    village_report = pdf_flow(village_pdf)
    assert "Số: …………/BC-…………" in village_report
    foot = village_report[village_report.index("Nơi nhận:"):]
    assert "- …………" in foot and "- Lưu: VT." in foot
    assert foot.count("…………") >= 3                # recipient, signer's capacity and name
    assert "UBND" not in village_report.split("BÁO CÁO")[0]   # no issuer made up
    assert "fieldapp" not in village_report.lower()


def test_shortfall_explains_itself_in_the_pdf(village_pdf):
    text_ = " ".join(section(pdf_flow(village_pdf), "4. Chỉ tiêu chưa đạt",
                             "5. Đề nghị biểu dương").split())
    # 2/3 satisfied against 90 %: 7 more answers, all satisfied, make (2+7)/(3+7) = 90 %
    assert "cần thêm 7 ý kiến hài lòng nếu các ý kiến mới đều hài lòng" in text_, text_
    assert "cần thêm 2 hộ" in text_ and "cần thêm 1 hộ" in text_
