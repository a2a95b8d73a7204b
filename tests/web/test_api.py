"""The JSON API through the Flask client: statuses, idempotence, and bad input of every kind."""
import datetime
import json

import pytest

from fieldapp.auth import accounts as auth
from tests.support.factories import LEAD_PIN, VOL_PIN, household, person, survey, visit


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def stored_state(site):
    site.store.refresh()
    return sorted(json.dumps(v, sort_keys=True) for v in site.store.currents())


def assert_error_shape(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    return body["error"]


def test_login_returns_a_token_and_the_user(client):
    response = client.post("/api/v1/login", json={"username": "minh", "secret": VOL_PIN})
    assert response.status_code == 200
    # no roster record names minh yet: the login stands for the name
    assert response.json["user"] == {"username": "minh", "role": "volunteer",
                                     "village_id": "thon-3", "name": "minh"}
    assert len(response.json["token"]) >= 32


def test_the_signed_in_user_is_named_as_the_team_roster_names_them(client, site):
    """The phone shows the person, not the login: the name comes from the roster."""
    from tests.support.factories import roster_member
    roster_member(site, "minh", "Trần Văn Minh")
    answer = client.post("/api/v1/login", json={"username": "minh", "secret": VOL_PIN}).json
    assert answer["user"]["name"] == "Trần Văn Minh"
    me = client.get("/api/v1/me", headers=bearer(answer["token"])).json["user"]
    assert me == answer["user"]


@pytest.mark.parametrize("body", [{"username": "minh", "secret": "000001"},
                                  {"username": "nobody", "secret": VOL_PIN},
                                  {"username": ["minh"], "secret": VOL_PIN},
                                  {"username": "minh", "secret": 730164}])
def test_wrong_credentials_get_401(client, body):
    assert_error_shape(client.post("/api/v1/login", json=body), 401)


def test_repeated_failures_lock_the_account_even_for_the_right_pin(client, site):
    for _ in range(auth.MAX_FAILURES):
        client.post("/api/v1/login", json={"username": "minh", "secret": "111112"})
    error = assert_error_shape(client.post("/api/v1/login",
                                           json={"username": "minh", "secret": VOL_PIN}), 429)
    assert "khóa" in error["message"]
    stored = auth.get_user(site, "minh")
    assert stored["locked_until"] and "secret" not in json.dumps(stored).replace("secret_hash", "")


def test_secrets_and_tokens_are_stored_hashed(client, site):
    token = client.post("/api/v1/login", json={"username": "minh", "secret": VOL_PIN}).json["token"]
    with open(f"{site.data_dir}/meta.json", encoding="utf-8") as handle:
        meta = handle.read()
    assert VOL_PIN not in meta and LEAD_PIN not in meta and token not in meta


def test_posting_records_answers_a_status_per_record(client, site, api_token):
    home = household(author="minh")
    bad = dict(person(home["id"], author="minh"), data={"full_name": "Thiếu năm sinh"})
    body = {"records": [home, bad, person(home["id"], author="minh")]}
    response = client.post("/api/v1/records", json=body, headers=bearer(api_token))
    assert response.status_code == 200
    statuses = [r["status"] for r in response.json["results"]]
    assert statuses == ["accepted", "rejected", "accepted"]
    assert "data.birth_year" in response.json["results"][1]["errors"]
    site.store.refresh()
    assert len(site.store) == 2
    again = client.post("/api/v1/records", json=body, headers=bearer(api_token))
    assert [r["status"] for r in again.json["results"]] == ["duplicate", "rejected", "duplicate"]
    site.store.refresh()
    assert len(site.store) == 2


def test_a_volunteer_cannot_write_to_another_village_or_as_someone_else(client, site, api_token):
    before = stored_state(site)
    other = household(village_id="thon-9", author="minh")
    forged = household(author="lan")
    response = client.post("/api/v1/records", json={"records": [other, forged]},
                           headers=bearer(api_token))
    results = response.json["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "village_id" in results[0]["errors"] and "author" in results[1]["errors"]
    assert stored_state(site) == before


def test_a_record_id_cannot_be_moved_to_another_village_or_type(client, site, api_token):
    home = household(village_id="thon-3", author="lan", device_id="web-lan")
    site.store.submit([home])
    sneaky = dict(visit(home["id"], author="minh"), id=home["id"])
    response = client.post("/api/v1/records", json={"records": [sneaky]}, headers=bearer(api_token))
    assert response.json["results"][0]["status"] == "rejected"
    site.store.refresh()
    assert site.store.current(home["id"]) == home


@pytest.mark.parametrize("raw,status", [
    (b"{not json", 400), (b"[]", 400), (b'{"records": {}}', 400), (b'{"rows": []}', 400),
    (b"\xff\xfe", 400), (b'"records"', 400),
])
def test_malformed_bodies_get_json_errors_and_store_nothing(client, site, api_token, raw, status):
    before = stored_state(site)
    response = client.post("/api/v1/records", data=raw, headers=bearer(api_token),
                           content_type="application/json")
    assert_error_shape(response, status)
    assert stored_state(site) == before


def test_too_many_records_or_too_large_a_body_is_refused(client, site, api_token):
    many = {"records": [household(author="minh") for _ in range(501)]}
    assert_error_shape(client.post("/api/v1/records", json=many, headers=bearer(api_token)), 400)
    huge = b'{"records": [' + b" " * (5 * 1024 * 1024) + b"]}"
    assert_error_shape(client.post("/api/v1/records", data=huge, headers=bearer(api_token),
                                   content_type="application/json"), 413)
    assert len(site.store) == 0


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic bWluaDo3MzAxNjQ="},
                                     {"Authorization": "Bearer " + "x" * 43}])
