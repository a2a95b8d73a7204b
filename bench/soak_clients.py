"""The soak test's clients (bench/soak.py): a volunteer's phone playing the round app's
pattern, an officer browsing the pages, both over one keep-alive connection each to the
real server, counting requests, errors and latencies; and the helpers they share."""
import datetime
import http.client
import json
import re
import time
import urllib.parse
import uuid

from fieldapp.forms.rules import CHOICES
from fieldapp.forms.versions import base_of

VILLAGE = "thon-3"
PIN = "730164"
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Văn Em", "Thị Hoa", "Minh Khôi",
         "Thị Lan", "Đức Mạnh", "Thu Ngân", "Quang Phúc", "Thị Quyên"]
HELP = list(CHOICES["help"])              # the rules' own lists: a phone sends no other
AREAS = list(CHOICES["service_area"])
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

    def version(self, kind, data, record_id=None, made_from=None):
        """A new version, naming as its base the one it was made from, as the round app
        does (SPEC §3): an edit without one would fork every record it touches."""
        return {"id": record_id or str(uuid.uuid4()), "type": kind, "village_id": VILLAGE,
                "updated_at": stamp(datetime.datetime.now(datetime.timezone.utc)),
                "device_id": self.device, "author": self.username, "deleted": False,
                "data": data, "base": base_of(made_from)}

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
        return self.version("person", data, member["id"], made_from=member)

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
