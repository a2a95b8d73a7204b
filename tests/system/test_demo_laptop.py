"""The demo on a laptop: served on its LAN address, a village admin, the Wi-Fi card set."""
import shutil
import threading
import urllib.request

from fieldapp.cli.demo import STAFF_PASSWORD, WIFI_PASSWORD, link_push
from fieldapp.cli.server import demo, demo_servers, lan_address
from fieldapp.site import Site
from tests.support.pages import login_page


def test_the_lan_address_is_found_without_sending_and_falls_back_to_loopback():
    assert lan_address(probes=()) == "127.0.0.1"
    assert lan_address(probes=("not-an-address",)) == "127.0.0.1"
    found = lan_address()
    assert found.count(".") == 3 and not found.startswith("0.")


def test_the_demo_listens_on_every_interface_by_default():
    host = next(p for p in demo.params if p.name == "host")
    assert host.default == "0.0.0.0"


def test_the_demo_serves_the_address_a_phone_opens_and_each_site_answers(demo, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(demo.root, root)
    from fieldapp.cli.demo import DemoSummary
    summary = DemoSummary(str(root), commune_dir=str(root / "commune"),
                          province_dir=str(root / "province"))
    summary.villages = [("phu-binh", "Thôn Phú Bình", str(root / "villages" / "phu-binh"),
                         "truong.phubinh", ["tnv1.phubinh"])]
    servers, urls = demo_servers(summary, "0.0.0.0", 0)
    try:
        for server in servers:
            threading.Thread(target=server.run, daemon=True).start()
        lan = lan_address()
        assert len(urls) == 3                    # village, commune, province
        assert all(url.startswith(f"http://{lan}:") for url in urls)
        for server in servers:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.effective_port}/login",
                                        timeout=10) as answer:
                assert answer.status == 200
        link_push(summary, urls[1])
        push = Site(summary.villages[0][2]).settings["push"]
        assert push["url"] == urls[1] and push["token"].startswith("fa-push-")
        # the demo commune pushes its roll-up, sealed, to the demo province
        from fieldapp.cli.demo_province import link_province
        from fieldapp.province.push import push_rollup
        from sync.push import saved_push
        link_province(summary, f"http://127.0.0.1:{servers[2].effective_port}/")
        commune = Site(summary.commune_dir)
        answer, made = push_rollup(commune, *saved_push(commune.settings),
                                   to_key=commune.settings["province_public_key"])
        assert answer["receipt"]["outcome"] in ("replaced", "same", "older"), answer
    finally:
        for server in servers:
            server.close()


def test_the_demo_village_has_an_admin_and_its_wifi_card(demo):
    from fieldapp.auth.accounts import get_user
    assert "quantri" in demo.result.output and STAFF_PASSWORD in demo.result.output
    for village in (demo.root / "villages").iterdir():
        site = Site(str(village))
        assert get_user(site, "quantri")["role"] == "admin"
        wifi = site.settings["wifi"]
        assert wifi["ssid"].startswith("fieldapp-") and wifi["password"] == WIFI_PASSWORD


def test_the_demo_says_where_it_keeps_each_site(demo):
    output = demo.result.output
    assert str(demo.root / "villages" / "phu-binh") in output
    assert str(demo.root / "commune") in output
    assert str(demo.root / "province") in output and "canbotinh" in output
    assert "1.000 hộ" in output


def test_the_demo_province_holds_its_communes_rollups_and_no_record(demo):
    from fieldapp.province.store import stored_rollups
    province = Site(str(demo.root / "province"))
    rollups = stored_rollups(province)
    assert len(rollups) == 4 and "25264" in rollups         # the demo commune and 3 small
    assert len(province.store) == 0                         # no citizen's record at all
    behind = [r for r in rollups.values() if r["as_of"] < province.settings["campaign"]["end"]]
    assert len(behind) == 1                                 # one commune two weeks behind


def test_the_demo_village_pages_work_for_its_admin(demo, tmp_path):
    from fieldapp import create_app
    root = tmp_path / "demo"
    shutil.copytree(demo.root / "villages" / "phu-binh", root)
    client = create_app({"DATA_DIR": str(root), "TESTING": True}).test_client()
    assert login_page(client, "quantri", STAFF_PASSWORD).status_code in (302, 303)
    page = client.get("/settings")
    assert page.status_code == 200 and "fieldapp-phubinh" in page.get_data(as_text=True)


def test_serving_a_demo_site_does_not_purge_its_made_up_data(demo):
    from fieldapp.indicators.periods import today_local
    from fieldapp.retention import purge_due
    for site_dir in [*(demo.root / "villages").iterdir(), demo.root / "commune"]:
        settings = Site(str(site_dir)).settings
        assert not purge_due(settings, today_local()), site_dir
