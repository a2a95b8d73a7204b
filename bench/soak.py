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
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fieldapp.auth.accounts import add_user  # noqa: E402
from fieldapp.site import init_site  # noqa: E402
from fieldapp.site import Site  # noqa: E402
from tests.support.live import LiveServer  # noqa: E402

VILLAGE = "thon-3"
PIN = "730164"
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Văn Em", "Thị Hoa", "Minh Khôi",
         "Thị Lan", "Đức Mạnh", "Thu Ngân", "Quang Phúc", "Thị Quyên"]
HELP = ["vneid_install", "vneid_level2", "vneid_password_reset", "phone_number_update",
        "bank_account", "online_filing", "online_payment", "guide_shared"]
AREAS = ["land", "construction", "investment", "civil_status", "social_insurance",
         "business", "other"]
VIETNAM = datetime.timedelta(hours=7)

# seconds of real life (divided by --speed)
SAVE_GAP = 180.0        # one save every ~3 minutes per volunteer (a house: ~15 min, ~5 saves)
IDLE_PULL = 60.0        # the round app pulls once a minute when it has nothing to send
OFFICER_GAP = 20.0      # an officer opens a page every ~20 s


def stamp(moment):
    """A SPEC timestamp (UTC, milliseconds) of an aware datetime."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def name(rng):
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


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
    """One phone or browser: a keep-alive connection, a bearer token and a page session."""

    def __init__(self, port, username, rng):
        self.port, self.username, self.rng = port, username, rng
        self.conn = None
        self.cookie = ""
        self.token = None

    def call(self, method, path, body=None, headers=None):
        """(status, body bytes, response); reconnects after a dropped connection."""
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
                                       "secret": PIN})
        status, _, response = self.call("POST", "/login", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
        assert status == 302, status
        self.cookie = response.getheader("Set-Cookie", self.cookie).split(";")[0]

    def login_api(self):
        status, body, _ = self.api("POST", "/api/v1/login", {"username": self.username,
                                                            "secret": PIN})
        assert status == 200, (status, body[:200])
        self.token = json.loads(body)["token"]

    def api(self, method, path, payload=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = None
        if payload is not None:
            body = json.dumps(payload)
            headers["Content-Type"] = "application/json"
        return self.call(method, path, body, headers)

    def page(self, path):
        return self.call("GET", path, headers={"Cookie": self.cookie})


class Phone(Client):
    """A volunteer's phone running the round app: saves, sends, pulls (static/round/outbox.js)."""

    def __init__(self, port, username, rng, speed):
        super().__init__(port, username, rng)
        self.speed = speed
        self.since = 0
        self.homes, self.people = {}, {}      # id -> current version, from pulls
        self.plan = []                        # the saves left in the current house
        self.offline = False
        self.outbox = []
        self.device = f"ph-{username}"

    def start(self, do):
        """Open the app: shell, sign-in, rules, a full pull; and a page session."""
        do("page", lambda: self.call("GET", "/round")[0] == 200)
        do("login", lambda: self.login_api() is None)
        do("pull", lambda: self.api("GET", "/api/v1/rules")[0] == 200)
        do("pull", self.pull)
        do("login", lambda: self.login_page() is None)

    def pull(self):
        """GET /api/v1/records?since= until nothing more; keep the households and people."""
        while True:
            status, body, _ = self.api("GET", f"/api/v1/records?since={self.since}&limit=1000")
            if status != 200:
                return False
            answer = json.loads(body)
            for v in answer["records"]:
                target = {"household": self.homes, "person": self.people}.get(v["type"])
                if target is not None:
                    if v["deleted"]:
                        target.pop(v["id"], None)
                    else:
                        target[v["id"]] = v
            self.since = answer["next_since"]
            if not answer["more"]:
                return True

    def version(self, kind, data, record_id=None):
        return {"id": record_id or str(uuid.uuid4()), "type": kind, "village_id": VILLAGE,
                "updated_at": stamp(datetime.datetime.now(datetime.timezone.utc)),
                "device_id": self.device, "author": self.username, "deleted": False,
                "data": data}

    def new_house(self):
        """The saves of the next house, as functions making a version when saved."""
        rng = self.rng
        if rng.random() < 0.05 or not self.homes:
            home = {"id": str(uuid.uuid4()), "data": {"head_name": name(rng),
                                                     "address": f"Xóm {rng.randint(1, 6)}"}}
            plan = [lambda h=home: self.version("household", h["data"], h["id"])]
        else:
            home = self.homes[rng.choice(list(self.homes))]
            plan = []
        members = [p for p in self.people.values() if p["data"]["household_id"] == home["id"]] \
            if len(self.people) < 5000 else []
        for member in rng.sample(members, min(len(members), rng.randint(1, 3))):
            plan.append(lambda m=member: self.edit_person(m))
        if rng.random() < 0.15 or not members:
            plan.append(lambda h=home: self.version("person", {
                "household_id": h["id"], "full_name": name(rng),
                "birth_year": rng.randint(1940, 2020), "sex": rng.choice(["male", "female"]),
                "vneid": "none", "bank_account": False, "uses_online_services": False}))
        today = (datetime.datetime.now(datetime.timezone.utc) + VIETNAM).date().isoformat()
        plan.append(lambda h=home: self.version("visit", {
            "household_id": h["id"], "visited_on": today,
            "outcome": rng.choice(["met"] * 8 + ["absent", "refused"]),
            "help": rng.sample(HELP, rng.randint(0, 3))}))
        if rng.random() < 0.4:
            plan.append(lambda h=home: self.version("survey", {
                "household_id": h["id"], "surveyed_on": today,
                "service_area": rng.choice(AREAS), "rating": rng.choice([3, 4, 4, 5, 5])}))
        self.offline = rng.random() < 0.2
        return plan

    def edit_person(self, member):
        data = dict(member["data"])
        step = {"none": "installed", "installed": "level1", "level1": "level2"}
        data["vneid"] = step.get(data["vneid"], "level2")
        data["bank_account"] = data["bank_account"] or self.rng.random() < 0.3
        data["uses_online_services"] = data["uses_online_services"] or self.rng.random() < 0.3
        return self.version("person", data, member["id"])

    def save(self, do, acknowledged):
        """One save of the current house: sent at once (then a pull), or queued offline."""
        if not self.plan:
            self.plan = self.new_house()
        self.outbox.append(self.plan.pop(0)())
        if self.offline and self.plan:
            return
        do("post", lambda: self.send(acknowledged))
        do("pull", self.pull)

    def send(self, acknowledged):
        batch, self.outbox = self.outbox, []
        status, body, _ = self.api("POST", "/api/v1/records", {"records": batch})
        if status != 200:
            return False
        results = json.loads(body)["results"]
        good = [v for v, r in zip(batch, results) if r["status"] in ("accepted", "duplicate")]
        acknowledged.extend(good)
        return len(good) == len(batch)

    def browse(self, do):
        """A volunteer looking something up on the pages."""
        home = self.rng.choice(list(self.homes)) if self.homes else ""
        path = self.rng.choice(["/households", f"/households?q={urllib.parse.quote(name(self.rng).split()[-1])}",
                                f"/households/{home}"])
        do("page", lambda: self.page(path)[0] == 200)

    def run(self, do, acknowledged, stop):
        self.start(do)
        next_save = time.monotonic() + self.rng.expovariate(self.speed / SAVE_GAP)
        last_pull = time.monotonic()
        while not stop.is_set():
            next_pull = last_pull + IDLE_PULL / self.speed
            moment = min(next_save, next_pull)
            if stop.wait(max(0.0, moment - time.monotonic())):
                break
            if moment == next_save:
                if self.rng.random() < 0.1:
                    self.browse(do)
                else:
                    self.save(do, acknowledged)
                next_save = time.monotonic() + self.rng.expovariate(self.speed / SAVE_GAP)
            else:
                do("pull", self.pull)
            last_pull = time.monotonic()
        if self.outbox:
            do("post", lambda: self.send(acknowledged))


class Officer(Client):
    """The team lead or a deputy on the pages: dashboard, households, volunteers."""

    def __init__(self, port, username, rng, speed, homes):
        super().__init__(port, username, rng)
        self.speed, self.homes = speed, homes

    def run(self, do, acknowledged, stop):
        do("login", lambda: self.login_page() is None)
        do("login", lambda: self.login_api() is None)
        while not stop.wait(self.rng.expovariate(self.speed / OFFICER_GAP)):
            roll = self.rng.random()
            if roll < 0.35:
                do("dashboard", lambda: self.page("/village/dashboard")[0] == 200)
            elif roll < 0.45:
                do("indicators", lambda: self.api("GET", "/api/v1/indicators")[0] == 200)
            elif roll < 0.55:
                do("page", lambda: self.page("/volunteers")[0] == 200)
            else:
                path = self.rng.choice([
                    "/households", "/households?page=2",
                    f"/households?q={urllib.parse.quote(self.rng.choice(SURNAMES))}",
                    f"/households/{self.rng.choice(self.homes)}"])
                do("page", lambda: self.page(path)[0] == 200)


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
