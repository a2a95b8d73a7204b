"""A disabled account: it answers every way of signing in as a wrong secret does (so a
right PIN is not told apart), and enabling it again revives none of its old sessions."""
import re

from fieldapp.auth import accounts as auth
from fieldapp.auth import cards
from fieldapp.auth.accounts import MAX_FAILURES
from tests.support.pages import login_page
from tests.support.factories import VOL_PIN

WRONG_PIN = "111222"


def _api_login(client, username, secret):
    return client.post("/api/v1/login", json={"username": username, "secret": secret})


def _without_csrf(response):
    return re.sub(r'value="[^"]+"', "", response.get_data(as_text=True))


def test_a_disabled_account_answers_the_right_pin_as_a_wrong_one(client, site):
    wrong_api = _api_login(client, "minh", WRONG_PIN)
    wrong_page = login_page(client, "minh", WRONG_PIN)
    auth.set_active(site, "minh", False)
    right_api = _api_login(client, "minh", VOL_PIN)
    right_page = login_page(client, "minh", VOL_PIN)
    assert right_api.status_code == wrong_api.status_code == 401
    assert right_api.json == wrong_api.json
    assert right_page.status_code == wrong_page.status_code == 401
    assert _without_csrf(right_page) == _without_csrf(wrong_page)
    assert client.get("/households").status_code == 302              # not signed in


def test_right_pins_for_a_disabled_account_count_towards_its_lock(client, site):
    """As wrong PINs do: the answers after MAX_FAILURES tries are the same either way."""
    auth.set_active(site, "minh", False)
    statuses = [_api_login(client, "minh", VOL_PIN).status_code for _ in range(MAX_FAILURES + 1)]
    wrong = [_api_login(client, "lan", WRONG_PIN).status_code for _ in range(MAX_FAILURES + 1)]
    assert statuses == wrong == [401] * MAX_FAILURES + [429]


def test_a_disabled_persons_card_is_refused_as_an_unknown_code(client, site):
    _, code = cards.create_card(site, "minh", "lan")
    unknown = client.post("/api/v1/login/card", json={"code": "x" * 24})
    auth.set_active(site, "minh", False)
    refused = client.post("/api/v1/login/card", json={"code": code})
    assert refused.status_code == unknown.status_code == 401
    assert refused.json == unknown.json


def test_enabling_an_account_again_does_not_revive_its_old_page_sessions(app, site):
    browser = app.test_client()
    assert login_page(browser, "minh", VOL_PIN).status_code == 302
    assert browser.get("/households").status_code == 200
    auth.set_active(site, "minh", False)
    assert browser.get("/households").status_code == 302
    auth.set_active(site, "minh", True)
    assert browser.get("/households").status_code == 302             # the old cookie is dead
    assert login_page(browser, "minh", VOL_PIN).status_code == 302
    assert browser.get("/households").status_code == 200
