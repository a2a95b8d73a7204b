"""The command line: init, users, indicators, demo."""
import json

from fieldapp.cli import main
from fieldapp.indicators.compute import compute
from fieldapp.site import Site
from tests.support.factories import household, person


def test_init_refuses_an_unknown_commune_code(runner, tmp_path):
    result = runner.invoke(main, ["--data", str(tmp_path / "d"), "init", "--site", "village",
                                  "--commune", "99999", "--village-id", "t", "--village-name", "T"])
    assert result.exit_code != 0 and "99999" in result.output
    assert not (tmp_path / "d" / "settings.json").exists()


def test_init_names_a_known_commune_and_makes_periods(runner, tmp_path):
    data = str(tmp_path / "d")
    result = runner.invoke(main, ["--data", data, "init", "--site", "village", "--commune", "25264",
                                  "--village-id", "thon-3", "--village-name", "Thôn 3",
                                  "--campaign-start", "2025-07-25", "--campaign-end", "2025-08-25"])
    assert result.exit_code == 0, result.output
    assert "Xã Phú Riềng" in result.output and "Đồng Nai" in result.output
    settings = Site(data).settings
    assert [p["end"] for p in settings["campaign"]["periods"]][-1] == "2025-08-25"
    again = runner.invoke(main, ["--data", data, "init", "--site", "commune", "--commune", "25264"])
    assert again.exit_code != 0 and "đã được khởi tạo" in again.output


def test_user_add_checks_the_pin_and_the_village(runner, site):
    ok = runner.invoke(main, ["--data", site.data_dir, "user", "add", "tuan", "--role", "volunteer",
                              "--secret", "592048"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["--data", site.data_dir, "user", "add", "tam", "--role", "volunteer",
                               "--secret", "12ab"])
    assert bad.exit_code != 0 and "6 chữ số" in bad.output
    wrong = runner.invoke(main, ["--data", site.data_dir, "user", "add", "tam", "--role", "lead",
                                 "--village", "thon-9", "--secret", "592048"])
    assert wrong.exit_code != 0 and "Traceback" not in wrong.output


def test_indicators_json_is_the_api_answer(runner, site):
    home = household()
    site.store.submit([home, person(home["id"], online=True)])
    result = runner.invoke(main, ["--data", site.data_dir, "indicators", "--as-of", "2025-08-25",
                                  "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    import datetime
    assert printed == json.loads(json.dumps(compute(site.settings, site.store.histories(),
                                                    datetime.date(2025, 8, 25))))
    text = runner.invoke(main, ["--data", site.data_dir, "indicators", "--as-of", "2025-08-25"])
    assert "100,0 %" in text.output


def test_commands_on_a_missing_data_dir_say_what_to_do(runner, tmp_path):
    result = runner.invoke(main, ["--data", str(tmp_path / "none"), "indicators"])
    assert result.exit_code != 0 and "init" in result.output and "Traceback" not in result.output


def test_the_demo_builds_a_realistic_commune(demo):
    root, result = demo.root, demo.result
    assert result.exit_code == 0, result.output
    counts = {"household": 0, "person": 0, "visit": 0, "survey": 0, "member": 0}
    villages = sorted(p.name for p in (root / "villages").iterdir())
    assert len(villages) >= 5
    for name in villages:
        for version in Site(str(root / "villages" / name)).store.currents():
            counts[version["type"]] += 1
    assert 900 <= counts["household"] <= 1100 and 3000 <= counts["person"] <= 4000
    assert counts["visit"] > 500 and counts["survey"] > 200 and counts["member"] >= 5 * 4
    assert "truong.phubinh" in result.output and "135790" in result.output
    site = Site(str(root / "villages" / villages[0]))
    answer = compute(site.settings, site.store.histories(), None)
    visited = [next(e for e in p["indicators"] if e["key"] == "households_visited")["value"]
               for p in answer["by_period"]]
    assert len(visited) == 4 and visited == sorted(visited) and visited[0] < visited[-1]


def test_the_demo_has_a_few_honest_forks_on_every_laptop_and_at_the_commune(demo):
    from fieldapp.forms.versions import bases
    from fieldapp.records import open_forks
    total = 0
    for laptop in sorted((demo.root / "villages").iterdir()):
        site = Site(str(laptop))
        found = open_forks(site.store, site.village_ids)
        assert 1 <= len(found) <= 3
        for fork in found:           # two phones, both made from the one version before them
            heads = fork["versions"]
            assert len({v["device_id"] for v in heads}) == 2
            assert len({tuple(bases(v)) for v in heads}) == 1
        total += len(found)
    commune = Site(str(demo.root / "commune"))
    assert len(open_forks(commune.store, commune.village_ids)) == total
