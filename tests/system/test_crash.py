"""kill -9 at random moments during mixed traffic, on a village and a commune server.

Each round starts both real servers; phones post records to the village, sending sites
push batches to the commune (`POST /api/v1/batches`), and `fieldapp export` runs on the
village; each server is then killed with SIGKILL at its own random moment. After the
round: every JSON file of both data directories parses, every acknowledged write (record
post, batch receipt, export that exited 0) is stored, and after a restart the server's
indicators equal a recomputation from the stored versions read fresh from disk, and the
CLI's `fieldapp indicators --json`.

FIELDAPP_CRASH_ROUNDS (default 3) sets the number of rounds; FIELDAPP_CRASH_SEED the seed.
"""
import gzip
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.error

from fieldapp.auth.accounts import get_user, issue_token
from fieldapp.cli import main
from fieldapp.indicators.compute import compute
from fieldapp.site import Site
from sync.batch import batch_bytes
from sync.export import export_batch
from tests.support import factories
from tests.support.live import LiveServer

ROUNDS = int(os.environ.get("FIELDAPP_CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("FIELDAPP_CRASH_SEED", "6"))
AS_OF = factories.END
DOWN = (OSError, http.client.HTTPException, urllib.error.URLError)


def every_json_file_parses(data_dir):
    count = 0
    for root, _, names in os.walk(data_dir):
        for name in names:
            if name.endswith(".json"):
                with open(os.path.join(root, name), "rb") as handle:
                    json.loads(handle.read())
                count += 1
    return count


def stored_keys(site):
    """(id, updated_at, device_id) of every stored version, read fresh from disk."""
    return {(v["id"], v["updated_at"], v["device_id"])
            for versions in site.store.histories().values() for v in versions}


def key(version):
    return (version["id"], version["updated_at"], version["device_id"])


def pending_batches(sources, rng, count):
    """`count` batches (gzip bytes, versions) from the sending sites, with new records."""
    made = []
    for n in range(count):
        source = rng.choice(sources)
        village_id = source.village_ids[0]
        homes = [factories.household(f"Hộ {village_id} {n}-{k}", village_id=village_id,
                                     author="gui", device_id=f"ph-{village_id}")
                 for k in range(rng.randint(5, 40))]
        people = [factories.person(h["id"], name=f"Người {n}-{k}", village_id=village_id,
                                   author="gui", device_id=f"ph-{village_id}",
                                   vneid=rng.choice(["none", "level1", "level2"]))
                  for k, h in enumerate(homes)]
        source.store.submit(homes + people)
        batch = export_batch(source)
        made.append((gzip.compress(batch_bytes(batch)), batch["records"]))
    return made


def indicators_match(server, token, site_dir, runner):
    """The restarted server's indicators == compute() on a fresh Site == the CLI."""
    status, served = server.request("GET", f"/api/v1/indicators?as_of={AS_OF}", token=token)
    assert status == 200, served
    fresh = Site(site_dir)
    expected = compute(fresh.settings, fresh.store.histories(), AS_OF)
    mine = {e["key"]: e for e in expected["indicators"]}
    theirs = {e["key"]: e for e in served["indicators"]}
    assert {k: theirs[k] for k in mine} == mine
    assert served["by_village"] == expected["by_village"]
    cli = runner.invoke(main, ["--data", site_dir, "indicators", "--json",
                               "--as-of", AS_OF.isoformat()])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["indicators"] == served["indicators"]
    return expected


def test_kill_9_at_random_moments_loses_no_acknowledged_write(tmp_path, runner):
    rng = random.Random(SEED)
    village = factories.village_site(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", villages=(
        ("thon-3", "Thôn 3", 400), ("thon-4", "Thôn 4", 300), ("thon-5", "Thôn 5", None)))
    sources = [factories.village_site(tmp_path / f"src-{v}", v, f"Thôn {v[-1]}", users=False)
               for v in ("thon-4", "thon-5")]
    phone_token = issue_token(village, get_user(village, "minh"), days=None)
    admin_token = issue_token(village, get_user(village, "quantri"), days=None)
    staff_token = issue_token(commune, get_user(commune, "canbo"), days=None)
    village_acked, commune_acked, exports = set(), set(), []
    checked_files = 0

    for round_no in range(ROUNDS):
        batches = pending_batches(sources, rng, 6)
        servers = {"village": LiveServer(village.data_dir).start(),
                   "commune": LiveServer(commune.data_dir).start()}
        lock = threading.Lock()

        def phone(n):
            for i in range(300):                                     # bounded
                versions = [factories.household(f"Hộ {round_no}-{n}-{i}", author="minh")]
                versions += [factories.person(versions[0]["id"], name=f"Người {round_no}-{n}-{i}",
                                              author="minh")
                             for _ in range(rng.choice([0, 1, 3]))]
                try:
                    status, body = servers["village"].request(
                        "POST", "/api/v1/records", {"records": versions}, phone_token)
                except DOWN:
                    return
                if status == 200:
                    with lock:
                        village_acked.update(key(v) for v, r in zip(versions, body["results"])
                                             if r["status"] in ("accepted", "duplicate"))

        def pusher():
            for body, records in batches:
                try:
                    status, answer = servers["commune"].request(
                        "POST", "/api/v1/batches", raw=body, token=staff_token)
                except DOWN:
                    return
                assert status == 200, answer
                with lock:
                    commune_acked.update(key(v) for v in records)

        def exporter():
            for i in range(20):
                out = tmp_path / f"export-{round_no}-{i}.json"
                done = subprocess.run([sys.executable, "-m", "fieldapp", "--data",
                                       village.data_dir, "export", "--out", str(out)],
                                      capture_output=True, timeout=60)
                if done.returncode == 0:
                    exports.append(out)
                if servers["village"].process.poll() is not None:
                    return

        threads = [threading.Thread(target=phone, args=(n,)) for n in range(4)]
        threads += [threading.Thread(target=pusher), threading.Thread(target=exporter)]
        for thread in threads:
            thread.start()
        delays = sorted([("village", 0.3 + rng.random() * 1.2),
                         ("commune", 0.2 + rng.random() * 1.2)], key=lambda d: d[1])
        began = time.monotonic()
        for name, delay in delays:
            time.sleep(max(0.0, began + delay - time.monotonic()))
            servers[name].kill()
        for thread in threads:
            thread.join(90)
            assert not thread.is_alive()
        for server in servers.values():
            server.stop()

        # after the crash: files whole, acknowledged writes stored
        checked_files += every_json_file_parses(village.data_dir)
        checked_files += every_json_file_parses(commune.data_dir)
        missing = village_acked - stored_keys(Site(village.data_dir))
        assert not missing, f"round {round_no}: {len(missing)} acknowledged records lost"
        missing = commune_acked - stored_keys(Site(commune.data_dir))
        assert not missing, f"round {round_no}: {len(missing)} versions of received batches lost"
        in_village = stored_keys(Site(village.data_dir))
        for out in exports:
            batch = json.loads(out.read_bytes())
            assert {key(v) for v in batch["records"]} <= in_village

        # restarted: the indicators are those of the stored versions
        restarted = LiveServer(village.data_dir).start()
        try:
            indicators_match(restarted, admin_token, village.data_dir, runner)
        finally:
            restarted.stop()
        restarted = LiveServer(commune.data_dir).start()
        try:
            answer = indicators_match(restarted, staff_token, commune.data_dir, runner)
        finally:
            restarted.stop()

    print(f"{ROUNDS} rounds: {len(village_acked)} acknowledged record versions, "
          f"{len(commune_acked)} versions in received batches, {len(exports)} exports, "
          f"{checked_files} JSON files checked")
    assert village_acked and checked_files >= 4 * ROUNDS
    if commune_acked:
        assert answer["by_village"]


def _writer(directory, names, then):
    """A process that starts writing temporary files the way atomic_write_bytes names them,
    then `then` (Python code): kill itself, or wait."""
    code = ("import os, signal, sys, time\n"
            f"for d, n in {[(str(directory[i]), n) for i, n in enumerate(names)]!r}:\n"
            "    open(os.path.join(d, f'{n}.tmp-{os.getpid()}-7'), 'wb').write(b'{\"half')\n"
            "print(os.getpid(), flush=True)\n" + then)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_temporary_files_of_a_killed_writer_are_removed_when_the_site_opens(site_templates,
                                                                            tmp_path):
    site = site_templates.copy(tmp_path / "village", factories.village_site)
    records = os.path.join(site.data_dir, "records")
    killed = _writer([site.data_dir, records], ["meta.json", "local.0001.json"],
                     "os.kill(os.getpid(), signal.SIGKILL)")
    killed.communicate(timeout=30)
    assert killed.returncode == -9
    alive = _writer([site.data_dir], ["settings.json"], "time.sleep(60)")
    alive_pid = int(alive.stdout.readline())
    old = os.path.join(site.data_dir, f"secret_key.tmp-{alive_pid}-8")  # alive, but hours old
    with open(old, "wb") as handle:
        handle.write(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    try:
        Site(site.data_dir)
        left = [name for directory in (site.data_dir, records)
                for name in os.listdir(directory) if ".tmp-" in name]
        assert left == [f"settings.json.tmp-{alive_pid}-7"]
    finally:
        alive.kill()
        alive.communicate(timeout=10)
    Site(site.data_dir)
    assert not any(".tmp-" in name for name in os.listdir(site.data_dir))
