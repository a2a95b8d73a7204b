"""The one-pass indicator computation gives exactly what a snapshot and tally per day give."""
import datetime

from hypothesis import given, settings, strategies as st

from fieldapp.indicators.definitions import DEFAULT_TARGETS
from fieldapp.indicators.compute import (Counts, _tallies, compute, compute_each, indicator_list, snapshot, tally)
from fieldapp.indicators.periods import periods_from_settings, weekly_periods

D = datetime.date
START, END = D(2025, 12, 20), D(2026, 1, 20)      # spans a new year: adulthood moves
VILLAGES = ["thon-1", "thon-2", "thon-3"]
HOMES = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(6)]


def stamp_of(day, hour, minute):
    """A SPEC UTC stamp; hours past 17 UTC fall on the next day in Vietnam."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:00.000Z"


data_by_kind = {
    "household": st.fixed_dictionaries({"head_name": st.just("Hộ")}),
    "person": st.fixed_dictionaries(
        {"household_id": st.sampled_from(HOMES), "vneid": st.sampled_from(["none", "level2"]),
         "bank_account": st.booleans(), "uses_online_services": st.booleans()},
        optional={"birth_year": st.sampled_from([1950, 2007, 2008, 2009])}),
    "visit": st.fixed_dictionaries({"household_id": st.sampled_from(HOMES),
                                    "outcome": st.sampled_from(["met", "absent"])}),
    "survey": st.fixed_dictionaries({"rating": st.integers(1, 5),
                                     "service_area": st.sampled_from(["land", "other"])}),
    "member": st.fixed_dictionaries({"active": st.booleans()},
                                    optional={"trained_on": st.sampled_from(["", "2025-12-21"])}),
    "note": st.just({}),                          # a type the indicators do not know
}


@st.composite
def versions_of(draw, record_id, kind):
    """Versions of one record, in the order its history lists them."""
    village = draw(st.sampled_from(VILLAGES + ["thon-x"]))       # thon-x: not in settings
    out = []
    for _ in range(draw(st.integers(0, 4))):
        day = START + datetime.timedelta(days=draw(st.integers(-2, 34)))
        out.append({"id": record_id, "type": kind, "village_id": village,
                    "updated_at": stamp_of(day, draw(st.sampled_from([3, 16, 17, 23])),
                                           draw(st.sampled_from([0, 30]))),
                    "device_id": "ph", "author": "a", "deleted": draw(st.booleans()),
                    "data": draw(data_by_kind[kind])})
    if draw(st.booleans()):                        # the store's order; else as drawn
        out.sort(key=lambda v: v["updated_at"])
    return out


@st.composite
def histories(draw):
    out = {}
    for n, kind in enumerate(draw(st.lists(st.sampled_from(sorted(data_by_kind)), max_size=25))):
        record_id = HOMES[n] if kind == "household" and n < len(HOMES) else f"r{n}"
        out[record_id] = draw(versions_of(record_id, kind))
    return out


def settings_for(official):
    return {"commune_code": "25264", "adult_age": 18, "targets": {"satisfaction": 0.5},
            "villages": [{"id": v, "name": v, "adult_population": a, "targets": {}}
                         for v, a in zip(VILLAGES, official)],
            "campaign": {"start": START.isoformat(), "end": END.isoformat(),
                         "periods": [p.as_json() for p in weekly_periods(START, END)]}}


def reference(settings, stored, as_of, village_ids=None):
    """compute() as first written: a snapshot and a tally for every date it shows."""
    def lists(day):
        villages = {v["id"]: v for v in settings["villages"]}
        counts = tally(snapshot(stored, day), day.year, settings["adult_age"])
        ids = [v for v in villages if v in village_ids] if village_ids else list(villages)
        ids += sorted(v for v in counts if v not in villages and (not village_ids or v in village_ids))
        by_village = {v: indicator_list({v: counts.get(v, Counts())}, {v: villages.get(v, {})},
                                        dict(DEFAULT_TARGETS, **settings["targets"],
                                             **villages.get(v, {}).get("targets", {})))
                      for v in ids}
        group = indicator_list({v: counts[v] for v in ids if v in counts},
                               {v: villages.get(v, {}) for v in ids},
                               dict(DEFAULT_TARGETS, **settings["targets"]))
        return (by_village[ids[0]] if len(ids) == 1 else group), by_village
    group, by_village = lists(as_of)
    by_period, previous = [], None
    for period in periods_from_settings(settings["campaign"]):
        if period.start > as_of:
            break
        day = min(period.end, as_of)
        current = lists(day)[0]
        for entry in current:
            before = previous and next(e for e in previous if e["key"] == entry["key"])
            entry["change"] = (entry["value"] - before["value"] if before and before["value"]
                               is not None and entry["value"] is not None else None)
        by_period.append(dict(period.as_json(), as_of=day.isoformat(),
                              complete=period.end <= as_of, indicators=current))
        previous = current
    return {"commune_code": settings["commune_code"], "as_of": as_of.isoformat(),
            "indicators": group, "by_village": by_village, "by_period": by_period}


days = st.lists(st.dates(START - datetime.timedelta(days=3), END + datetime.timedelta(days=3)),
                min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(histories(), days)
def test_one_pass_tallies_equal_a_snapshot_and_tally_per_day(stored, chosen):
    got = _tallies(stored, chosen)
    assert sorted(got) == sorted(set(chosen))
    for day in chosen:
        assert got[day] == tally(snapshot(stored, day), day.year), day


@settings(max_examples=100, deadline=None)
@given(histories(), st.dates(START - datetime.timedelta(days=3), END + datetime.timedelta(days=3)),
       st.lists(st.sampled_from([None, 40, 900]), min_size=3, max_size=3))
def test_every_village_at_once_equals_compute_per_village(stored, as_of, official):
    config = settings_for(official)
    whole, each = compute_each(config, stored, as_of, VILLAGES + ["thon-x", "thon-y"])
    assert whole == compute(config, stored, as_of) == reference(config, stored, as_of)
    assert sorted(each) == sorted(VILLAGES + ["thon-x", "thon-y"])
    for village_id, answer in each.items():
        assert answer == compute(config, stored, as_of, [village_id]), village_id
        assert answer == reference(config, stored, as_of, [village_id]), village_id
    assert (compute(config, stored, as_of, ["thon-2", "thon-x"])
            == reference(config, stored, as_of, ["thon-2", "thon-x"]))
    # without village ids: the settings' villages
    assert sorted(compute_each(config, stored, as_of)[1]) == VILLAGES


def test_a_household_edited_later_still_counts_its_level2_member_before_the_edit():
    """Found by the property test: every live version of a household counts on its own days."""
    home = "00000000-0000-4000-8000-000000000004"
    def version(record_id, kind, stamp, data):
        return {"id": record_id, "type": kind, "village_id": "thon-1", "updated_at": stamp,
                "device_id": "ph", "author": "a", "deleted": False, "data": data}
    stored = {
        home: [version(home, "household", "2025-12-20T03:00:00.000Z", {"head_name": "Hộ"}),
               version(home, "household", "2025-12-27T03:00:00.000Z", {"head_name": "Hộ"})],
        "p": [version("p", "person", "2025-12-21T03:00:00.000Z",
                      {"household_id": home, "vneid": "level2", "birth_year": 1950,
                       "bank_account": False, "uses_online_services": False})],
    }
    before, after = D(2025, 12, 26), D(2026, 1, 1)
    got = _tallies(stored, [before, after])
    assert got[before]["thon-1"].households_level2 == 1
    assert got[after]["thon-1"].households_level2 == 1
    assert got == {day: tally(snapshot(stored, day), day.year) for day in (before, after)}
