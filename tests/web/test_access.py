"""The access control table: every route of the URL map, on a village site and on a
commune site, for anonymous, volunteer, lead, staff, admin and a lead of another village.

The table below says who may use each endpoint on each kind of site. A route that is not
in it fails the test, so nobody can add a route without deciding who may use it. Pages
are driven with a session (as a browser is) and, for POST, a valid CSRF token; API routes
with a bearer token. Every refused request must leave the data directory byte for byte as
it was; every POST without a CSRF token to a page is refused with 400 and changes nothing.
Hostile names (markup, quotes, RTL override, very long strings) are shown escaped.
"""
import hashlib
import html
import os
import re

import pytest

from fieldapp import create_app
from fieldapp.auth.accounts import add_user, get_user, issue_token, session_stamp
from fieldapp.auth.cards import create_card
from fieldapp.site import init_site
from fieldapp.site import Site
from tests.support import factories
from tests.support.pages import csrf_token

from tests.support.access_table import A, L, OPEN, S, TABLE, V

# endpoints whose URL names a record, a person or a card of one village: the lead of
# another village must be refused there (403, or 404 that says nothing about it)
VILLAGE_SCOPED = {"village.household", "village.edit_record", "village.delete_record",
                  "village.new_record", "team.volunteer_action", "round.revoke_card",
                  "api.indicators", "conflicts.resolve"}

HOSTILE = ['<script>alert("x")</script>', "Ông \"Ba\" & 'Tư' <b>", "Trần &amp; Văn Gạ &lt;i&gt;",
           "<img src=x onerror=alert(1)>"]


def _tree(data_dir):
    """{relative path: sha256} of every file under a data directory."""
    found = {}
    for root, _, files in os.walk(data_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, data_dir)] = hashlib.sha256(handle.read()).hexdigest()
    return found


class World:
    """A site, its app, one test client per role (signed in through the session), bearer
    tokens made on demand, and the ids the URLs need."""

    def __init__(self, site, roles, ids):
        self.site, self.ids = site, ids
        self.app = create_app({"DATA_DIR": site.data_dir, "TESTING": True})
        self.users = roles                       # role name -> username (None: anonymous)
        self.clients = {role: self.app.test_client() for role in roles}
        for role in roles:
            self.sign_in(role)

    def sign_in(self, role):
        """(Re)open the role's session, e.g. after a POST /logout ended it."""
        username = self.users[role]
        if username:
            stamp = session_stamp(get_user(self.site, username))
            with self.clients[role].session_transaction() as session:
                session["username"], session["stamp"] = username, stamp

    def token(self, role):
        username = self.users[role]
        return issue_token(self.site, get_user(self.site, username)) if username else None


@pytest.fixture(scope="module")
def village_world(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("access") / "village")
    init_site(path, "village", factories.COMMUNE,
              [{"id": "thon-3", "name": "Thôn 3", "adult_population": None, "targets": {}},
               {"id": "thon-4", "name": "Thôn 4", "adult_population": None, "targets": {}}],
              factories.START, factories.END)
    site = Site(path)
    add_user(site, "lan", "lead", factories.LEAD_PIN, "thon-3")
    add_user(site, "minh", "volunteer", factories.VOL_PIN, "thon-3")
    add_user(site, "tam", "volunteer", "517293", "thon-3")
    add_user(site, "hoa", "lead", "864213", "thon-4")
    add_user(site, "quantri", "admin", factories.PASSWORD)
    home = factories.household(HOSTILE[0])
    person = factories.person(home["id"], name=HOSTILE[1])
    doomed = factories.survey(household_id=home["id"])
    home4 = factories.household("Lò Văn Bốn", village_id="thon-4", author="hoa")
    site.store.submit([home, person, doomed, home4])
    card, _ = create_card(site, "tam", "lan")
    ids = {"record_id": home["id"], "delete_id": doomed["id"], "card_id": card["id"],
           "home4": home4["id"]}
    return World(site, {"anonymous": None, V: "minh", L: "lan", A: "quantri",
                        "other_lead": "hoa"}, ids)


@pytest.fixture(scope="module")
def commune_world(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("access") / "commune")
    site = factories.commune_site(path, villages=(("thon-3", "Thôn 3", None),
                                                  ("thon-4", "Thôn 4", None)))
    add_user(site, "canbo2", "staff", factories.PASSWORD)
    return World(site, {"anonymous": None, S: "canbo", A: "quantri"}, {})


