"""A lead exports only their village: on a laptop holding several villages, the lead's
file on /export and its "Đã chép xong" mark are per village, while `fieldapp export` (the
site's operator) still sends the whole site, and no version is skipped or sent twice
by the per-village marks.

Real data directories and the Flask test client; downloaded files are parsed back.
"""
import gzip
import json
import re

from fieldapp import create_app
from fieldapp.auth.accounts import add_user
from fieldapp.site import init_site
from fieldapp.cli import main
from fieldapp.site import Site
from sync.batch import batch_bytes
from sync.transfer import import_batch
from tests.support import factories
from tests.support.pages import csrf_token, login_page

HOA_PIN = "864213"


def two_village_laptop(path):
    """One laptop for thôn 3 (lead lan) and thôn 4 (lead hoa), households in both."""
    init_site(str(path), "village", factories.COMMUNE,
              [{"id": "thon-3", "name": "Thôn 3", "adult_population": None, "targets": {}},
               {"id": "thon-4", "name": "Thôn 4", "adult_population": None, "targets": {}}],
              factories.START, factories.END)
    site = Site(str(path))
    add_user(site, "lan", "lead", factories.LEAD_PIN, "thon-3")
    add_user(site, "hoa", "lead", HOA_PIN, "thon-4")
    add_user(site, "quantri", "admin", factories.PASSWORD)
    return site


def homes(site, village_id, count, name="Hộ"):
    """Submit `count` households (each with one person) of one village; return their ids."""
    versions = []
    for n in range(count):
        home = factories.household(f"{name} {village_id} {n}", village_id=village_id)
        versions += [home, factories.person(home["id"], f"Người {n}", 1980,
                                            village_id=village_id)]
    site.store.submit(versions)
    return {v["id"] for v in versions}


def lead(site, username, pin):
    client = create_app({"DATA_DIR": site.data_dir}).test_client()
    assert login_page(client, username, pin).status_code == 302
    return client


def unsent(client):
    page = client.get("/export").get_data(as_text=True)
    return int(re.search(r"Có <strong>(\d+)</strong> thay đổi chưa gửi", page).group(1))


def prepare(client):
    """Prepare a file of new changes; return its batch id."""
    token = csrf_token(client, "/export")
    assert client.post("/export", data={"csrf_token": token, "scope": "new"}).status_code == 303
    page = client.get("/export").get_data(as_text=True)
    return re.search(r'name="batch" value="([0-9a-f-]{36})"', page).group(1)


def download(client, batch_id):
    response = client.get(f"/export/file?batch={batch_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return json.loads(gzip.decompress(response.data))


def confirm(client, batch_id):
    return client.post("/export/confirm", data={"csrf_token": csrf_token(client, "/export"),
                                                 "batch": batch_id}, follow_redirects=True)


def test_a_lead_exports_only_their_village_on_a_two_village_laptop(tmp_path):
    site = two_village_laptop(tmp_path / "village")
    ids3, ids4 = homes(site, "thon-3", 2), homes(site, "thon-4", 3)
    lan, hoa = lead(site, "lan", factories.LEAD_PIN), lead(site, "hoa", HOA_PIN)
    assert unsent(lan) == len(ids3) and unsent(hoa) == len(ids4)

    mine = download(lan, prepare(lan))
    assert {v["id"] for v in mine["records"]} == ids3
    assert {v["village_id"] for v in mine["records"]} == {"thon-3"}
    assert mine["site"]["village_ids"] == ["thon-3"]
    assert mine["site"]["id"] == site.settings["site_id"]
    # thôn 4's file is not there for thôn 3's lead
    theirs = prepare(hoa)
    gone = lan.get(f"/export/file?batch={theirs}", follow_redirects=True)
    assert "Không còn tệp này" in gone.get_data(as_text=True)
    assert "Không còn tệp này" in confirm(lan, theirs).get_data(as_text=True)
    assert unsent(hoa) == len(ids4)
    other = download(hoa, theirs)
    assert {v["id"] for v in other["records"]} == ids4

    # the commune takes both, each as that village's file from the one laptop
    commune = factories.commune_site(tmp_path / "xa", users=False,
                                     villages=(("thon-3", "Thôn 3", None),
                                               ("thon-4", "Thôn 4", None)))
    for batch in (mine, other):
        receipt = import_batch(commune, batch_bytes(batch))
        assert not receipt.held and receipt.new == batch["record_count"]
    stored = Site(commune.data_dir)
    assert {v["id"] for v in stored.store.currents()} == ids3 | ids4


def test_confirming_one_village_leaves_the_other_villages_changes_unsent(tmp_path, runner):
    site = two_village_laptop(tmp_path / "village")
    ids3, ids4 = homes(site, "thon-3", 2), homes(site, "thon-4", 1)
    lan, hoa = lead(site, "lan", factories.LEAD_PIN), lead(site, "hoa", HOA_PIN)
    first = prepare(lan)
    hoa_file = prepare(hoa)
    assert "Đã ghi nhận 4 thay đổi" in confirm(lan, first).get_data(as_text=True)
    assert unsent(lan) == 0 and unsent(hoa) == len(ids4)
    # thôn 4's prepared file still waits, and still holds all of thôn 4
    assert f'value="{hoa_file}"' in hoa.get("/export").get_data(as_text=True)
    assert {v["id"] for v in download(hoa, hoa_file)["records"]} == ids4

    later3 = homes(site, "thon-3", 1, "Hộ muộn")
    later4 = homes(site, "thon-4", 1, "Hộ muộn")
    again = download(lan, prepare(lan))
    assert {v["id"] for v in again["records"]} == later3        # not a version twice
    assert {v["id"] for v in download(hoa, prepare(hoa))["records"]} == ids4 | later4

    # the site's operator exports the whole site: what no lead confirmed, every village
    out = tmp_path / "site.json"
    result = runner.invoke(main, ["--data", site.data_dir, "export", "--out", str(out),
                                  "--no-encrypt"])
    assert result.exit_code == 0, result.output
    whole = json.loads(out.read_bytes())
    assert whole["site"]["village_ids"] == ["thon-3", "thon-4"]
    assert {v["id"] for v in whole["records"]} >= ids4 | later4 | later3
    # after it, nothing is unsent for either lead, and their waiting files are covered
    assert unsent(lan) == 0 and unsent(hoa) == 0
    assert 'name="batch"' not in hoa.get("/export").get_data(as_text=True)
    every = ids3 | ids4 | later3 | later4
    sent = {v["id"] for v in whole["records"]} | ids3
    assert sent == every                                         # nothing skipped
