"""Every page of the access table, as each role may open it: the walk that the markup
test (Flask client) and the axe test (Chromium) share.

A page is a GET route of the table, outside the API, that answers HTML to that role;
downloads (CSV, PDF, sealed files) are left out by their content type, not by name, so
a new page is walked as soon as it is in the table. A URL naming a file (`report.pdf`,
`annex.xlsx`) is not asked for at all: making the PDFs for every role was nine tenths of
the walk's time, and tests/web/test_access.py opens each of them."""
import datetime
import posixpath

from fieldapp import create_app
from fieldapp.auth.accounts import get_user, session_stamp
from fieldapp.auth.cards import create_card
from fieldapp.guide_texts import GUIDES
from fieldapp.forms.versions import base_of
from tests.support import factories as f
from tests.support.access_table import A, L, OPEN, S, TABLE, V
from tests.support.commune import VILLAGES, seed

__all__ = ["village_for_pages", "commune_for_pages", "ROLES", "SECRETS", "page_urls",
           "html_pages", "sign_in"]

ROLES = {"village": {"anonymous": None, V: "minh", L: "lan", A: "quantri"},
         "commune": {"anonymous": None, S: "canbo", A: "quantri"}}
SECRETS = {"minh": f.VOL_PIN, "lan": f.LEAD_PIN, "quantri": f.PASSWORD, "canbo": f.PASSWORD}
NOT_PAGES = ("api.", "static", "healthz")


def _fork(home, village_id):
    """Two heads of one household, each changed on its own phone."""
    sides = []
    for minute, device, note in ((5, "ph-lan", "Cổng xanh"), (9, "ph-minh", "Nhà có người già")):
        sides.append(dict(home, updated_at=f.stamp(f.START, 11, minute), device_id=device,
                          base=base_of(home), data=dict(home["data"], note=note)))
    return sides


def village_for_pages(path):
    """A village site with a household, its people and visits, a fork and a card;
    returns (site, {URL argument: value})."""
    site = f.village_site(path, quick_hashes=True)
    home = f.household("Đặng Công Anh")
    person = f.person(home["id"])
    site.store.submit([home, person, f.visit(home["id"]), f.survey(household_id=home["id"])])
    site.store.submit(_fork(home, "thon-3"))
    card, _ = create_card(site, "minh", "lan")
    return site, {"record_id": person["id"], "household_id": home["id"],
                  "card_id": card["id"], "username": "minh", "village_id": "thon-3"}


def commune_for_pages(path):
    """A commune site of two villages with data and a fork between two laptops."""
    site = f.commune_site(path, villages=VILLAGES, quick_hashes=True)
    seed(site)
    home = f.household("Đỗ Thị Hoa", village_id="thon-1")
    site.store.submit([home], partition="site-1")
    edit = dict(home, updated_at=f.stamp(datetime.date(2025, 8, 9)), device_id="ph-x",
                data=dict(home["data"], phone="0987654321", consent=f.consent()))
    site.store.submit([edit], partition="site-2")
    return site, {"username": "canbo", "village_id": "thon-1"}


def _urls(rule, values):
    """Concrete URLs of one rule (a record form once per record type)."""
    if rule.endpoint == "village.new_record":
        home = values["household_id"]
        return ["/records/new/household"] + [
            f"/records/new/{kind}?household_id={home}" for kind in ("person", "visit", "survey")]
    if rule.endpoint == "guides.guide":
        return ["/guides/" + GUIDES[0].slug]
    url = rule.rule
    for name in rule.arguments:
        if name not in values:
            return []
        url = url.replace(f"<{name}>", values[name])
    return [url]


def page_urls(app, kind, role, values):
    """The URLs of the GET routes the table lets `role` open on a `kind` site."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint.startswith(NOT_PAGES):
            continue
        allowed = TABLE[rule.endpoint][0 if kind == "village" else 1]
        if allowed == OPEN or role in allowed:
            found += _urls(rule, values)
    return found


def sign_in(client, site, username):
    """Open a session for `username` on a Flask test client (None: stay anonymous)."""
    if username:
        with client.session_transaction() as session:
            session["username"] = username
            session["stamp"] = session_stamp(get_user(site, username))
    return client


def html_pages(site, values):
    """{(role, url): HTML text} of every page each role of the site may open."""
    app = create_app({"DATA_DIR": site.data_dir, "TESTING": True})
    pages = {}
    for role, username in ROLES[site.kind].items():
        client = sign_in(app.test_client(), site, username)
        for url in page_urls(app, site.kind, role, values):
            if posixpath.splitext(url.split("?")[0])[1]:
                continue
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                pages[role, url] = response.get_data(as_text=True)
            response.close()
    return pages
