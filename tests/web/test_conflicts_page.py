"""The lead's conflicts page: a fork of two phones shown side by side, resolved by keeping
one side or by picking each differing field, once, whoever resolves it again."""
import re

import pytest

from fieldapp.forms.versions import base_of, forks
from tests.support.factories import LEAD_PIN, household
from tests.support.pages import csrf_token, login_page


@pytest.fixture
def forked(site):
    """Household Đặng Công Anh, its note and address changed differently on two phones."""
    home = household(head="Đặng Công Anh")
    lan = dict(home, updated_at="2025-07-26T09:00:00.000Z", device_id="ph-lan", author="lan",
               base=base_of(home), data=dict(home["data"], note="Cổng xanh", address="Xóm 2"))
    minh = dict(home, updated_at="2025-07-26T09:05:00.000Z", base=base_of(home),
                data=dict(home["data"], note="Nhà có người già", address="Xóm 3"))
    site.store.submit([home, lan, minh])
    return home, lan, minh


def side(version):
    return f"{version['updated_at']}|{version['device_id']}"


def test_the_lead_sees_both_sides_and_keeping_one_closes_the_fork(client, site, forked):
    home, lan, minh = forked
    assert login_page(client, "lan", LEAD_PIN).status_code == 302
    page = client.get("/conflicts").get_data(as_text=True)
    assert "Đặng Công Anh" in page and "Cổng xanh" in page and "Nhà có người già" in page
    assert page.count("Giữ bản này") == 2 and 'tabindex="0"' in page
    answer = client.post(f"/conflicts/{home['id']}/resolve", data={
        "csrf_token": csrf_token(client, "/conflicts"), "keep": side(lan)})
    assert answer.status_code == 303
    site.store.refresh()
    history = site.store.history(home["id"])
    assert forks(history) == []
    current = site.store.current(home["id"])
    assert current["data"] == lan["data"]
    assert sorted(map(tuple, (b.values() for b in current["base"]))) == sorted(
        (v["updated_at"], v["device_id"]) for v in (lan, minh))
    assert "Không có xung đột nào" in client.get("/conflicts").get_data(as_text=True)
    again = client.post(f"/conflicts/{home['id']}/resolve", data={     # from a stale page
        "csrf_token": csrf_token(client, "/conflicts"), "keep": side(minh)})
    assert again.status_code == 303
    site.store.refresh()
    assert site.store.history(home["id"]) == history            # nothing more stored


def test_the_lead_merges_fields_picked_from_each_side(client, site, forked):
    home, lan, minh = forked
    login_page(client, "lan", LEAD_PIN)
    page = client.get("/conflicts").get_data(as_text=True)
    assert page.count('name="pick.note"') == 2 and page.count('name="pick.address"') == 2
    answer = client.post(f"/conflicts/{home['id']}/resolve", data={
        "csrf_token": csrf_token(client, "/conflicts"), "keep": "",
        "pick.note": side(minh), "pick.address": side(lan)})
    assert answer.status_code == 303
    site.store.refresh()
    current = site.store.current(home["id"])
    assert current["data"] == dict(home["data"], note="Nhà có người già", address="Xóm 2")
    assert len(current["base"]) == 2 and forks(site.store.history(home["id"])) == []


def test_an_edit_of_one_side_leaves_the_fork_open(client, site, forked):
    home, lan, minh = forked
    edit = dict(minh, updated_at="2025-07-26T10:00:00.000Z", base=base_of(minh),
                data=dict(minh["data"], note="Nhà có người già, hai cháu"))
    site.store.submit([edit])
    login_page(client, "lan", LEAD_PIN)
    page = client.get("/conflicts").get_data(as_text=True)
    assert "hai cháu" in page and "Cổng xanh" in page and "1 bản ghi có xung đột" in page


def test_a_side_that_is_not_a_head_or_a_bad_form_changes_nothing(client, site, forked):
    home, lan, minh = forked
    login_page(client, "lan", LEAD_PIN)
    token = csrf_token(client, "/conflicts")
    for form in ({"csrf_token": token, "keep": side(home)},              # the base, not a head
                 {"csrf_token": token, "keep": "x" * 5000 + "\u202e"},
                 {"csrf_token": token, "keep": "", "pick.note": side(lan)},   # address unpicked
                 {"keep": side(lan)}):                                        # no CSRF
        response = client.post(f"/conflicts/{home['id']}/resolve", data=form)
        assert response.status_code in (400, 413), form
        assert re.search("Phiên biểu mẫu|không còn là một bên|quá lớn|Hãy chọn một bản",
                         response.get_data(as_text=True))
    site.store.refresh()
    assert len(site.store.history(home["id"])) == 3
    assert client.post("/conflicts/9f1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8/resolve",
                       data={"csrf_token": token}).status_code == 404


def test_a_volunteer_cannot_open_or_resolve_conflicts(client, site, forked):
    from tests.support.factories import VOL_PIN
    home, lan, _ = forked
    login_page(client, "minh", VOL_PIN)
    assert client.get("/conflicts").status_code == 403
    token = csrf_token(client, "/households")
    assert client.post(f"/conflicts/{home['id']}/resolve",
                       data={"csrf_token": token, "keep": side(lan)}).status_code == 403
    site.store.refresh()
    assert len(site.store.history(home["id"])) == 3
