"""The real `fieldapp serve` under waitress: API, concurrency, a second process, kill -9."""
import glob
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

import pytest

from tests.support.live import LiveServer
from tests.support.factories import VOL_PIN, LEAD_PIN, household, person

CRASH_ROUNDS = int(os.environ.get("FIELDAPP_CRASH_ROUNDS", "3"))


def every_file_parses(data_dir):
    for path in glob.glob(os.path.join(data_dir, "**", "*.json"), recursive=True):
        with open(path, "rb") as handle:
            json.loads(handle.read())


def test_the_server_answers_api_calls_and_json_errors(live_server):
    assert live_server.request("GET", "/healthz") == (200, {"status": "ok"})
    token = live_server.login("minh", VOL_PIN)
    home = household(author="minh")
    status, body = live_server.request("POST", "/api/v1/records", {"records": [home]}, token)
    assert status == 200 and body["results"][0]["status"] == "accepted"
    status, body = live_server.request("POST", "/api/v1/records", raw=b"{oops", token=token)
    assert status == 400 and body["error"]["code"] == "bad_request"
    status, body = live_server.request("POST", "/api/v1/records",
                                       raw=b"[" + b"1," * (3 * 1024 * 1024) + b"1]", token=token)
    assert status == 413 and "error" in body
    status, body = live_server.request("GET", "/api/v1/records?since=0", token=token)
    assert [r["id"] for r in body["records"]] == [home["id"]]


def test_many_clients_posting_at_once_lose_nothing(live_server, site):
    token = live_server.login("minh", VOL_PIN)
    acknowledged, errors = [], []
    lock = threading.Lock()
    shared = household("Hộ chung", author="minh")
    live_server.request("POST", "/api/v1/records", {"records": [shared]}, token)

    def client(n):
        for i in range(8):
            edit = dict(shared, updated_at=f"2025-08-01T0{n % 10}:{i:02d}:00.{n:03d}Z",
                        device_id=f"ph-{n}", data=dict(shared["data"], note=f"{n}-{i}"))
            records = [household(f"Hộ {n}-{i}", author="minh"), edit]
            status, body = live_server.request("POST", "/api/v1/records", {"records": records}, token)
            with lock:
                if status != 200:
                    errors.append((status, body))
                else:
                    acknowledged.extend((r["id"], r["status"]) for r in body["results"])
    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert all(status == "accepted" for _, status in acknowledged)
    site.store.refresh()
    assert len(site.store) == 1 + 20 * 8 * 2          # every version of the shared record kept
    assert len(site.store.history(shared["id"])) == 1 + 20 * 8
    newest = max(site.store.history(shared["id"]), key=lambda v: (v["updated_at"], v["device_id"]))
    assert site.store.current(shared["id"]) == newest
    every_file_parses(site.data_dir)


def test_a_cli_command_writing_while_the_server_runs_is_seen(live_server, site):
    result = subprocess.run([sys.executable, "-m", "fieldapp", "--data", site.data_dir, "user",
                             "add", "thu", "--role", "volunteer", "--secret", "620591"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert live_server.login("thu", "620591")


@pytest.mark.slow
def test_kill_9_during_writes_never_loses_an_acknowledged_record(site, tmp_path):
    rng = random.Random(1)
    acknowledged = set()
    for round_no in range(CRASH_ROUNDS):
        server = LiveServer(site.data_dir).start()
        token = server.login("minh", VOL_PIN)
        stop = threading.Event()
        lock = threading.Lock()

        def client(n):
            i = 0
            while not stop.is_set() and i < 400:          # bounded
                batch = [household(f"Hộ {round_no}-{n}-{i}-{k}", author="minh")
                         for k in range(rng.choice([1, 1, 5]))]
                i += 1
                try:
                    status, body = server.request("POST", "/api/v1/records",
                                                  {"records": batch}, token)
                except (OSError, http.client.HTTPException):
                    return     # the server was killed mid-request
                if status == 200:
                    with lock:
                        acknowledged.update(r["id"] for r in body["results"]
                                            if r["status"] in ("accepted", "duplicate"))
        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(0.3 + rng.random() * 0.7)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(30)
        server.stop()
        every_file_parses(site.data_dir)
        restarted = LiveServer(site.data_dir).start()
        token = restarted.login("lan", LEAD_PIN)
        stored, since = set(), 0
        while True:
            status, body = restarted.request("GET", f"/api/v1/records?since={since}", token=token)
            assert status == 200
            stored.update(r["id"] for r in body["records"])
            since = body["next_since"]
            if not body["more"]:
                break
        restarted.stop()
        assert acknowledged <= stored, f"lost {len(acknowledged - stored)} acknowledged records"
    assert len(acknowledged) > 0
