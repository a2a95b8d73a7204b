"""A seeded, realistic demo commune: village laptops with four weeks of door-to-door work.

Layout under the data directory:  villages/<village-id>/  one village site each, and
commune/  the commune centre, which receives the villages' work as sync batches.
"""
import datetime
import os
import random
import shutil
import uuid
from dataclasses import dataclass, field

from fieldapp.auth.accounts import add_user
from fieldapp.forms.text import TZ_OFFSET, vn_number
from fieldapp.forms.versions import base_of

__all__ = ["build_demo", "link_push", "DemoSummary", "DEMO_COMMUNE", "DEMO_VILLAGES",
           "LEAD_PIN", "VOLUNTEER_PIN", "STAFF_PASSWORD", "WIFI_PASSWORD"]

DEMO_COMMUNE = "25264"                      # Xã Phú Riềng, Đồng Nai
START, END = datetime.date(2025, 7, 25), datetime.date(2025, 8, 25)
DEMO_VILLAGES = [  # id, name, households, official adult population (None: not known)
    ("phu-binh", "Thôn Phú Bình", 210, 560),
    ("phu-hung", "Thôn Phú Hưng", 190, None),
    ("phu-thinh", "Thôn Phú Thịnh", 220, 600),
    ("phu-tam", "Thôn Phú Tâm", 180, None),
    ("phu-loi", "Thôn Phú Lợi", 200, 540),
]
LEAD_PIN, VOLUNTEER_PIN, STAFF_PASSWORD = "135790", "246802", "phurieng-2025"
# the made-up people holding the demo's staff and admin accounts (volunteers' names are on
# their village's team roster)
STAFF_NAMES = {"quantri": "Đỗ Văn Quang", "canbo": "Phạm Thị Bích Ngọc",
               "canbotinh": "Lê Minh Tuấn"}
WIFI_PASSWORD = "phurieng2025"     # the made-up Wi-Fi of every demo laptop, for its Wi-Fi card
MARKER = ".fieldapp-demo"
# The demo's campaign is in 2025: with the default retention its data would be purged as
# soon as a demo site is served. A demo keeps it the default 180 days from the day it is
# built instead (the notice and the privacy report show that number of days).
def demo_retention_days(today=None):
    return max(0, ((today or datetime.date.today()) - END).days) + 180


# how far each week gets: share of households met by the end of week n
WEEK_REACH = (0.25, 0.5, 0.72, 0.93)


@dataclass
class DemoSummary:
    """What was built and how to sign in."""
    root: str
    villages: list = field(default_factory=list)     # (id, name, dir, lead, volunteers)
    commune_dir: str = ""
    province_dir: str = ""
    counts: dict = field(default_factory=dict)

    def describe(self, village_url=None, commune_url=None, province_url=None):
        """The text printed for the person running the demo."""
        lines = [f"Dữ liệu mẫu (bịa ra, không phải người thật): {self.root}",
                 f"  {vn_number(self.counts.get('household', 0))} hộ, "
                 f"{vn_number(self.counts.get('person', 0))} người, "
                 f"{vn_number(self.counts.get('visit', 0))} lần đến nhà, "
                 f"{vn_number(self.counts.get('survey', 0))} khảo sát "
                 f"ở {len(self.villages)} thôn của xã Phú Riềng (25/07–25/08/2025)."]
        first = self.villages[0]
        lines.append(f"Máy của {first[1]}" + (f": {village_url}" if village_url else "")
                     + f"  (dữ liệu: {first[2]})")
        lines.append(f"  tổ trưởng: {first[3]} / PIN {LEAD_PIN}")
        lines.append(f"  tình nguyện viên: {', '.join(first[4])} / PIN {VOLUNTEER_PIN}")
        lines.append(f"  quản trị của thôn: quantri / mật khẩu {STAFF_PASSWORD}")
        lines.append("Trung tâm xã" + (f": {commune_url}" if commune_url else "")
                     + f"  (dữ liệu: {self.commune_dir})")
        lines.append(f"  cán bộ xã: canbo / mật khẩu {STAFF_PASSWORD}")
        lines.append(f"  quản trị: quantri / mật khẩu {STAFF_PASSWORD}")
        if self.province_dir:
            lines.append("Tỉnh Đồng Nai (chỉ số liệu tổng hợp của các xã)"
                         + (f": {province_url}" if province_url else "")
                         + f"  (dữ liệu: {self.province_dir})")
            lines.append(f"  cán bộ tỉnh: canbotinh / mật khẩu {STAFF_PASSWORD}")
        return "\n".join(lines)


