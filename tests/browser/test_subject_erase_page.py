"""The lead erases a household from the page "Yêu cầu về dữ liệu cá nhân": the
confirmation names the people and the count of records, the erasure leaves no name on
disk, is audited by ids, and closes the erasure request. Driven with the real Chromium
against the real waitress server, at 360 px."""
import os

import pytest

from fieldapp import audit, subject_requests
from fieldapp.indicators.periods import today_local
from fieldapp.site import Site
from tests.support import factories
from tests.support.disk import texts_on_disk
from tests.support.pages import browser_login

HEAD, MEMBER, NEIGHBOUR, PHONE = "Hoàng Văn Xóa", "Hoàng Thị Quên", "Mai Văn Còn", "0912345678"


@pytest.mark.browser
def test_the_lead_erases_a_household_after_a_confirmation_naming_it(site, live_server, phone,
                                                                    tmp_path):
    home = factories.household(HEAD)
    home["data"].update(phone=PHONE, consent=factories.consent())
    member = factories.person(home["id"], MEMBER, 1960, vneid="level2")
    visit = factories.visit(home["id"])
    visit["data"]["note"] = "cổng sắt xanh"
    neighbour = factories.household(NEIGHBOUR)
    site.store.submit([home, member, visit, neighbour])
    asked = subject_requests.open_request(site, "lan", "erase", "household", home["id"],
                                          "thon-3", today_local())
    page = phone.page
    browser_login(page, live_server.url, "lan", factories.LEAD_PIN)
    page.goto(live_server.url + "/subject-requests/")
    assert "fieldapp subject erase" not in page.inner_text("main")
    page.get_by_role("link", name="Xóa dữ liệu", exact=True).click()
    page.wait_for_url("**/subject-requests/erase*")
    text = page.inner_text("main")
    assert f"Xóa dữ liệu của hộ {HEAD}?" in text
    assert "3 bản ghi" in text and "1 hộ, 1 người, 1 lần thăm" in text
    assert HEAD in text and MEMBER in text and NEIGHBOUR not in text
    assert "không hoàn tác được" in text
    page.screenshot(path=str(tmp_path / "erase-confirm.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360                                  # no sideways scrolling
    page.get_by_role("button", name="Xóa dữ liệu", exact=True).click()
    page.wait_for_url("**/subject-requests/")
    text = page.inner_text("main")
    assert "Đã xóa thông tin định danh của 3 bản ghi" in text
    assert "Yêu cầu xóa đã được đánh dấu xong" in text
    assert "Đang chờ xử lý (0)" in text

    for secret in (HEAD, MEMBER, PHONE, "cổng sắt xanh"):
        assert not texts_on_disk(site.data_dir, [secret]), secret
    assert texts_on_disk(site.data_dir, [NEIGHBOUR])
    again = Site(site.data_dir)
    [request] = subject_requests.all_requests(again)
    assert request["id"] == asked["id"] and request["status"] == "done"
    [entry] = audit.entries(again, "subject.erase")
    assert entry["actor"] == "lan" and sorted(entry["ids"]) == sorted(
        [home["id"], member["id"], visit["id"]])
    assert not texts_on_disk(os.path.join(site.data_dir, "audit.log"), [HEAD])
