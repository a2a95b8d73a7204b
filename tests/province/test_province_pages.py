"""The province dashboard: communes ranked lowest first from the roll-ups' own counts,
the province's sums, which commune reported for which week and how late, a commune's
villages; staff only, bad choices refused in Vietnamese; in Chromium at 360 px."""
import datetime
import re
from html import unescape

import pytest

from fieldapp import create_app
from fieldapp.auth.accounts import add_user
from fieldapp.forms.text import percent
from fieldapp.indicators.periods import periods_from_settings, today_local
from fieldapp.province.rollup import make_rollup
from fieldapp.province.store import import_rollup
from fieldapp.site import Site, init_province_site, init_site
from sync.rollup import rollup_bytes
from tests.support import factories
from tests.support.access_table import OPEN, PROVINCE, SIGNED_IN, TABLE
from tests.support.live import LiveServer
from tests.support.pages import login_page

KEY = "adult_online_usage"
OTHER = "26068"                    # Phường Biên Hòa, Đồng Nai


@pytest.fixture(scope="module")
def province(demo, tmp_path_factory):
    """A province of Đồng Nai with the demo commune's roll-up and a small ward's."""
    root = tmp_path_factory.mktemp("province")
    site = Site(str(root / "tinh")) if init_province_site(
        str(root / "tinh"), "75", factories.START, factories.END) else None
    add_user(site, "canbotinh", "staff", factories.PASSWORD)
    demo_commune = Site(str(demo.root / "commune"))
    ward_dir = str(root / "phuong")
    init_site(ward_dir, "commune", OTHER, [{"id": "kp-1", "name": "Khu phố 1",
                                            "adult_population": 40, "targets": {}}],
              factories.START, factories.END)
    ward = Site(ward_dir)
    home = factories.household("Hộ A", village_id="kp-1")
    ward.store.submit([home, factories.person(home["id"], "Người A", 1980,
                                              village_id="kp-1", online=True)])
    day = datetime.date(2025, 8, 25)
    rollups = [make_rollup(demo_commune, day), make_rollup(ward, day)]
    for rollup in rollups:
        import_rollup(site, rollup_bytes(rollup))
    return site, rollups


@pytest.fixture
def staff(province):
    client = create_app({"DATA_DIR": province[0].data_dir}).test_client()
    assert login_page(client, "canbotinh", factories.PASSWORD).status_code == 302
    return client


def text(response):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def expected(rollup, period, key):
    """(numerator, denominator) of a commune, summed over its villages by the test."""
    counts = [p["indicators"][key] for v in rollup["villages"] for p in v["periods"]
              if p["period"] == period]
    return sum(c["numerator"] for c in counts), sum(c["denominator"] for c in counts)


def test_communes_are_ranked_lowest_first_with_the_provinces_sums(province, staff):
    site, rollups = province
    for period in (2, 4):
        page = staff.get(f"/province/?period={period}&indicator={KEY}")
        assert page.status_code == 200
        body = text(page)
        pairs = {r["commune_code"]: expected(r, period, KEY) for r in rollups}
        names = {c["code"]: c["name"] for c in site.settings["communes"]}
        order = sorted(pairs, key=lambda c: pairs[c][0] / pairs[c][1])
        ranked = [body.index(f"{n}. {names[code]}") for n, code in enumerate(order, 1)]
        assert ranked == sorted(ranked)
        for code, (num, den) in pairs.items():
            assert f"{num:,}/{den:,}".replace(",", ".") in body
            assert percent(num / den) in body
        whole = [sum(p[i] for p in pairs.values()) for i in (0, 1)]
        assert percent(whole[0] / whole[1]) in body.split("Các xã, thấp nhất trước")[0]
        assert f"{95 - 2} xã chưa có số liệu" in body


@pytest.mark.parametrize("path", ["/province/", f"/province/commune/{OTHER}"])
def test_the_chosen_indicator_is_named_whole_outside_its_choice(province, staff, path):
    """A phone shows a select cut to its width: the page names the indicator it shows."""
    from fieldapp.indicators.definitions import DEFINITIONS
    for definition in DEFINITIONS:
        page = staff.get(f"{path}?period=4&indicator={definition.key}").get_data(as_text=True)
        outside = re.sub(r"<select.*?</select>", "", page, flags=re.S)
        assert unescape(definition.label) in unescape(outside), definition.key


def test_the_table_of_reports_says_how_late_each_week_came(province, staff):
    site, rollups = province
    body = text(staff.get("/province/"))
    today = today_local()
    for period in periods_from_settings(site.settings["campaign"]):
        late = (today - period.end).days       # received today, long after the campaign
        assert f"trễ {late} ngày" in body
    assert "93 xã chưa gửi tệp nào" in body


