"""Notice and consent at the door: the public notice, the village pages' consent fields,
and the API refusing a phone or a comment that no consent allows."""
import datetime
import re

import pytest

from fieldapp.forms.consent import NOTICE_VERSION, PURPOSES
from tests.support.factories import LEAD_PIN, consent, household, person, survey
from tests.support.pages import csrf_token, login_page


def texts(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def lead(client):
    assert login_page(client, "lan", LEAD_PIN).status_code == 302
    return client


def test_the_notice_is_public_and_names_its_version_purposes_and_the_site_retention(client, site):
    site.save_settings(dict(site.settings, retention_days=90))
    response = client.get("/guides/quyen-rieng-tu")
    assert response.status_code == 200                      # no sign-in
    page = texts(response.get_data(as_text=True))
    assert NOTICE_VERSION in page and "91/2025/QH15" in page and "356/2025/NĐ-CP" in page
    assert all(text in page for text in PURPOSES.values())
    end = site.settings["campaign"]["end"]                  # 90 days after the campaign's end
    until = datetime.date.fromisoformat(end) + datetime.timedelta(days=90)
    assert "Đến 90 ngày sau khi chiến dịch kết thúc" in page and until.strftime("%d/%m/%Y") in page
    assert "Tỉnh chỉ nhận số liệu tổng hợp" in page and "xóa" in page


@pytest.mark.parametrize("record_type", ["household", "person"])
def test_the_forms_ask_consent_with_nothing_ticked_and_link_the_notice(lead, site, record_type):
    home = household(author="lan", device_id="web-lan")
    site.store.submit([home])
    path = f"/records/new/{record_type}?household_id={home['id']}"
    page = lead.get(path).get_data(as_text=True)
    assert 'href="/guides/quyen-rieng-tu"' in page
    boxes = re.findall(r'<input[^>]*name="consent_purposes"[^>]*>', page)
    assert len(boxes) == len(PURPOSES) and not any("checked" in box for box in boxes)


def test_a_page_refuses_a_phone_without_phone_contact_consent_and_stores_it_with(lead, site):
    token = csrf_token(lead, "/records/new/household")
    form = {"csrf_token": token, "head_name": "Đặng Văn Ánh", "phone": "0912 345 678",
            "consent_by": "self", "consent_on": "2025-08-01",
            "consent_purposes": ["campaign_support"]}
    response = lead.post("/records/new/household", data=form)
    assert response.status_code == 422
    page = texts(response.get_data(as_text=True))
    assert "Số điện thoại: chỉ được ghi khi người dân đồng ý được gọi điện" in page
    site.store.refresh()
    assert len(site.store) == 0
    form["consent_purposes"] = ["phone_contact", "campaign_support"]
    assert lead.post("/records/new/household", data=form).status_code == 302
    site.store.refresh()
    [stored] = site.store.currents()
    assert stored["data"]["phone"] == "0912345678"
    shown = texts(lead.get(f"/households/{stored['id']}").get_data(as_text=True))
    assert "Đồng ý ngày 01/08/2025: hỗ trợ dùng dịch vụ công trực tuyến; gọi điện" in shown
    assert stored["data"]["consent"] == {"notice_version": NOTICE_VERSION, "by": "self",
                                         "on": "2025-08-01",
                                         "purposes": ["campaign_support", "phone_contact"]}


def test_withdrawing_phone_contact_on_a_page_is_refused_until_the_phone_goes(lead, site):
    home = household(author="lan", device_id="web-lan")
    home["data"].update(phone="0912345678", consent=consent(on=datetime.date(2025, 7, 1)))
    site.store.submit([home])
    path = f"/records/{home['id']}/edit"
    page = lead.get(path).get_data(as_text=True)
    ticked = re.findall(r'<input[^>]*name="consent_purposes"[^>]*>', page)
    assert all("checked" in box for box in ticked)          # as agreed, not more
    form = {"csrf_token": csrf_token(lead, path), "head_name": "Nguyễn Văn An",
            "phone": "0912345678", "consent_by": "self", "consent_on": "2025-07-01",
            "consent_purposes": ["campaign_support"]}
    response = lead.post(path, data=form)
    assert response.status_code == 422 and "xóa số điện thoại" in response.get_data(as_text=True)
    assert lead.post(path, data=dict(form, phone="")).status_code == 302
    site.store.refresh()
    current = site.store.current(home["id"])["data"]
    assert "phone" not in current or current["phone"] == ""
    assert current["consent"]["purposes"] == ["campaign_support"]
    assert current["consent"]["notice_version"] == NOTICE_VERSION


def test_the_api_refuses_a_phone_without_consent_naming_the_field(client, site, api_token):
    home = household(author="minh")
    home["data"]["phone"] = "0912345678"
    member = person(home["id"], author="minh")
    member["data"].update(phone="0987654321", consent=consent("satisfaction_survey"))
    response = client.post("/api/v1/records", json={"records": [home, member]},
                           headers=bearer(api_token))
    results = response.json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    for result in results:
        assert result["errors"]["data.phone"].startswith("Số điện thoại: chỉ được ghi khi")
    site.store.refresh()
    assert len(site.store) == 0


def test_the_api_keeps_a_comment_only_with_the_surveyed_ones_satisfaction_consent(
        client, site, api_token):
    agreed = household(author="minh")
    agreed["data"]["consent"] = consent("satisfaction_survey")
    silent = household(author="minh")
    silent["data"]["consent"] = consent("campaign_support")
    ok = survey(household_id=agreed["id"], author="minh")
    refused = survey(household_id=silent["id"], author="minh")
    unknown = survey(household_id="6f1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8", author="minh")
    nameless = survey(author="minh")
    for rated in (ok, refused, unknown, nameless):
        rated["data"]["comment"] = "Cán bộ hướng dẫn tận tình"
    plain = survey(household_id=silent["id"], author="minh")     # no comment: no consent needed
    response = client.post("/api/v1/records", headers=bearer(api_token), json={
        "records": [agreed, silent, ok, refused, unknown, nameless, plain]})
    results = response.json["results"]
    assert [r["status"] for r in results] == ["accepted", "accepted", "accepted", "rejected",
                                              "rejected", "rejected", "accepted"]
    assert "đã đồng ý khảo sát hài lòng" in results[3]["errors"]["data.comment"]
    assert "chưa thấy hộ hoặc người" in results[4]["errors"]["data.comment"]
    assert set(results[5]["errors"]) == {"data.comment"}


def test_a_survey_comment_on_a_page_is_refused_without_consent(lead, site):
    home = household(author="lan", device_id="web-lan")
    site.store.submit([home])
    path = f"/records/new/survey?household_id={home['id']}"
    response = lead.post(path, data={"csrf_token": csrf_token(lead, path),
                                     "surveyed_on": "2025-08-01", "service_area": "land",
                                     "rating": "5", "comment": "Nhanh gọn"})
    assert response.status_code == 422
    assert "Ý kiến: chỉ được ghi khi người được hỏi" in texts(response.get_data(as_text=True))
    site.store.refresh()
    assert len(site.store) == 1