def _stamp(day, rng, hour_from=8, hour_to=17):
    local = datetime.datetime.combine(day, datetime.time(rng.randint(hour_from, hour_to - 1),
                                                        rng.randint(0, 59), rng.randint(0, 59),
                                                        rng.randint(0, 999) * 1000))
    utc = local - TZ_OFFSET
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _name(fake, rng, sex, last=None):
    """A Vietnamese full name: family, middle and given name fitting the sex."""
    if sex == "male":
        middle = rng.choice(["Văn", "Văn", "Đức", "Hữu", "Minh", "Quang", "Công"])
        given = fake.first_name_male()
    else:
        middle = rng.choice(["Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Thanh"])
        given = fake.first_name_female()
    return f"{last or fake.last_name()} {middle} {given}"


def _phone(rng):
    return f"0{rng.choice([3, 7, 8, 9])}{rng.randint(10000000, 99999999)}"


def _consent(rng, day, adult=True):
    """A consent as asked at the door (SPEC §3): each purpose agreed or not, a minor's
    by a guardian. Drawn from its own random stream, so the rest of the demo is as before."""
    from fieldapp.forms.consent import NOTICE_VERSION, PURPOSES
    chance = {"campaign_support": 0.95, "satisfaction_survey": 0.7, "phone_contact": 0.75}
    return {"notice_version": NOTICE_VERSION, "by": "self" if adult else "guardian",
            "on": day.isoformat(), "purposes": [p for p in PURPOSES if rng.random() < chance[p]]}


def _agreed(data, purpose):
    return purpose in data.get("consent", {}).get("purposes", ())


