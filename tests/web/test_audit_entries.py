"""The audit log of sign-ins, sign-outs and account changes: who and what, never a secret."""
import json
import os
from concurrent.futures import ThreadPoolExecutor

from fieldapp import audit
from fieldapp.auth.accounts import MAX_FAILURES
from tests.support.factories import LEAD_PIN, VOL_PIN
from tests.support.pages import csrf_token, login_page

WRONG_PIN = "111222"


def _actions(site):
    return [(e["actor"], e["action"]) for e in audit.entries(site, "log")]


def test_page_sign_in_and_out_are_logged(client, site):
    assert login_page(client, "minh", VOL_PIN).status_code == 302
    token = csrf_token(client, "/households")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert _actions(site) == [("minh", "login.ok"), ("minh", "logout")]
    assert all(e["at"] for e in audit.entries(site))


def test_failed_sign_in_names_only_existing_logins(client, site):
    login_page(client, "minh", WRONG_PIN)
    response = client.post("/api/v1/login", json={"username": "nobody-here", "secret": WRONG_PIN})
    assert response.status_code == 401
    assert _actions(site) == [("minh", "login.failed"), ("unknown", "login.failed")]
    with open(os.path.join(site.data_dir, "audit.log"), encoding="utf-8") as log:
        raw = log.read()
    assert "nobody-here" not in raw and WRONG_PIN not in raw


def test_locked_account_attempts_are_logged(client, site):
    for attempt in range(MAX_FAILURES):
        client.post("/api/v1/login", json={"username": "minh", "secret": WRONG_PIN})
    response = client.post("/api/v1/login", json={"username": "minh", "secret": VOL_PIN})
    assert response.status_code == 429
    actions = _actions(site)
    assert actions[-1] == ("minh", "login.locked")
    assert actions.count(("minh", "login.failed")) >= MAX_FAILURES - 1


def test_api_sign_in_and_out_are_logged(client, site):
    token = client.post("/api/v1/login", json={"username": "minh", "secret": VOL_PIN}).json["token"]
    response = client.post("/api/v1/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert _actions(site) == [("minh", "login.ok"), ("minh", "logout")]


def test_parallel_entries_are_each_whole(site):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: audit.record(site, "minh", "test.parallel", count=n), range(200)))
    found = audit.entries(site, "test.parallel")
    assert sorted(e["count"] for e in found) == list(range(200))


def test_a_torn_last_line_does_not_break_reading(site):
    audit.record(site, "minh", "test.whole")
    with open(os.path.join(site.data_dir, "audit.log"), "a", encoding="utf-8") as log:
        log.write(json.dumps({"actor": "minh", "action": "test.torn"})[:20])
    assert [e["action"] for e in audit.entries(site, "test.")] == ["test.whole"]


def test_account_changes_by_the_lead_are_logged(client, site):
    login_page(client, "lan", LEAD_PIN)
    token = csrf_token(client, "/volunteers")
    client.post("/volunteers", data={"csrf_token": token, "username": "hoa", "pin": "582014",
                                     "role": "volunteer", "full_name": "Lê Thị Hoa"})
    client.post("/volunteers/hoa/pin", data={"csrf_token": token, "pin": "603917"})
    client.post("/volunteers/hoa/disable", data={"csrf_token": token})
    client.post("/volunteers/hoa/enable", data={"csrf_token": token})
    found = [(e["actor"], e["action"], e.get("user")) for e in audit.entries(site, "user.")]
    assert found == [("lan", "user.add", "hoa"), ("lan", "user.pin_reset", "hoa"),
                     ("lan", "user.disable", "hoa"), ("lan", "user.enable", "hoa")]
    with open(os.path.join(site.data_dir, "audit.log"), encoding="utf-8") as log:
        raw = log.read()
    assert "Hoa" not in raw and "603917" not in raw
