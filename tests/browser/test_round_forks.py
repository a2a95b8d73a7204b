"""Two phones edit one household out of range: the laptop keeps a fork, shows it to the
lead (page, API, round app), the lead keeps one side, and the commune sees it resolved.
Set ROUND_SHOTS=DIR to keep screenshots."""
import re

import pytest

from fieldapp.forms.versions import forks
from sync.export import export_batch
from sync.transfer import import_batch
from tests.browser.test_round_app import (NONE_WAITING, browser, open_round, phone,  # noqa: F401
                                          save, server_versions, shot, sign_in, sign_in_pages,
                                          wait_count, wait_net)
from tests.support import factories
from tests.support.factories import LEAD_PIN

pytestmark = pytest.mark.browser


def edit_note(page, note):
    page.get_by_role("link", name="Sửa thông tin hộ").click()
    page.fill("#i-note", note)
    save(page)
    page.wait_for_selector(f"p:has-text('{note}')")


def test_two_phones_offline_make_one_fork_the_lead_resolves_and_the_commune_sees_closed(
        phone, live_server, site, site_templates, tmp_path):
    home = factories.household("Đặng Công Anh")
    site.store.submit([home])
    phones = []
    for username, secret in (("lan", LEAD_PIN), ("minh", factories.VOL_PIN)):
        context = phone()
        page = open_round(context, live_server)
        sign_in(page, username, secret)
        wait_net(page, "Đã nối máy thôn")
        page.get_by_role("link", name=re.compile("Đặng Công Anh")).click()
        phones.append((context, page))
    for context, _ in phones:
        context.set_offline(True)
    for (_, page), note in zip(phones, ("Cổng xanh", "Nhà có người già")):
        edit_note(page, note)
    for context, page in phones:
        context.set_offline(False)
        wait_count(page, NONE_WAITING)

    history = server_versions(site)[home["id"]]
    heads = forks(history)
    assert sorted(v["data"]["note"] for v in heads) == ["Cổng xanh", "Nhà có người già"]
    assert len({v["device_id"] for v in heads}) == 2
    token = live_server.login("lan", LEAD_PIN)
    status, body = live_server.request("GET", "/api/v1/conflicts", token=token)
    assert status == 200 and [c["id"] for c in body["conflicts"]] == [home["id"]]
    assert len(body["conflicts"][0]["versions"]) == 2

    _, volunteer = phones[1]                     # the round app marks the household
    volunteer.reload()
    volunteer.wait_for_selector("#forked")
    shot(volunteer, "fork-household")
    volunteer.goto(volunteer.url.split("#")[0] + "#")
    volunteer.wait_for_selector("#households em:has-text('sửa trên hai máy')")

    before = export_batch(site, all_versions=True)           # sent before the lead chose
    lead_context, _ = phones[0]
    lead = sign_in_pages(lead_context, live_server, "lan", LEAD_PIN)
    lead.goto(f"http://fieldapp.lan:{live_server.port}/conflicts")
    assert lead.locator("article.conflict").count() == 1
    text = lead.inner_text("main")
    assert "Cổng xanh" in text and "Nhà có người già" in text and "Ghi chú" in text
    shot(lead, "fork-lead-page")
    lead.get_by_role("button", name="Giữ bản này").nth(
        [v["data"]["note"] for v in sorted(heads, key=lambda v: (v["updated_at"],
                                                               v["device_id"]), reverse=True)
         ].index("Cổng xanh")).click()
    lead.wait_for_selector("text=Không có xung đột nào cần xem.")
    assert "Đã giữ bản của" in lead.inner_text("main")
    status, body = live_server.request("GET", "/api/v1/conflicts", token=token)
    assert status == 200 and body["conflicts"] == []
    site.store.refresh()
    assert site.store.current(home["id"])["data"]["note"] == "Cổng xanh"

    commune = site_templates.copy(tmp_path / "commune", factories.commune_site,
                                  quick_hashes=True)
    import_batch(commune, before)
    assert len(forks(commune.store.history(home["id"]))) == 2     # the fork travelled too
    import_batch(commune, export_batch(site))                    # then the lead's merge
    assert forks(commune.store.history(home["id"])) == []
    assert commune.store.current(home["id"])["data"]["note"] == "Cổng xanh"
    import_batch(commune, before)                                # an old batch again
    assert forks(commune.store.history(home["id"])) == []