def test_missing_or_bad_tokens_get_401(client, headers):
    assert_error_shape(client.get("/api/v1/records", headers=headers), 401)
    assert_error_shape(client.post("/api/v1/records", json={"records": []}, headers=headers), 401)


def test_revoked_expired_and_disabled_tokens_stop_working(client, site, api_token):
    assert client.get("/api/v1/me", headers=bearer(api_token)).status_code == 200
    auth.set_active(site, "minh", False)
    assert_error_shape(client.get("/api/v1/me", headers=bearer(api_token)), 401)
    auth.set_active(site, "minh", True)
    user = auth.get_user(site, "minh")
    expired = auth.issue_token(site, user, days=-1)
    assert_error_shape(client.get("/api/v1/me", headers=bearer(expired)), 401)
    fresh = auth.issue_token(site, user)
    assert client.post("/api/v1/logout", headers=bearer(fresh)).status_code == 200
    assert_error_shape(client.get("/api/v1/me", headers=bearer(fresh)), 401)


def test_pulling_records_pages_through_the_change_sequence(client, site, api_token):
    homes = [household(author="lan") for _ in range(5)]
    site.store.submit(homes + [household(village_id="thon-9", author="x")])
    first = client.get("/api/v1/records?since=0&limit=3", headers=bearer(api_token)).json
    assert first["more"] is True and len(first["records"]) == 3
    rest = client.get(f"/api/v1/records?since={first['next_since']}",
                      headers=bearer(api_token)).json
    assert rest["more"] is False
    ids = [r["id"] for r in first["records"] + rest["records"]]
    assert ids == [h["id"] for h in homes]          # the other village's record is not shown
    assert client.get(f"/api/v1/records?since={rest['next_since']}",
                      headers=bearer(api_token)).json["records"] == []
    for bad in ("-1", "abc", "1.5"):
        assert_error_shape(client.get(f"/api/v1/records?since={bad}", headers=bearer(api_token)), 400)


