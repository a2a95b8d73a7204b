"""The indicator engine against figures the tests work out themselves."""
import datetime
import random

import pytest

from fieldapp.indicators.compute import compute
from fieldapp.indicators.volunteers import volunteer_stats
from fieldapp.indicators.periods import weekly_periods
from tests.support.factories import END, START, household, person, stamp, survey, visit

D = datetime.date


def settings_for(villages, start=START, end=END):
    return {"commune_code": "25264", "adult_age": 18, "targets": {},
            "villages": [{"id": v, "name": v, "adult_population": a, "targets": {}}
                         for v, a in villages],
            "campaign": {"start": start.isoformat(), "end": end.isoformat(),
                         "periods": [p.as_json() for p in weekly_periods(start, end)]}}


def histories_of(versions):
    """Group versions per record, oldest first, the way the store does (no store involved)."""
    out = {}
    for v in sorted(versions, key=lambda v: (v["updated_at"], v["device_id"])):
        out.setdefault(v["id"], []).append(v)
    return out


def by_key(entries):
    return {e["key"]: e for e in entries}


def test_a_small_village_gives_the_figures_counted_by_hand():
    homes = [household(f"Hộ {n}") for n in range(4)]
    a, b, c, d = (h["id"] for h in homes)
    people = [
        person(a, birth_year=1970, vneid="level2", bank_account=True, online=True),
        person(a, birth_year=2015, vneid="level2"),                       # a child
        person(b, birth_year=1990, vneid="level1", bank_account=True),
        person(c, birth_year=2007, vneid="none", online=True),            # 18 in 2025
        person(c, birth_year=2008, vneid="level2", online=True),          # 17 in 2025
    ]
    visits = [visit(a), visit(b, outcome="absent"), visit(c), visit(c, outcome="met")]
    surveys = [survey("land", 5), survey("land", 3), survey("civil_status", 4),
               survey("construction", 4), survey("other", 2)]
    answer = compute(settings_for([("thon-3", None)]), histories_of(homes + people + visits + surveys),
                     D(2025, 8, 25))
    got = by_key(answer["indicators"])
    # adults born <= 2007: 1970, 1990, 2007 -> 3
    assert (got["adult_online_usage"]["numerator"], got["adult_online_usage"]["denominator"]) == (2, 3)
    assert got["adult_online_usage"]["value"] == pytest.approx(2 / 3)
    assert got["adult_online_usage"]["met"] is True
    assert (got["adult_vneid_level2"]["numerator"], got["adult_vneid_level2"]["denominator"]) == (1, 3)
    assert (got["adult_bank_account"]["numerator"], got["adult_bank_account"]["denominator"]) == (2, 3)
    # households with a level-2 member: a (adult), c (the 17-year-old) -> 2 of 4
    assert (got["household_vneid_level2"]["numerator"], got["household_vneid_level2"]["denominator"]) == (2, 4)
    # met visits: a, c -> 2 of 4 (b was absent, d never visited)
    assert (got["households_visited"]["numerator"], got["households_visited"]["denominator"]) == (2, 4)
    # ratings >= 4: 5, 4, 4 of 5; land/construction/investment: 5, 3, 4 -> 2 of 3
    assert (got["satisfaction"]["numerator"], got["satisfaction"]["denominator"]) == (3, 5)
    lci = got["satisfaction_land_construction_investment"]
    assert (lci["numerator"], lci["denominator"], lci["met"]) == (2, 3, False)
    assert all(e["denominator_source"] == "registered" for e in answer["indicators"])


def test_the_official_adult_population_is_the_denominator_where_set():
    home = household()
    people = [person(home["id"], birth_year=1980, online=True) for _ in range(3)]
    answer = compute(settings_for([("thon-3", 10)]), histories_of([home] + people), D(2025, 8, 1))
    usage = by_key(answer["indicators"])["adult_online_usage"]
    assert (usage["numerator"], usage["denominator"], usage["denominator_source"]) == (3, 10, "official")
    assert usage["value"] == pytest.approx(0.3)