def _url(world, rule):
    """A concrete URL for a rule, naming real things of the world where it can."""
    ids = world.ids
    values = {"record_id": ids.get("record_id", "nothing"), "record_type": "person",
              "username": "tam" if world.site.kind == "village" else "canbo2",
              "action": "enable", "card_id": ids.get("card_id", "nothing"),
              "site_id": "0" * 8, "token_id": "1", "village_id": "thon-3",
              "slug": "nothing", "filename": "app.css", "code": "25264"}
    endpoint = rule.endpoint
    if endpoint == "village.delete_record":
        values["record_id"] = ids.get("delete_id", "nothing")
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(r"<(?:[a-z]+:)?" + name + ">", values[name], url)
    if endpoint == "village.new_record":
        url += f"?household_id={ids.get('record_id', 'nothing')}"
    if endpoint == "api.indicators":
        url += "?village_id=thon-3"
    if endpoint == "guides.guide":
        from fieldapp.guide_texts import GUIDES
        url = "/guides/" + GUIDES[0].slug
    return url


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _call(world, role, method, url, api, csrf=True, token=None):
    client = world.clients[role]
    world.sign_in(role)
    if api:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "GET":
            return client.get(url, headers=headers)
        return client.post(url, json={}, headers=headers)
    if method == "GET":
        return client.get(url)
    data = {"csrf_token": csrf_token(client, "/login")} if csrf else {}
    return client.post(url, data=data)


def _refused(response):
    """Refused: sent to sign in, 401, 403 or 404."""
    if response.status_code == 302:
        return "/login" in response.headers["Location"]
    return response.status_code in (401, 403, 404)


def _site_refused(response):
    """The answer of a page or API that does not exist on this kind of site."""
    text = response.get_data().decode("utf-8", "replace")
    return response.status_code == 404 and (
        "Trang này không có ở máy này" in text or "không phải máy của xã" in text)


def _role_allowed(allowed, role):
    if allowed == OPEN:
        return True
    return (L if role == "other_lead" else role) in allowed


def _check_world(world, column):
    rules = list(world.app.url_map.iter_rules())
    missing = sorted({r.endpoint for r in rules} - set(TABLE))
    assert not missing, f"routes with no access rule in TABLE: {missing}"
    problems = []
    for rule in sorted(rules, key=lambda r: r.endpoint):
        allowed = TABLE[rule.endpoint][column]
        api = rule.rule.startswith("/api/")
        url = _url(world, rule)
        # refused roles first: an allowed POST may change what the URL names
        order = sorted(world.clients, key=lambda role: _role_allowed(allowed, role))
        for method in _methods(rule):
            for role in order:
                token = world.token(role) if api else None
                before = _tree(world.site.data_dir)
                response = _call(world, role, method, url, api, token=token)
                response.close()
                where = f"{world.site.kind} {role} {method} {url} -> {response.status_code}"
                if response.status_code >= 500:
                    problems.append(f"server error: {where}")
                    continue
                scoped = role == "other_lead" and rule.endpoint in VILLAGE_SCOPED
                if allowed == OPEN:
                    continue            # anyone: only a server error would be wrong
                if _role_allowed(allowed, role) and not scoped:
                    if _refused(response) and (response.status_code != 404
                                               or _site_refused(response)):
                        problems.append(f"refused but allowed: {where}")
                    if response.status_code == 400 and \
                            b"Phi\xc3\xaan bi\xe1\xbb\x83u m\xe1\xba\xabu" in response.get_data():
                        problems.append(f"CSRF refused with a valid token: {where}")
                else:
                    if not _refused(response):
                        problems.append(f"not refused: {where}")
                    if scoped and response.status_code not in (403, 404):
                        problems.append(f"wrong village not 403/404: {where}")
                    if _tree(world.site.data_dir) != before:
                        problems.append(f"refused request changed stored data: {where}")
    assert not problems, "\n".join(problems)


def test_village_site_access_table(village_world):
    _check_world(village_world, 0)


def test_commune_site_access_table(commune_world):
    _check_world(commune_world, 1)


def test_table_has_no_stale_entries(village_world, commune_world):
    endpoints = {r.endpoint for r in village_world.app.url_map.iter_rules()} | \
        {r.endpoint for r in commune_world.app.url_map.iter_rules()}
    assert set(TABLE) <= endpoints, sorted(set(TABLE) - endpoints)


