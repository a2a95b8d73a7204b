"""The province report to the province chairman as Word, PDF and Excel: read back (python-
docx, pdftotext, openpyxl), its Decree 30 parts from the site's document settings, and
every figure equal to what this test sums itself from the communes' roll-ups: the
province's totals against targets with the change from the week before, the communes
ranked lowest first, and which commune sent its figures for the week, and how late."""
import datetime
import io
import shutil
import subprocess

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from docx.shared import Mm

from fieldapp import audit, create_app
from fieldapp.auth.accounts import add_user
from fieldapp.cli import main
from fieldapp.forms.text import NO_TARGET, percent, points, target, vn_date, vn_number
from fieldapp.indicators.definitions import DEFINITIONS
from fieldapp.indicators.periods import periods_from_settings, today_local
from fieldapp.province.rollup import make_rollup
from fieldapp.province.store import import_rollup
from fieldapp.reports.province import blocks, province_report
from fieldapp.site import Site, init_province_site, init_site
from sync.rollup import rollup_bytes
from tests.support import factories
from tests.support.pages import csrf_token, login_page

PERIOD = 4
BEHIND = "26017"                       # its roll-up counts only to the end of week 2
OWN_TARGET = ("26068", "adult_online_usage", 0.55)       # a ward's own target
DOCUMENT = ["--issuer", "UBND TỈNH ĐỒNG NAI", "--symbol", "BC-UBND",
            "--signer-capacity", "KT. CHỦ TỊCH", "--signer-title", "PHÓ CHỦ TỊCH",
            "--signer-name", "Trần Văn Bình", "--recipient", "Chủ tịch UBND tỉnh",
            "--recipient", "Lưu: VT."]
# (code, village, [(day, online, bank account, visited)] one person per household)
WEEK1, WEEK4 = datetime.date(2025, 7, 28), datetime.date(2025, 8, 18)
COMMUNES = [
    (factories.COMMUNE, "thon-1", [(WEEK1, True, True, True), (WEEK1, False, True, True),
                                   (WEEK4, True, False, True), (WEEK4, True, True, False),
                                   (WEEK4, False, False, False)]),
    ("26068", "kp-1", [(WEEK1, True, False, True), (WEEK1, False, False, False),
                       (WEEK4, False, True, True)]),
    (BEHIND, "ap-1", [(WEEK1, True, True, True), (WEEK1, True, False, False)]),
]


def _commune(path, code, village, people):
    init_site(str(path), "commune", code, [{"id": village, "name": "Thôn Một",
                                            "adult_population": None, "targets": {}}],
              factories.START, factories.END)
    site = Site(str(path))
    versions = []
    for n, (day, online, bank, visited) in enumerate(people):
        home = factories.household(f"Hộ {n}", village_id=village, day=day)
        versions += [home, factories.person(home["id"], f"Người {n}", 1980, village_id=village,
                                            online=online, bank_account=bank, day=day)]
        if visited:
            versions.append(factories.visit(home["id"], village_id=village, day=day))
        versions.append(factories.survey("land" if day == WEEK4 else "civil_status",
                                         rating=5 if online else 2, day=day,
                                         household_id=home["id"], village_id=village))
    site.store.submit(versions)
    return site


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """Đồng Nai with three communes' roll-ups (one two weeks behind), a ward with its
    own target; the period-4 report written by the CLI as .docx, .pdf and .xlsx."""
    root = tmp_path_factory.mktemp("province-report")
    init_province_site(str(root / "tinh"), "75", factories.START, factories.END)
    site = Site(str(root / "tinh"))
    add_user(site, "canbotinh", "staff", factories.PASSWORD)
    code, key, own = OWN_TARGET
    site.update_settings(lambda s: [c["targets"].update({key: own})
                                    for c in s["communes"] if c["code"] == code])
    rollups = []
    for code, village, people in COMMUNES:
        commune = _commune(root / code, code, village, people)
        day = datetime.date(2025, 8, 7) if code == BEHIND else factories.END
        rollups.append(make_rollup(commune, day))
        import_rollup(site, rollup_bytes(rollups[-1]))
        commune.close()
    files = {}
    for kind in ("docx", "pdf", "xlsx"):
        files[kind] = root / f"bao-cao.{kind}"
        result = CliRunner().invoke(main, ["--data", site.data_dir, "report", "--out",
                                           str(files[kind]), "--period", str(PERIOD),
                                           *DOCUMENT])
        assert result.exit_code == 0, result.output
    return site, {r["commune_code"]: r for r in rollups}, files


