"""What phones report when they sync (POST /api/v1/phones) and the lead's table of them;
the answer that tells a phone its account was disabled."""
import io

import pytest

from fieldapp import phones
from fieldapp.auth import accounts as auth
from fieldapp.forms.versions import make_version, member_record_id
from tests.support.pages import login_page
from tests.support.factories import LEAD_PIN

DEVICE = "ph-0123456789ab"


def report(client, token, body=None, **kw):
    body = {"device_id": DEVICE, "waiting": 0, "rejected": 0} if body is None else body
    return client.post("/api/v1/phones", json=dict(body, **kw),
                       headers={"Authorization": "Bearer " + token})


def rows(site):
    return sorted((r["device_id"], r["username"], r["waiting"], r["rejected"])
                  for r in site.table("phones").all())


def test_a_phone_keeps_one_row_its_latest_report(client, site, api_token, lead_token):
    assert report(client, api_token, waiting=3, rejected=1).status_code == 200
    first = site.table("phones").all()[0]["synced_at"]
    answer = report(client, api_token, waiting=0)
    assert answer.status_code == 200 and answer.json["status"] == "ok"
    assert report(client, lead_token, device_id="ph-lead").status_code == 200
    assert rows(site) == [(DEVICE, "minh", 0, 0), ("ph-lead", "lan", 0, 0)]
    assert site.table("phones").get(lambda r: r["device_id"] == DEVICE)["synced_at"] >= first


@pytest.mark.parametrize("body", [
    {}, {"device_id": DEVICE, "waiting": 1}, {"device_id": DEVICE, "waiting": 1, "rejected": 0,
                                               "name": "Nguyễn Văn An"},
    {"device_id": "", "waiting": 0, "rejected": 0}, {"device_id": "ph x", "waiting": 0, "rejected": 0},
    {"device_id": "p" * 65, "waiting": 0, "rejected": 0}, {"device_id": 7, "waiting": 0, "rejected": 0},
    {"device_id": DEVICE, "waiting": -1, "rejected": 0}, {"device_id": DEVICE, "waiting": True, "rejected": 0},
    {"device_id": DEVICE, "waiting": 1.5, "rejected": 0}, {"device_id": DEVICE, "waiting": "2", "rejected": 0},
    {"device_id": DEVICE, "waiting": 10 ** 9, "rejected": 0},
    {"device_id": DEVICE, "waiting": 1, "rejected": 2}, [DEVICE, 0, 0]])
def test_a_malformed_report_is_refused_and_stores_nothing(client, site, api_token, body):
    answer = client.post("/api/v1/phones", json=body,
                         headers={"Authorization": "Bearer " + api_token})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_request"
    assert answer.json["error"]["message"]
    assert rows(site) == []


def test_a_report_too_long_or_without_a_length_is_refused(client, site, api_token):
    headers = {"Authorization": "Bearer " + api_token, "Content-Type": "application/json"}
    padded = '{"device_id": "%s", "waiting": 0, "rejected": 0%s}' % (DEVICE, " " * 600)
    assert client.post("/api/v1/phones", data=padded, headers=headers).status_code == 400

    unsized = io.BytesIO(b'{"device_id": "ph-1", "waiting": 0, "rejected": 0}')
    assert client.post("/api/v1/phones", input_stream=unsized, headers=dict(
        headers, **{"Transfer-Encoding": "chunked"})).status_code == 400
    assert rows(site) == []


def test_reports_are_refused_without_a_volunteer_or_lead_token(client, site):
    assert client.post("/api/v1/phones", json={"device_id": DEVICE, "waiting": 0,
                                               "rejected": 0}).status_code == 401
    admin = auth.signed_in(site, auth.get_user(site, "quantri"))["token"]
    assert report(client, admin).status_code == 403
    assert rows(site) == []


def test_the_phones_kept_are_bounded_oldest_report_first_out(client, site, api_token,
                                                            monkeypatch):
    monkeypatch.setattr(phones, "MAX_PHONES", 3)
    for n in range(5):
        assert report(client, api_token, device_id=f"ph-{n}").status_code == 200
    assert [r[0] for r in rows(site)] == ["ph-2", "ph-3", "ph-4"]


def test_a_disabled_account_is_told_apart_from_an_ended_session(client, site):
    expired = auth.signed_in(site, auth.get_user(site, "minh"))["token"]
    auth.revoke_tokens(site, "minh")
    answer = report(client, expired)
    assert answer.status_code == 401 and answer.json["error"]["code"] == "not_signed_in"

    token = auth.signed_in(site, auth.get_user(site, "minh"))["token"]
    auth.set_active(site, "minh", False)         # which revokes the token as well
    for answer in (report(client, token), client.get("/api/v1/records", headers={
            "Authorization": "Bearer " + token})):
        assert answer.status_code == 401
        assert answer.json["error"]["code"] == "account_disabled"
        assert "bị khóa" in answer.json["error"]["message"]
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer " + "x" * 43}
                      ).json["error"]["code"] == "not_signed_in"      # an unknown token


def test_the_dashboard_lists_the_villages_phones_by_name(client, site, api_token):
    site.store.submit([make_version("member", "thon-3", {
        "full_name": "Hoàng Kim Thảo", "username": "minh", "role": "volunteer", "active": True},
        "lan", "web-lan", record_id=member_record_id(site.settings["site_id"], "minh"))])
    report(client, api_token, waiting=2, rejected=1)
    phones.report(site, {"username": "khach", "village_id": "thon-9"},
                  {"device_id": "ph-other", "waiting": 5, "rejected": 0})
    login_page(client, "lan", LEAD_PIN)
    page = client.get("/village/dashboard").get_data(as_text=True)
    table = page[page.index('id="phones"'):]
    table = table[:table.index("</table>")]
    assert "Điện thoại của tổ" in page
    assert "Hoàng Kim Thảo" in table and "(minh)" in table and DEVICE in table
    assert "2 chưa gửi" in table and "1 bị từ chối" in table
    assert "ph-other" not in table and "khach" not in table        # another village's


def test_the_dashboard_says_when_no_phone_has_synced(client, site):
    login_page(client, "lan", LEAD_PIN)
    assert "Chưa có điện thoại nào đồng bộ." in client.get("/village/dashboard").get_data(
        as_text=True)