@pytest.mark.parametrize("kind", ["village", "commune"])
def test_every_page_post_without_csrf_is_refused(kind, village_world, commune_world):
    """Each state-changing page route, for every role: no CSRF token → 400, no change."""
    world = village_world if kind == "village" else commune_world
    checked = 0
    for rule in world.app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        url = _url(world, rule)
        for role in world.clients:
            before = _tree(world.site.data_dir)
            response = _call(world, role, "POST", url, api=False, csrf=False)
            assert response.status_code == 400, (role, url, response.status_code)
            assert "Phiên biểu mẫu" in response.get_data(as_text=True), (role, url)
            assert _tree(world.site.data_dir) == before, (role, url)
            checked += 1
    assert checked >= (10 if kind == "village" else 8)


def test_api_does_not_accept_the_session_cookie(village_world):
    """API routes skip CSRF because they only trust bearer tokens: a browser session
    (which a hostile page could ride) must not sign an API call in."""
    client = village_world.clients[L]
    before = _tree(village_world.site.data_dir)
    for rule in village_world.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or TABLE[rule.endpoint][0] == OPEN:
            continue
        url = _url(village_world, rule)
        for method in _methods(rule):
            response = client.open(url, method=method, json={} if method == "POST" else None)
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json["error"]["code"] == "not_signed_in"
    assert _tree(village_world.site.data_dir) == before


def test_other_village_lead_sees_none_of_thon_3(village_world):
    """Lists are filtered too: thon-4's lead gets thon-4 only, from pages and the API."""
    world = village_world
    token = world.token("other_lead")
    client = world.clients["other_lead"]
    pulled = client.get("/api/v1/records", headers={"Authorization": f"Bearer {token}"}).json
    assert {v["village_id"] for v in pulled["records"]} == {"thon-4"}
    page = client.get("/households").get_data(as_text=True)
    assert "Lò Văn Bốn" in page
    assert "alert" not in page and world.ids["record_id"] not in page
    response = client.get(f"/households/{world.ids['home4']}")
    assert response.status_code == 200


# ------------------------------------------------------------------ escaping

def _assert_escaped(text, name):
    """`name` does not appear raw (when it has markup) and appears escaped."""
    if any(c in name for c in "<>\"'&"):
        assert name not in text
    escaped = html.escape(name, quote=False)
    assert escaped in text or html.escape(name) in text or \
        escaped.replace("'", "&#39;").replace('"', "&#34;") in text, name


