"""Odd requests a person could send, each refused with the behaviour a person expects."""
import re

import pytest

from fieldapp.auth import accounts as auth
from fieldapp.cli import main
from tests.support.pages import csrf_token, login_page
from tests.support.factories import LEAD_PIN, VOL_PIN, household, survey, version


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def lead(client):
    login_page(client, "lan", LEAD_PIN)
    return client


def test_a_lead_cannot_make_an_admin_and_a_refused_form_creates_no_account(lead, site):
    token = csrf_token(lead, "/volunteers")
    response = lead.post("/volunteers", data={"csrf_token": token, "username": "boss",
                                              "pin": "lead-made-admin-1", "role": "admin"})
    assert response.status_code == 422
    assert auth.get_user(site, "boss") is None
    response = lead.post("/volunteers", data={"csrf_token": token, "username": "hoa",
                                              "full_name": "H" * 140, "pin": "582014",
                                              "role": "volunteer"})
    assert response.status_code == 422 and "120" in response.get_data(as_text=True)
    assert auth.get_user(site, "hoa") is None


@pytest.mark.parametrize("target", ["/%09/example.com", "/%0a", "/\\example.com",
                                    "//example.com", "https://example.com"])
def test_sign_in_never_redirects_off_site_nor_fails(client, target):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/login?next={target}", data={
        "csrf_token": token, "username": "lan", "secret": LEAD_PIN})
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.parametrize("raw", [
    b'{"records": [{"id": "\\ud800"}]}', b'{"records": ' + b"[" * 50000 + b"]" * 50000 + b"}",
])
def test_lone_surrogates_and_deep_nesting_are_refused_whole(client, site, api_token, raw):
    response = client.post("/api/v1/records", data=raw, headers=bearer(api_token),
                           content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    site.store.refresh()
    assert len(site.store) == 0


def test_a_surrogate_in_a_secret_is_a_wrong_secret(client):
    response = client.post("/api/v1/login", data=b'{"username": "minh", "secret": "\\ud800"}',
                           content_type="application/json")
    assert response.status_code in (400, 401)


def test_changing_a_pin_signs_the_old_browser_sessions_out(client, app, site):
    login_page(client, "minh", VOL_PIN)
    assert client.get("/households").status_code == 200
    auth.set_secret(site, "minh", "volunteer", "603917")
    response = client.get("/households")
    assert response.status_code == 302 and "/login" in response.location


def test_volunteers_cannot_edit_roster_records_through_the_pages(client, site):
    member = version("member", {"full_name": "Lò Văn Tổ", "active": True,
                                "trained_on": "2025-07-20"}, author="lan")
    site.store.submit([member])
    login_page(client, "minh", VOL_PIN)
    assert client.get(f"/records/{member['id']}/edit").status_code == 404


def test_a_survey_without_a_household_can_be_edited_and_deleted(lead, site):
    lone = survey(author="lan")
    site.store.submit([lone])
    token = csrf_token(lead, f"/records/{lone['id']}/edit")
    edited = lead.post(f"/records/{lone['id']}/edit", data={
        "csrf_token": token, "surveyed_on": "2025-08-01", "service_area": "land", "rating": "4"})
    assert edited.status_code == 302 and edited.location.endswith("/households")
    deleted = lead.post(f"/records/{lone['id']}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    site.store.refresh()
    assert site.store.current(lone["id"])["deleted"] is True


def test_superscript_digits_are_a_clear_error_not_a_crash(lead, site):
    home = household()
    site.store.submit([home])
    token = csrf_token(lead, f"/records/new/person?household_id={home['id']}")
    response = lead.post(f"/records/new/person?household_id={home['id']}", data={
        "csrf_token": token, "full_name": "Trần Văn Hai", "birth_year": "19²0", "vneid": "none"})
    assert response.status_code == 422 and "Năm sinh" in response.get_data(as_text=True)


def test_dates_far_outside_a_campaign_are_refused(client, lead_token):
    for day in ("0999-12-31", "2999-01-01"):
        response = client.get(f"/api/v1/indicators?as_of={day}", headers=bearer(lead_token))
        assert response.status_code == 400


def test_signing_out_one_phone_keeps_the_others_signed_in(client, site):
    user = auth.get_user(site, "minh")
    first, second = auth.issue_token(site, user), auth.issue_token(site, user)
    assert client.post("/api/v1/logout", headers=bearer(first)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_a_backup_to_a_missing_folder_says_so(runner, site, tmp_path):
    result = runner.invoke(main, ["--data", site.data_dir, "backup", "--out",
                                  str(tmp_path / "no" / "such" / "b.tar.gz")],
                           env={"FIELDAPP_BACKUP_PASSPHRASE": "mot-cum-mat-khau"})
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "Không ghi được" in result.output


def test_one_id_cannot_carry_two_types_within_one_request(client, site, api_token):
    from tests.support.factories import person
    home = household(author="minh")
    twin = dict(person(home["id"], author="minh"), id=home["id"])
    results = client.post("/api/v1/records", json={"records": [home, twin]},
                          headers=bearer(api_token)).json["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    site.store.refresh()
    assert [v["type"] for v in site.store.history(home["id"])] == ["household"]


def test_a_record_cannot_point_at_a_household_of_another_village(client, site, api_token):
    from tests.support.factories import visit
    foreign = household(village_id="thon-9", author="x")
    site.store.submit([foreign])
    result = client.post("/api/v1/records", json={"records": [visit(foreign["id"], author="minh")]},
                         headers=bearer(api_token)).json["results"][0]
    assert result["status"] == "rejected" and "data.household_id" in result["errors"]
