"""The round app's session-token trade (POST /round/session-token
and the /round boot JSON), sealed downloads on /export, indicators refused to volunteers,
and lone surrogates refused by the text rule.

Findings are strict xfails (reason "BUG: ..."); the other tests pin what holds.
"""
import base64
import gzip
import json
import logging
import re

import pytest

from fieldapp import create_app
from fieldapp.auth import accounts as auth
from fieldapp.forms.errors import NotSignedIn
from fieldapp.forms.rules import validate_data
from sync import crypto
from tests.support import factories
from tests.support.pages import csrf_token, login_page

JSON = {"Accept": "application/json"}
ROUTE = "/round/session-token"


# ------------------------------------------------------------------ helpers

def _boot(client):
    page = client.get("/round")
    assert page.status_code == 200
    raw = re.search(r'<script type="application/json" id="boot">(.*?)</script>',
                    page.get_data(as_text=True), re.S).group(1)
    return page, json.loads(raw)


def _signed_in(app, username, secret):
    client = app.test_client()
    assert login_page(client, username, secret).status_code == 302
    return client


def _session_csrf(client):
    _, boot = _boot(client)
    assert "session" in boot, boot
    return boot["session"]["csrf"]


def _token_count(site):
    with site.meta_lock:
        return len(site.table("tokens").all())


def _cookie(client):
    cookie = client.get_cookie("fieldapp_session")
    return cookie.value if cookie is not None else None


# ------------------------------------------------------------------ session token: what holds

@pytest.mark.parametrize("username,secret,role", [
    ("minh", factories.VOL_PIN, "volunteer"), ("lan", factories.LEAD_PIN, "lead")])
