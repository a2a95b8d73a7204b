"""The round app's household list as a volunteer walks the village: the filters
"Chưa gặp" and "Vắng nhà", the lead's order by xóm, tổ, and "Hôm nay tôi đã …".

Households and visits are sent to the real server through the API (as the phones that
made them would), then pulled by a phone at http://fieldapp.lan:PORT/round."""
import datetime
import time

import pytest

from fieldapp.indicators.periods import today_local
from tests.browser.test_round_app import (browser, open_round, phone, save, shot,  # noqa: F401
                                          sign_in, wait_count, NONE_WAITING)
from tests.support import factories
from tests.support.factories import LEAD_PIN, VOL_PIN

pytestmark = pytest.mark.browser
DAY1, DAY2 = factories.START, factories.START + datetime.timedelta(days=3)


def send(server, username, secret, versions):
    token = server.login(username, secret)
    status, answer = server.request("POST", "/api/v1/records", {"records": versions},
                                    token=token)
    assert status == 200 and {r["status"] for r in answer["results"]} == {"accepted"}, answer


def home(head, hamlet=None):
    data = {"head_name": head, "address": "Số 1"}
    if hamlet:
        data["hamlet"] = hamlet
    return factories.version("household", data)


def visit(household, outcome, day, author="minh", hour=9):
    return factories.visit(household["id"], outcome, day=day, author=author, hour=hour,
                           device_id="ph-" + author)


@pytest.fixture
def village(live_server):
    """Five households: met; absent; absent then refused; never visited; absent then met."""
    homes = {name: home(name, hamlet) for name, hamlet in [
        ("Nguyễn Văn An", "Xóm Đồng"), ("Trần Thị Bình", "Xóm Bàu"), ("Lê Văn Cường", None),
        ("Phạm Thị Dung", "Xóm Bàu"), ("Hoàng Văn Em", None)]}
    visits = [visit(homes["Nguyễn Văn An"], "met", DAY1),
              visit(homes["Trần Thị Bình"], "absent", DAY1),
              visit(homes["Lê Văn Cường"], "absent", DAY1),
              visit(homes["Lê Văn Cường"], "refused", DAY2),
              visit(homes["Hoàng Văn Em"], "absent", DAY1),
              visit(homes["Hoàng Văn Em"], "met", DAY2)]
    send(live_server, "minh", VOL_PIN, list(homes.values()) + visits)
    return homes


def names(page):
    return page.eval_on_selector_all("#households li a strong", "els => els.map(e => e.textContent)")


def rows(page):
    """The list as read: group headings as ('#', text), households as their head's name."""
    return page.eval_on_selector_all("#households li", """els => els.map(e =>
        e.classList.contains('group') ? '# ' + e.textContent : e.querySelector('strong').textContent)""")


def settled(page, read, expected, timeout=5.0):
    """What `read(page)` gives once it equals `expected`, or after `timeout` seconds: the
    list re-renders after a save and after the sync that follows it."""
    end = time.monotonic() + timeout
    while (got := read(page)) != expected and time.monotonic() < end:
        page.wait_for_timeout(50)
    return got


def choose(page, text):
    page.get_by_role("button", name=text, exact=True).click()


def test_filters_keep_households_not_met_or_last_found_absent(phone, live_server, village):
    page = open_round(phone(), live_server)
    sign_in(page)
    page.wait_for_function("() => document.querySelectorAll('#households li a').length === 5")
    assert names(page) == ["Hoàng Văn Em", "Lê Văn Cường", "Nguyễn Văn An", "Phạm Thị Dung",
                           "Trần Thị Bình"]
    tags = dict(zip(names(page), page.eval_on_selector_all(
        "#households li a", "els => els.map(e => e.querySelector('em')?.textContent || '')")))
    assert tags == {"Hoàng Văn Em": "đã gặp", "Lê Văn Cường": "đã đến, từ chối",
                    "Nguyễn Văn An": "đã gặp", "Phạm Thị Dung": "",
                    "Trần Thị Bình": "đã đến, vắng nhà"}

    choose(page, "Chưa gặp")
    assert names(page) == ["Lê Văn Cường", "Phạm Thị Dung", "Trần Thị Bình"]
    assert page.inner_text("#found") == "3 hộ"
    assert page.get_attribute("button:text-is('Chưa gặp')", "aria-pressed") == "true"
    shot(page, "list-unmet")
    page.fill("#q", "binh")                      # the filter and the search together
    assert names(page) == ["Trần Thị Bình"]
    page.fill("#q", "xom bau")                   # a xóm is searched too
    assert names(page) == ["Phạm Thị Dung", "Trần Thị Bình"]
    page.fill("#q", "")

    choose(page, "Vắng nhà")                     # the last visit found nobody home
    assert names(page) == ["Trần Thị Bình"]
    page.fill("#q", "dung")
    assert page.inner_text("#households") == "Không tìm thấy hộ nào."
    page.fill("#q", "")

    page.reload()                                # the choice holds for the session
    page.wait_for_selector("#households li a")
    assert names(page) == ["Trần Thị Bình"]
    choose(page, "Tất cả")
    assert len(names(page)) == 5


