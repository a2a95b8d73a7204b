"""Guessing PINs and passwords: the lockout on every way in, and a slow stored hash.

Timings are not asserted here; `python bench/hashing.py` measures a verification and
what it means for guessing all 1,000,000 PINs.
"""
import datetime
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from tinydb import Query

from fieldapp.auth import accounts as auth
from fieldapp.auth import cards
from fieldapp.auth.accounts import LOCK_MINUTES, MAX_FAILURES, get_user
from tests.support import factories
from tests.support.pages import login_page
from tests.support.factories import LEAD_PIN, PASSWORD, VOL_PIN
from tests.support.live import LiveServer

WRONG_PIN = "111222"


@pytest.fixture(autouse=True)
def app_hashing():
    """The app's own scrypt for every secret these tests store and check, not the quick
    test hash of tests/conftest.py: these tests are about guessing and hashing."""
    with factories.real_hashes():
        yield


def scrypt_village(path):
    """The village site of factories.village_site, its secrets hashed as the app does."""
    with factories.real_hashes():
        return factories.village_site(path)


@pytest.fixture
def site(app_hashing, site_templates, tmp_path):
    """The village site with the users' secrets as the app hashes them (scrypt)."""
    return site_templates.copy(tmp_path / "village", scrypt_village)


def _api_login(client, username, secret):
    return client.post("/api/v1/login", json={"username": username, "secret": secret})


def _locked(site, username):
    until = get_user(site, username)["locked_until"]
    return until is not None and datetime.datetime.fromisoformat(until) > \
        datetime.datetime.now(datetime.timezone.utc)


def test_pin_lockout_through_the_login_page(client, site):
    for attempt in range(MAX_FAILURES):
        assert not _locked(site, "minh")
        response = login_page(client, "minh", WRONG_PIN)
        assert response.status_code == 401
        assert "Sai tên đăng nhập" in response.get_data(as_text=True)
    assert _locked(site, "minh")
    response = login_page(client, "minh", VOL_PIN)             # the right PIN, too late
    assert response.status_code == 401
    text = response.get_data(as_text=True)
    assert "tạm khóa" in text and f"{LOCK_MINUTES} phút" in text
    assert client.get("/households").status_code == 302         # not signed in
    assert _api_login(client, "minh", VOL_PIN).status_code == 429


def test_failures_count_across_page_and_api(client, site):
    for attempt in range(MAX_FAILURES - 2):
        assert _api_login(client, "lan", WRONG_PIN).status_code == 401
    for attempt in range(2):
        assert login_page(client, "lan", WRONG_PIN).status_code == 401
    answer = _api_login(client, "lan", LEAD_PIN)
    assert answer.status_code == 429 and answer.json["error"]["code"] == "locked"


def test_password_lockout_for_the_admin(client, site):
    for attempt in range(MAX_FAILURES):
        assert _api_login(client, "quantri", "sai-mat-khau-" + str(attempt)).status_code == 401
    assert _api_login(client, "quantri", PASSWORD).status_code == 429
    assert login_page(client, "quantri", PASSWORD).status_code == 401
    # the lock ends by itself after LOCK_MINUTES
    past = (datetime.datetime.now(datetime.timezone.utc)
            - datetime.timedelta(seconds=1)).isoformat()
    with site.meta_lock:
        site.table("users").update({"locked_until": past}, Query().username == "quantri")
    assert _api_login(client, "quantri", PASSWORD).status_code == 200
    assert get_user(site, "quantri")["failures"] == 0 and get_user(site, "quantri")["locked_until"] is None


def test_a_success_resets_the_count(client, site):
    for attempt in range(MAX_FAILURES - 1):
        assert _api_login(client, "minh", WRONG_PIN).status_code == 401
    assert _api_login(client, "minh", VOL_PIN).status_code == 200
    for attempt in range(MAX_FAILURES - 1):
        assert _api_login(client, "minh", WRONG_PIN).status_code == 401
    assert _api_login(client, "minh", VOL_PIN).status_code == 200


