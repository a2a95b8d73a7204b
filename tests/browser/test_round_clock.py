"""The round app's clock banner: what happens to changes from a phone whose clock is wrong.

The laptop refuses a version stamped more than 10 minutes ahead of its clock (SPEC §3);
the page compares the phone's clock with the server time in the laptop's answers.
"""
import pytest

from tests.support import factories
from tests.support.factories import VOL_PIN
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

SET_CLOCK = "Hãy chỉnh giờ của điện thoại"
REFUSED = "Máy thôn sẽ từ chối mọi thay đổi bạn lưu"
# Moves the page's clock by SHIFT minutes (a phone set wrong).
SHIFTED_CLOCK = """(() => {
  const shift = SHIFT * 60000; const Real = Date;
  class Shifted extends Real {
    constructor(...a) { super(...(a.length ? a : [Real.now() + shift])); }
    static now() { return Real.now() + shift; }
  }
  globalThis.Date = Shifted;
})();"""


@pytest.fixture(scope="module")
def banner_server(site_templates, tmp_path_factory):
    """One server for the banner tests: they only sign in and read the page, so none
    changes what another sees (the refused change below has a server of its own)."""
    site = site_templates.copy(tmp_path_factory.mktemp("clock") / "village",
                               factories.village_site, quick_hashes=True)
    server = LiveServer(site.data_dir).start()
    yield server
    server.stop()


def signed_in_phone(phone, server, minutes):
    page = phone.page
    page.add_init_script(SHIFTED_CLOCK.replace("SHIFT", str(minutes)))
    page.goto(f"http://fieldapp.lan:{server.port}/round")
    page.fill("#username", "minh")
    page.fill("#secret", VOL_PIN)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_selector("#q")
    page.wait_for_function("() => document.getElementById('net').textContent === 'Đã nối máy thôn'")
    return page


def test_a_phone_clock_far_ahead_is_told_its_changes_will_be_refused(phone, banner_server):
    page = signed_in_phone(phone, banner_server, 30)
    banner = page.inner_text("#skew")
    assert "Đồng hồ điện thoại nhanh 30 phút so với máy thôn" in banner
    assert REFUSED in banner and SET_CLOCK in banner


def test_a_phone_clock_far_behind_is_told_its_changes_are_kept_but_stamped_old(phone,
                                                                              banner_server):
    page = signed_in_phone(phone, banner_server, -30)
    banner = page.inner_text("#skew")
    assert "Đồng hồ điện thoại chậm 30 phút so với máy thôn" in banner
    assert "Thay đổi vẫn được nhận" in banner and SET_CLOCK in banner
    assert "từ chối" not in banner


def test_a_phone_clock_a_few_minutes_ahead_gets_no_banner(phone, banner_server):
    page = signed_in_phone(phone, banner_server, 7)         # within the laptop's 10 minutes
    assert page.locator("#skew").count() == 0


def test_a_change_refused_for_the_phones_clock_says_to_set_the_clock(phone, live_server, site):
    page = signed_in_phone(phone, live_server, 3 * 24 * 60)
    page.get_by_role("link", name="+ Thêm hộ mới").click()
    page.fill("#i-head_name", "Hộ ghi giờ tương lai")
    page.get_by_role("button", name="Lưu trên điện thoại").click()
    page.wait_for_function("() => document.getElementById('banner').textContent"
                           ".includes('từ chối vì đồng hồ điện thoại')")
    banner = page.inner_text("#banner")
    assert banner.startswith("1 thay đổi bị máy thôn từ chối vì đồng hồ điện thoại chạy nhanh")
    assert SET_CLOCK in banner
    assert page.inner_text("#count") == "1 thay đổi chờ gửi (1 bị từ chối)"
    site.store.refresh()
    assert site.store.histories() == {}