def test_hostile_names_escaped_on_village_pages(site_templates, tmp_path):
    site = site_templates.copy(tmp_path / "v", factories.village_site)
    homes = [factories.household(name) for name in HOSTILE]
    people = [factories.person(homes[0]["id"], name=name) for name in HOSTILE]
    site.store.submit(homes + people)
    from fieldapp.forms.versions import make_version, member_record_id
    site.store.submit([make_version("member", "thon-3", {
        "full_name": HOSTILE[0], "username": "minh", "role": "volunteer", "active": True},
        "lan", "web-lan", record_id=member_record_id(site.settings["site_id"], "minh"))])
    app = create_app({"DATA_DIR": site.data_dir, "TESTING": True})
    lead = app.test_client()
    with lead.session_transaction() as session:
        session["username"], session["stamp"] = "lan", session_stamp(get_user(site, "lan"))
    pages = {"/households": HOSTILE, f"/households/{homes[0]['id']}": HOSTILE,
             "/households?q=" + "<script>": [], "/volunteers": [HOSTILE[0]],
             "/village/dashboard": []}
    for path, names in pages.items():
        response = lead.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script>alert" not in text and "<img src=x" not in text, path
        for name in names:
            _assert_escaped(text, name)
    # the search term is echoed escaped
    text = lead.get("/households?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text


def test_ten_thousand_characters_refused_clearly(site_templates, tmp_path):
    site = site_templates.copy(tmp_path / "v", factories.village_site)
    app = create_app({"DATA_DIR": site.data_dir, "TESTING": True})
    client = app.test_client()
    token = client.post("/api/v1/login", json={"username": "minh",
                                               "secret": factories.VOL_PIN}).json["token"]
    before = _tree(site.data_dir)
    long = "Ư" * 10_000
    answer = client.post("/api/v1/records", json={"records": [factories.household(long)]},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    result = answer.json["results"][0]
    assert result["status"] == "rejected" and "data.head_name" in result["errors"]
    assert _tree(site.data_dir) == before
    # a page form and a search with 10,000 characters: clear answers, nothing stored
    with client.session_transaction() as session:
        session["username"], session["stamp"] = "minh", session_stamp(get_user(site, "minh"))
    response = client.post("/records/new/household", data={
        "csrf_token": csrf_token(client, "/records/new/household"), "head_name": long,
        "address": long})
    assert response.status_code == 422
    assert "dài quá" in response.get_data(as_text=True)
    response = client.get("/households?q=" + "<" * 10_000)
    assert response.status_code == 200
    assert "&lt;" * 100 in response.get_data(as_text=True)      # echoed escaped, cut at 100
    assert "&lt;" * 101 not in response.get_data(as_text=True)
    assert _tree(site.data_dir) == before
    # a 10,000-character username at the login page and the API: refused, no 500
    answer = client.post("/api/v1/login", json={"username": long, "secret": long})
    assert answer.status_code == 413 and answer.json["error"]["code"] == "too_large"


def test_hostile_names_escaped_on_commune_pages(site_templates, tmp_path):
    from sync.export import export_batch
    from sync.transfer import import_batch
    from tests.support.batches import import_approved
    village = site_templates.copy(tmp_path / "v", factories.village_site)
    other = factories.village_site(tmp_path / "v2", users=False)
    commune = site_templates.copy(tmp_path / "c", factories.commune_site)
    home = factories.household(HOSTILE[0])
    village.store.submit([home, factories.visit(home["id"])])
    village.store.submit([factories.person(home["id"], name=name) for name in HOSTILE])
    # the same household edited elsewhere: a competing edit the conflicts page lists
    rival = dict(home, data=dict(home["data"], head_name=HOSTILE[2]),
                 updated_at=factories.stamp(factories.START, 11), device_id="ph-x")
    other.store.submit([rival])
    import_batch(commune, export_batch(village, all_versions=True))
    import_approved(commune, export_batch(other, all_versions=True))   # a second laptop
    app = create_app({"DATA_DIR": commune.data_dir, "TESTING": True})
    staff = app.test_client()
    with staff.session_transaction() as session:
        session["username"], session["stamp"] = "canbo", session_stamp(get_user(commune, "canbo"))
    for path in ("/commune/", "/commune/conflicts", "/commune/commendations",
                 "/commune/villages", "/commune/batches"):
        response = staff.get(path)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "<script>alert" not in text and "<img src=x" not in text, path
    text = staff.get("/commune/conflicts").get_data(as_text=True)
    assert home["id"][:8] in text or html.escape(HOSTILE[0], quote=False) in text



# ------------------------------------------------------------------ RTL override

BIDI_JS = """() => {
  // text runs (without an override of their own) drawn right to left on one line
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), bad = [];
  let node;
  while ((node = walker.nextNode())) {
    const text = node.data;
    if (text.includes("\u202e") || !/[0-9A-Za-z]{2}/.test(text)) continue;
    let last = null;
    for (let i = 0; i < text.length; i++) {
      if (!/[0-9A-Za-z]/.test(text[i])) { last = null; continue; }
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const box = range.getBoundingClientRect();
      if (last && Math.abs(box.top - last.top) < 2 && box.left < last.left) {
        bad.push(text.trim().slice(0, 40)); break;
      }
      last = box;
    }
  }
  return bad;
}"""


@pytest.mark.browser
def test_an_rtl_override_in_a_name_does_not_reverse_the_page(site, live_server):
    """A name holding U+202E (RIGHT-TO-LEFT OVERRIDE) must not turn the text after it
    around (a birth year "1980" read as "0891"): no run of Latin letters or digits on the
    pages that show names is drawn right to left."""
    import shutil
    from playwright.sync_api import sync_playwright
    from fieldapp.forms.versions import make_version, member_record_id
    home = factories.household("Nhà \u202eAn")
    site.store.submit([home, factories.person(home["id"], name="\u202eTrần Văn Gạ",
                                              birth_year=1980),
                       factories.visit(home["id"])])
    site.store.submit([make_version("member", "thon-3", {
        "full_name": "\u202eLê Thị Tổ", "username": "minh", "role": "volunteer",
        "active": True}, "lan", "web-lan",
        record_id=member_record_id(site.settings["site_id"], "minh"))])
    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
            page.goto(live_server.url + "/login")
            page.fill("input[name=username]", "lan")
            page.fill("input[name=secret]", factories.LEAD_PIN)
            page.click("button[type=submit]")
            for path in ("/households", f"/households/{home['id']}", "/volunteers",
                         f"/records/new/visit?household_id={home['id']}",
                         f"/records/{home['id']}/edit", "/village/dashboard"):
                page.goto(live_server.url + path)
                found[path] = page.evaluate(BIDI_JS)
        finally:
            browser.close()
    assert found and not any(found.values()), found
