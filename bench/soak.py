"""Soak test: a compressed campaign day of 30 volunteers' phones and a few officers against
one real village server, looking for leaks, errors, lost writes and latency growth.

A village site is seeded like one two weeks into its campaign (250 households, ~870
people, visits and surveys; ~1,350 versions) and served by the real `fieldapp serve` on
127.0.0.1. Clients behave like the real ones, with time compressed by `--speed`:

* 30 phones run the round app's pattern (fieldapp/static/round/outbox.js). On start: the /round
  shell, an API sign-in (scrypt PIN), /api/v1/rules, a full pull; and a page sign-in, as
  some volunteers also use the pages. Then house after house: a household visit takes
  about 15 minutes of real time and gives ~5 saves (edit 1-3 known people, sometimes a
  new person or a new household, one visit, a survey in 40 % of houses), one save every
  ~3 minutes. Each save is sent on its own (POST of 1 version) followed by a pull, as
  the round app does 300 ms after saving; in one house out of five the phone is out of range
  and sends the house's 3-6 versions in one POST when back. With nothing to send, the
  app pulls once a minute. One action in ten is a page instead (households list, a search,
  one household).
* 3 officers (the team lead and deputies, role lead) browse the pages every ~20 s of
  real time: village dashboard (all indicators and the volunteers' statistics), the
  households list and search, one household, the volunteers page, and the indicators API.

Real-life rates at `--speed 1`: ~10 saves a minute for the whole team (~4,800 versions in
an 8-hour day), ~40 requests a minute. The default `--speed 32` plays such a day in
15 minutes: ~4.5 versions/s, ~27 requests/s, ~4,000 new versions (the old soak did 20 posts
of 1-5 brand-new records a second, 54,000 versions and 18,000 new households in a village
of 200: many campaigns' worth of data in one run, never an edit). The read load per
version is the real one, so recomputation over stored data shows as latency growth, and
a per-request leak over ~20,000 requests shows in RSS.

Every interval (a minute by default) one line gives the requests, errors, p95 latency
and the server's resident memory (VmRSS). After the run the server is stopped and every
acknowledged version is looked up in the record store, read fresh from disk.

Last line, a JSON object: `errors` (non-2xx/3xx answers and failed connections),
`lost_writes` (versions the server acknowledged that are not stored), `rss_growth_mb`
(RSS at the end minus RSS after the first interval, i.e. after warm-up); the goals are
0, 0 and at most 20. `p95_growth_ratio` is the last interval's p95 over the second's
(the first holds the sign-ins' scrypt hashing). The record store keeps every version in memory, so RSS also grows
with the data posted: `rss_beyond_data_mb` compares the end RSS with a fresh server on
the same data directory (after the same kinds of requests), which is what a leak shows in.

    python bench/soak.py [--minutes 15] [--clients 30] [--officers 3] [--speed 32]
"""
import argparse
import datetime
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fieldapp.auth.accounts import add_user  # noqa: E402
from fieldapp.site import init_site  # noqa: E402
from fieldapp.site import Site  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

from bench.soak_clients import (AREAS, HELP, PIN, VIETNAM, VILLAGE, Officer,  # noqa: E402
                                Phone, name, p95, rss_mb, stamp)


