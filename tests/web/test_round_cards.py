"""One-time QR login cards and the round page shell, without a browser."""
import concurrent.futures
import datetime
import os
import re

import pytest

import fieldapp
from tinydb import Query

from fieldapp.auth import accounts as auth
from fieldapp.auth import cards
from fieldapp.forms.errors import Invalid
from tests.support.pages import csrf_token, login_page
from tests.support.factories import LEAD_PIN, VOL_PIN


def redeem(client, code):
    return client.post("/api/v1/login/card", json={"code": code})


def test_a_card_signs_in_once_then_is_refused(client, site):
    row, code = cards.create_card(site, "minh", "lan")
    first = redeem(client, code)
    assert first.status_code == 200, first.json
    assert first.json["user"] == {"username": "minh", "role": "volunteer", "village_id": "thon-3",
                                  "name": "minh"}
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + first.json["token"]})
    assert me.status_code == 200 and me.json["user"]["username"] == "minh"
    again = redeem(client, code)
    assert again.status_code == 401
    assert again.json["error"]["code"] == "not_signed_in"
    assert "đã dùng" in again.json["error"]["message"]
    assert cards.list_cards(site)[0]["status"] == "used"


def test_only_the_hash_of_a_card_is_stored(client, site):
    _, code = cards.create_card(site, "minh", "lan")
    with open(os.path.join(site.data_dir, "meta.json"), encoding="utf-8") as handle:
        stored = handle.read()
    assert code not in stored
    assert all("hash" not in row for row in cards.list_cards(site))


def test_revoked_expired_and_disabled_cards_are_refused(client, site):
    _, revoked = cards.create_card(site, "minh", "lan")
    row = cards.list_cards(site)[0]
    cards.revoke_card(site, row["id"], auth.get_user(site, "lan"))
    assert redeem(client, revoked).status_code == 401

    _, expired = cards.create_card(site, "minh", "lan")
    past = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)).isoformat()
    with site.meta_lock:
        site.table("login_cards").update({"expires_at": past}, Query().used_at == None)  # noqa: E711
    assert redeem(client, expired).status_code == 401

    _, disabled = cards.create_card(site, "minh", "lan")
    auth.set_active(site, "minh", False)
    assert redeem(client, disabled).status_code == 401
    with pytest.raises(Invalid, match="đang bị khóa"):
        cards.create_card(site, "minh", "lan")


@pytest.mark.parametrize("body", [None, [], {"code": 5}, {"code": ""}, {"code": "x" * 500},
                                  {"code": "short"}, {"nope": 1}])
def test_bad_card_bodies_get_the_json_error_shape(client, site, body):
    response = client.post("/api/v1/login/card", data="{" if body is None else None,
                           json=body if body is not None else None,
                           content_type="application/json")
    assert response.status_code in (400, 401)
    assert set(response.json["error"]) == {"code", "message", "details"}
    with site.meta_lock:
        assert site.table("tokens").all() == []


def test_two_phones_racing_with_one_card_get_one_token(live_server, site):
    _, code = cards.create_card(site, "minh", "lan")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: live_server.request(
            "POST", "/api/v1/login/card", {"code": code}), range(8)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [401] * 7, answers
    with site.meta_lock:
        assert len(site.table("tokens").all()) == 1
    # The server's own output never holds the code (it travels in a URL fragment anyway).
    assert code not in live_server.output()


@pytest.fixture
def lead(client):
    assert login_page(client, "lan", LEAD_PIN).status_code == 302
    return client


