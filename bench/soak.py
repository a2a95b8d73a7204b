"""Soak test: mixed traffic from 30 clients against one real server for N minutes.

A village site with 200 households is served by the real `fieldapp serve` on 127.0.0.1.
Each client (one volunteer account each, one keep-alive connection) loops over a mix of
record posts (1-5 new versions), pulls (`GET /api/v1/records?since=`), indicators and
page loads (households list and search, one household, the round app, a guide), with a
short random pause between requests. Every interval (a minute by default) one line gives
the requests, errors, p95 latency and the server's resident memory (VmRSS of
/proc/<pid>/status). After the run the server is stopped and every acknowledged version
is looked up in the record store, read fresh from disk.

Last line, a JSON object: `errors` (non-2xx/3xx answers and failed connections),
`lost_writes` (versions the server acknowledged that are not stored), `rss_growth_mb`
(RSS at the end minus RSS after the first interval, i.e. after warm-up); the goals are
0, 0 and at most 20. Because the record store keeps every version in memory, RSS also
grows with the data posted; `rss_beyond_data_mb` compares the end RSS with a fresh
server on the same data directory, which is what a leak would show in.

    python bench/soak.py [--minutes 15] [--clients 30] [--think 0.5]
"""
import argparse
import http.client
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fieldapp.auth import add_user, issue_token  # noqa: E402
from fieldapp.site import Site  # noqa: E402
from tests.factories import LEAD_PIN, household, person, visit, village_site  # noqa: E402
from tests.live import LiveServer  # noqa: E402

VOLUNTEER_PIN = "730164"
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