def test_session_token_is_for_the_same_user_role_and_village(app, site, username, secret, role):
    client = _signed_in(app, username, secret)
    _, boot = _boot(client)
    assert boot["session"]["username"] == username
    answer = client.post(ROUTE, headers={**JSON, "X-CSRFToken": boot["session"]["csrf"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.json
    assert body["user"] == {"username": username, "role": role, "village_id": "thon-3",
                            "name": boot["session"]["name"]}
    user = auth.user_for_token(site, body["token"], "api")
    assert (user["username"], user["role"], user["village_id"]) == (username, role, "thon-3")
    assert body["expires_in_days"] == auth.TOKEN_DAYS
    # no push/other kind: the token is an ordinary API token
    with pytest.raises(NotSignedIn):
        auth.user_for_token(site, body["token"], "push")
    assert answer.headers.get("Cache-Control") == "no-store"
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_round_page_with_a_session_is_not_cached_and_anonymous_has_no_session(app):
    anonymous = app.test_client()
    _, boot = _boot(anonymous)
    assert "session" not in boot
    client = _signed_in(app, "minh", factories.VOL_PIN)
    page, boot = _boot(client)
    assert "session" in boot
    assert page.headers.get("Cache-Control") == "no-store"
    assert "Access-Control-Allow-Origin" not in page.headers


@pytest.mark.parametrize("how", ["none", "query", "other_session", "garbage", "pre_login",
                                 "empty_header", "huge_header", "form_other_session"])
def test_session_token_refuses_without_this_sessions_csrf_token(app, site, how):
    client = _signed_in(app, "minh", factories.VOL_PIN)
    mine = _session_csrf(client)
    other = _session_csrf(_signed_in(app, "minh", factories.VOL_PIN))
    assert other != mine
    before = _token_count(site)
    headers, path, data = dict(JSON), ROUTE, None
    if how == "query":
        path = f"{ROUTE}?csrf_token={mine}"
    elif how == "other_session":
        headers["X-CSRFToken"] = other
    elif how == "garbage":
        headers["X-CSRFToken"] = "x" * 40 + ".." + "é".encode().decode("latin-1")
    elif how == "empty_header":
        headers["X-CSRFToken"] = ""
    elif how == "huge_header":
        headers["X-CSRFToken"] = mine + "A" * 8000
    elif how == "form_other_session":
        data = {"csrf_token": other}
    elif how == "pre_login":
        fresh = app.test_client()
        pre = csrf_token(fresh, "/login")
        assert login_page(fresh, "minh", factories.VOL_PIN).status_code == 302
        client, headers = fresh, {**JSON, "X-CSRFToken": pre}
    answer = client.post(path, headers=headers, data=data)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.json["error"]["code"] == "csrf"
    assert _token_count(site) == before


def test_session_token_wants_post(app, site):
    client = _signed_in(app, "minh", factories.VOL_PIN)
    mine = _session_csrf(client)
    before = _token_count(site)
    for method in ("get", "put", "delete"):
        answer = getattr(client, method)(f"{ROUTE}?csrf_token={mine}",
                                         headers={**JSON, "X-CSRFToken": mine})
        assert answer.status_code == 405 and answer.json["error"]["code"] == "method_not_allowed"
    html = client.get(ROUTE)
    assert html.status_code == 405 and html.mimetype == "text/html"
    assert "Phương thức không được phép" in html.get_data(as_text=True)
    assert _token_count(site) == before


def test_session_token_form_field_is_accepted_like_any_form(app, site):
    """The form-encoded csrf_token of this session is the same secret as the header."""
    client = _signed_in(app, "lan", factories.LEAD_PIN)
    answer = client.post(ROUTE, headers=JSON, data={"csrf_token": _session_csrf(client)})
    assert answer.status_code == 200
    assert auth.user_for_token(site, answer.json["token"])["username"] == "lan"


def test_session_token_signed_out_refused_json_and_page(app, site):
    client = _signed_in(app, "minh", factories.VOL_PIN)
    mine = _session_csrf(client)
    client.post("/logout", data={"csrf_token": mine})
    assert "session" not in _boot(client)[1]
    before = _token_count(site)
    answer = client.post(ROUTE, headers={**JSON, "X-CSRFToken": mine})
    assert answer.status_code in (400, 401) and "error" in answer.json
    # a valid CSRF token of an anonymous session: 401 as JSON, or a Vietnamese page
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/login")
    as_json = anonymous.post(ROUTE, headers={**JSON, "X-CSRFToken": token})
    assert as_json.status_code == 401 and as_json.json["error"]["code"] == "not_signed_in"
    as_page = anonymous.post(ROUTE, headers={"X-CSRFToken": token})
    assert as_page.status_code == 401 and as_page.mimetype == "text/html"
    assert "đăng nhập" in as_page.get_data(as_text=True)
    assert _token_count(site) == before


@pytest.mark.parametrize("change", ["disabled", "deleted", "recreated", "new_pin"])
def test_session_of_a_changed_account_gets_no_token(app, site, change):
    client = _signed_in(app, "minh", factories.VOL_PIN)
    mine = _session_csrf(client)
    if change == "disabled":
        auth.set_active(site, "minh", False)
    elif change in ("deleted", "recreated"):
        with site.meta_lock:
            site.table("users").remove(auth.User.username == "minh")
        if change == "recreated":
            auth.add_user(site, "minh", "volunteer", factories.VOL_PIN, "thon-3")
            with site.meta_lock:          # surely another creation time than the session's
                site.table("users").update({"created_at": "2099-01-01T00:00:00+00:00"},
                                           auth.User.username == "minh")
    else:
        auth.set_secret(site, "minh", "volunteer", "591827")
    before = _token_count(site)
    answer = client.post(ROUTE, headers={**JSON, "X-CSRFToken": mine})
    assert answer.status_code == 401 and answer.json["error"]["code"] == "not_signed_in"
    assert _token_count(site) == before
    assert "session" not in _boot(client)[1]


def test_admin_session_on_a_village_site_gets_no_token(app, site):
    client = _signed_in(app, "quantri", factories.PASSWORD)
    _, boot = _boot(client)
    assert "session" not in boot
    # the admin's own session CSRF token, from a form page of theirs
    token = csrf_token(client, "/settings")
    before = _token_count(site)
    answer = client.post(ROUTE, headers={**JSON, "X-CSRFToken": token})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "forbidden"
    assert _token_count(site) == before


@pytest.mark.parametrize("username", ["canbo", "quantri"])
def test_session_token_on_a_commune_site_gives_nothing(site_templates, tmp_path, username):
    commune = site_templates.copy(tmp_path / "commune", factories.commune_site)
    app = create_app({"DATA_DIR": commune.data_dir, "TESTING": True})
    client = _signed_in(app, username, factories.PASSWORD)
    _, boot = _boot(client)
    assert "session" not in boot
    token = csrf_token(client, "/commune/import")
    before = _token_count(commune)
    answer = client.post(ROUTE, headers={**JSON, "X-CSRFToken": token})
    assert answer.status_code in (403, 404) and "error" in answer.json
    assert _token_count(commune) == before


def test_expired_page_session_cookie_gets_no_token(app, site):
    """A session cookie signed more than PERMANENT_SESSION_LIFETIME ago is not honoured."""
    import itsdangerous
    client = _signed_in(app, "minh", factories.VOL_PIN)
    mine = _session_csrf(client)
    with app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)
        data = serializer.loads(_cookie(client))
    old = 8 * 24 * 3600

    class OldSigner(itsdangerous.TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - old
    serializer.signer = OldSigner
    stale = serializer.dumps(data)
    client.set_cookie("fieldapp_session", stale)
    before = _token_count(site)
    answer = client.post(ROUTE, headers={**JSON, "X-CSRFToken": mine})
    assert answer.status_code in (400, 401) and "error" in answer.json
    assert _token_count(site) == before


@pytest.mark.parametrize("session", [
    {"username": ["minh"], "stamp": "x"}, {"username": {"a": 1}}, {"username": 7},
    {"username": "minh"}, {"username": "minh", "stamp": None}, {"stamp": "x"},
    {"username": "nobody", "stamp": "x"}, {"username": "minh", "stamp": ["x"]}])
def test_odd_signed_sessions_never_500(app, site, session):
    client = app.test_client()
    with app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)
        client.set_cookie("fieldapp_session", serializer.dumps(dict(session, csrf_token="c" * 40)))
    assert client.get("/round").status_code == 200
    for headers in (JSON, {}):
        answer = client.post(ROUTE, headers=headers)
        assert answer.status_code in (400, 401), answer.status_code


@pytest.mark.parametrize("kind,body", [
    ("application/json", b'{"x": '), ("application/json", b"\xff\xfe"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nbroken"),
    ("application/x-www-form-urlencoded", b"%zz=%ff&csrf_token=%00"),
    ("text/plain", b"\x00" * 1000)])
def test_session_token_odd_bodies_never_500(app, site, kind, body):
    client = _signed_in(app, "minh", factories.VOL_PIN)
    mine = _session_csrf(client)
    answer = client.post(ROUTE, data=body, content_type=kind,
                         headers={**JSON, "X-CSRFToken": mine})
    assert answer.status_code in (200, 400, 413), answer.status_code


def test_cross_origin_post_gets_no_cors_answer(app):
    """Another origin cannot read the answer (no CORS), and without this session's CSRF
    token (only in the same-origin /round page) it is refused."""
    client = _signed_in(app, "minh", factories.VOL_PIN)
    evil = {**JSON, "Origin": "http://evil.example", "Referer": "http://evil.example/x"}
    refused = client.post(ROUTE, headers=evil)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    assert "Access-Control-Allow-Origin" not in refused.headers
    preflight = client.options(ROUTE, headers={**evil, "Access-Control-Request-Method": "POST",
                                               "Access-Control-Request-Headers": "x-csrftoken"})
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_session_token_is_not_usable_as_a_page_session_and_api_ignores_cookie(app, site):
    client = _signed_in(app, "minh", factories.VOL_PIN)
    # the API trusts bearer tokens only, never the page session cookie
    for path in ("/api/v1/records", "/api/v1/me", "/api/v1/rules"):
        answer = client.get(path, headers=JSON)
        assert answer.status_code == 401, path
    token = client.post(ROUTE, headers={**JSON, "X-CSRFToken": _session_csrf(client)}).json["token"]
    # and a bearer token on a page does not sign anyone in
    fresh = app.test_client()
    page = fresh.get("/households", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code == 302 and "/login" in page.location


def test_no_personal_data_in_the_logs_of_the_trade(live_server, site):
    import requests
    base = live_server.url
    browser = requests.Session()
    form = browser.get(f"{base}/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert browser.post(f"{base}/login", data={"csrf_token": csrf, "username": "minh",
                                               "secret": factories.VOL_PIN}, timeout=10).ok
    raw = re.search(r'<script type="application/json" id="boot">(.*?)</script>',
                    browser.get(f"{base}/round", timeout=10).text, re.S).group(1)
    mine = json.loads(raw)["session"]["csrf"]
    bad = browser.post(f"{base}{ROUTE}", headers={**JSON, "X-CSRFToken": "nope"}, timeout=10)
    assert bad.status_code == 400
    good = browser.post(f"{base}{ROUTE}", headers={**JSON, "X-CSRFToken": mine}, timeout=10)
    assert good.status_code == 200
    token = good.json()["token"]
    auth.set_active(site, "minh", False)
    gone = browser.post(f"{base}{ROUTE}", headers={**JSON, "X-CSRFToken": mine}, timeout=10)
    assert gone.status_code == 401
    log = live_server.output()
    for secret in ("minh", factories.VOL_PIN, token, mine):
        assert secret not in log, secret


# ------------------------------------------------------------------ session token: findings

def test_session_cookie_replayed_after_sign_out_gets_no_token(app, site):
    """Found in review: sign-out only cleared the browser's cookie, so a copy of it still
    traded for a fresh API token."""
    client = _signed_in(app, "minh", factories.VOL_PIN)
    mine = _session_csrf(client)
    copied = _cookie(client)
    assert client.post("/logout", data={"csrf_token": mine}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("fieldapp_session", copied)
    before = _token_count(site)
    answer = thief.post(ROUTE, headers={**JSON, "X-CSRFToken": mine})
    assert answer.status_code in (400, 401)
    assert _token_count(site) == before


# ------------------------------------------------------------------ export sealing

def _lead_with_batch(site):
    site.store.submit([factories.household("Nguyễn Văn Niêm Phong")])
    lead = create_app({"DATA_DIR": site.data_dir, "TESTING": True}).test_client()
    assert login_page(lead, "lan", factories.LEAD_PIN).status_code == 302
    token = csrf_token(lead, "/export")
    assert lead.post("/export", data={"csrf_token": token, "scope": "new"}).status_code == 303
    batch = re.search(r'name="batch" value="([0-9a-f-]{36})"',
                      lead.get("/export").get_data(as_text=True)).group(1)
    return lead, batch


def _commune_key(tmp_path):
    commune = factories.commune_site(tmp_path / "commune", users=False)
    return commune, crypto.create_box_key(commune.data_dir)


def test_sealed_download_cannot_be_asked_plain(tmp_path, site):
    commune, key = _commune_key(tmp_path)
    site.update_settings(lambda s: s.update(commune_public_key="  " + key + "\n"))
    lead, batch = _lead_with_batch(site)
    for extra in ("", "&plain=1", "&format=json.gz", "&encrypt=0", "&scope=all", "&batch=x"):
        answer = lead.get(f"/export/file?batch={batch}{extra}")
        assert answer.status_code == 200, extra
        body = answer.get_data()
        assert crypto.is_sealed(body) and not body.startswith(b"\x1f\x8b")
        assert "Niêm Phong".encode() not in body
        assert answer.headers["Content-Disposition"].endswith('.enc"')
        assert answer.headers["Cache-Control"] == "no-store"
        inside = json.loads(gzip.decompress(crypto.open_sealed(commune.data_dir, body)))
        assert inside["batch_id"] == batch
    head = lead.head(f"/export/file?batch={batch}")
    assert head.status_code == 200 and not head.get_data()


def test_export_file_is_the_leads_only(tmp_path, site, app):
    commune, key = _commune_key(tmp_path)
    site.update_settings(lambda s: s.update(commune_public_key=key))
    lead, batch = _lead_with_batch(site)
    volunteer = _signed_in(app, "minh", factories.VOL_PIN)
    assert volunteer.get(f"/export/file?batch={batch}").status_code == 403
    anonymous = app.test_client().get(f"/export/file?batch={batch}")
    assert anonymous.status_code == 302 and "/login" in anonymous.location


@pytest.mark.parametrize("bad", ["", "not-a-key", "x" * 44, "A" * 43])
def test_export_file_odd_batch_ids_never_500(site, bad):
    lead, _ = _lead_with_batch(site)
    answer = lead.get("/export/file", query_string={"batch": bad})
    assert answer.status_code in (302, 303, 404)


@pytest.mark.parametrize("bad", ["truncated", "mistyped", "list"])
def test_malformed_commune_key_does_not_downgrade_to_plain(tmp_path, site, bad):
    """Found in review: a stored key that is no key made downloads plain, silently."""
    _, key = _commune_key(tmp_path)
    value = {"truncated": key[:-4], "mistyped": key[:-2] + "!=", "list": [key]}[bad]
    site.update_settings(lambda s: s.update(commune_public_key=value))
    lead, batch = _lead_with_batch(site)
    answer = lead.get(f"/export/file?batch={batch}")
    assert answer.status_code != 500
    body = answer.get_data()
    assert not body.startswith(b"\x1f\x8b"), "a plain gzip batch was served"
    assert "Niêm Phong".encode() not in gzip.decompress(body) if body[:2] == b"\x1f\x8b" else True


def test_cli_export_refuses_a_malformed_commune_key(tmp_path, site, runner):
    """(the behaviour the web download is compared with above)"""
    from fieldapp.cli import main
    _, key = _commune_key(tmp_path)
    site.update_settings(lambda s: s.update(commune_public_key=key[:-4]))
    site.store.submit([factories.household("Nguyễn Văn Niêm Phong")])
    out = tmp_path / "out.json"
    result = runner.invoke(main, ["--data", site.data_dir, "export", "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()


@pytest.mark.parametrize("raw", [b"\0" * 32, b"\x01" + b"\0" * 31], ids=["zero", "one"])
def test_low_order_commune_key_is_no_500_on_download(site, raw):
    """Found in review: a 32-byte point of small order passed the key check, then every
    download was a 500."""
    key = base64.b64encode(raw).decode()
    with pytest.raises(ValueError):
        crypto.parse_public_key(key)                # `fieldapp commune-key` refuses it
    site.update_settings(lambda s: s.update(commune_public_key=key))
    lead, batch = _lead_with_batch(site)
    answer = lead.get(f"/export/file?batch={batch}")
    assert answer.status_code != 500
    assert not answer.get_data().startswith(b"\x1f\x8b")


# ------------------------------------------------------------------ indicators for volunteers

def test_volunteer_reaches_no_indicators_any_way(app, site, client, api_token, lead_token):
    site.store.submit([factories.household("Hộ chỉ số")])
    bearer = {"Authorization": f"Bearer {api_token}"}
    for query in ("", "?village_id=thon-3", "?as_of=2025-08-01", "?village_id=",
                  "?village_id=thon-9", "?as_of=bad", "?village_id=thon-3&village_id=x"):
        answer = client.get(f"/api/v1/indicators{query}", headers=bearer)
        assert answer.status_code == 403, query
        assert answer.json["error"]["code"] == "forbidden"
    assert client.head("/api/v1/indicators", headers=bearer).status_code == 403
    # the session-token trade gives a volunteer a volunteer token: still refused
    page = _signed_in(app, "minh", factories.VOL_PIN)
    traded = page.post(ROUTE, headers={**JSON, "X-CSRFToken": _session_csrf(page)}).json["token"]
    assert client.get("/api/v1/indicators",
                      headers={"Authorization": f"Bearer {traded}"}).status_code == 403
    for path in ("/village/dashboard", "/reports/", "/reports/indicators.csv",
                 "/reports/report.pdf", "/reports/volunteers.csv", "/commune/"):
        assert page.get(path).status_code in (403, 404), path
    # the lead still gets them, for their village only
    lead = {"Authorization": f"Bearer {lead_token}"}
    assert client.get("/api/v1/indicators", headers=lead).status_code == 200
    assert client.get("/api/v1/indicators?village_id=thon-9", headers=lead).status_code == 403


# ------------------------------------------------------------------ lone surrogates

@pytest.mark.parametrize("text", ["\ud800", "An\udfff", "\ude00\ud83d", "x\udc80y"])
def test_lone_surrogates_are_refused_by_the_text_rule(text):
    _, errors = validate_data("household", {"head_name": text})
    assert "head_name" in errors, errors


def test_a_real_astral_character_is_still_fine():
    clean, errors = validate_data("household", {"head_name": "Nguyễn 😀"})
    assert "head_name" not in errors and clean.get("head_name", "Nguyễn 😀") == "Nguyễn 😀"


def test_lone_surrogate_in_api_records_is_a_400_not_a_500(client, api_token):
    body = ('{"records": [{"id": "00000000-0000-4000-8000-000000000001", "type": "household", '
            '"village_id": "thon-3", "data": {"head_name": "A\\ud800"}}]}')
    answer = client.post("/api/v1/records", data=body, content_type="application/json",
                         headers={"Authorization": f"Bearer {api_token}"})
    assert answer.status_code in (400, 422)
    assert "error" in answer.json or all(r["status"] == "rejected"
                                          for r in answer.json["results"])