def test_unknown_users_cost_a_hash_and_reveal_nothing(client, site, monkeypatch):
    calls = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash",
                        lambda stored, secret: calls.append(stored) or real(stored, secret))
    unknown = _api_login(client, "khong-co-ai", WRONG_PIN)
    known = _api_login(client, "minh", WRONG_PIN)
    assert unknown.status_code == known.status_code == 401
    assert unknown.json["error"]["message"] == known.json["error"]["message"]
    assert len(calls) == 2 and calls[0].split("$")[0] == calls[1].split("$")[0]


def _scrypt_params(stored):
    method = stored.split("$", 1)[0]
    name, n, r, p = method.split(":")
    return name, int(n), int(r), int(p)


def test_secrets_are_stored_with_slow_scrypt(site):
    """scrypt with n ≥ 2^14 (the cost) and r ≥ 8: each guess costs memory and time."""
    for username in ("minh", "lan", "quantri"):
        stored = get_user(site, username)["secret_hash"]
        name, n, r, p = _scrypt_params(stored)
        assert name == "scrypt" and n >= 2 ** 14 and r >= 8 and p >= 1, stored
        assert VOL_PIN not in stored and LEAD_PIN not in stored and PASSWORD not in stored
    assert _scrypt_params(auth._dummy_hash()) == _scrypt_params(get_user(site, "minh")["secret_hash"])
    auth.set_secret(site, "minh", "volunteer", "604715")          # a new PIN: same method
    name, n, _, _ = _scrypt_params(get_user(site, "minh")["secret_hash"])
    assert name == "scrypt" and n >= 2 ** 14


def test_easy_pins_are_refused(site):
    for pin in ("000000", "111111", "123456", "654321", "12345", "1234567", "12a456"):
        with pytest.raises(auth.Invalid):
            auth.check_secret_rule("volunteer", pin)
    with pytest.raises(auth.Invalid):
        auth.check_secret_rule("admin", "ngan")


def test_card_codes_cannot_be_guessed_or_reused(client, site):
    """A login card is a one-time code of 144 random bits: wrong codes never sign in (and
    do not lock anyone out), a used code is refused, a disabled person's card is refused."""
    row, code = cards.create_card(site, "minh", "lan")
    assert len(code) >= 24 and re.fullmatch(r"[A-Za-z0-9_-]+", code)
    for guess in [code[:-1] + ("A" if code[-1] != "A" else "B"), code.upper(), "x" * 24,
                  code + "x", "", None, 12345, ["a"], {"code": code}]:
        answer = client.post("/api/v1/login/card", json={"code": guess})
        assert answer.status_code in (400, 401), guess
        assert "token" not in (answer.json or {})
    assert not _locked(site, "minh")
    answer = client.post("/api/v1/login/card", json={"code": code})
    assert answer.status_code == 200 and answer.json["user"]["username"] == "minh"
    assert client.post("/api/v1/login/card", json={"code": code}).status_code == 401
    _, second = cards.create_card(site, "minh", "lan")
    auth.set_active(site, "minh", False)
    assert client.post("/api/v1/login/card", json={"code": second}).status_code == 401
    with site.meta_lock:
        stored = site.table("login_cards").all()
    assert all(code not in str(r) and second not in str(r) for r in stored)


def test_a_locked_account_keeps_its_tokens_until_revoked_and_disable_revokes(client, site):
    """Lockout stops new sign-ins; disabling the account also ends the sessions it has."""
    token = _api_login(client, "minh", VOL_PIN).json["token"]
    for attempt in range(MAX_FAILURES):
        _api_login(client, "minh", WRONG_PIN)
    assert _locked(site, "minh")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    auth.set_active(site, "minh", False)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def _parallel_logins(server, username, pins):
    """The statuses of one API sign-in per PIN, all sent at once."""
    def attempt(pin):
        return server.request("POST", "/api/v1/login", {"username": username, "secret": pin})[0]
    with ThreadPoolExecutor(len(pins)) as pool:
        return list(pool.map(attempt, pins))