def test_the_commune_sums_villages_and_says_mixed_sources():
    h1, h2 = household(village_id="thon-1"), household(village_id="thon-2")
    versions = [h1, h2,
                person(h1["id"], village_id="thon-1", online=True),
                person(h2["id"], village_id="thon-2", online=True),
                person(h2["id"], village_id="thon-2")]
    answer = compute(settings_for([("thon-1", 20), ("thon-2", None)]), histories_of(versions),
                     D(2025, 8, 1))
    usage = by_key(answer["indicators"])["adult_online_usage"]
    # thon-1 official 20, thon-2 registered adults 2 -> 22
    assert (usage["numerator"], usage["denominator"], usage["denominator_source"]) == (2, 22, "mixed")
    assert by_key(answer["by_village"]["thon-2"])["adult_online_usage"]["value"] == pytest.approx(0.5)


def test_a_record_counts_in_its_state_as_of_the_date_in_vietnam_time():
    home = household(day=D(2025, 7, 25))
    adult = person(home["id"], birth_year=1980, day=D(2025, 7, 25))
    # activated at 23:30 on 1/8 in Vietnam = 16:30 UTC the same day
    later = dict(adult, updated_at=stamp(D(2025, 8, 1), 23, 30),
                 data=dict(adult["data"], vneid="level2"))
    gone = dict(home, updated_at=stamp(D(2025, 8, 10), 9), deleted=True)
    hist = histories_of([home, adult, later, gone])
    settings = settings_for([("thon-3", None)])
    on_1st = by_key(compute(settings, hist, D(2025, 8, 1))["indicators"])
    on_31st = by_key(compute(settings, hist, D(2025, 7, 31))["indicators"])
    assert on_31st["adult_vneid_level2"]["numerator"] == 0
    assert on_1st["adult_vneid_level2"]["numerator"] == 1
    assert on_1st["household_vneid_level2"]["numerator"] == 1
    after = by_key(compute(settings, hist, D(2025, 8, 10))["indicators"])
    assert after["household_vneid_level2"]["denominator"] == 0   # deleted records never count
    assert after["household_vneid_level2"]["value"] is None


def test_periods_carry_the_change_from_the_previous_period():
    rng = random.Random(7)
    homes = [household(f"H{n}", day=START) for n in range(10)]
    versions = list(homes)
    met_by_period = {}
    for n, home in enumerate(homes):
        day = START + datetime.timedelta(days=rng.randint(0, 31))
        versions.append(visit(home["id"], day=day))
        met_by_period.setdefault(day, 0)
    answer = compute(settings_for([("thon-3", None)]), histories_of(versions), END)
    periods = weekly_periods(START, END)
    assert [p["period"] for p in answer["by_period"]] == [1, 2, 3, 4]
    previous = None
    for period, entry in zip(periods, answer["by_period"]):
        met = sum(1 for v in versions if v["type"] == "visit"
                  and D.fromisoformat(v["data"]["visited_on"]) <= period.end)
        got = by_key(entry["indicators"])["households_visited"]
        assert got["value"] == pytest.approx(met / 10)
        assert got["change"] == (None if previous is None else pytest.approx(met / 10 - previous))
        previous = met / 10


def test_volunteers_are_credited_with_their_own_work():
    h1, h2 = household(), household()
    versions = [h1, h2,
                visit(h1["id"], help=["vneid_level2", "bank_account"], author="lan"),
                visit(h2["id"], help=["vneid_level2"], author="lan"),
                visit(h2["id"], outcome="absent", author="minh"),
                survey(author="minh"), survey(author="minh")]
    stats = {r["author"]: r for r in volunteer_stats(histories_of(versions), END)}
    assert (stats["lan"]["households_visited"], stats["lan"]["vneid_level2"],
            stats["lan"]["bank_account"], stats["lan"]["surveys"]) == (2, 2, 1, 0)
    assert (stats["minh"]["households_visited"], stats["minh"]["surveys"]) == (0, 2)


def test_a_corrected_visit_stays_credited_to_the_volunteer_who_made_it():
    home = household()
    made = visit(home["id"], help=["vneid_level2"], author="minh")
    fixed = dict(made, updated_at=stamp(START, 15), author="lan", device_id="web-lan",
                 data=dict(made["data"], note="sửa lỗi chính tả"))
    stats = {r["author"]: r for r in volunteer_stats(histories_of([home, made, fixed]), END)}
    assert set(stats) == {"minh"} and stats["minh"]["vneid_level2"] == 1