def rss_mb(pid):
    """Resident memory of a process in MB, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def p95(values):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


class Client:
    """One phone/browser: a keep-alive connection, a bearer token and a page session."""

    def __init__(self, port, token, username, homes, rng):
        self.port, self.token, self.username, self.homes, self.rng = port, token, username, homes, rng
        self.conn = None
        self.cookie = ""
        self.since = 0

    def call(self, method, path, body=None, headers=None):
        """(status, body bytes, response headers); reconnects after a dropped connection."""
        headers = dict(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read(), response
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def login_page(self):
        """Sign in through the real login page (CSRF token and session cookie)."""
        status, body, response = self.call("GET", "/login")
        self.cookie = response.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
        form = urllib.parse.urlencode({"csrf_token": token, "username": self.username,
                                       "secret": VOLUNTEER_PIN})
        status, _, response = self.call("POST", "/login", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
        assert status == 302, status
        self.cookie = response.getheader("Set-Cookie", self.cookie).split(";")[0]

    def api(self, method, path, payload=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        return self.call(method, path, body, headers)

    def page(self, path):
        return self.call("GET", path, headers={"Cookie": self.cookie})

    def one_request(self, acknowledged):
        """Do one request of the mix; return (kind, ok)."""
        roll = self.rng.random()
        if roll < 0.35:
            home = self.rng.choice(self.homes)
            versions = [household(self.rng.choice(NAMES), author=self.username,
                                  device_id=f"ph-{self.username}")]
            for _ in range(self.rng.randint(0, 3)):
                versions.append(person(home, name=self.rng.choice(NAMES), author=self.username,
                                       device_id=f"ph-{self.username}",
                                       birth_year=self.rng.randint(1940, 2007)))
            if self.rng.random() < 0.5:
                versions.append(visit(home, author=self.username, device_id=f"ph-{self.username}"))
            status, body, _ = self.api("POST", "/api/v1/records", {"records": versions})
            if status != 200:
                return "post", False
            results = json.loads(body)["results"]
            ok = all(r["status"] in ("accepted", "duplicate") for r in results)
            acknowledged.extend(v for v, r in zip(versions, results)
                                if r["status"] in ("accepted", "duplicate"))
            return "post", ok
        if roll < 0.55:
            status, body, _ = self.api("GET", f"/api/v1/records?since={self.since}&limit=500")
            if status == 200:
                self.since = json.loads(body)["next_since"]
            return "pull", status == 200
        if roll < 0.65:
            status, _, _ = self.api("GET", "/api/v1/indicators")
            return "indicators", status == 200
        path = self.rng.choice(["/households", "/households?q=nguyen", "/households?q=b%C3%ACnh",
                                f"/households/{self.rng.choice(self.homes)}", "/round",
                                "/guides/"])
        status, _, _ = self.page(path)
        return "page", status == 200


def build(root, clients):
    """A village site with 200 households, a lead and `clients` volunteers with tokens."""
    site = village_site(os.path.join(root, "village"), users=False)
    add_user(site, "lan", "lead", LEAD_PIN, "thon-3")
    rng = random.Random(1)
    homes = [household(f"{rng.choice(NAMES)} {n}", author="lan") for n in range(200)]
    site.store.submit(homes)
    accounts = []
    for n in range(clients):
        user = add_user(site, f"tnv{n:02d}", "volunteer", VOLUNTEER_PIN, "thon-3")
        accounts.append((user["username"], issue_token(site, user)))
    return site, [h["id"] for h in homes], accounts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--think", type=float, default=0.5,
                        help="mean pause in seconds between a client's requests")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per report line")
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="fieldapp-soak-")
    site, homes, accounts = build(root, args.clients)
    server = LiveServer(site.data_dir).start()
    pid = server.process.pid
    print(f"soak: {args.clients} clients, {args.minutes:g} min, think {args.think:g} s, "
          f"server pid {pid}, data {site.data_dir}", flush=True)

    lock = threading.Lock()
    samples = []            # (monotonic time, seconds, ok, kind)
    acknowledged = []
    stop = threading.Event()
    failures = []

    def worker(n, username, token):
        rng = random.Random(100 + n)
        client = Client(server.port, token, username, homes, rng)
        own_ack = []
        try:
            client.login_page()
        except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
            failures.append(repr(error))
        while not stop.is_set():
            start = time.monotonic()
            kind = "?"
            try:
                kind, ok = client.one_request(own_ack)
            except Exception as error:  # noqa: BLE001
                ok = False
                failures.append(repr(error))
            with lock:
                samples.append((start, time.monotonic() - start, ok, kind))
            stop.wait(rng.uniform(0, 2 * args.think))
        with lock:
            acknowledged.extend(own_ack)

    threads = [threading.Thread(target=worker, args=(n, u, t), daemon=True)
               for n, (u, t) in enumerate(accounts)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    end = began + args.minutes * 60
    rss = [rss_mb(pid)]
    print(f"{'min':>5} {'requests':>9} {'errors':>7} {'p95 ms':>8} {'rss MB':>8}", flush=True)
    mark, interval_no = began, 0
    while mark < end:
        next_mark = min(end, mark + args.interval)
        time.sleep(max(0.0, next_mark - time.monotonic()))
        interval_no += 1
        with lock:
            window = [s for s in samples if mark <= s[0] < next_mark]
        rss.append(rss_mb(pid))
        print(f"{(next_mark - began) / 60:5.1f} {len(window):9d} "
              f"{sum(1 for s in window if not s[2]):7d} "
              f"{p95([s[1] for s in window]) * 1000:8.1f} {rss[-1]:8.1f}", flush=True)
        mark = next_mark
    stop.set()
    for thread in threads:
        thread.join(120)
    last = [x for x in samples if x[0] >= end - args.interval]
    by_kind = {k: round(p95([x[1] for x in last if x[3] == k]) * 1000, 1)
               for k in sorted({x[3] for x in last})}
    server.stop()
    # the same data served by a fresh process, after one request of each kind: what the
    # data itself costs in memory, so that growth beyond it points at a leak
    fresh_server = LiveServer(site.data_dir).start()
    probe = Client(fresh_server.port, accounts[0][1], accounts[0][0], homes, random.Random(7))
    probe.login_page()
    for _ in range(40):
        probe.one_request([])
    rss_fresh = rss_mb(fresh_server.process.pid)
    fresh_server.stop()

    fresh = Site(site.data_dir)
    stored = {(v["id"], v["updated_at"], v["device_id"])
              for versions in fresh.store.histories().values() for v in versions}
    lost = sum(1 for v in acknowledged if (v["id"], v["updated_at"], v["device_id"]) not in stored)
    errors = sum(1 for s in samples if not s[2])
    baseline = rss[1] if len(rss) > 2 else rss[0]
    if failures:
        print("first failures:", failures[:3], file=sys.stderr)
    print(json.dumps({"minutes": args.minutes, "clients": args.clients, "requests": len(samples),
                      "acknowledged_versions": len(acknowledged), "errors": errors,
                      "lost_writes": lost, "rss_start_mb": round(rss[0], 1),
                      "rss_after_warmup_mb": round(baseline, 1), "rss_end_mb": round(rss[-1], 1),
                      "rss_growth_mb": round(rss[-1] - baseline, 1),
                      "rss_fresh_same_data_mb": round(rss_fresh, 1),
                      "rss_beyond_data_mb": round(rss[-1] - rss_fresh, 1),
                      "p95_ms_last_interval": by_kind}))


if __name__ == "__main__":
    main()
