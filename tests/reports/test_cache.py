"""Kept results (fieldapp.cache): equal to a fresh computation, and never stale after a
write, whether by this process, another process on the same data, or a restore."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

from fieldapp.indicators.cache import MAX_ENTRIES, ResultCache, cache_of
from fieldapp.indicators.compute import compute, site_compute, site_indicators
from fieldapp.indicators.volunteers import site_volunteer_stats, volunteer_stats
from fieldapp.site import Site
from sync.export import export_batch
from tests.support import factories
from tests.support.factories import END, START, household, person, survey, visit
from tests.support.live import LiveServer

AS_OF = datetime.date(2025, 8, 10)


def fill(site, homes=4, village_id="thon-3", author="minh"):
    """`homes` households over the first two weeks, each with two people, a met visit
    on every other one and a survey; return the household ids."""
    versions, ids = [], []
    for n in range(homes):
        day = START + datetime.timedelta(days=n * 3)
        kw = {"village_id": village_id, "author": author, "device_id": f"ph-{author}"}
        home = household(f"Hộ {n}", day=day, **kw)
        ids.append(home["id"])
        versions += [home,
                     person(home["id"], birth_year=1970, vneid="level2" if n % 2 else "none",
                            bank_account=True, day=day, **kw),
                     person(home["id"], birth_year=2015, day=day, **kw),
                     survey(rating=4 + n % 2, day=day, household_id=home["id"], **kw)]
        if n % 2 == 0:
            versions.append(visit(home["id"], help=["vneid_level2"], day=day, **kw))
    site.store.submit(versions)
    return ids


def fresh(site, as_of=AS_OF, village_ids=None):
    """compute() over a snapshot read from disk by a new Site: no cache involved."""
    other = Site(site.data_dir)
    return compute(other.settings, other.store.histories(), as_of, village_ids)


def entry(answer, key):
    return next(e for e in answer["indicators"] if e["key"] == key)


def test_kept_answers_equal_a_fresh_computation(site):
    fill(site)
    cache = cache_of(site.store)
    for as_of in (START, AS_OF, END, END + datetime.timedelta(days=30)):
        for villages in (None, ["thon-3"]):
            expected = fresh(site, as_of, villages)
            assert site_compute(site, as_of, villages) == expected
            hits = cache.hits
            assert site_compute(site, as_of, villages) == expected
            assert cache.hits == hits + 1
    histories = Site(site.data_dir).store.histories()
    assert site_volunteer_stats(site, AS_OF) == volunteer_stats(histories, AS_OF)
    assert site_indicators(site, AS_OF) == fresh(site)


def test_changing_an_answer_does_not_change_the_next_one(site):
    fill(site)
    expected = fresh(site)
    answer = site_compute(site, AS_OF)
    answer["indicators"][0]["numerator"] = 999
    answer["by_period"][0]["indicators"].clear()
    rows = site_volunteer_stats(site, AS_OF)
    rows[0]["score"] = -1
    assert site_compute(site, AS_OF) == expected
    assert site_volunteer_stats(site, AS_OF)[0]["score"] != -1


def test_a_write_is_counted_at_once(site):
    homes = fill(site)
    before = site_compute(site, AS_OF)
    stats_before = {r["author"]: r for r in site_volunteer_stats(site, AS_OF)}
    assert entry(before, "households_visited")["numerator"] == 2     # homes 0 and 2
    site.store.submit([visit(homes[1], day=AS_OF, author="lan", device_id="ph-lan")])
    after = site_compute(site, AS_OF)
    assert entry(after, "households_visited")["numerator"] == 3
    assert after == fresh(site)
    stats = {r["author"]: r for r in site_volunteer_stats(site, AS_OF)}
    assert "lan" not in stats_before and stats["lan"]["households_visited"] == 1


def test_settings_changes_apply_without_any_write(site):
    fill(site)
    assert entry(site_compute(site, AS_OF), "adult_bank_account")["denominator"] == 4
    site.update_settings(lambda s: s["villages"][0].update(adult_population=40))
    answer = site_compute(site, AS_OF)
    assert entry(answer, "adult_bank_account")["denominator"] == 40
    assert entry(answer, "adult_bank_account")["denominator_source"] == "official"
    site.update_settings(lambda s: s["targets"].update(households_visited=0.25))
    assert entry(site_compute(site, AS_OF), "households_visited")["met"] is True
    assert site_compute(site, AS_OF) == fresh(site)


def test_a_write_by_another_process_is_counted_at_once(site):
    fill(site)
    assert entry(site_compute(site, AS_OF), "household_vneid_level2")["denominator"] == 4
    seq = site.store.last_seq
    script = (
        "import sys; from fieldapp.site import Site; from tests.support.factories import household, person\n"
        "import datetime; day = datetime.date(2025, 8, 1)\n"
        "site = Site(sys.argv[1])\n"
        "homes = [household('Hộ mới', day=day) for _ in range(3)]\n"
        "site.store.submit(homes + [person(homes[0]['id'], vneid='level2', day=day)])\n")
    done = subprocess.run([sys.executable, "-c", script, site.data_dir], capture_output=True,
                          text=True, timeout=60, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr
    site.store.refresh()              # what every request does first
    assert site.store.last_seq == seq + 4
    answer = site_compute(site, AS_OF)
    assert entry(answer, "household_vneid_level2")["denominator"] == 7
    assert entry(answer, "household_vneid_level2")["numerator"] == 3   # homes 1, 3, new 0
    assert answer == fresh(site)


def test_data_replaced_with_the_same_sequence_numbers_is_not_mistaken(site, tmp_path):
    """As after a restore: other versions under the very same change sequence numbers."""
    fill(site)
    other = factories.village_site(tmp_path / "other", users=False)
    homes = [household(f"Hộ khác {n}", day=START) for n in range(len(site.store))]
    other.store.submit(homes)
    assert other.store.last_seq == site.store.last_seq and len(other.store) == len(site.store)
    assert entry(site_compute(site, AS_OF), "household_vneid_level2")["denominator"] == 4
    records = os.path.join(site.data_dir, "records")
    for name in os.listdir(records):
        os.remove(os.path.join(records, name))
    for name in os.listdir(other.store.directory):
        shutil.copy(os.path.join(other.store.directory, name), os.path.join(records, name))
    site.store.refresh()
    answer = site_compute(site, AS_OF)
    assert entry(answer, "household_vneid_level2")["denominator"] == len(homes)
    assert answer == fresh(site)


def test_threads_reading_while_others_write_end_equal_to_a_fresh_computation(site):
    homes = fill(site)
    errors, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                answer = site_compute(site, AS_OF)
                site_volunteer_stats(site, AS_OF)
                visited = entry(answer, "households_visited")
                assert visited["numerator"] <= visited["denominator"]
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            time.sleep(0.001)        # let the writer in: spinning readers starve it (GIL)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for thread in readers:
        thread.start()
    for n in range(30):
        site.store.submit([household(f"Hộ thêm {n}", day=AS_OF, minute=n),
                           visit(homes[n % len(homes)], day=AS_OF, minute=n)])
    stop.set()
    for thread in readers:
        thread.join(30)
    assert not errors, errors[:3]
    answer = site_compute(site, AS_OF)
    assert entry(answer, "households_visited")["denominator"] == 34
    assert answer == fresh(site)


def test_one_thread_computes_what_several_miss_at_once():
    cache, calls, barrier = ResultCache(), [], threading.Barrier(8)
    results = []

    def build():
        calls.append(1)
        time.sleep(0.2)
        return {"value": 42}

    def ask():
        barrier.wait()
        results.append(cache.get(("state",), ("what",), build))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len(results) == 8
    assert all(r is results[0] for r in results)


def test_the_cache_stays_small():
    cache = ResultCache()
    for n in range(3 * MAX_ENTRIES):
        cache.get((1, 0, ()), ("day", n), lambda n=n: n)
    assert len(cache) == MAX_ENTRIES
    assert cache.get((1, 0, ()), ("day", 3 * MAX_ENTRIES - 1), lambda: "again") == 3 * MAX_ENTRIES - 1
    cache.get((2, 0, ()), ("day", 0), lambda: "newer")     # older states go at once
    assert len(cache) == 1


def test_a_failed_computation_is_not_kept():
    cache = ResultCache()

    def fail():
        raise ValueError("boom")

    for _ in range(2):
        try:
            cache.get((1,), ("x",), fail)
        except ValueError:
            pass
        else:
            raise AssertionError("the error was swallowed")
    assert len(cache) == 0
    assert cache.get((1,), ("x",), lambda: "ok") == "ok"


def test_live_village_server_counts_another_process_write(live_server, site):
    """The real server keeps the indicators answer; a write by another process shows."""
    fill(site)
    token = live_server.login("lan", factories.LEAD_PIN)
    path = f"/api/v1/indicators?as_of={AS_OF}"
    status, first = live_server.request("GET", path, token=token)
    assert status == 200, first
    assert live_server.request("GET", path, token=token) == (200, first)
    assert entry(first, "households_visited")["denominator"] == 4
    script = ("import sys; from fieldapp.site import Site; from tests.support.factories import household\n"
              "import datetime; Site(sys.argv[1]).store.submit("
              "[household('Hộ mới', day=datetime.date(2025, 8, 2)) for _ in range(2)])\n")
    done = subprocess.run([sys.executable, "-c", script, site.data_dir], capture_output=True,
                          text=True, timeout=60, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr
    status, after = live_server.request("GET", path, token=token)
    assert status == 200 and entry(after, "households_visited")["denominator"] == 6
    assert after == json.loads(json.dumps(fresh(site)))


def test_live_commune_server_counts_a_cli_import(site_templates, tmp_path):
    """`fieldapp import` beside the running commune server: the next answer has it."""
    village = factories.village_site(tmp_path / "village", users=False)
    fill(village, homes=3)
    commune = site_templates.copy(tmp_path / "commune", factories.commune_site)
    batch = tmp_path / "thon-3.json"
    batch.write_text(json.dumps(export_batch(village, all_versions=True)), encoding="utf-8")
    server = LiveServer(commune.data_dir).start()
    try:
        token = server.login("canbo", factories.PASSWORD)
        path = f"/api/v1/indicators?as_of={AS_OF}"
        status, before = server.request("GET", path, token=token)
        assert status == 200 and entry(before, "households_visited")["denominator"] == 0
        assert server.request("GET", path, token=token) == (200, before)
        done = subprocess.run([sys.executable, "-m", "fieldapp", "--data", commune.data_dir,
                               "import", str(batch)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        status, after = server.request("GET", path, token=token)
        assert status == 200
        assert entry(after, "households_visited")["denominator"] == 3
        assert entry(after, "households_visited")["numerator"] == 2
        assert entry(after, "adult_bank_account")["numerator"] == 3
    finally:
        server.stop()


def without_csrf(html):
    """A page with its CSRF tokens (which carry the second they were made) blanked."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_household_pages_show_another_process_write_at_once(client, site):
    from tests.support.pages import login_page
    homes = fill(site)
    assert login_page(client, "lan", factories.LEAD_PIN).status_code == 302
    page = without_csrf(client.get(f"/households/{homes[1]}").get_data(as_text=True))
    found = client.get("/households?q=ly+thi+moi").get_data(as_text=True)
    assert "Lý Thị Mới" not in page and "Lý Thị Mới" not in found
    assert without_csrf(client.get(f"/households/{homes[1]}").get_data(as_text=True)) == page
    script = ("import sys; from fieldapp.site import Site; from tests.support.factories import person\n"
              "Site(sys.argv[1]).store.submit([person(sys.argv[2], name='Lý Thị Mới')])\n")
    done = subprocess.run([sys.executable, "-c", script, site.data_dir, homes[1]],
                          capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr
    assert "Lý Thị Mới" in client.get(f"/households/{homes[1]}").get_data(as_text=True)
    found = client.get("/households?q=ly+thi+moi").get_data(as_text=True)
    assert "Hộ 1" in found and "Hộ 0" not in found