# -- the test's own sums -----------------------------------------------------------------

def counts(rollup, period, key):
    entries = [p["indicators"][key] for v in rollup["villages"] for p in v["periods"]
               if p["period"] == period]
    return [sum(e["numerator"] for e in entries), sum(e["denominator"] for e in entries)]


def rate(pair):
    return pair[0] / pair[1] if pair[1] else None


def moved(now, before):
    return None if now is None or before is None else now - before


def expected_totals(site, rollups, period=PERIOD):
    """{key: (numerator, denominator, rate, target, change)} of the province."""
    out = {}
    for d in DEFINITIONS:
        pairs = {p: [sum(counts(r, p, d.key)[i] for r in rollups.values()) for i in (0, 1)]
                 for p in (period - 1, period)}
        out[d.key] = (*pairs[period], rate(pairs[period]), site.settings["targets"][d.key],
                      moved(rate(pairs[period]), rate(pairs[period - 1])))
    return out


def expected_ranking(site, rollups, key, period=PERIOD):
    """[(code, name, numerator, denominator, rate, target, change)] lowest rate first."""
    names = {c["code"]: c for c in site.settings["communes"]}
    rows = []
    for code, rollup in rollups.items():
        pair = counts(rollup, period, key)
        if not pair[1]:
            continue
        own = names[code]["targets"].get(key)
        rows.append((code, names[code]["name"], *pair, rate(pair),
                     site.settings["targets"][key] if own is None else own,
                     moved(rate(pair), rate(counts(rollup, period - 1, key)))))
    return sorted(rows, key=lambda r: (r[4], r[1]))


def verdict(value, goal):
    if goal is None:
        return NO_TARGET
    return "Chưa có số liệu" if value is None else ("Đạt" if value >= goal else "Chưa đạt")


def late_days(site, period_number):
    """Days late of a roll-up received today, for a period that it covers."""
    period = periods_from_settings(site.settings["campaign"])[period_number - 1]
    return (today_local() - period.end).days


def cells(rows):
    """Rows with every float to 15 significant digits, all a workbook cell holds."""
    return [tuple(float(f"{v:.15g}") if isinstance(v, float) else v for v in row)
            for row in rows]


def plain(words):
    return " ".join(words.replace("\u00a0", " ").split())


# -- Word --------------------------------------------------------------------------------

def tables_by_header(document):
    return [[[plain(c.text) for c in row.cells] for row in t.rows] for t in document.tables]