def test_a_commune_shows_its_villages(province, staff):
    _, rollups = province
    page = text(staff.get(f"/province/commune/{OTHER}?period=4&indicator={KEY}"))
    num, den = expected(rollups[1], 4, KEY)
    assert "Khu phố 1" in page and f"{num}/{den}" in page and "chính thức" in page


@pytest.mark.parametrize("query", ["?period=99", "?period=x", "?indicator=%3Cscript%3E"])
def test_bad_choices_get_a_vietnamese_page(staff, query):
    page = staff.get("/province/" + query)
    assert page.status_code == 400 and "<script>" not in page.get_data(as_text=True)
    assert re.search("Không có|phải là", text(page))


def test_only_signed_in_province_staff_open_the_pages(province, demo):
    anonymous = create_app({"DATA_DIR": province[0].data_dir}).test_client()
    assert "/login" in anonymous.get("/province/").headers["Location"]
    assert anonymous.get("/province/commune/99999").status_code == 302
    commune = create_app({"DATA_DIR": str(demo.root / "commune")}).test_client()
    assert login_page(commune, "canbo", "phurieng-2025").status_code == 302
    assert commune.get("/province/").status_code == 404


def test_unknown_commune_is_not_found(staff):
    assert staff.get("/province/commune/99999").status_code == 404


def test_every_other_page_on_a_province_site_is_refused_not_broken(province, staff):
    """A page of the village or commune tiers is not there on a province (404, or 403 for
    a role the province has not): never a commune's page shown with no data behind it."""
    app = staff.application
    shown = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        response = staff.get(rule.rule)
        response.close()                       # a file sent (the icon) is closed
        assert response.status_code < 500, (rule.rule, response.status_code)
        if rule.endpoint not in PROVINCE and TABLE[rule.endpoint][1] not in (OPEN, SIGNED_IN) \
                and response.status_code not in (401, 403, 404):     # 401: the API's token
            shown.append((rule.rule, response.status_code))
    assert shown == [], "\n".join(f"{rule} {status}" for rule, status in shown)


@pytest.mark.browser
def test_the_dashboard_fits_a_phone(province, phone, tmp_path):
    live = LiveServer(province[0].data_dir).start()
    try:
        page = phone.page
        page.goto(live.url + "/login")
        page.fill("#username", "canbotinh")
        page.fill("#secret", factories.PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/province/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.select_option("#period", "2")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**period=2**")
        page.click("table.ranking a >> nth=0")
        assert page.inner_text("h1") in ("Phường Biên Hòa", "Xã Phú Riềng")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(tmp_path / "commune.png"), full_page=True)
        assert phone.errors == [] and phone.failed == []
    finally:
        live.stop()


def test_staff_upload_rollups_and_each_file_gets_its_line(province, staff, tmp_path):
    import io
    from tests.support.pages import csrf_token
    site, rollups = province
    good = rollup_bytes(rollups[1])
    forged = good.replace(b'"numerator":', b'"numerator":1', 1)
    token = csrf_token(staff, "/province/import")
    page = staff.post("/province/import", content_type="multipart/form-data", data={
        "csrf_token": token, "files": [(io.BytesIO(good), "phuong.json"),
                                       (io.BytesIO(forged), "sua.json")]})
    assert page.status_code == 422                  # one file refused
    body = text(page)
    assert "phuong.json : Tệp này" in body and "đã được nhận trước đây" in body
    assert "sua.json : Chữ ký của tệp số liệu tổng hợp không đúng" in body
    empty = staff.post("/province/import", data={"csrf_token": token})
    assert empty.status_code == 422 and "Hãy chọn ít nhất một tệp" in text(empty)


def test_commune_staff_download_the_rollup_the_province_takes(province, demo, tmp_path):
    import gzip
    from sync.rollup import read_rollup
    commune = create_app({"DATA_DIR": str(demo.root / "commune")}).test_client()
    assert login_page(commune, "canbo", "phurieng-2025").status_code == 302
    page = text(commune.get("/commune/rollup?as_of=2025-08-20"))
    assert "20/08/2025" in page and "không có tên" in page
    answer = commune.get("/commune/rollup/file?as_of=2025-08-20")
    assert answer.status_code == 200 and answer.headers["Content-Disposition"].endswith(
        '-2025-08-20.json.gz"')
    rollup = read_rollup(answer.get_data())
    assert rollup["as_of"] == "2025-08-20" and rollup["commune_code"] == factories.COMMUNE
    assert gzip.decompress(answer.get_data())[:1] == b"{"