def test_indicators_answer_has_the_spec_shape(client, site, lead_token, api_token):
    home = household(author="lan")
    site.store.submit([home, person(home["id"], online=True), visit(home["id"]), survey()])
    answer = client.get("/api/v1/indicators?as_of=2025-08-25", headers=bearer(lead_token)).json
    assert answer["as_of"] == "2025-08-25" and answer["commune_code"] == "25264"
    keys = [e["key"] for e in answer["indicators"]]
    assert keys == ["adult_online_usage", "satisfaction", "satisfaction_land_construction_investment",
                    "household_vneid_level2", "adult_vneid_level2", "adult_bank_account",
                    "households_visited", "volunteers_trained"]
    for entry in answer["indicators"]:
        assert {"key", "label", "numerator", "denominator", "value", "target", "met",
                "denominator_source"} <= set(entry)
    assert list(answer["by_village"]) == ["thon-3"]
    assert [p["period"] for p in answer["by_period"]] == [1, 2, 3, 4]
    assert "change" in answer["by_period"][1]["indicators"][0]
    assert_error_shape(client.get("/api/v1/indicators?as_of=25/08/2025", headers=bearer(lead_token)), 400)
    assert_error_shape(client.get("/api/v1/indicators?village_id=thon-9", headers=bearer(lead_token)), 403)
    refused = client.get("/api/v1/indicators", headers=bearer(api_token))    # a volunteer
    assert_error_shape(refused, 403)
    assert "Vai trò" in refused.json["error"]["message"]


def test_healthz_and_unknown_api_paths(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert_error_shape(client.get("/api/v1/nothing"), 404)
    assert_error_shape(client.put("/api/v1/records"), 405)


def test_a_volunteer_may_not_use_the_lead_only_pages(client):
    from tests.support.pages import login_page
    login_page(client, "minh", VOL_PIN)
    assert client.get("/volunteers").status_code == 403
    assert client.get("/village/dashboard").status_code == 403
    assert client.get("/households").status_code == 200


def test_future_timestamps_are_refused_with_a_clock_hint(client, api_token):
    future = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3))
    home = dict(household(author="minh"),
                updated_at=future.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    result = client.post("/api/v1/records", json={"records": [home]},
                         headers=bearer(api_token)).json["results"][0]
    assert result["status"] == "rejected" and "chỉnh lại giờ" in result["errors"]["updated_at"]


def test_the_conflicts_api_lists_each_fork_once_with_its_heads(client, site, api_token,
                                                               lead_token):
    """Two phones edit the same household from the same version: one fork, both heads;
    a merge naming both closes it. Volunteers are refused (403)."""
    from fieldapp.forms.versions import base_of
    home = household(head="Đặng Công Anh")
    lan = dict(home, updated_at="2025-07-26T09:00:00.000Z", device_id="ph-lan", author="lan",
               base=base_of(home), data=dict(home["data"], note="Cổng xanh"))
    minh = dict(home, updated_at="2025-07-26T09:05:00.000Z", base=base_of(home),
                data=dict(home["data"], note="Nhà có người già"))
    site.store.submit([home, lan, minh])
    headers = {"Authorization": f"Bearer {lead_token}"}
    answer = client.get("/api/v1/conflicts", headers=headers)
    assert answer.status_code == 200
    assert answer.json == {"conflicts": [{"id": home["id"], "type": "household",
                                          "village_id": "thon-3", "versions": [lan, minh]}]}
    assert client.get("/api/v1/conflicts",
                      headers={"Authorization": f"Bearer {api_token}"}).status_code == 403
    merge = dict(home, updated_at="2025-07-26T10:00:00.000Z", device_id="ph-lan", author="lan",
                 base=[base_of(lan), base_of(minh)],
                 data=dict(home["data"], note="Cổng xanh; nhà có người già"))
    assert client.post("/api/v1/records", json={"records": [merge]},
                       headers=headers).json["results"][0]["status"] == "accepted"
    assert client.get("/api/v1/conflicts", headers=headers).json == {"conflicts": []}