def test_the_lead_makes_a_card_shown_once_as_a_qr_code(lead, site):
    token = csrf_token(lead, "/round/cards")
    page = lead.post("/round/cards", data={"csrf_token": token, "username": "minh"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'<img class="qr" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    assert "Thẻ của minh" in html
    listed = cards.list_cards(site, "thon-3")
    assert [(c["username"], c["status"], c["made_by"]) for c in listed] == [("minh", "unused", "lan")]
    again = lead.get("/round/cards").get_data(as_text=True)
    assert "data:image/svg" not in again and "Chưa dùng" in again


def test_the_card_maker_names_people_with_the_login_in_small(lead, site):
    from tests.support.factories import roster_member
    roster_member(site, "minh", "Hoàng Kim Thảo")
    roster_member(site, "lan", "Lò Thị Lan", role="lead")
    form = lead.get("/round/cards").get_data(as_text=True)
    assert re.search(r'<option value="minh">Hoàng Kim Thảo \(minh\)</option>', form)
    token = csrf_token(lead, "/round/cards")
    html = lead.post("/round/cards", data={"csrf_token": token, "username": "minh"}) \
        .get_data(as_text=True)
    assert "Thẻ của Hoàng Kim Thảo" in html and "Thẻ của minh" not in html
    assert "<small>Tên đăng nhập: minh</small>" in html
    assert "bởi Lò Thị Lan" in html and "Thu hồi thẻ của Hoàng Kim Thảo" in html


def test_the_lead_revokes_a_card_with_csrf(lead, site, client):
    _, code = cards.create_card(site, "minh", "lan")
    card_id = cards.list_cards(site)[0]["id"]
    assert lead.post(f"/round/cards/{card_id}/revoke").status_code == 400
    assert cards.list_cards(site)[0]["status"] == "unused"
    token = csrf_token(lead, "/round/cards")
    response = lead.post(f"/round/cards/{card_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert cards.list_cards(site)[0]["status"] == "revoked"
    assert redeem(client, code).status_code == 401
    missing = lead.post("/round/cards/nope/revoke", data={"csrf_token": token})
    assert missing.status_code == 404


def test_cards_only_for_active_members_of_the_village(lead, site):
    token = csrf_token(lead, "/round/cards")
    for username in ("quantri", "nobody", ""):
        response = lead.post("/round/cards", data={"csrf_token": token, "username": username})
        assert response.status_code == 422
    assert cards.list_cards(site) == []


def test_volunteers_and_strangers_cannot_manage_cards(client, site):
    assert client.get("/round/cards").status_code == 302
    assert login_page(client, "minh", VOL_PIN).status_code == 302
    assert client.get("/round/cards").status_code == 403


def test_the_round_page_is_a_light_shell_without_inline_code(client, site):
    response = client.get("/round")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert [attrs for attrs, body in scripts if body.strip() and "application/json" not in attrs] == []
    assert " style=" not in html and "<style" not in html
    assert '"phone_pattern"' in html and "Thôn 3" in html
    assert len(response.data) < 10_000


def round_assets(client, html):
    """{path: bytes} of every file the round page loads: its links and scripts, and the
    modules those import, followed from import to import."""
    todo = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    got = {}
    while todo:
        path = todo.pop()
        if path in got:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        got[path] = response.data
        response.close()
        if path.endswith(".js"):
            folder = path.rsplit("/", 1)[0]
            imports = re.findall(r"^import [^;]*? from '\./([\w-]+\.js)';$", got[path].decode(),
                                 re.M)
            todo += [f"{folder}/{name}" for name in imports]
    return got


def test_everything_the_round_page_loads_weighs_under_50_kb(client, site):
    html = client.get("/round").get_data(as_text=True)
    assets = round_assets(client, html)
    assert sorted(assets) == ["/round/app.js", "/static/round.css"]
    total = len(html.encode()) + sum(map(len, assets.values()))
    assert total <= 50 * 1024


def test_every_module_of_the_round_app_is_loaded_at_start(client, site):
    """No service worker can keep files on a plain-http LAN (no secure context), so the
    app works offline only with what it loaded while the laptop answered: no module may
    be fetched later (a dynamic import() would fail out of Wi-Fi range)."""
    assets = round_assets(client, client.get("/round").get_data(as_text=True))
    scripts = {path: data.decode() for path, data in assets.items() if path.endswith(".js")}
    assert list(scripts) == ["/round/app.js"]
    script = scripts["/round/app.js"]
    assert not re.search(r"\bimport\s*\(", script)
    assert not re.search(r"^import\b", script, re.M)
    on_disk = os.listdir(os.path.join(os.path.dirname(fieldapp.__file__), "static", "round"))
    assert sorted(re.findall(r"^/\* ([\w-]+\.js) \*/$", script, re.M)) == sorted(on_disk)
