"""The lead's export page: a download counts as sent only once the lead confirms it, so a
download lost on the way is never lost to the next export.

Driven with the real Chromium against the real server; the lost download is a response
the server sent and the browser never got (the request is let through, its answer cut).
"""
import gzip
import json
import re

import pytest

from fieldapp import create_app
from fieldapp.site import Site
from fieldapp.views.export import rebuild_pending
from sync.batch import batch_bytes
from sync.export import export_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.pages import browser_login, csrf_token, login_page


def batch_of(path):
    with open(path, "rb") as handle:
        return json.loads(gzip.decompress(handle.read()))


def unsent(page):
    return int(re.search(r"Có (\d+) thay đổi chưa gửi", page.inner_text("main")).group(1))


def download(page):
    """Click the newest file's download button; return the saved file's path."""
    with page.expect_download() as info:
        page.locator("button", has_text="Tải tệp về").first.click()
    got = info.value
    assert got.failure() is None
    return got.path()


@pytest.mark.browser
def test_a_lost_download_is_sent_again_until_the_lead_confirms(site, live_server, phone,
                                                               tmp_path):
    homes = [factories.household(f"Hộ {n}") for n in range(3)]
    site.store.submit(homes)
    page = phone.page
    browser_login(page, live_server.url, "lan", factories.LEAD_PIN)
    page.goto(live_server.url + "/export")
    assert unsent(page) == 3
    page.click("text=Chuẩn bị tệp các thay đổi mới")
    page.wait_for_selector("text=Tệp chờ xác nhận")

    # the file leaves the server but never reaches the browser
    served = []

    def cut(route):
        served.append(route.fetch().status)
        route.abort("connectionreset")
    page.route("**/export/file*", cut)
    page.locator("button", has_text="Tải tệp về").first.click()
    for _ in range(100):                                 # bounded: 10 s
        if served:
            break
        page.wait_for_timeout(100)
    page.unroute("**/export/file*")
    assert served == [200]
    page.goto(live_server.url + "/export")
    assert unsent(page) == 3                             # nothing counted as sent

    # the lead tries again: the very same file, all three changes
    first = batch_of(download(page))
    assert first["record_count"] == 3 and first["since_seq"] == 0
    assert {v["id"] for v in first["records"]} == {h["id"] for h in homes}
    again = batch_of(download(page))
    assert again == first                                # same batch, byte for byte

    # a later change before any confirmation: the next file carries everything unsent
    late = factories.household("Hộ muộn")
    site.store.submit([late])
    page.goto(live_server.url + "/export")
    assert unsent(page) == 4
    page.click("text=Chuẩn bị tệp các thay đổi mới")
    page.wait_for_selector("text=Tệp chờ xác nhận")
    second = batch_of(download(page))
    assert second["record_count"] == 4 and second["since_seq"] == 0
    assert page.locator("button", has_text="Đã chép xong").count() == 2      # both files still waiting

    page.locator("button", has_text="Đã chép xong").first.click()     # the newest file
    page.wait_for_selector("text=Đã ghi nhận 4 thay đổi")
    assert unsent(page) == 0
    assert page.locator("text=Tệp chờ xác nhận").count() == 0        # the older one is covered
    newest = factories.household("Hộ sau xác nhận")
    site.store.submit([newest])
    page.goto(live_server.url + "/export")
    page.click("text=Chuẩn bị tệp các thay đổi mới")
    page.wait_for_selector("text=Tệp chờ xác nhận")
    third = batch_of(download(page))
    assert [v["id"] for v in third["records"]] == [newest["id"]]
    assert third["since_seq"] == second["until_seq"]
    assert phone.errors == []

    # the commune takes the files in any order, twice over, and ends with every record
    commune = factories.commune_site(tmp_path / "xa", users=False)
    for batch in (third, first, second, first):
        import_batch(commune, batch_bytes(batch))
    assert {v["id"] for v in Site(commune.data_dir).store.currents()} == \
        {h["id"] for h in homes} | {late["id"], newest["id"]}


def test_preparing_twice_gives_one_file_and_confirming_twice_moves_the_mark_once(site):
    site.store.submit([factories.household("Hộ một")])
    lead = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(lead, "lan", factories.LEAD_PIN)
    token = csrf_token(lead, "/export")
    for _ in range(2):
        assert lead.post("/export", data={"csrf_token": token, "scope": "new"}).status_code == 303
    page = lead.get("/export").get_data(as_text=True)
    batches = set(re.findall(r'name="batch" value="([0-9a-f-]{36})"', page))
    assert len(batches) == 1
    batch = batches.pop()
    for _ in range(2):
        assert lead.post("/export/confirm", data={"csrf_token": token, "batch": batch}
                         ).status_code == 303
    with site.meta_lock:
        marks = [row["until_seq"] for row in site.table("exports").all()]
    assert marks == [1]
    # a file that is gone, or a made-up id, changes nothing and says so
    gone = lead.get(f"/export/file?batch={batch}", follow_redirects=True)
    assert "Không còn tệp này" in gone.get_data(as_text=True)
    for bad in (batch, "x" * 36, "", "<script>"):
        response = lead.post("/export/confirm", data={"csrf_token": token, "batch": bad},
                             follow_redirects=True)
        assert response.status_code == 200 and "Không còn tệp này" in response.get_data(as_text=True)
    with site.meta_lock:
        assert [row["until_seq"] for row in site.table("exports").all()] == [1]
    # nothing new: no file to prepare
    response = lead.post("/export", data={"csrf_token": token, "scope": "new"},
                         follow_redirects=True)
    assert "Không có thay đổi nào chưa gửi" in response.get_data(as_text=True)
    assert 'name="batch"' not in response.get_data(as_text=True)


def test_a_prepared_file_is_rebuilt_exactly_as_export_makes_it(site):
    site.store.submit([factories.household("Hộ một"), factories.household("Hộ hai")])
    batch = export_batch(site, remember=False)
    row = {k: batch[k] for k in ("batch_id", "since_seq", "until_seq", "record_count",
                                 "records_sha256", "created_at")}
    assert batch_bytes(rebuild_pending(site, row)) == batch_bytes(batch)
