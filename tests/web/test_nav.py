"""The navigation bar: every tab opens for the roles it is shown to, and the lead's pages
(among them the one-time login cards) are reachable from it."""
import re

import pytest

from fieldapp import create_app
from fieldapp.views.nav import NAV
from tests.support import factories
from tests.support.pages import login_page
from tests.support.access_table import OPEN, PROVINCE, TABLE

KINDS = {"village": 0, "commune": 1}


def tabs(client, path):
    """[(href, label)] of the nav bar of a page."""
    page = client.get(path).get_data(as_text=True)
    bar = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', page, re.S).group(1)
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', bar)


@pytest.mark.parametrize("endpoint,label,roles,kind", NAV)
def test_every_tab_is_shown_only_to_roles_that_may_open_it(endpoint, label, roles, kind):
    assert endpoint in TABLE, f"{endpoint} is in the nav but not in the access table"
    for site_kind in ([kind] if kind else list(KINDS)):
        allowed = PROVINCE[endpoint] if site_kind == "province" else \
            TABLE[endpoint][KINDS[site_kind]]
        if allowed != OPEN:
            assert set(roles) <= set(allowed), (endpoint, site_kind, roles, allowed)


def test_the_lead_reaches_the_login_cards_from_the_nav(site):
    lead = create_app({"DATA_DIR": site.data_dir}).test_client()
    assert login_page(lead, "lan", factories.LEAD_PIN).status_code == 302
    bar = tabs(lead, "/households")
    assert ("/round/cards", "Thẻ đăng nhập") in bar
    # between the team and the export, as the lead's work goes
    hrefs = [href for href, _ in bar]
    assert hrefs.index("/volunteers") < hrefs.index("/round/cards") < hrefs.index("/export")
    page = lead.get("/round/cards").get_data(as_text=True)
    assert '<a href="/round/cards" aria-current="page">Thẻ đăng nhập</a>' in page


def test_volunteers_and_the_commune_do_not_get_the_card_tab(site_templates, site, tmp_path):
    volunteer = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(volunteer, "minh", factories.VOL_PIN)
    assert "/round/cards" not in dict(tabs(volunteer, "/households"))
    assert volunteer.get("/round/cards").status_code == 403
    commune = site_templates.copy(tmp_path / "xa", factories.commune_site)
    staff = create_app({"DATA_DIR": commune.data_dir}).test_client()
    login_page(staff, "canbo", factories.PASSWORD)
    assert "/round/cards" not in dict(tabs(staff, "/commune/import"))
