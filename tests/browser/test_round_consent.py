"""Consent in the round app (SPEC §3): three unticked purposes, who gave it and the day;
a phone without `phone_contact` and a comment without `satisfaction_survey` are refused
on the phone, naming the field, before anything waits to be sent."""
import datetime

import pytest

from fieldapp.forms.consent import NOTICE_VERSION, PURPOSES
from tests.browser.test_round_app import (add_household, browser, open_round, outbox,  # noqa: F401
                                          NONE_WAITING, phone, save, shot, sign_in, wait_count,
                                          wait_net)

pytestmark = pytest.mark.browser
PURPOSE = 'input[name="consent"]'


def offline(context, server):
    """The round app signed in, then out of the laptop's range: what is saved waits."""
    page = open_round(context, server)
    sign_in(page)
    wait_net(page, "Đã nối máy thôn")
    context.set_offline(True)
    wait_net(page, "Mất kết nối")
    return page


def test_the_round_app_refuses_a_phone_without_consent_then_keeps_it_with(phone, live_server):
    page = offline(phone(), live_server)
    page.get_by_role("link", name="+ Thêm hộ mới").click()
    boxes = page.locator(PURPOSE)
    assert boxes.count() == len(PURPOSES)
    assert not any(boxes.nth(i).is_checked() for i in range(len(PURPOSES)))   # none pre-ticked
    assert not page.locator('input[name="c-by"]').is_checked()         # the person, not a guardian
    assert page.input_value('input[name="c-on"]') == page.evaluate(
        "(() => { const d = new Date(); return d.getFullYear() + '-' + String(d.getMonth() + 1)"
        ".padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0'); })()")
    assert page.get_attribute('a[href="/guides/quyen-rieng-tu"]', "target") == "_blank"
    # the notice is offered before what it asks to agree to
    notice = page.locator('a[href="/guides/quyen-rieng-tu"]').bounding_box()
    assert notice["y"] < page.locator(PURPOSE).first.bounding_box()["y"]
    assert notice["height"] >= 44
    assert page.locator('label[for="c-on"]').is_visible()     # the day says what it is
    assert page.get_by_label("Ngày đồng ý").get_attribute("name") == "c-on"
    page.fill("#i-head_name", "Đỗ Văn Tâm")
    page.fill("#i-phone", "0912 345 678")
    page.check(f'{PURPOSE}[value="campaign_support"]')
    save(page)
    assert page.inner_text("#e-phone").startswith(
        "Số điện thoại: chỉ được ghi khi người dân đồng ý được gọi điện")
    assert outbox(page) == []
    shot(page, "consent-refused-phone")
    page.check(f'{PURPOSE}[value="phone_contact"]')
    page.check('input[name="c-by"]')
    save(page)
    page.wait_for_selector("h2:has-text('Đỗ Văn Tâm')")
    [waiting] = [e["v"] for e in outbox(page)]
    assert waiting["data"]["phone"] == "0912345678"
    assert waiting["data"]["consent"]["purposes"] == ["campaign_support", "phone_contact"]
    assert waiting["data"]["consent"]["by"] == "guardian"
    assert waiting["data"]["consent"]["notice_version"] == NOTICE_VERSION


def test_a_comment_without_the_households_survey_consent_comes_back_refused(phone,
                                                                           live_server, site):
    """The laptop judges a comment by the consent it holds (the phone does not: the
    round app's 50 KiB); the refusal names the field and the change waits to be fixed."""
    page = open_round(phone(), live_server)
    sign_in(page)
    add_household(page, "Hộ chưa đồng ý khảo sát", agree=["campaign_support"])
    page.get_by_role("link", name="+ Khảo sát hài lòng").click()
    page.select_option("#i-service_area", "land")
    page.check("#i-rating-4")
    page.fill("#i-comment", "Nhanh")
    save(page)
    page.wait_for_selector("#surveys .tag.bad")             # sent, refused, kept on the phone
    page.click("#surveys li a")
    assert page.inner_text("#e-comment").startswith("Ý kiến: chỉ được ghi khi người được hỏi")
    page.fill("#i-comment", "")
    save(page)
    wait_count(page, NONE_WAITING)
    site.store.refresh()
    [survey] = [v for v in site.store.currents() if v["type"] == "survey"]
    assert survey["data"].get("comment", "") == ""


def test_withdrawing_phone_contact_in_the_round_app_needs_the_phone_removed(phone, live_server):
    page = offline(phone(), live_server)
    add_household(page, "Hộ rút đồng ý", phone="0987654321",
                  agree=["phone_contact", "satisfaction_survey"])
    before = outbox(page)[0]["v"]["data"]["consent"]
    page.get_by_role("link", name="Sửa thông tin hộ").click()
    assert page.locator(f'{PURPOSE}[value="phone_contact"]').is_checked()
    page.uncheck(f'{PURPOSE}[value="phone_contact"]')
    save(page)
    assert "xóa số điện thoại" in page.inner_text("#e-phone")
    page.fill("#i-phone", "")
    save(page)
    page.wait_for_selector("h2:has-text('Hộ rút đồng ý')")
    after = outbox(page)[0]["v"]["data"]
    assert after["phone"] == "" and after["consent"] == dict(before,
                                                             purposes=["satisfaction_survey"])
    assert datetime.date.fromisoformat(after["consent"]["on"])