def _village_versions(village_id, households, volunteers, rng, fake):
    """Every version of one village's four weeks, oldest first. A phone is kept only where
    `phone_contact` was agreed, a survey's comment only with `satisfaction_survey`."""
    versions, latest = [], {}
    asked = random.Random(f"consent-{village_id}")

    def add(kind, data, day, author, record_id=None):
        version = {"id": record_id or _uuid(rng), "type": kind, "village_id": village_id,
                   "updated_at": _stamp(day, rng), "device_id": f"ph-{author}",
                   "author": author, "deleted": False, "data": data,
                   "base": base_of(latest.get(record_id))}      # the edit names its base
        versions.append(version)
        latest[version["id"]] = version
        return version

    streets = [fake.street_name() for _ in range(6)]
    homes = []
    for _ in range(households):
        author = rng.choice(volunteers)
        day = START + datetime.timedelta(days=rng.randint(0, 2))
        last = fake.last_name()
        head_year = rng.randint(1948, 1996)
        head_sex = rng.choice(["male", "male", "female"])
        head = _name(fake, rng, head_sex, last)
        data = {"head_name": head, "address": f"Số {rng.randint(1, 250)}, {rng.choice(streets)}",
                "phone": _phone(rng), "note": "", "consent": _consent(asked, day),
                "hamlet": f"Xóm {len(homes) % 6 + 1}"}                # rng untouched: same demo
        if not _agreed(data, "phone_contact"):
            data["phone"] = ""
        home = add("household", data, day, author)
        members = [(head, head_year, head_sex)]
        if rng.random() < 0.85:
            sex = "female" if head_sex == "male" else "male"
            members.append((_name(fake, rng, sex), head_year + rng.randint(-4, 6), sex))
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            sex = rng.choice(["male", "female"])
            members.append((_name(fake, rng, sex, last),
                            min(head_year + rng.randint(20, 32), 2022), sex))
        if rng.random() < 0.3:
            sex = rng.choice(["male", "female"])
            members.append((_name(fake, rng, sex, last), head_year - rng.randint(22, 30), sex))
        people = []
        for name, year, sex in members:
            adult = year <= 2007
            vneid = rng.choices(["none", "installed", "level1", "level2"],
                                [30, 20, 15, 35] if adult else [70, 20, 5, 5])[0]
            data = {"household_id": home["id"], "full_name": name, "birth_year": year,
                    "sex": sex, "consent": _consent(asked, day, adult),
                    "phone": _phone(rng) if adult else "",
                    "vneid": vneid, "bank_account": adult and rng.random() < 0.55,
                    "uses_online_services": adult and rng.random() < 0.15,
                    "paid_online": False}
            if not _agreed(data, "phone_contact"):
                data["phone"] = ""
            people.append(add("person", data, day, author))
        homes.append((home, people, author))

    rng.shuffle(homes)
    periods = [(START + datetime.timedelta(days=7 * n),
                min(START + datetime.timedelta(days=7 * n + 6), END)) for n in range(4)]
    periods[-1] = (periods[-1][0], END)
    done = 0
    for week, (first_day, last_day) in enumerate(periods):
        target = int(WEEK_REACH[week] * len(homes))
        for home, people, _ in homes[done:target]:
            author = rng.choice(volunteers)
            day = first_day + datetime.timedelta(days=rng.randint(0, (last_day - first_day).days))
            if rng.random() < 0.15:
                add("visit", {"household_id": home["id"], "visited_on": day.isoformat(),
                              "outcome": "absent", "help": [], "note": "Cả nhà đi làm rẫy"},
                    day, author)
                day = min(day + datetime.timedelta(days=rng.randint(1, 3)), last_day)
            helped = []
            for i, person in enumerate(people):
                data = dict(person["data"])
                if data["birth_year"] > 2007:
                    continue
                changed = False
                if data["vneid"] != "level2" and rng.random() < 0.6 + 0.05 * week:
                    helped += ["vneid_install"] if data["vneid"] == "none" else []
                    data["vneid"] = "level2"
                    helped.append("vneid_level2")
                    changed = True
                if not data["bank_account"] and rng.random() < 0.5:
                    data["bank_account"] = True
                    helped.append("bank_account")
                    changed = True
                if not data["uses_online_services"] and rng.random() < 0.45 + 0.04 * week:
                    data["uses_online_services"] = True
                    data["paid_online"] = rng.random() < 0.6
                    helped.append("online_filing")
                    helped += ["online_payment"] if data["paid_online"] else []
                    changed = True
                if changed:
                    people[i] = add("person", data, day, author, record_id=person["id"])
            add("visit", {"household_id": home["id"], "visited_on": day.isoformat(),
                          "outcome": "met", "help": sorted(set(helped) | {"guide_shared"}),
                          "note": ""}, day, author)
            if rng.random() < 0.55:
                area = rng.choices(["land", "construction", "investment", "civil_status",
                                    "social_insurance", "business", "other"],
                                   [22, 8, 3, 30, 20, 7, 10])[0]
                good = 0.80 + 0.04 * week - (0.06 if area in ("land", "construction") else 0)
                rating = rng.choice([4, 5]) if rng.random() < good else rng.choice([1, 2, 3])
                adult = next((p for p in people if p["data"]["birth_year"] <= 2007), people[0])
                comment = rng.choice(["", "", "Cán bộ hướng dẫn tận tình",
                                      "Mạng yếu, tải hồ sơ lâu", "Thủ tục nhanh hơn đi trực tiếp"])
                add("survey", {"household_id": home["id"], "person_id": adult["id"],
                               "surveyed_on": day.isoformat(), "service_area": area,
                               "rating": rating,
                               "comment": comment if _agreed(adult["data"], "satisfaction_survey")
                               else ""},
                    day, author)
        done = target
    return versions