def test_a_locked_account_stays_locked_under_parallel_guesses(site):
    """50 wrong PINs at once against the real server: a 401 is an evaluated guess (a locked
    account answers 429 before any hash), so exactly MAX_FAILURES are evaluated; then the
    right PIN is refused, and the account is still locked. An unknown name answers the
    same statuses, so who gets 429 says nothing about which names exist."""
    wrong = [f"{n:06d}" for n in range(200000, 200050)]
    assert VOL_PIN not in wrong
    server = LiveServer(site.data_dir).start()
    try:
        known = _parallel_logins(server, "minh", wrong)
        unknown = _parallel_logins(server, "khong-co-ai", wrong)
        status, body = server.request("POST", "/api/v1/login",
                                      {"username": "minh", "secret": VOL_PIN})
    finally:
        server.stop()
    assert sorted(known) == sorted(unknown) == [401] * MAX_FAILURES + [429] * (50 - MAX_FAILURES)
    assert status == 429 and body["error"]["code"] == "locked", body
    assert _locked(site, "minh")
    assert get_user(site, "minh")["failures"] == MAX_FAILURES


def test_a_right_pin_checked_while_others_lock_the_account_does_not_unlock_it(
        client, site, monkeypatch):
    """The right PIN's slow hash is held open while wrong PINs lock the account: it may
    sign in (it started first), but the lock set meanwhile stays, and the right PIN sent
    afterwards is refused."""
    started, release = threading.Event(), threading.Event()
    real = auth.check_password_hash

    def slow_for_the_right_pin(stored, secret):
        if secret == VOL_PIN:
            started.set()
            assert release.wait(30)
        return real(stored, secret)

    monkeypatch.setattr(auth, "check_password_hash", slow_for_the_right_pin)
    answers = []
    right = threading.Thread(target=lambda: answers.append(auth.authenticate(site, "minh", VOL_PIN)))
    right.start()
    assert started.wait(30)
    for attempt in range(MAX_FAILURES - 1):
        assert _api_login(client, "minh", WRONG_PIN).status_code == 401
    assert _locked(site, "minh")
    release.set()
    right.join(30)
    assert answers and answers[0]["username"] == "minh"
    assert _locked(site, "minh")
    assert _api_login(client, "minh", VOL_PIN).status_code == 429


def test_failures_keep_counting_across_a_lock(client, site):
    """Once the lock ends, one more wrong PIN locks the account again at once; a right one
    signs in and starts the count again."""
    for attempt in range(MAX_FAILURES):
        assert _api_login(client, "lan", WRONG_PIN).status_code == 401
    past = (datetime.datetime.now(datetime.timezone.utc)
            - datetime.timedelta(seconds=1)).isoformat()
    with site.meta_lock:
        site.table("users").update({"locked_until": past}, Query().username == "lan")
    assert _api_login(client, "lan", WRONG_PIN).status_code == 401
    assert _locked(site, "lan") and get_user(site, "lan")["failures"] == MAX_FAILURES + 1
    assert _api_login(client, "lan", LEAD_PIN).status_code == 429
    with site.meta_lock:
        site.table("users").update({"locked_until": past}, Query().username == "lan")
    assert _api_login(client, "lan", LEAD_PIN).status_code == 200
    assert not _locked(site, "lan") and get_user(site, "lan")["failures"] == 0


def test_unknown_names_are_locked_like_known_ones_on_page_and_api(client, site):
    for username in ("minh", "khong-co-ai"):
        statuses = [_api_login(client, username, WRONG_PIN).status_code
                    for attempt in range(MAX_FAILURES)]
        assert statuses == [401] * MAX_FAILURES, username
        answer = _api_login(client, username, VOL_PIN)
        assert answer.status_code == 429 and answer.json["error"]["code"] == "locked"
        page = login_page(client, username, VOL_PIN).get_data(as_text=True)
        assert "tạm khóa" in page, username


def test_counters_of_unknown_names_are_bounded_and_keep_no_name(client, site, monkeypatch):
    monkeypatch.setattr(auth, "MAX_UNKNOWN_NAMES", 3)
    names = [f"khach-{n}" for n in range(6)]
    for name in names:
        assert _api_login(client, name, WRONG_PIN).status_code == 401
    with site.meta_lock:
        rows = site.table(auth.UNKNOWN_NAMES).all()
    assert len(rows) == 3
    with open(f"{site.data_dir}/meta.json", encoding="utf-8") as handle:
        meta = handle.read()
    assert not any(name in meta for name in names)
