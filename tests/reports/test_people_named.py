"""People are named as the team roster names them, not by their login, also on figures
of a date before their roster record was written."""
import datetime

from fieldapp.indicators.volunteers import volunteer_stats
from tests.support.factories import household, roster_member, visit
from tests.support.pages import login_page
from tests.support import factories

D = datetime.date


def test_volunteer_figures_of_an_earlier_date_use_todays_roster_name(site):
    home = household(author="minh")
    site.store.submit([home, visit(home["id"], day=D(2025, 7, 26), author="minh")])
    roster_member(site, "minh", "Hoàng Kim Thảo")       # written today, after the visit
    rows = volunteer_stats(site.store.histories(), D(2025, 7, 31))
    assert [(r["author"], r["name"]) for r in rows] == [("minh", "Hoàng Kim Thảo")]


def test_the_village_dashboard_names_the_volunteer_with_the_login_in_small(client, site):
    home = household(author="minh")
    site.store.submit([home, visit(home["id"], day=D(2025, 7, 26), author="minh")])
    roster_member(site, "minh", "Hoàng Kim Thảo")
    assert login_page(client, "lan", factories.LEAD_PIN).status_code == 302
    page = client.get("/village/dashboard?as_of=2025-08-01").get_data(as_text=True)
    assert "<span>Hoàng Kim Thảo</span> <small>(minh)</small>" in page
