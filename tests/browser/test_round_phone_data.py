"""The village's data on a volunteer's phone (Law 91/2025/QH15): wiped on sign-out, when
the account was disabled (at the next contact) and after 14 days without a sync; never an
unsent change without asking. And what each phone reports when it syncs, which the lead
reads on the village dashboard ("Điện thoại của tổ")."""
import json
import re
import time

import pytest

from fieldapp.auth import accounts as auth
from fieldapp.forms.versions import make_version, member_record_id
from tests.browser.test_round_app import (SKEWED_CLOCK, add_household, browser,  # noqa: F401
                                          count, open_round, outbox, phone, shot, sign_in,
                                          sign_in_pages, wait_count, NONE_WAITING)
from tests.support import factories
from tests.support.factories import LEAD_PIN
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser
DAY = 86400000


def stored(page):
    """The keys the app keeps in this origin's storage."""
    return page.evaluate("() => [Object.keys(localStorage).sort(), sessionStorage.length]")


def answer_dialogs(page, accept):
    """Answer every confirm with `accept`; return the list their messages go to."""
    asked = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept() if accept else d.dismiss()))
    return asked


def signed_in_with_a_household(context, server):
    page = open_round(context, server)
    sign_in(page)
    add_household(page, "Nguyễn Thị Hoa", "Xóm Bàu")
    wait_count(page, NONE_WAITING)
    page.goto(page.url.split("#")[0] + "#")
    page.fill("#q", "hoa")                       # a name typed in a search is data too
    assert any(k.startswith("fa.r:") for k in stored(page)[0])
    return page


def wait_wiped(page):
    page.wait_for_function("() => Object.keys(localStorage).every(k => k === 'fa.device')")
    assert stored(page) == [["fa.device"], 0]


