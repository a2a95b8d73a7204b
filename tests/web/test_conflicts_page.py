"""The lead's conflicts page: a fork of two phones shown side by side, and kept once."""
import re

import pytest

from fieldapp.forms.versions import base_of, forks
from tests.support.factories import LEAD_PIN, household
from tests.support.pages import csrf_token, login_page


@pytest.fixture
def forked(site):
    """Household Đặng Công Anh, its note changed differently on two phones."""
    home = household(head="Đặng Công Anh")
    lan = dict(home, updated_at="2025-07-26T09:00:00.000Z", device_id="ph-lan", author="lan",
               base=base_of(home), data=dict(home["data"], note="Cổng xanh"))
    minh = dict(home, updated_at="2025-07-26T09:05:00.000Z", base=base_of(home),
                data=dict(home["data"], note="Nhà có người già"))
    site.store.submit([home, lan, minh])
    return home, lan, minh


def test_the_lead_sees_both_sides_and_keeping_one_closes_the_fork(client, site, forked):
    home, lan, minh = forked
    assert login_page(client, "lan", LEAD_PIN).status_code == 302
    page = client.get("/conflicts").get_data(as_text=True)
    assert "Đặng Công Anh" in page and "Cổng xanh" in page and "Nhà có người già" in page
    assert page.count("Giữ bản này") == 2
    answer = client.post(f"/conflicts/{home['id']}/keep", data={
        "csrf_token": csrf_token(client, "/conflicts"),
        "updated_at": lan["updated_at"], "device_id": lan["device_id"]})
    assert answer.status_code == 303
    site.store.refresh()
    history = site.store.history(home["id"])
    assert forks(history) == []
    current = site.store.current(home["id"])
    assert current["data"] == lan["data"] and len(current["base"]) == 2
    assert "Không có xung đột nào" in client.get("/conflicts").get_data(as_text=True)
    again = client.post(f"/conflicts/{home['id']}/keep", data={     # from a stale page
        "csrf_token": csrf_token(client, "/conflicts"),
        "updated_at": minh["updated_at"], "device_id": minh["device_id"]})
    assert again.status_code == 303
    site.store.refresh()
    assert site.store.history(home["id"]) == history            # nothing more stored


def test_a_side_that_is_not_a_head_or_a_bad_form_changes_nothing(client, site, forked):
    home, lan, minh = forked
    login_page(client, "lan", LEAD_PIN)
    token = csrf_token(client, "/conflicts")
    for form in ({"csrf_token": token, "updated_at": home["updated_at"],
                  "device_id": home["device_id"]},                       # the base, not a head
                 {"csrf_token": token, "updated_at": "x" * 5000, "device_id": "\u202e"},
                 {"updated_at": lan["updated_at"], "device_id": lan["device_id"]}):   # no CSRF
        response = client.post(f"/conflicts/{home['id']}/keep", data=form)
        assert response.status_code in (400, 413), form
        assert re.search("Phiên biểu mẫu|không còn là một bên|quá lớn",
                         response.get_data(as_text=True))
    site.store.refresh()
    assert len(site.store.history(home["id"])) == 3
    assert client.post("/conflicts/9f1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8/keep",
                       data={"csrf_token": token}).status_code == 404


def test_a_volunteer_cannot_open_the_conflicts_page(client, forked):
    from tests.support.factories import VOL_PIN
    login_page(client, "minh", VOL_PIN)
    assert client.get("/conflicts").status_code == 403
