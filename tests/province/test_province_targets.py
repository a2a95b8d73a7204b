"""The province's targets of every commune: one form, or the same table uploaded as CSV
or .xlsx against the real server; a bad cell, a commune of another province, a huge or
binary file or bidirectional text is named in Vietnamese and stores nothing; the
dashboard judges each commune against its own target."""
import datetime
import html
import io
import json
import os
import re
import time

import openpyxl
import pytest
from click.testing import CliRunner

from fieldapp import audit
from fieldapp.auth.accounts import add_user
from fieldapp.cli import main
from fieldapp.province.figures import province_view
from fieldapp.province.rollup import make_rollup
from fieldapp.province.store import import_rollup, stored_rollups
from fieldapp.site import Site, init_province_site, init_site
from storage.durable import atomic_write_bytes
from sync.rollup import rollup_bytes
from tests.support import factories
from tests.support.pages import browser_login
from tests.support.access_table import PROVINCE
from tests.support.live import LiveServer
from tests.support.web_session import PageSession

HERE = "26068"                      # Phường Biên Hòa, Đồng Nai
PHU_RIENG = factories.COMMUNE        # Xã Phú Riềng, Đồng Nai since the merger
HANOI = "70"                         # Phường Hoàn Kiếm, Hà Nội: not of Đồng Nai
KEY = "adult_online_usage"
HEADER = "Mã xã;Tên xã;Chỉ tiêu sử dụng DVCTT (%);Chỉ tiêu hài lòng (%)\r\n"


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("targets")
    init_province_site(str(root / "tinh"), "75", factories.START, factories.END)
    site = Site(str(root / "tinh"))
    add_user(site, "canbotinh", "staff", factories.PASSWORD)
    with open(os.path.join(site.data_dir, "settings.json"), "rb") as handle:
        pristine = handle.read()
    return site, pristine


@pytest.fixture(scope="module")
def server(province):
    live = LiveServer(province[0].data_dir).start()
    yield live
    live.stop()


_stamp = [0]


@pytest.fixture
def site(province):
    """The province with the targets it was made with (each test starts from them)."""
    site, pristine = province
    path = os.path.join(site.data_dir, "settings.json")
    atomic_write_bytes(path, pristine)
    # a stamp of its own: a rewrite within the file system clock's tick still reads as new
    _stamp[0] = max(time.time_ns(), _stamp[0] + 1000)
    os.utime(path, ns=(_stamp[0], _stamp[0]))
    return site


@pytest.fixture
def staff(server, site):
    session = PageSession(server.url)
    assert session.login("canbotinh", factories.PASSWORD) == 302
    return session


def settings_bytes(site):
    with open(os.path.join(site.data_dir, "settings.json"), "rb") as handle:
        return handle.read()


def own(site, code):
    return next(c for c in site.settings["communes"] if c["code"] == code).get("targets") or {}


