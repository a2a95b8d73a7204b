"""The round app's connection status when the laptop stops answering (a hung server, weak
Wi-Fi): the server process is stopped with SIGSTOP, so requests hang until they time out."""
import os
import signal

import pytest

from tests.support.factories import VOL_PIN

pytestmark = pytest.mark.browser

LOST = "Mất kết nối"


def net_is(page, text, timeout):
    page.wait_for_function("t => document.getElementById('net').textContent === t", arg=text,
                           timeout=timeout)


def test_a_hung_laptop_shows_lost_within_one_timeout_and_syncs_when_it_answers(phone, live_server,
                                                                              site):
    page = phone.page
    page.goto(f"http://fieldapp.lan:{live_server.port}/round")
    page.fill("#username", "minh")
    page.fill("#secret", VOL_PIN)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_selector("#q")
    net_is(page, "Đã nối máy thôn", 10000)
    timeout = page.evaluate("async () => (await import('/static/round/outbox.js')).TIMEOUT")
    os.kill(live_server.process.pid, signal.SIGSTOP)
    try:
        page.get_by_role("link", name="+ Thêm hộ mới").click()
        page.fill("#i-head_name", "Hộ lúc máy thôn treo")
        page.get_by_role("button", name="Lưu trên điện thoại").click()
        page.wait_for_selector("h2:has-text('Hộ lúc máy thôn treo')")
        # the save's sync starts within a second; its request hangs until the timeout
        net_is(page, LOST, timeout + 1000 + 2000)
        assert page.inner_text("#count") == "1 thay đổi chờ gửi"
        with page.expect_request(lambda r: r.url.endswith("/api/v1/records"), timeout=60000):
            pass                        # the next try, made by the app itself
        assert page.inner_text("#net") == LOST      # it does not claim to be syncing
        assert page.inner_text("#count") == "1 thay đổi chờ gửi"
    finally:
        os.kill(live_server.process.pid, signal.SIGCONT)
    page.wait_for_function("() => document.getElementById('count').textContent"
                           " === 'Không có thay đổi chờ gửi'", timeout=60000)
    net_is(page, "Đã nối máy thôn", 60000)
    site.store.refresh()
    assert [[v["data"]["head_name"] for v in h] for h in site.store.histories().values()] == [
        ["Hộ lúc máy thôn treo"]]