def _honest_forks(versions, authors, rng):
    """Two edits of one household and of one person, made on two phones out of range from
    the same version (SPEC §3 forks), so the conflicts pages have something to show."""
    latest = {}
    for version in versions:
        latest[version["id"]] = version
    forked = []
    day = END - datetime.timedelta(days=2)
    households = [v for v in latest.values() if v["type"] == "household"]
    people = [v for v in latest.values() if v["type"] == "person" and v["data"]["phone"]]
    for version, name, values in (
            (rng.choice(households), "note", ["Nhà có người già, cần hướng dẫn tại nhà",
                                              "Hẹn quay lại vào Chủ nhật"]),
            (rng.choice(people), "phone", ["0912345678", _phone(rng)])):
        for author, value in zip(rng.sample(authors, 2), values):
            forked.append(dict(version, updated_at=_stamp(day, rng), device_id=f"ph-{author}",
                               author=author, data=dict(version["data"], **{name: value}),
                               base=base_of(version)))
    return forked


def _subject_requests(site, village_id, lead, versions):
    """Two requests of citizens about their data, open: one to see (received yesterday,
    still to be answered), one to correct that is overdue, so the lead's dashboard and
    page show both."""
    from fieldapp import subject_requests
    from fieldapp.indicators.periods import today_local
    homes = [v["id"] for v in versions if v["type"] == "household"]
    rng = random.Random(village_id)     # its own: the demo's other data stays as it was
    late = subject_requests.request_days(site.settings) + 2
    for kind, days_ago in (("see", 1), ("correct", late)):
        subject_requests.open_request(site, lead, kind, "household", rng.choice(homes), village_id,
                                      today_local() - datetime.timedelta(days=days_ago))


def _roster(site, village_id, lead, volunteers, rng, fake):
    """The team roster: the lead and volunteers, most trained before the campaign."""
    from fieldapp.forms.versions import member_record_id
    out = []
    for username in [lead] + volunteers:
        sex = rng.choice(["male", "female"])
        data = {"full_name": _name(fake, rng, sex), "username": username,
                "role": "lead" if username == lead else "volunteer", "active": True}
        if username == lead or rng.random() < 0.75:
            data.update(trained_on=(START - datetime.timedelta(days=rng.randint(1, 5))).isoformat(),
                        training_topic="Hướng dẫn cài đặt, kích hoạt VNeID và nộp hồ sơ trực tuyến")
        out.append({"id": member_record_id(site.settings["site_id"], username), "type": "member",
                    "village_id": village_id, "updated_at": _stamp(START - datetime.timedelta(days=6), rng),
                    "device_id": f"web-{lead}", "author": lead, "deleted": False, "data": data,
                    "base": None})
    return out


