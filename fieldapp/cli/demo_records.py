"""The demo's made-up records of one village: households, people, visits and surveys over
four campaign weeks, the honest forks of two phones editing one record, and the team
roster. Names, phones and choices come from one seeded random generator, so a seed
gives the same demo every time."""
import datetime
import random
import uuid

from fieldapp.forms.text import TZ_OFFSET
from fieldapp.forms.versions import base_of

__all__ = ["START", "END", "WEEK_REACH", "stamp", "made_uuid", "made_name", "made_phone",
           "consent", "agreed", "village_versions", "honest_forks", "roster_versions"]

START, END = datetime.date(2025, 7, 25), datetime.date(2025, 8, 25)     # the demo campaign
# how far each week gets: share of households met by the end of week n
WEEK_REACH = (0.25, 0.5, 0.72, 0.93)


def stamp(day, rng, hour_from=8, hour_to=17):
    """A SPEC timestamp (UTC, milliseconds) at a random Vietnam time of `day` between the
    hours `hour_from` and `hour_to`."""
    local = datetime.datetime.combine(day, datetime.time(rng.randint(hour_from, hour_to - 1),
                                                        rng.randint(0, 59), rng.randint(0, 59),
                                                        rng.randint(0, 999) * 1000))
    utc = local - TZ_OFFSET
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def made_uuid(rng):
    """A version 4 UUID drawn from `rng`, so a seed gives the same ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def made_name(fake, rng, sex, last=None):
    """A Vietnamese full name: family, middle and given name fitting the sex."""
    if sex == "male":
        middle = rng.choice(["Văn", "Văn", "Đức", "Hữu", "Minh", "Quang", "Công"])
        given = fake.first_name_male()
    else:
        middle = rng.choice(["Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Thanh"])
        given = fake.first_name_female()
    return f"{last or fake.last_name()} {middle} {given}"


def made_phone(rng):
    """A made-up Vietnamese mobile number (10 digits)."""
    return f"0{rng.choice([3, 7, 8, 9])}{rng.randint(10000000, 99999999)}"


def consent(rng, day, adult=True):
    """A consent as asked at the door (SPEC §3): each purpose agreed or not, a minor's
    by a guardian. `rng` is a stream of its own, so the other records do not depend on
    the consents drawn."""
    from fieldapp.forms.consent import NOTICE_VERSION, PURPOSES
    chance = {"campaign_support": 0.95, "satisfaction_survey": 0.7, "phone_contact": 0.75}
    return {"notice_version": NOTICE_VERSION, "by": "self" if adult else "guardian",
            "on": day.isoformat(), "purposes": [p for p in PURPOSES if rng.random() < chance[p]]}


def agreed(data, purpose):
    """Whether the consent in a record's `data` agrees to `purpose`."""
    return purpose in data.get("consent", {}).get("purposes", ())


def village_versions(village_id, households, volunteers, rng, fake):
    """Every version of one village's four weeks, oldest first. A phone is kept only where
    `phone_contact` was agreed, a survey's comment only with `satisfaction_survey`."""
    versions, latest = [], {}
    asked = random.Random(f"consent-{village_id}")

    def add(kind, data, day, author, record_id=None):
        version = {"id": record_id or made_uuid(rng), "type": kind, "village_id": village_id,
                   "updated_at": stamp(day, rng), "device_id": f"ph-{author}",
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
        head = made_name(fake, rng, head_sex, last)
        data = {"head_name": head, "address": f"Số {rng.randint(1, 250)}, {rng.choice(streets)}",
                "phone": made_phone(rng), "note": "", "consent": consent(asked, day),
                "hamlet": f"Xóm {len(homes) % 6 + 1}"}        # not drawn: rng's sequence kept
        if not agreed(data, "phone_contact"):
            data["phone"] = ""
        home = add("household", data, day, author)
        members = [(head, head_year, head_sex)]
        if rng.random() < 0.85:
            sex = "female" if head_sex == "male" else "male"
            members.append((made_name(fake, rng, sex), head_year + rng.randint(-4, 6), sex))
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            sex = rng.choice(["male", "female"])
            members.append((made_name(fake, rng, sex, last),
                            min(head_year + rng.randint(20, 32), 2022), sex))
        if rng.random() < 0.3:
            sex = rng.choice(["male", "female"])
            members.append((made_name(fake, rng, sex, last), head_year - rng.randint(22, 30), sex))
        people = []
        for name, year, sex in members:
            adult = year <= 2007
            vneid = rng.choices(["none", "installed", "level1", "level2"],
                                [30, 20, 15, 35] if adult else [70, 20, 5, 5])[0]
            data = {"household_id": home["id"], "full_name": name, "birth_year": year,
                    "sex": sex, "consent": consent(asked, day, adult),
                    "phone": made_phone(rng) if adult else "",
                    "vneid": vneid, "bank_account": adult and rng.random() < 0.55,
                    "uses_online_services": adult and rng.random() < 0.15,
                    "paid_online": False}
            if not agreed(data, "phone_contact"):
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
                               "comment": comment if agreed(adult["data"], "satisfaction_survey")
                               else ""},
                    day, author)
        done = target
    return versions


def honest_forks(versions, authors, rng):
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
            (rng.choice(people), "phone", ["0912345678", made_phone(rng)])):
        for author, value in zip(rng.sample(authors, 2), values):
            forked.append(dict(version, updated_at=stamp(day, rng), device_id=f"ph-{author}",
                               author=author, data=dict(version["data"], **{name: value}),
                               base=base_of(version)))
    return forked


def roster_versions(site, village_id, lead, volunteers, rng, fake):
    """The team roster's member versions: the lead and volunteers, most trained before
    the campaign."""
    from fieldapp.forms.versions import member_record_id
    out = []
    for username in [lead] + volunteers:
        sex = rng.choice(["male", "female"])
        data = {"full_name": made_name(fake, rng, sex), "username": username,
                "role": "lead" if username == lead else "volunteer", "active": True}
        if username == lead or rng.random() < 0.75:
            data.update(trained_on=(START - datetime.timedelta(days=rng.randint(1, 5))).isoformat(),
                        training_topic="Hướng dẫn cài đặt, kích hoạt VNeID và nộp hồ sơ trực tuyến")
        out.append({"id": member_record_id(site.settings["site_id"], username), "type": "member",
                    "village_id": village_id, "updated_at": stamp(START - datetime.timedelta(days=6), rng),
                    "device_id": f"web-{lead}", "author": lead, "deleted": False, "data": data,
                    "base": None})
    return out
