"""The commune pages in the real Chromium at 360 px against the real server."""
import datetime

import pytest

from fieldapp.auth.accounts import set_full_name
from tests.support import factories as f
from tests.support.live import LiveServer
from tests.support.commune import commune, seed  # noqa: F401

pytestmark = pytest.mark.browser
PAGES = ["/commune/", "/commune/?village=thon-2", "/commune/villages",
         "/commune/villages/thon-1", "/commune/conflicts", "/commune/commendations",
         "/commune/users"]


@pytest.fixture
def server(commune):
    seed(commune)
    home = f.household(village_id="thon-1", head="Đỗ Thị Hoa")
    edit = dict(home, updated_at=f.stamp(datetime.date(2025, 8, 9)), device_id="ph-x",
                data=dict(home["data"], phone="0987654321", consent=f.consent()))
    commune.store.submit([home], partition="site-1")
    commune.store.submit([edit], partition="site-2")
    set_full_name(commune, "quantri", "Nguyễn Thị Phương Thảo")
    live = LiveServer(commune.data_dir).start()
    yield live
    live.stop()


def test_commune_pages_fit_a_phone_and_work(server, phone, tmp_path):
    page, errors, failed = phone.page, phone.errors, phone.failed
    page.goto(server.url + "/commune/")
    assert "/login" in page.url
    page.fill("#username", "quantri")
    page.fill("#secret", f.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/commune/")
    who = page.locator(".top .who")         # the signed-in person's name whole, not cut
    assert who.inner_text() == "Nguyễn Thị Phương Thảo"
    assert who.evaluate("e => e.scrollWidth <= e.clientWidth")
    for path in PAGES:
        page.goto(server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
        small = page.evaluate("""[...document.querySelectorAll(
            'main button, main select, main input:not([type=hidden]):not([type=radio])')]
            .filter(e => e.getBoundingClientRect().height < 44)
            .map(e => e.outerHTML.slice(0, 80))""")
        assert not small, (path, small)
        page.screenshot(path=str(tmp_path / (path.strip("/").replace("/", "_")
                                             .replace("?", "_") + ".png")),
                        full_page=True)

    page.goto(server.url + "/commune/")
    page.select_option("#village", "thon-2")
    page.fill("#as_of", "2025-08-25")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**village=thon-2**")
    assert page.inner_text("h1") == "Chỉ số Thôn 2"
    assert "100,0 %" in page.inner_text("ul.commune-cards li:first-child")

    csv = "\ufeffMã thôn;Tên thôn;Số người trưởng thành\r\nthon-3;Thôn Ba;1.500\r\n"
    page.goto(server.url + "/commune/villages")
    page.set_input_files("input[type=file]", files=[{
        "name": "phu-luc.csv", "mimeType": "text/csv", "buffer": csv.encode("utf-8")}])
    page.click("#csv button[type=submit]")
    page.wait_for_url("**/commune/villages")
    assert "Đã nhập 1 thôn từ tệp (1 thôn mới)" in page.inner_text(".flash.ok")
    assert "Thôn Ba" in page.inner_text(".village-list")

    page.goto(server.url + "/commune/conflicts")
    assert "✔ Bản đang dùng" in page.inner_text("table.versions")

    page.goto(server.url + "/reports/")     # a week's PDF, Word and Excel: apart for a thumb
    gaps = page.evaluate("""[...document.querySelectorAll('li.report')].flatMap(li => {
        const r = [...li.querySelectorAll('a.button')].map(a => a.getBoundingClientRect());
        return r.slice(1).map((b, i) => b.top - r[i].bottom); })""")
    assert gaps and min(gaps) >= 8, gaps
    assert not errors and not failed, (errors, failed)     # e.g. a CSP refusal