def visible(page):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def form_fields(page):
    """The name/value pairs the targets form would post."""
    start = page.index('action="/province/targets/"')
    form = page[start:page.index("</form>", start)]
    return {html.unescape(name): html.unescape(value) for name, value in
            re.findall(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}


def upload(staff, content, filename="chi-tieu.csv"):
    token = staff.token("/province/targets/")
    status, body, _ = staff.upload("/province/targets/import", {"csrf_token": token},
                                   "targets_file", filename, content)
    return status, body.decode("utf-8", "replace")


# the page and its one form

def test_every_commune_is_listed_and_a_blank_cell_shows_the_provinces_default(staff, site):
    status, page = staff.text("/province/targets/")
    assert status == 200
    for commune in site.settings["communes"]:
        assert html.escape(commune["name"]) in page
        assert f'id="c{commune["code"]}_{KEY}"' in page
    cell = re.search(rf'<input [^>]*id="c{HERE}_{KEY}"[^>]*>', page).group(0)
    default = site.settings["targets"][KEY]
    assert f'placeholder="tỉnh: {round(default * 100)}"' in cell and 'value=""' in cell
    assert re.search(rf'<label class="sr-only" for="c{HERE}_{KEY}">Phường Biên Hòa, ', page)
    assert "Mặc định của tỉnh" in page and 'id="d_adult_online_usage"' in page


def test_the_form_saves_own_targets_and_defaults_whole(staff, site):
    fields = form_fields(staff.text("/province/targets/")[1])
    fields.update({f"c{HERE}_{KEY}": "62,5", f"c{PHU_RIENG}_satisfaction": "95 %",
                   "d_adult_online_usage": "55", "csrf_token": staff.token("/province/targets/")})
    status, _, headers = staff.post("/province/targets/", fields)
    assert status == 302 and headers["Location"].endswith("/province/targets/")
    assert own(site, HERE) == {KEY: 0.625}
    assert own(site, PHU_RIENG) == {"satisfaction": 0.95}
    assert site.settings["targets"][KEY] == 0.55
    entry = audit.entries(site, "commune_targets.save")[-1]
    assert entry["actor"] == "canbotinh" and sorted(entry["ids"]) == sorted([HERE, PHU_RIENG])
    page = staff.text("/province/targets/")[1]
    assert re.search(rf'id="c{HERE}_{KEY}"[^>]*value="62,5"', page)
    # a cell emptied again goes back to the province's default
    fields = form_fields(page)
    fields.update({f"c{HERE}_{KEY}": "", "csrf_token": staff.token("/province/targets/")})
    assert staff.post("/province/targets/", fields)[0] == 302
    assert own(site, HERE) == {}


def test_a_save_over_a_table_saved_meanwhile_is_refused_whole(staff, server, site):
    """Two staff open the table; the first saves. The second's form, made from the table
    before that save, would put the first one's cells back: it saves nothing, says so,
    and shows the table as it is now."""
    other = PageSession(server.url)
    assert other.login("canbotinh", factories.PASSWORD) == 302
    mine = form_fields(staff.text("/province/targets/")[1])
    theirs = form_fields(other.text("/province/targets/")[1])
    mine.update({f"c{HERE}_{KEY}": "61", "csrf_token": staff.token("/province/targets/")})
    assert staff.post("/province/targets/", mine)[0] == 302
    saved = settings_bytes(site)
    theirs.update({f"c{PHU_RIENG}_{KEY}": "44", "csrf_token": other.token("/province/targets/")})
    status, body, _ = other.post("/province/targets/", theirs)
    page = body.decode("utf-8")
    assert status == 409 and "một người khác đã lưu chỉ tiêu" in visible(page)
    assert settings_bytes(site) == saved and own(site, HERE) == {KEY: 0.61}
    assert re.search(rf'id="c{HERE}_{KEY}"[^>]*value="61"', page)
    again = form_fields(page)
    again.update({f"c{PHU_RIENG}_{KEY}": "44", "csrf_token": other.token("/province/targets/")})
    assert other.post("/province/targets/", again)[0] == 302
    assert own(site, HERE) == {KEY: 0.61} and own(site, PHU_RIENG) == {KEY: 0.44}


@pytest.mark.parametrize("value", ["101", "abc", "-5", "50\u202e"])
def test_a_bad_cell_is_named_under_its_field_and_in_the_summary_and_nothing_is_saved(
        staff, site, value):
    before = settings_bytes(site)
    fields = form_fields(staff.text("/province/targets/")[1])
    fields.update({f"c{HERE}_{KEY}": value, f"c{PHU_RIENG}_{KEY}": "70",
                   "csrf_token": staff.token("/province/targets/")})
    status, body, _ = staff.post("/province/targets/", fields)
    page = body.decode()
    assert status == 422 and settings_bytes(site) == before
    assert f'<a href="#c{HERE}_{KEY}">Phường Biên Hòa, Dùng DVCTT (%): ' in page
    assert re.search(rf'id="c{HERE}_{KEY}"[^>]*aria-invalid="true"', page) or \
        re.search(rf'aria-invalid="true"[^>]*id="c{HERE}_{KEY}"', page)
    assert f'<p class="err" id="c{HERE}_{KEY}-err">' in page
    assert "\u202e" not in page.split("<main>")[1].split("<form")[0]     # the summary


def test_a_form_without_its_csrf_token_changes_nothing(staff, site):
    before = settings_bytes(site)
    fields = form_fields(staff.text("/province/targets/")[1])
    fields.pop("csrf_token", None)
    fields[f"c{HERE}_{KEY}"] = "70"
    status, body, _ = staff.post("/province/targets/", fields)
    assert status == 400 and settings_bytes(site) == before
    assert "Biểu mẫu" in body.decode() or "hết hạn" in body.decode()


def test_a_form_cut_short_blanks_nothing(staff, site):
    site.update_settings(lambda s: [c.__setitem__("targets", {KEY: 0.7})
                                    for c in s["communes"] if c["code"] == HERE])
    before = settings_bytes(site)
    fields = form_fields(staff.text("/province/targets/")[1])
    fields = {k: v for k, v in fields.items() if not k.startswith(f"c{HERE}_")}
    fields["csrf_token"] = staff.token("/province/targets/")
    status, body, _ = staff.post("/province/targets/", fields)
    assert status == 400 and "thiếu ô chỉ tiêu" in body.decode()
    assert settings_bytes(site) == before


def test_only_signed_in_province_staff_reach_the_targets(server, site, tmp_path):
    anonymous = PageSession(server.url)
    for path in ("/province/targets/", "/province/targets/chi-tieu-xa.csv",
                 "/province/targets/chi-tieu-xa.xlsx"):
        status, _, headers = anonymous.get(path)
        assert status == 302 and "/login" in headers["Location"]
    assert set(PROVINCE[e] for e in PROVINCE if e.startswith("province_targets.")) == \
        {("staff", "admin")}
    commune_dir = tmp_path / "xa"
    commune = factories.commune_site(commune_dir)
    live = LiveServer(commune.data_dir).start()
    try:
        staff = PageSession(live.url)
        assert staff.login("canbo", factories.PASSWORD) == 302
        assert staff.get("/province/targets/")[0] == 404
    finally:
        live.stop()


# uploads

def test_a_csv_with_bom_and_semicolons_sets_each_communes_targets(staff, site):
    content = ("\ufeff" + HEADER + f"{HERE};Phường Biên Hòa;60;\r\n"
               f"{PHU_RIENG};Xã Phú Riềng;45,5;92 %\r\n").encode()
    status, _ = upload(staff, content)
    assert status == 302
    assert own(site, HERE) == {KEY: 0.6}
    assert own(site, PHU_RIENG) == {KEY: 0.455, "satisfaction": 0.92}
    entry = audit.entries(site, "commune_targets.import")[-1]
    assert entry["action"] == "commune_targets.import" and entry["count"] == 2
    assert sorted(entry["ids"]) == sorted([HERE, PHU_RIENG])


def test_a_csv_without_bom_with_commas_and_a_blank_cell_leaves_the_default(staff, site):
    site.update_settings(lambda s: [c.__setitem__("targets", {KEY: 0.7, "satisfaction": 0.8})
                                    for c in s["communes"] if c["code"] == HERE])
    content = ("ma xa,ten xa,Chỉ tiêu sử dụng DVCTT (%)\n"
               f"0{HERE},Biên Hòa,\n").encode()
    assert upload(staff, content)[0] == 302
    # the file's column is blank: the default again; the column it lacks is kept
    assert own(site, HERE) == {"satisfaction": 0.8}


@pytest.mark.parametrize("content, message", [
    (HEADER + f"{HERE};Phường Biên Hòa;60;\r\n{PHU_RIENG};Xã Phú Riềng;;120\r\n",
     "Dòng 3, cột “Chỉ tiêu hài lòng (%)”: “120” lớn hơn 100 %."),
    (HEADER + f"{HERE};Phường Biên Hòa;năm mươi;\r\n",
     "Dòng 2, cột “Chỉ tiêu sử dụng DVCTT (%)”: “năm mươi” không phải tỉ lệ phần trăm"),
    (HEADER + f"{HANOI};Phường Hoàn Kiếm;50;\r\n",
     f"Dòng 2, cột “Mã xã”: xã mã {HANOI} không thuộc Đồng Nai."),
    (HEADER + "99999;Không có;50;\r\n", "Dòng 2, cột “Mã xã”: xã mã 99999 không thuộc"),
    (HEADER + f"{HERE};A;50;\r\n{HERE};B;60;\r\n",
     f"Dòng 3, cột “Mã xã”: xã mã {HERE} trùng với dòng 2."),
    (HEADER + ";Phường Biên Hòa;50;\r\n", "Dòng 2, cột “Mã xã”: chưa có mã xã."),
    ("Tên xã;Chỉ tiêu hài lòng (%)\r\nBiên Hòa;50\r\n", "Thiếu cột “Mã xã”"),
    ("Mã xã;Ghi chú\r\n26068;x\r\n", "Không hiểu cột: “Ghi chú”"),
    (HEADER, "chỉ có dòng tiêu đề"),
    ("", "Hãy chọn một tệp"),
])
def test_a_bad_file_is_named_by_row_and_column_and_stores_nothing(staff, site, content,
                                                                  message):
    before = settings_bytes(site)
    status, page = upload(staff, content.encode())
    assert status == 422, page
    assert settings_bytes(site) == before
    assert "Chưa lưu gì vì tệp có lỗi" in page
    assert message in visible(page)


def test_a_refused_file_leaves_an_audit_entry_without_its_content(staff, site):
    upload(staff, (HEADER + f"{HANOI};Phường Hoàn Kiếm;50;\r\n").encode())
    entry = audit.entries(site, "commune_targets.import.refused")[-1]
    assert entry["actor"] == "canbotinh" and entry["count"] == 1
    assert "Hoàn Kiếm" not in json.dumps(entry, ensure_ascii=False)


def test_a_huge_file_is_refused_before_it_is_read_whole(staff, site, server):
    before = settings_bytes(site)
    row = f"{HERE};Phường Biên Hòa;50;\r\n"
    status, page = upload(staff, (HEADER + row * (300 * 1024 // len(row))).encode())
    assert status == 422 and "Tệp quá lớn (tối đa 256 KB)" in visible(page)
    status, page = upload(staff, b"x" * (5 * 1024 * 1024))       # past the body limit
    assert status == 413 and "quá lớn" in page
    assert settings_bytes(site) == before
    assert server.request("GET", "/healthz")[0] == 200


@pytest.mark.parametrize("content, message", [
    (bytes(range(128, 256)) * 16, "không phải văn bản UTF-8"),
    (b"\xff\xfe" + HEADER.encode("utf-16-le"), "UTF-16"),
    (b"PK\x03\x04" + os.urandom(512), "không phải bảng Excel (.xlsx) hợp lệ"),
    (b"\x00\x01\x02binary\x00" * 50, "có byte 0"),
], ids=["random", "utf-16", "broken-zip", "nul-bytes"])
def test_a_binary_file_gets_a_vietnamese_error(staff, site, content, message):
    before = settings_bytes(site)
    status, page = upload(staff, content, "tep.bin")
    assert status == 422 and message in visible(page)
    assert settings_bytes(site) == before


@pytest.mark.parametrize("cell", ["\u202e05", "5\u2066", "\u200f50"])
def test_bidirectional_text_in_a_cell_is_refused_and_not_echoed(staff, site, cell):
    before = settings_bytes(site)
    for content in (HEADER + f"{HERE};Phường Biên Hòa;{cell};\r\n",
                    HEADER + f"{cell}{HERE};Phường Biên Hòa;50;\r\n"):
        status, page = upload(staff, content.encode())
        assert status == 422 and "Chưa lưu gì vì tệp có lỗi" in page
        errors = page.split("Chưa lưu gì vì tệp có lỗi")[1].split("</ul>")[0]
        assert "Dòng 2, cột “" in errors and "\ufffd" in errors
        assert not re.search("[\u202a-\u202e\u2066-\u2069\u200f]", errors)
    assert settings_bytes(site) == before


def test_an_xlsx_made_by_openpyxl_is_read_like_the_csv(staff, site):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã xã", "Tên xã", "Chỉ tiêu sử dụng DVCTT (%)", "Chỉ tiêu hài lòng (%)",
                  "Chỉ tiêu hộ được đến tận nhà (%)"])
    sheet.append([int(HERE), "Phường Biên Hòa", 0.65, 80, None])     # a percent cell, a number
    sheet.append([PHU_RIENG, "Xã Phú Riềng", "52,5", None, 0.9])
    for row in (2, 3):
        sheet.cell(row, 3).number_format = "0%"
        sheet.cell(row, 5).number_format = "0.0%"
    out = io.BytesIO()
    book.save(out)
    assert upload(staff, out.getvalue(), "chi-tieu.xlsx")[0] == 302
    assert own(site, HERE) == {KEY: 0.65, "satisfaction": 0.8}
    assert own(site, PHU_RIENG) == {KEY: 0.525, "households_visited": 0.9}


def test_an_xlsx_with_a_bad_cell_names_it(staff, site):
    book = openpyxl.Workbook()
    book.active.append(["Mã xã", "Chỉ tiêu hài lòng (%)"])
    book.active.append([HERE, 150])
    out = io.BytesIO()
    book.save(out)
    before = settings_bytes(site)
    status, page = upload(staff, out.getvalue(), "chi-tieu.xlsx")
    assert status == 422 and "Dòng 2, cột “Chỉ tiêu hài lòng (%)”: “150” lớn hơn 100 %." \
        in visible(page)
    assert settings_bytes(site) == before


def test_the_templates_hold_every_commune_and_read_back_unchanged(staff, site):
    site.update_settings(lambda s: [c.__setitem__("targets", {KEY: 0.625})
                                    for c in s["communes"] if c["code"] == HERE])
    status, body, headers = staff.get("/province/targets/chi-tieu-xa.csv")
    assert status == 200 and "chi-tieu-xa.csv" in headers["Content-Disposition"]
    text = body.decode("utf-8")
    assert text.startswith("\ufeffMã xã;Tên xã;")
    lines = text.splitlines()[1:]
    assert len(lines) == len(site.settings["communes"]) == 95
    assert f"{HERE};Phường Biên Hòa;62,5;" in text
    status, xlsx, _ = staff.get("/province/targets/chi-tieu-xa.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Mã xã", "Tên xã") and len(rows) == 96
    assert {(str(r[0]), r[1]) for r in rows[1:]} == \
        {(c["code"], c["name"]) for c in site.settings["communes"]}
    before = own(site, HERE)
    for content, name in ((body, "chi-tieu-xa.csv"), (xlsx, "chi-tieu-xa.xlsx")):
        assert upload(staff, content, name)[0] == 302
        assert own(site, HERE) == before
        assert all(not own(site, c["code"]) for c in site.settings["communes"]
                   if c["code"] != HERE)


# the command line

def run(*args):
    return CliRunner().invoke(main, [*args])


def test_the_cli_loads_a_csv_or_an_xlsx_at_the_province(site, tmp_path):
    path = tmp_path / "chi-tieu.csv"
    path.write_bytes((HEADER + f"{HERE};Phường Biên Hòa;75;88\r\n").encode())
    result = run("--data", site.data_dir, "targets", "--file", str(path))
    assert result.exit_code == 0, result.output
    assert "Đã nhập chỉ tiêu của 1 xã" in result.output
    assert own(site, HERE) == {KEY: 0.75, "satisfaction": 0.88}
    assert audit.entries(site, "commune_targets.cli")[-1]["ids"] == [HERE]
    book = openpyxl.Workbook()
    book.active.append(["Mã xã", "Chỉ tiêu sử dụng DVCTT (%)"])
    book.active.append([PHU_RIENG, 30])
    book.save(tmp_path / "chi-tieu.xlsx")
    result = run("--data", site.data_dir, "targets", "--file", str(tmp_path / "chi-tieu.xlsx"))
    assert result.exit_code == 0, result.output
    assert own(site, PHU_RIENG) == {KEY: 0.3}


def test_the_cli_names_every_bad_cell_and_stores_nothing(site, tmp_path):
    path = tmp_path / "chi-tieu.csv"
    path.write_bytes((HEADER + f"{HERE};A;75;\r\n{HANOI};B;50;x\r\n").encode())
    before = settings_bytes(site)
    result = run("--data", site.data_dir, "targets", "--file", str(path))
    assert result.exit_code == 1
    assert f"Dòng 3, cột “Mã xã”: xã mã {HANOI} không thuộc Đồng Nai." in result.output
    assert "Dòng 3, cột “Chỉ tiêu hài lòng (%)”" in result.output
    assert "Chưa lưu gì: tệp có 2 lỗi." in result.output
    assert settings_bytes(site) == before
    missing = run("--data", site.data_dir, "targets", "--file", str(tmp_path / "khong.csv"))
    assert missing.exit_code == 1 and "Không đọc được" in missing.output


def test_the_cli_loads_the_villages_annex_at_a_commune(tmp_path):
    commune = factories.commune_site(tmp_path / "xa", users=False)
    path = tmp_path / "phu-luc.csv"
    path.write_bytes("Mã thôn;Tên thôn;Số người trưởng thành;Chỉ tiêu hài lòng (%)\n"
                     "thon-3;Thôn 3;120;95\nthon-4;Thôn 4;;\n".encode())
    result = run("--data", commune.data_dir, "targets", "--file", str(path))
    assert result.exit_code == 0, result.output
    villages = {v["id"]: v for v in Site(commune.data_dir).settings["villages"]}
    assert villages["thon-3"]["targets"] == {"satisfaction": 0.95}
    assert villages["thon-3"]["adult_population"] == 120 and "thon-4" in villages


# the dashboard against each commune's own target

@pytest.fixture(scope="module")
def reported(province, tmp_path_factory):
    """Roll-ups of two communes: Phú Riềng (2 adults, 1 online), Biên Hòa (40 official
    adults, 1 online)."""
    root = tmp_path_factory.mktemp("communes")
    xa = factories.commune_site(root / "xa", users=False)
    home = factories.household("Hộ A", village_id="thon-3")
    xa.store.submit([home, factories.person(home["id"], "Người A", 1980, village_id="thon-3",
                                            online=True),
                     factories.person(home["id"], "Người B", 1981, village_id="thon-3")])
    init_site(str(root / "phuong"), "commune", HERE, [{"id": "kp-1", "name": "Khu phố 1",
                                                       "adult_population": 40, "targets": {}}],
              factories.START, factories.END)
    phuong = Site(str(root / "phuong"))
    home = factories.household("Hộ B", village_id="kp-1")
    phuong.store.submit([home, factories.person(home["id"], "Người C", 1980,
                                                village_id="kp-1", online=True)])
    day = datetime.date(2025, 8, 25)
    return [make_rollup(xa, day), make_rollup(phuong, day)]


def test_each_commune_is_judged_against_its_own_target(site, reported, staff):
    for rollup in reported:
        import_rollup(site, rollup_bytes(rollup))
    own_targets = {PHU_RIENG: 0.6, HERE: 0.02}        # above one's figure, below the other's
    site.update_settings(lambda s: [c.__setitem__("targets", {KEY: own_targets[c["code"]]})
                                    for c in s["communes"] if c["code"] in own_targets])
    default = site.settings["targets"][KEY]
    period = 4
    _, rows, _ = province_view(site.settings, stored_rollups(site), period, KEY)
    by_code = {r["code"]: r for r in rows}
    for rollup in reported:
        counts = [p["indicators"][KEY] for v in rollup["villages"] for p in v["periods"]
                  if p["period"] == period]
        value = sum(c["numerator"] for c in counts) / sum(c["denominator"] for c in counts)
        code = rollup["commune_code"]
        target = own_targets[code]
        assert (value >= target) != (value >= default)   # the default would judge otherwise
        assert by_code[code]["target"] == target and by_code[code]["met"] == (value >= target)
        assert by_code[code]["own_target"] is True
    status, page = staff.text(f"/province/?period={period}&indicator={KEY}")
    assert status == 200
    rows_html = re.findall(r"<tr class=\"(met|missed)\">\s*<th scope=\"row\">\d+\. <a [^>]*>"
                           r"([^<]+)</a>", page)
    names = {c["code"]: c["name"] for c in site.settings["communes"]}
    assert dict((name, cls) for cls, name in rows_html) == {
        names[PHU_RIENG]: "missed", names[HERE]: "met"}
    assert visible(page).count("riêng của xã") == 2


def test_a_commune_set_to_no_target_has_none_whatever_the_default(site, reported, staff):
    """"không" in a commune's cell: no target for it, though the province has a default;
    the other communes keep the default, and the dashboard says which is which."""
    for rollup in reported:
        import_rollup(site, rollup_bytes(rollup))
    assert site.settings["targets"][KEY] is not None
    fields = form_fields(staff.text("/province/targets/")[1])
    fields.update({f"c{HERE}_{KEY}": "Không", "csrf_token": staff.token("/province/targets/")})
    assert staff.post("/province/targets/", fields)[0] == 302
    assert own(site, HERE) == {KEY: None}
    page = staff.text("/province/targets/")[1]
    assert re.search(rf'id="c{HERE}_{KEY}"[^>]*value="không"', page)
    _, rows, _ = province_view(site.settings, stored_rollups(site), 4, KEY)
    by_code = {r["code"]: r for r in rows}
    assert by_code[HERE]["target"] is None and by_code[HERE]["own_target"] is True
    assert by_code[PHU_RIENG]["target"] == site.settings["targets"][KEY]
    assert by_code[PHU_RIENG]["own_target"] is False
    shown = visible(staff.text(f"/province/?period=4&indicator={KEY}")[1])
    names = {c["code"]: c["name"] for c in site.settings["communes"]}
    assert re.search(rf"{re.escape(names[HERE])} .{{0,40}}Không đặt chỉ tiêu riêng của xã", shown)
    assert "mặc định của tỉnh" in shown


def test_no_target_goes_through_the_csv_and_the_xlsx_and_back(staff, site):
    content = (HEADER + f"{HERE};Phường Biên Hòa;không;90\r\n"
               f"{PHU_RIENG};Xã Phú Riềng;—;\r\n").encode()
    assert upload(staff, content)[0] == 302
    assert own(site, HERE) == {KEY: None, "satisfaction": 0.9}
    assert own(site, PHU_RIENG) == {KEY: None}
    _, body, _ = staff.get("/province/targets/chi-tieu-xa.csv")
    assert f"{HERE};Phường Biên Hòa;không;90;" in body.decode("utf-8")
    _, xlsx, _ = staff.get("/province/targets/chi-tieu-xa.xlsx")
    before = {code: own(site, code) for code in (HERE, PHU_RIENG)}
    for content, name in ((body, "chi-tieu-xa.csv"), (xlsx, "chi-tieu-xa.xlsx")):
        site.update_settings(lambda s: [c.__setitem__("targets", {}) for c in s["communes"]])
        assert upload(staff, content, name)[0] == 302
        assert {code: own(site, code) for code in (HERE, PHU_RIENG)} == before


def test_a_communes_cell_opens_a_keyboard_that_can_type_khong(staff):
    """A phone's decimal keypad (inputmode="decimal") has no letters, and on an iPhone no
    dash either: a commune's cell must take "không", so it opens the full keyboard; the
    defaults' cells (blank: no target) keep the decimal keypad."""
    page = staff.text("/province/targets/")[1]
    commune = re.search(rf'<input [^>]*id="c{HERE}_{KEY}"[^>]*>', page).group(0)
    default = re.search(rf'<input [^>]*id="d_{KEY}"[^>]*>', page).group(0)
    assert 'inputmode="decimal"' not in commune and 'inputmode="numeric"' not in commune
    assert 'inputmode="decimal"' in default


@pytest.mark.browser
def test_the_targets_page_fits_a_phone_and_a_summary_link_reaches_its_cell(server, site,
                                                                           phone):
    page = phone.page
    browser_login(page, server.url, "canbotinh", factories.PASSWORD)
    page.goto(server.url + "/province/targets/")
    # every cell's hidden label stays inside the table's own scroll box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill(f"#c{HERE}_{KEY}", "120")
    page.click("form[action='/province/targets/'] button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click(".error-summary a >> nth=0")
    assert page.evaluate("document.activeElement.id") == f"c{HERE}_{KEY}" or \
        page.locator(f"#c{HERE}_{KEY}").is_visible()
    assert phone.errors == [] and all(s == 422 for s, _ in phone.failed)


def test_the_targets_template_keeps_a_formula_like_name_as_text():
    from fieldapp.province.targets import targets_csv
    body = targets_csv({"communes": [{"code": HERE, "name": "=Xã Lạ", "targets": {KEY: None}},
                                     {"code": PHU_RIENG, "name": "Xã Phú Riềng",
                                      "targets": {KEY: 0.525}}]}).decode("utf-8")
    lines = body.lstrip("\ufeff").split("\r\n")
    assert lines[1].startswith(f"{HERE};'=Xã Lạ;không;")
    assert lines[2].startswith(f"{PHU_RIENG};Xã Phú Riềng;52,5;")