def test_sorting_by_hamlet_groups_households_under_their_xom(phone, live_server, village):
    page = open_round(phone(), live_server)
    sign_in(page, "lan", LEAD_PIN)
    page.wait_for_function("() => document.querySelectorAll('#households li a').length === 5")
    page.check("#by-hamlet")
    expected = ["# Xóm Bàu", "Phạm Thị Dung", "Trần Thị Bình",
                "# Xóm Đồng", "Nguyễn Văn An",
                "# Chưa ghi xóm, tổ", "Hoàng Văn Em", "Lê Văn Cường"]
    assert settled(page, rows, expected) == expected
    assert "Xóm Bàu · Số 1" in page.inner_text("#households")
    shot(page, "list-by-hamlet")
    choose(page, "Chưa gặp")                     # grouped and filtered
    expected = ["# Xóm Bàu", "Phạm Thị Dung", "Trần Thị Bình",
                "# Chưa ghi xóm, tổ", "Lê Văn Cường"]
    assert settled(page, rows, expected) == expected

    # a household given a xóm on the phone moves under it
    page.get_by_role("link", name="Lê Văn Cường").click()
    page.get_by_role("link", name="Sửa thông tin hộ").click()
    page.fill("#i-hamlet", "  Xóm Đồng ")
    save(page)
    page.wait_for_selector("h2:has-text('Lê Văn Cường')")
    assert page.inner_text("p.sub") == "Xóm Đồng · Số 1"
    page.get_by_role("link", name="← Danh sách hộ").click()
    expected = ["# Xóm Bàu", "Phạm Thị Dung", "Trần Thị Bình",
                "# Xóm Đồng", "Lê Văn Cường"]
    assert settled(page, rows, expected) == expected
    wait_count(page, NONE_WAITING)
    page.uncheck("#by-hamlet")                   # off again: by name
    expected = ["Lê Văn Cường", "Phạm Thị Dung", "Trần Thị Bình"]
    assert settled(page, names, expected) == expected


def test_today_card_counts_and_lists_only_my_visits_of_today(phone, live_server, village):
    today = today_local()
    send(live_server, "minh", VOL_PIN, [
        visit(village["Nguyễn Văn An"], "met", today, hour=0),
        visit(village["Phạm Thị Dung"], "absent", today, hour=0)])
    send(live_server, "lan", LEAD_PIN, [visit(village["Trần Thị Bình"], "met", today,
                                              author="lan", hour=0)])
    page = open_round(phone(), live_server)
    sign_in(page)
    page.wait_for_selector("#today summary:has-text('2 lần')")
    assert page.inner_text("#today summary") == "Hôm nay tôi đã ghi 2 lần đến nhà, gặp được 1"
    assert not page.is_visible("#today li")      # folded until asked
    page.click("#today summary")
    listed = page.eval_on_selector_all("#today li", "els => els.map(e => e.innerText)")
    assert sorted(item.split("\n")[0] for item in listed) == ["Nguyễn Văn An", "Phạm Thị Dung"]
    assert any("Vắng nhà" in item for item in listed)
    shot(page, "today-card")

    page.get_by_role("link", name="Trần Thị Bình").first.click()   # a visit of my own now
    page.get_by_role("link", name="+ Ghi lần đến nhà").click()
    page.check("#i-outcome-met")
    save(page)
    page.wait_for_selector("#visits li")
    page.get_by_role("link", name="← Danh sách hộ").click()
    assert page.inner_text("#today summary") == "Hôm nay tôi đã ghi 3 lần đến nhà, gặp được 2"


def test_today_card_says_none_yet_for_a_new_volunteer(phone, live_server):
    page = open_round(phone(), live_server)
    sign_in(page)
    assert page.inner_text("#today summary") == "Hôm nay tôi đã ghi 0 lần đến nhà"
