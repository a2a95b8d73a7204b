"""A commune of two villages for page tests: its fixtures (`commune`, `client`, `staff`),
its seeded records and a page's visible text. Test modules import the fixtures by name."""
import datetime
import html
import re

import pytest

from fieldapp import create_app
from fieldapp.auth.accounts import get_user, session_stamp
from tests.support import factories as f

D = datetime.date
VILLAGES = (("thon-1", "Thôn 1", 10), ("thon-2", "Thôn 2", None))


def page_text(response):
    """The visible text of a page, tags stripped, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def card(response, label):
    """The text of the indicator card whose label is `label`."""
    body = response.get_data(as_text=True)
    cards = body.split('<ul class="indicators commune-cards">', 1)[1].split("</ul>", 1)[0]
    for item in cards.split("<li ")[1:]:
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
        if text.startswith(label.split(">", 1)[-1]) or label in text:
            return text
    raise AssertionError(f"no card {label}")


@pytest.fixture
def commune(site_templates, tmp_path):
    """The commune of VILLAGES, a copy of one built once (see conftest.SiteTemplates)."""
    site = site_templates.copy(tmp_path / "commune", f.commune_site, villages=VILLAGES,
                               quick_hashes=True)
    yield site
    site.close()


@pytest.fixture
def client(commune):
    return create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()


def sign_in(client, username):
    """Sign a test client in without the page (the login page is tested elsewhere)."""
    user = get_user(get_site_of(client), username)
    with client.session_transaction() as session:
        session["username"], session["stamp"] = username, session_stamp(user)
    return client


def get_site_of(client):
    return client.application.extensions["fieldapp_site"]


@pytest.fixture
def staff(client):
    return sign_in(client, "canbo")


def seed(commune):
    """Two villages, with a change in week 4. Returns nothing; the tests do the arithmetic."""
    p1, p2, p4 = D(2025, 7, 26), D(2025, 8, 2), D(2025, 8, 18)
    h1 = f.household(village_id="thon-1", day=p1)
    h2 = f.household(village_id="thon-1", day=p1, head="Lê Văn Cường")
    h3 = f.household(village_id="thon-2", day=p1, head="Phạm Thị Dung")
    late = f.person(h3["id"], birth_year=1970, online=False, village_id="thon-2", day=p1)
    late_online = dict(late, updated_at=f.stamp(p4), data=dict(late["data"],
                                                                uses_online_services=True))
    village_1 = [
        h1, h2,
        f.person(h1["id"], birth_year=1980, online=True, vneid="level2", bank_account=True,
                 village_id="thon-1", day=p1),
        f.person(h1["id"], birth_year=1990, village_id="thon-1", day=p1),
        f.person(h2["id"], birth_year=2015, online=True, village_id="thon-1", day=p1),
        f.visit(h1["id"], village_id="thon-1", day=p1, author="an"),
        f.visit(h2["id"], outcome="absent", village_id="thon-1", day=p2, author="an"),
        f.survey(rating=5, village_id="thon-1", day=p2, author="an"),
        f.survey(rating=2, area="land", village_id="thon-1", day=p2, author="an"),
    ]
    village_2 = [
        h3,
        f.person(h3["id"], birth_year=1960, online=True, vneid="level2", village_id="thon-2",
                 day=p2, author="binh", device_id="ph-binh"),
        late,
        f.visit(h3["id"], village_id="thon-2", day=p2, author="binh", device_id="ph-binh"),
    ]
    commune.store.submit(village_1, partition="site-1")
    commune.store.submit(village_2 + [late_online], partition="site-2")
