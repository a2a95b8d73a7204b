"""The made-up commune-scale campaign that bench/import.py and bench/privacy.py measure:
village sites of realistic records (Vietnamese names, addresses, notes, several edits
per person, every edit naming its base), four weekly batch files each; and the timing
and options those benchmarks share."""
import contextlib
import datetime
import gc
import os
import random
import time
import uuid

from fieldapp.forms.consent import NOTICE_VERSION
from fieldapp.forms.rules import CHOICES
from fieldapp.forms.versions import base_of

COMMUNE = "25264"
START, END = datetime.date(2025, 7, 25), datetime.date(2025, 8, 25)
LAST = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
        "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Điểu", "Thị"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Xuân", "Kim"]
FIRST = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Phương",
         "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Vân", "Yến"]
NOTES = ["", "", "", "Cả nhà đi làm rẫy, hẹn quay lại chiều thứ Bảy",
         "Đã hướng dẫn cài VNeID, chờ kích hoạt mức 2 tại công an xã",
         "Điện thoại cũ không cài được ứng dụng", "Con trai ở TP.HCM, về cuối tháng"]
COMMENTS = ["", "", "Cán bộ hướng dẫn tận tình", "Mạng yếu, tải hồ sơ lâu",
            "Thủ tục nhanh hơn đi trực tiếp", "Cần hướng dẫn thêm phần thanh toán trực tuyến"]
# consent as asked at the door (SPEC §3): phones are kept with phone_contact, comments
# with satisfaction_survey; a child's given by a guardian
CONSENT = {"notice_version": NOTICE_VERSION, "by": "self", "on": "2025-07-25",
           "purposes": ["campaign_support", "satisfaction_survey", "phone_contact"]}
GUARDIAN = dict(CONSENT, by="guardian", purposes=["campaign_support"])
HELP = list(CHOICES["help"])              # in the rules' order, as a cleaned visit has it
AREAS = list(CHOICES["service_area"])


@contextlib.contextmanager
def timed(into):
    """Append (wall seconds, CPU seconds) of the block to the list `into`, after a gc."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    yield
    into.append((time.perf_counter() - start, time.process_time() - cpu))


def common_arguments(parser, runs, runs_help):
    """The options every import-sized benchmark takes: versions, villages, runs, keep."""
    parser.add_argument("--versions", type=int, default=150_000, help="Record versions in all.")
    parser.add_argument("--villages", type=int, default=8, help="Village sites.")
    parser.add_argument("--runs", type=int, default=runs, help=runs_help)
    parser.add_argument("--keep", help="Work in this directory and keep it.")


def stamp(rng, week):
    """A UTC timestamp on a random day of campaign week `week` (0–3), working hours."""
    first = START + datetime.timedelta(days=7 * week)
    last = END if week == 3 else first + datetime.timedelta(days=6)
    day = first + datetime.timedelta(days=rng.randint(0, (last - first).days))
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(0, 11), rng.randint(0, 59),
                                                          rng.randint(0, 59)))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randint(0, 999):03d}Z", day


def village_weeks(village_id, target, rng):
    """About `target` versions of one village, grouped by campaign week (4 lists)."""
    weeks = [[] for _ in range(4)]
    devices = [f"ph-{village_id}-{n}" for n in range(6)]
    authors = [f"tnv{n}.{village_id.replace('-', '')}" for n in range(6)]
    latest = {}                 # record id -> its last version: what an edit is made from

    def add(kind, data, week, record_id=None, deleted=False):
        when, day = stamp(rng, week)
        n = rng.randrange(6)
        version = {"id": record_id or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                   "type": kind, "village_id": village_id, "updated_at": when,
                   "device_id": devices[n], "author": authors[n], "deleted": deleted,
                   "data": data, "base": base_of(latest.get(record_id))}
        weeks[week].append(version)
        latest[version["id"]] = version
        return version, day
    count = 0
    while count < target:
        week = rng.randrange(4)
        last = rng.choice(LAST)
        head = f"{last} {rng.choice(MIDDLE)} {rng.choice(FIRST)}"
        home, day = add("household", {"head_name": head, "phone": f"09{rng.randint(10**7, 10**8 - 1)}",
                                      "consent": CONSENT,
                                      "address": f"Tổ {rng.randint(1, 12)}, {village_id.replace('-', ' ').title()}, xã Phú Riềng",
                                      "note": rng.choice(NOTES)}, week)
        count += 1
        people = []
        for _ in range(rng.choice([2, 3, 3, 4, 4, 5])):
            year = rng.randint(1945, 2020)
            data = {"household_id": home["id"], "full_name": f"{last} {rng.choice(MIDDLE)} {rng.choice(FIRST)}",
                    "birth_year": year, "sex": rng.choice(["male", "female"]),
                    "phone": f"03{rng.randint(10**7, 10**8 - 1)}" if year < 2007 else "",
                    "consent": CONSENT if year < 2007 else GUARDIAN,
                    "vneid": rng.choice(["none", "installed", "level1", "level2"]),
                    "bank_account": rng.random() < 0.5, "uses_online_services": rng.random() < 0.2,
                    "paid_online": False}
            people.append(add("person", data, week)[0])
            count += 1
        for later in range(week, 4):
            if rng.random() < 0.6:
                helped = sorted(rng.sample(HELP, rng.randint(1, 4)), key=HELP.index)
                add("visit", {"household_id": home["id"], "visited_on": day.isoformat(),
                              "outcome": rng.choice(["met", "met", "met", "absent"]),
                              "help": helped, "note": rng.choice(NOTES)}, later)
                count += 1
                for person in people:
                    if rng.random() < 0.45:
                        data = dict(person["data"], vneid="level2",
                                    bank_account=person["data"]["bank_account"] or rng.random() < 0.5,
                                    uses_online_services=rng.random() < 0.6)
                        person = add("person", data, later, record_id=person["id"])[0]
                        count += 1
                if rng.random() < 0.5:
                    add("survey", {"household_id": home["id"], "person_id": people[0]["id"],
                                   "surveyed_on": day.isoformat(), "rating": rng.randint(1, 5),
                                   "service_area": rng.choice(AREAS),
                                   "comment": rng.choice(COMMENTS)}, later)
                    count += 1
    for week in weeks:
        week.sort(key=lambda v: v["updated_at"])
    return weeks


def generate(root, total, villages):
    """Village sites under root/villages and their batch files under root/batches."""
    from fieldapp.site import init_site
    from fieldapp.site import Site
    from sync.export import export_batch, write_batch_file
    rng = random.Random(2025)
    os.makedirs(os.path.join(root, "batches"))
    for n in range(villages):
        village_id = f"ap-{n + 1}"
        site_dir = os.path.join(root, "villages", village_id)
        init_site(site_dir, "village", COMMUNE, [{"id": village_id, "name": f"Ấp {n + 1}",
                                                 "adult_population": None, "targets": {}}],
                  START, END)
        site = Site(site_dir)
        for week, versions in enumerate(village_weeks(village_id, total // villages, rng)):
            site.store.submit(versions)
            batch = export_batch(site, remember=True)
            write_batch_file(batch, os.path.join(root, "batches", f"{village_id}-w{week + 1}.json"))
        site.close()