def build(root, clients, officers, seed=1):
    """A village site two weeks into its campaign, with its volunteers and leads."""
    today = (datetime.datetime.now(datetime.timezone.utc) + VIETNAM).date()
    start, end = today - datetime.timedelta(days=14), today + datetime.timedelta(days=17)
    data_dir = os.path.join(root, "village")
    init_site(data_dir, "village", "25264",
              [{"id": VILLAGE, "name": "Thôn 3", "adult_population": None, "targets": {}}],
              start, end)
    site = Site(data_dir)
    volunteers = [f"tnv{n:02d}" for n in range(clients)]
    leads = [f"totruong{n}" for n in range(officers)]
    for username in volunteers:
        add_user(site, username, "volunteer", PIN, VILLAGE)
    for username in leads:
        add_user(site, username, "lead", PIN, VILLAGE)
    rng = random.Random(seed)
    now = datetime.datetime.now(datetime.timezone.utc)
    versions = []

    def make(kind, data, record_id=None):
        moment = now - datetime.timedelta(days=14) * rng.random() - datetime.timedelta(hours=1)
        author = rng.choice(volunteers)
        versions.append({"id": record_id or str(uuid.uuid4()), "type": kind,
                         "village_id": VILLAGE, "updated_at": stamp(moment),
                         "device_id": f"ph-{author}", "author": author, "deleted": False,
                         "data": data})
        return versions[-1]

    homes = []
    for _ in range(250):
        home = make("household", {"head_name": name(rng), "address": f"Xóm {rng.randint(1, 6)}"})
        homes.append(home["id"])
        for _ in range(rng.randint(2, 5)):
            make("person", {"household_id": home["id"], "full_name": name(rng),
                            "birth_year": rng.randint(1940, 2020),
                            "sex": rng.choice(["male", "female"]),
                            "vneid": rng.choice(["none", "installed", "level1", "level2"]),
                            "bank_account": rng.random() < 0.5,
                            "uses_online_services": rng.random() < 0.3})
        if rng.random() < 0.6:
            make("visit", {"household_id": home["id"],
                           "visited_on": (today - datetime.timedelta(days=rng.randint(1, 13))).isoformat(),
                           "outcome": rng.choice(["met", "met", "absent"]),
                           "help": rng.sample(HELP, rng.randint(0, 3))})
        if rng.random() < 0.3:
            make("survey", {"household_id": home["id"],
                            "surveyed_on": (today - datetime.timedelta(days=rng.randint(1, 13))).isoformat(),
                            "service_area": rng.choice(AREAS), "rating": rng.randint(2, 5)})
    versions.sort(key=lambda v: v["updated_at"])
    site.store.submit(versions)
    return site, homes, volunteers, leads, len(versions)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="length of the run")
    parser.add_argument("--clients", type=int, default=30, help="volunteers' phones")
    parser.add_argument("--officers", type=int, default=3, help="leads browsing the pages")
    parser.add_argument("--speed", type=float, default=32.0,
                        help="time compression: 32 plays an 8-hour day in 15 minutes")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per report line")
    args = parser.parse_args()

    root = tempfile.mkdtemp(prefix="fieldapp-soak-")
    site, homes, volunteers, leads, seeded = build(root, args.clients, args.officers)
    server = LiveServer(site.data_dir).start()
    pid = server.process.pid
    print(f"soak: {args.clients} phones, {args.officers} officers, {args.minutes:g} min, "
          f"speed {args.speed:g}, {seeded} seeded versions, server pid {pid}, "
          f"data {site.data_dir}", flush=True)

    lock = threading.Lock()
    samples = []            # (monotonic time, seconds, ok, kind)
    acknowledged = []
    stop = threading.Event()
    failures = []

    def recorder():
        def do(kind, action):
            start = time.monotonic()
            try:
                ok = bool(action())
            except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
                ok = False
                failures.append(f"{kind}: {error!r}")
            with lock:
                samples.append((start, time.monotonic() - start, ok, kind))
        return do

    def worker(client):
        own_ack = []
        try:
            client.run(recorder(), own_ack, stop)
        except Exception as error:  # noqa: BLE001
            failures.append(repr(error))
        with lock:
            acknowledged.extend(own_ack)

    clients = [Phone(server.port, u, random.Random(100 + n), args.speed)
               for n, u in enumerate(volunteers)]
    clients += [Officer(server.port, u, random.Random(200 + n), args.speed, homes)
                for n, u in enumerate(leads)]
    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    end = began + args.minutes * 60
    rss = [rss_mb(pid)]
    print(f"{'min':>5} {'requests':>9} {'errors':>7} {'p95 ms':>8} {'dash p95':>9} "
          f"{'rss MB':>8}", flush=True)
    mark, p95s = began, []
    while mark < end:
        next_mark = min(end, mark + args.interval)
        time.sleep(max(0.0, next_mark - time.monotonic()))
        with lock:
            window = [s for s in samples if mark <= s[0] < next_mark]
        rss.append(rss_mb(pid))
        p95s.append(p95([s[1] for s in window]))
        print(f"{(next_mark - began) / 60:5.1f} {len(window):9d} "
              f"{sum(1 for s in window if not s[2]):7d} "
              f"{p95([s[1] for s in window]) * 1000:8.1f} "
              f"{p95([s[1] for s in window if s[3] == 'dashboard']) * 1000:9.1f} "
              f"{rss[-1]:8.1f}", flush=True)
        mark = next_mark
    stop.set()
    for thread in threads:
        thread.join(120)
    last = [x for x in samples if x[0] >= end - args.interval]
    by_kind = {k: round(p95([x[1] for x in last if x[3] == k]) * 1000, 1)
               for k in sorted({x[3] for x in last})}
    server.stop()
    # the same data served by a fresh process, after requests of every kind: what the
    # data itself costs in memory, so that growth beyond it points at a leak
    fresh_server = LiveServer(site.data_dir).start()
    probes = [Phone(fresh_server.port, volunteers[0], random.Random(7), args.speed),
              Officer(fresh_server.port, leads[0], random.Random(8), args.speed, homes)
              if leads else None]
    probe_stop = threading.Event()
    probe_threads = [threading.Thread(target=p.run, args=(recorder(), [], probe_stop), daemon=True)
                     for p in probes if p is not None]
    for thread in probe_threads:
        thread.start()
    time.sleep(min(20.0, args.interval))
    probe_stop.set()
    for thread in probe_threads:
        thread.join(60)
    rss_fresh = rss_mb(fresh_server.process.pid)
    fresh_server.stop()

    fresh = Site(site.data_dir)
    stored = {(v["id"], v["updated_at"], v["device_id"])
              for versions in fresh.store.histories().values() for v in versions}
    lost = sum(1 for v in acknowledged if (v["id"], v["updated_at"], v["device_id"]) not in stored)
    errors = sum(1 for s in samples if not s[2] and s[0] < end)
    baseline = rss[1] if len(rss) > 2 else rss[0]
    if failures:
        print("first failures:", failures[:3], file=sys.stderr)
    print(json.dumps({"minutes": args.minutes, "clients": args.clients,
                      "officers": args.officers, "speed": args.speed,
                      "requests": sum(1 for s in samples if s[0] < end),
                      "seeded_versions": seeded, "stored_versions": len(stored),
                      "acknowledged_versions": len(acknowledged), "errors": errors,
                      "lost_writes": lost, "rss_start_mb": round(rss[0], 1),
                      "rss_after_warmup_mb": round(baseline, 1), "rss_end_mb": round(rss[-1], 1),
                      "rss_growth_mb": round(rss[-1] - baseline, 1),
                      "rss_fresh_same_data_mb": round(rss_fresh, 1),
                      "rss_beyond_data_mb": round(rss[-1] - rss_fresh, 1),
                      "p95_ms_per_interval": [round(p * 1000, 1) for p in p95s],
                      # latency growth: the last interval against the first after warm-up
                      "p95_growth_ratio": round(p95s[-1] / p95s[1], 2)
                      if len(p95s) > 2 and p95s[1] else None,
                      "p95_ms_last_interval": by_kind}))


if __name__ == "__main__":
    main()