def test_signing_out_wipes_the_village_data_but_the_device_id(phone, live_server, site):
    page = signed_in_with_a_household(phone(), live_server)
    device = json.loads(page.evaluate("localStorage.getItem('fa.device')"))
    asked = answer_dialogs(page, True)
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_selector("#username")
    wait_wiped(page)
    assert asked == []                           # nothing waited: nothing to ask
    assert json.loads(page.evaluate("localStorage.getItem('fa.device')")) == device
    assert page.input_value("#username") == ""   # not even who was signed in
    deadline = time.monotonic() + 10             # the token is handed back too
    while any(not t["revoked"] for t in site.table("tokens").all()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(t["revoked"] for t in site.table("tokens").all())


def test_signing_out_with_an_unsent_change_asks_and_keeps_all_when_declined(phone, live_server):
    context = phone()
    page = signed_in_with_a_household(context, live_server)
    context.set_offline(True)
    add_household(page, "Trần Văn Lộc")
    page.goto(page.url.split("#")[0] + "#")
    before = stored(page)
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Đăng xuất").click()
    assert len(asked) == 1 and "còn 1 thay đổi chưa gửi" in asked[0]
    assert stored(page) == before and count(page) == "1 thay đổi chờ gửi"
    assert page.is_visible("#q")                 # still signed in

    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_selector("#username")
    wait_wiped(page)
    assert len(asked) == 2 and outbox(page) == []


def test_a_disabled_account_wipes_the_phone_at_the_next_contact(phone, live_server, site):
    context = phone()
    page = signed_in_with_a_household(context, live_server)
    auth.set_active(site, "minh", False)
    context.set_offline(True)                    # back in range: the phone syncs
    context.set_offline(False)
    page.wait_for_selector("#signin-msg.error")
    assert "Tài khoản của bạn đã bị khóa" in page.inner_text("#signin-msg")
    assert "đã được xóa khỏi điện thoại" in page.inner_text("#signin-msg")
    wait_wiped(page)
    shot(page, "wiped-disabled")


def test_an_expired_session_keeps_the_data_for_the_next_sign_in(phone, live_server, site):
    context = phone()
    page = signed_in_with_a_household(context, live_server)
    auth.revoke_tokens(site, "minh")             # not disabled: only this sign-in ended
    context.set_offline(True)
    context.set_offline(False)
    page.wait_for_selector("#signin-msg.error")
    keys = stored(page)[0]
    assert "fa.auth" in keys and any(k.startswith("fa.r:") for k in keys)


def test_a_disabled_account_with_an_unsent_change_asks_first(phone, live_server, site):
    context = phone()
    page = signed_in_with_a_household(context, live_server)
    context.set_offline(True)
    add_household(page, "Trần Văn Lộc")
    auth.set_active(site, "minh", False)
    asked = answer_dialogs(page, False)
    context.set_offline(False)
    page.wait_for_selector("#signin-msg.error")
    assert len(asked) == 1 and "Tài khoản của bạn đã bị khóa" in asked[0]
    assert "còn 1 thay đổi chưa gửi" in asked[0]
    assert [e["v"]["data"]["head_name"] for e in outbox(page)] == ["Trần Văn Lộc"]
    assert "1 thay đổi chờ gửi vẫn còn nguyên" in page.inner_text("#signin-msg")


def kept(page):
    """The stored keys but a sync's lease and clock skew, which come and go."""
    return [k for k in stored(page)[0] if k not in ("fa.lock", "fa.skew")]


def age(page, days):
    """Make the last successful sync `days` ago, as a phone left in a drawer."""
    page.evaluate("d => localStorage.setItem('fa.synced', String(Date.now() - d * 86400000))", days)


def test_fourteen_days_without_a_sync_wipe_the_phone(phone, live_server):
    context = phone()
    page = signed_in_with_a_household(context, live_server)
    age(page, 13.9)
    page.close()
    page = open_round(context, live_server)      # under 14 days: kept, and synced again
    page.wait_for_selector("#q")
    page.wait_for_function("() => Date.now() - +localStorage.getItem('fa.synced') < 60000")
    age(page, 14.1)
    page.close()
    page = open_round(context, live_server)
    page.wait_for_selector("#signin-msg.error")
    assert "đã 14 ngày chưa đồng bộ với máy thôn" in page.inner_text("#signin-msg")
    wait_wiped(page)
    shot(page, "wiped-14-days")


def test_fourteen_days_with_an_unsent_change_ask_and_keep_all_when_declined(phone, live_server):
    context = phone()
    page = signed_in_with_a_household(context, live_server)
    context.set_offline(True)
    add_household(page, "Trần Văn Lộc")
    age(page, 15)
    before = kept(page)
    page.close()
    context.set_offline(False)
    context.route("**/api/v1/**", lambda route: route.abort())   # the laptop out of range
    page = context.new_page()
    asked = answer_dialogs(page, False)
    page.goto(f"http://fieldapp.lan:{live_server.port}/round")
    page.wait_for_selector("#q")
    assert len(asked) == 1 and "đã 14 ngày chưa đồng bộ với máy thôn" in asked[0]
    assert "còn 1 thay đổi chưa gửi" in asked[0]
    assert kept(page) == before and count(page) == "1 thay đổi chờ gửi"


@pytest.fixture
def team_server(site_templates, tmp_path):
    """A village whose roster names minh "Hoàng Kim Thảo"."""
    site = site_templates.copy(tmp_path / "village", factories.village_site, quick_hashes=True)
    site.store.submit([make_version("member", "thon-3", {
        "full_name": "Hoàng Kim Thảo", "username": "minh", "role": "volunteer", "active": True},
        "lan", "web-lan", record_id=member_record_id(site.settings["site_id"], "minh"))])
    server = LiveServer(site.data_dir).start()
    yield site, server
    server.stop()


def test_the_lead_sees_each_phone_and_its_waiting_changes(phone, team_server):
    site, server = team_server
    context = phone()
    context.add_init_script(SKEWED_CLOCK)        # its changes are refused: they stay waiting
    page = open_round(context, server)
    sign_in(page)
    add_household(page, "Nguyễn Thị Hoa")
    page.wait_for_function("() => document.getElementById('count').textContent.includes('bị từ chối')")
    device = json.loads(page.evaluate("localStorage.getItem('fa.device')"))
    deadline = time.monotonic() + 10
    while not site.table("phones").all() and time.monotonic() < deadline:
        time.sleep(0.1)
    lead = sign_in_pages(phone(), server, "lan", LEAD_PIN)
    lead.goto(f"http://fieldapp.lan:{server.port}/village/dashboard")
    row = lead.inner_text("#phones tbody tr")
    assert "Hoàng Kim Thảo" in row and "(minh)" in row and device in row
    assert "1 chưa gửi (1 bị từ chối)" in row
    synced = re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", row)
    assert synced, row
    lead.locator("#phones-h").scroll_into_view_if_needed()
    shot(lead, "lead-phones")
    assert [(r["device_id"], r["username"], r["waiting"], r["rejected"])
            for r in site.table("phones").all()] == [(device, "minh", 1, 1)]