def _procedure_figures(commune, rng):
    """Four weeks of the one-stop shop's figures, improving week by week, and a baseline."""
    from fieldapp.indicators.procedures import AREAS, save_figures
    volume = {"land": 60, "construction": 15, "investment": 4, "civil_status": 120,
              "social_insurance": 50, "business": 20, "other": 25}
    by_period = {}
    for week in range(1, 5):
        rows = {}
        for area in AREAS:
            received = rng.randint(volume[area] // 2, volume[area])
            online = int(received * min(0.35 + 0.1 * week + rng.uniform(-0.05, 0.05), 1))
            settled = rng.randint(received * 3 // 4, received)
            with_fee = int(settled * (0.6 if area in ("land", "construction", "business") else 0.2))
            rows[area] = {"received": received, "received_online": online,
                          "full_online": min(int(online * (0.5 + 0.08 * week)), settled),
                          "settled": settled, "with_fee": with_fee,
                          "paid_online": int(with_fee * min(0.3 + 0.1 * week, 1)),
                          "digitised": int(received * min(0.6 + 0.07 * week, 1))}
        by_period[week] = rows
    save_figures(commune, by_period, "canbo")
    commune.save_settings(dict(commune.settings, procedure_baseline={
        "year": 2024, "values": {"full_online_rate": 0.0756, "online_payment_rate": 0.4398}}))


def build_demo(root, seed=2025):
    """Build the demo under `root` (replacing an earlier demo there); return a DemoSummary."""
    from faker import Faker

    from fieldapp.site import Site, init_site
    if os.path.exists(root) and os.listdir(root):
        if not os.path.exists(os.path.join(root, MARKER)):
            raise SystemExit(f"{root} đã có dữ liệu không phải dữ liệu mẫu; hãy chọn --data khác.")
        shutil.rmtree(root)
    os.makedirs(root)
    open(os.path.join(root, MARKER), "w").close()
    rng = random.Random(seed)
    fake = Faker("vi_VN")
    fake.seed_instance(seed)
    summary = DemoSummary(root)
    for village_id, name, households, adults in DEMO_VILLAGES:
        site_dir = os.path.join(root, "villages", village_id)
        init_site(site_dir, "village", DEMO_COMMUNE,
                  [{"id": village_id, "name": name, "adult_population": adults, "targets": {}}],
                  START, END)
        site = Site(site_dir)
        short = village_id.replace("-", "")
        site.update_settings(lambda settings, short=short: settings.update(
            wifi={"ssid": f"fieldapp-{short}", "password": WIFI_PASSWORD},
            retention_days=demo_retention_days()))
        lead, volunteers = f"truong.{short}", [f"tnv{n}.{short}" for n in (1, 2, 3)]
        add_user(site, lead, "lead", LEAD_PIN, village_id)
        for username in volunteers:
            add_user(site, username, "volunteer", VOLUNTEER_PIN, village_id)
        add_user(site, "quantri", "admin", STAFF_PASSWORD, full_name=STAFF_NAMES["quantri"])
        versions = _village_versions(village_id, households, volunteers + [lead], rng, fake)
        versions += _honest_forks(versions, volunteers + [lead], rng)
        versions += _roster(site, village_id, lead, volunteers, rng, fake)
        site.store.submit(versions)
        if not summary.villages:        # the first laptop shows the requests about data
            _subject_requests(site, village_id, lead, versions)
        summary.villages.append((village_id, name, site_dir, lead, volunteers))
        site.close()
    summary.counts = _record_counts(summary)
    summary.commune_dir = os.path.join(root, "commune")
    init_site(summary.commune_dir, "commune", DEMO_COMMUNE,
              [{"id": v[0], "name": v[1], "adult_population": v[3], "targets": {}}
               for v in DEMO_VILLAGES], START, END)
    commune = Site(summary.commune_dir)
    commune.update_settings(lambda settings: settings.update(
        retention_days=demo_retention_days()))
    for username, role in (("canbo", "staff"), ("quantri", "admin")):
        add_user(commune, username, role, STAFF_PASSWORD, full_name=STAFF_NAMES[username])
    _procedure_figures(commune, rng)
    commune.close()
    _send_batches(summary)
    from fieldapp.cli.demo_province import build_province
    summary.province_dir = build_province(summary, START, END, STAFF_PASSWORD, _village_versions,
                                          demo_retention_days(), STAFF_NAMES)
    return summary


def _record_counts(summary):
    from fieldapp.site import Site
    counts = {}
    for village in summary.villages:
        site = Site(village[2])
        for version in site.store.currents():
            counts[version["type"]] = counts.get(version["type"], 0) + 1
        site.close()
    return counts


def _send_batches(summary):
    """Each village learns the commune's key, exports a batch sealed for it, and the commune
    imports it, as `commune-key`, `export` and `import` do."""
    from fieldapp.site import Site
    from sync import crypto
    from sync.batch import batch_bytes
    from sync.export import export_batch
    from sync.transfer import import_batch
    commune = Site(summary.commune_dir)
    key = crypto.box_public_key(commune.data_dir)
    for village in summary.villages:
        site = Site(village[2])
        site.update_settings(lambda settings: settings.update(commune_public_key=key))
        batch = export_batch(site, all_versions=True)
        import_batch(commune, crypto.seal(batch_bytes(batch), key))
        site.close()
    commune.close()


def link_push(summary, commune_url):
    """Give the first village laptop a push token of the commune centre at `commune_url`,
    so its /export page can send over the network as a configured laptop does."""
    from fieldapp.auth.push_tokens import issue_push_token
    from fieldapp.site import Site
    village_id, name, site_dir = summary.villages[0][:3]
    commune = Site(summary.commune_dir)
    token = issue_push_token(commune, village_id, f"Máy của {name} (dữ liệu mẫu)", "quantri")
    commune.close()
    site = Site(site_dir)
    site.update_settings(lambda settings: settings.update(push={"url": commune_url,
                                                                "token": token}))
    site.close()