def test_word_report_has_the_decree_30_page_head_and_foot(province):
    _, _, files = province
    document = docx.Document(str(files["docx"]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert Mm(20) <= section.top_margin <= Mm(25) and Mm(20) <= section.bottom_margin <= Mm(25)
    assert Mm(30) <= section.left_margin <= Mm(35) and Mm(15) <= section.right_margin <= Mm(20)
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    head, *_, foot = tables_by_header(document)
    issuer, nation = head[0]
    assert issuer.startswith("UBND TỈNH ĐỒNG NAI") and "Số: …………/BC-UBND" in issuer
    assert nation.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc")
    day = today_local()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    assert f"Đồng Nai, ngày {day.day:02d} tháng {month} năm {day.year}" in nation
    recipients, signer = foot[0]
    assert recipients == "Nơi nhận: - Chủ tịch UBND tỉnh - Lưu: VT."
    assert signer == "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Trần Văn Bình"
    words = [plain(p.text) for p in document.paragraphs]
    assert "BÁO CÁO" in words and "Kính gửi: Chủ tịch UBND tỉnh Đồng Nai." in words
    assert words.index("BÁO CÁO") < words.index("1. Kết quả toàn tỉnh so với chỉ tiêu") < \
        words.index("3. Các xã đã gửi số liệu tuần 4")


def test_word_report_totals_are_the_communes_summed(province):
    site, rollups, files = province
    totals = next(t for t in tables_by_header(docx.Document(str(files["docx"])))
                  if t[0][0] == "Chỉ số")
    rows = {row[0]: row[1:] for row in totals[1:]}
    assert len(rows) == len(DEFINITIONS)
    for d in DEFINITIONS:
        num, den, value, goal, change = expected_totals(site, rollups)[d.key]
        assert rows[d.label] == [f"{vn_number(num)}/{vn_number(den)}", percent(value),
                                 target(goal), points(change), verdict(value, goal)]
    assert any(change is not None and change != 0
               for *_, change in expected_totals(site, rollups).values())


def test_word_report_ranks_the_communes_lowest_first_on_each_target(province):
    site, rollups, files = province
    document = docx.Document(str(files["docx"]))
    rankings = [t for t in tables_by_header(document) if t[0][:2] == ["TT", "Xã"]
                and t[0][2] == "Kết quả"]
    keyed = [d for d in DEFINITIONS if site.settings["targets"][d.key] is not None
             and expected_ranking(site, rollups, d.key)]
    assert len(rankings) == len(keyed) >= 5
    for d, table in zip(keyed, rankings):
        expected = [[vn_number(n), name, f"{vn_number(num)}/{vn_number(den)}", percent(value),
                     target(goal), points(change), verdict(value, goal)]
                    for n, (_, name, num, den, value, goal, change)
                    in enumerate(expected_ranking(site, rollups, d.key), 1)]
        assert table[1:] == expected, d.key
    headings = [plain(p.text) for p in document.paragraphs if p.text.startswith("2.")]
    assert headings[1] == ("2.1. Người trưởng thành sử dụng dịch vụ công trực tuyến "
                           "(chỉ tiêu 50,0 % toàn tỉnh)")
    # the ward's own target decides its verdict, not the province's
    ward = next(t for t in rankings[0][1:] if t[1] == "Phường Biên Hòa")
    assert ward[4] == "55,0 %"


def test_word_report_says_which_communes_sent_the_week_and_how_late(province):
    site, rollups, files = province
    document = docx.Document(str(files["docx"]))
    table = next(t for t in tables_by_header(document) if t[0][-1] == "Tuần 4")
    names = {c["code"]: c["name"] for c in site.settings["communes"]}
    late = late_days(site, PERIOD)
    on_time = sorted(names[c] for c in rollups if c != BEHIND)
    assert table[1:] == [["1", names[BEHIND], "07/08/2025", "Chưa có"]] + [
        [str(n), name, vn_date(factories.END), f"Trễ {vn_number(late)} ngày"]
        for n, name in enumerate(on_time, 2)]
    words = " ".join(plain(p.text) for p in document.paragraphs)
    assert "2 xã đã gửi số liệu đến hết tuần 4: 0 xã đúng hạn" in words
    assert "1 xã đã gửi tệp nhưng số liệu chưa đến hết tuần 4" in words
    assert f"{95 - 3} xã chưa gửi tệp nào: " in words
    assert "2/95 xã đã gửi số liệu đến hết tuần này" in words


def test_a_commune_that_sent_in_the_weeks_last_day_is_on_time(province):
    site, rollups, _ = province
    end = periods_from_settings(site.settings["campaign"])[PERIOD - 1].end
    # received at 23:00 in Vietnam on the week's last day: 16:00 UTC
    receipts = [{"commune_code": code, "rollup_id": r["rollup_id"], "as_of": r["as_of"],
                 "received_at": f"{end.isoformat()}T16:00:00+00:00"}
                for code, r in rollups.items()]
    report = province_report(site.settings, rollups, receipts, PERIOD)
    words = [plain(w) if isinstance(w, str) else w for _, w in blocks(report)]
    table = words[-1]
    assert [row[-1] for row in table.rows] == ["Chưa có", "Đúng hạn", "Đúng hạn"]
    assert any("2 xã đúng hạn (trong ngày cuối tuần), 0 xã gửi trễ" in w
               for w in words if isinstance(w, str))


# -- PDF ---------------------------------------------------------------------------------

def test_pdf_report_reads_in_decree_30_order_with_the_same_figures(province):
    site, rollups, files = province
    flow = plain(subprocess.run(["pdftotext", str(files["pdf"]), "-"], capture_output=True,
                                text=True, check=True).stdout)
    assert -1 < flow.find("UBND TỈNH ĐỒNG NAI") < flow.find("BÁO CÁO")
    order = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
             "Độc lập - Tự do - Hạnh phúc", "Số: …………/BC-UBND", "BÁO CÁO",
             "Kính gửi: Chủ tịch UBND tỉnh Đồng Nai.", "1. Kết quả toàn tỉnh so với chỉ tiêu",
             "2. Các xã thấp nhất theo từng chỉ tiêu", "3. Các xã đã gửi số liệu tuần 4",
             "Nơi nhận:", "- Chủ tịch UBND tỉnh", "- Lưu: VT.", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
             "Trần Văn Bình"]
    places = [flow.find(words) for words in order]
    assert -1 not in places and places == sorted(places), list(zip(order, places))
    section_one = flow[flow.find("1. Kết quả toàn tỉnh"):flow.find("2. Các xã thấp nhất")]
    for num, den, value, goal, change in expected_totals(site, rollups).values():
        for words in (f"{vn_number(num)}/{vn_number(den)}", percent(value), points(change)):
            assert words in section_one
    ranking = flow[flow.find("2.1. "):flow.find("2.2. ")]
    names = [r[1] for r in expected_ranking(site, rollups, "adult_online_usage")]
    assert [ranking.find(n) for n in names] == sorted(ranking.find(n) for n in names)
    assert -1 not in [ranking.find(n) for n in names]


# -- Excel -------------------------------------------------------------------------------

def test_workbook_cells_equal_the_provinces_sums_as_numbers(province):
    site, rollups, files = province
    book = openpyxl.load_workbook(files["xlsx"])
    assert book.sheetnames == ["Toàn tỉnh", "Xếp hạng các xã", "Gửi số liệu"]
    for sheet in book:
        assert sheet.freeze_panes == "A3"
        assert "Tuần 4" in sheet["A1"].value
    totals = book["Toàn tỉnh"]
    expected = expected_totals(site, rollups)
    rows = cells(totals.iter_rows(min_row=3, values_only=True))
    assert rows == cells([(d.key, d.label, *expected[d.key][:2], expected[d.key][2],
                     NO_TARGET if expected[d.key][3] is None else expected[d.key][3],
                     verdict(expected[d.key][2], expected[d.key][3]), expected[d.key][4])
                    for d in DEFINITIONS])
    assert totals["E3"].number_format == "0.0%" and totals["F3"].number_format == "0.0%"
    assert "điểm" in totals["H3"].number_format and "%" in totals["H3"].number_format


def test_workbook_ranks_every_commune_on_every_indicator(province):
    site, rollups, files = province
    sheet = openpyxl.load_workbook(files["xlsx"])["Xếp hạng các xã"]
    expected = [(d.key, d.label, n, code, name, num, den, value,
                 NO_TARGET if goal is None else goal, verdict(value, goal), change)
                for d in DEFINITIONS
                for n, (code, name, num, den, value, goal, change)
                in enumerate(expected_ranking(site, rollups, d.key), 1)]
    assert cells(sheet.iter_rows(min_row=3, values_only=True)) == cells(expected)
    assert sheet["H3"].number_format == "0.0%"


def test_workbook_lists_every_commune_with_days_late_per_week(province):
    site, rollups, files = province
    sheet = openpyxl.load_workbook(files["xlsx"])["Gửi số liệu"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert list(rows) == [c["code"] for c in site.settings["communes"]]
    assert sheet["D2"].value == "Tuần 1: số ngày trễ"
    for code, rollup in rollups.items():
        weeks = 2 if code == BEHIND else 4
        assert rows[code][2] == datetime.datetime.fromisoformat(rollup["as_of"])
        assert list(rows[code][3:]) == [late_days(site, p) if p <= weeks else None
                                        for p in range(1, 5)]
    assert sum(1 for r in rows.values() if r[2] is None) == 95 - 3


# -- the dashboard's downloads -----------------------------------------------------------

def test_province_staff_download_the_report_from_the_dashboard_audited(province):
    site, _, _ = province
    client = create_app({"DATA_DIR": site.data_dir}).test_client()
    assert client.get("/reports/report.pdf").status_code == 302      # signed in first
    assert login_page(client, "canbotinh", factories.PASSWORD).status_code == 302
    page = client.get("/province/?period=3").get_data(as_text=True)
    for kind in ("pdf", "docx", "xlsx"):
        assert f'href="/reports/report.{kind}?period=3"' in page
        response = client.get(f"/reports/report.{kind}?period=3")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == \
            f'attachment; filename="bao-cao-tuan-3.{kind}"'
        entry = audit.entries(site, "download")[-1]
        assert (entry["actor"], entry["action"], entry["format"], entry["period"]) == (
            "canbotinh", "download.report", kind, 3)
    words = docx.Document(io.BytesIO(
        client.get("/reports/report.docx?period=3").data)).paragraphs
    assert "Kính gửi: Chủ tịch UBND tỉnh Đồng Nai." in [p.text for p in words]
    refused = client.get("/reports/report.docx?period=99")
    assert refused.status_code == 404 and "Không có tuần 99" in refused.get_data(as_text=True)


def test_the_document_settings_page_works_on_the_province(province):
    site, _, _ = province
    client = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(client, "canbotinh", factories.PASSWORD)
    page = client.get("/reports/document").get_data(as_text=True)
    assert page.count('value="UBND TỈNH ĐỒNG NAI"') == 1 and "Ví dụ: UBND TỈNH ĐỒNG NAI." in page
    assert 'href="/province/"' in page and "Chủ tịch UBND tỉnh\nLưu: VT." in page


def test_province_staff_save_the_document_settings_and_the_report_prints_them(tmp_path):
    init_province_site(str(tmp_path / "tinh"), "75", factories.START, factories.END)
    site = Site(str(tmp_path / "tinh"))
    add_user(site, "canbotinh", "staff", factories.PASSWORD)
    client = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(client, "canbotinh", factories.PASSWORD)
    form = {"csrf_token": csrf_token(client, "/reports/document"),
            "issuer": "UBND TỈNH ĐỒNG NAI", "symbol": "BC-UBND", "signer_capacity": "CHỦ TỊCH",
            "signer_title": "", "signer_name": "Lê Thị Cúc",
            "recipients": "Chủ tịch UBND tỉnh\nLưu: VT."}
    assert client.post("/reports/document", data=form).status_code == 302
    assert client.post("/reports/document", data=dict(form, csrf_token="x")).status_code == 400
    refused = client.post("/reports/document", data=dict(form, symbol="bc ubnd"))
    assert refused.status_code == 422 and "Ký hiệu chỉ gồm chữ in hoa" in \
        refused.get_data(as_text=True)
    document = docx.Document(io.BytesIO(client.get("/reports/report.docx?period=1").data))
    head, *_, foot = tables_by_header(document)
    assert head[0][0].startswith("UBND TỈNH ĐỒNG NAI") and "Số: …………/BC-UBND" in head[0][0]
    assert foot[0] == ["Nơi nhận: - Chủ tịch UBND tỉnh - Lưu: VT.", "CHỦ TỊCH Lê Thị Cúc"]
    # no commune has sent anything: the report says so, it does not break
    words = " ".join(plain(p.text) for p in document.paragraphs)
    assert "95 xã chưa gửi tệp nào" in words


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_lays_the_word_report_out_in_order_with_the_signer_not_alone(province):
    _, _, files = province
    out = files["docx"].parent / "laid-out"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{out}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(files["docx"])],
                   check=True, capture_output=True, timeout=120)
    pdf = out / "bao-cao.pdf"
    assert "(A4)" in subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                    text=True).stdout
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                           text=True).stdout.split("\f")
    flow = plain(" ".join(pages))
    order = ["Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", "1. Kết quả toàn tỉnh",
             "2.1. ", "3. Các xã đã gửi số liệu tuần 4", "Nơi nhận:", "Trần Văn Bình"]
    places = [flow.find(words) for words in order]
    assert -1 not in places and places == sorted(places), list(zip(order, places))
    last = plain(next(p for p in pages if "Nơi nhận:" in p))
    assert "Chưa có" in last or "Trễ" in last      # the body's last rows came along
