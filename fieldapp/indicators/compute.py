"""The indicator engine of SPEC §4, computed from stored versions, never from counters.

A record counts as of a date D in the state of its latest version stamped on or before
the end of D in Vietnam. Adult indicators use a village's official adult population as
denominator where it is set.
"""
import bisect
from dataclasses import dataclass, fields

from fieldapp.indicators.cache import cached
from fieldapp.indicators.definitions import DEFAULT_TARGETS, DEFINITIONS, LCI, change
from fieldapp.indicators.periods import local_cutoff, periods_from_settings, today_local
from storage.collector import no_cycle_collection

__all__ = ["snapshot", "tally", "Counts", "indicator_list", "compute", "compute_each",
           "site_indicators", "site_compute"]

@dataclass
class Counts:
    """What the indicators of one village are made of."""
    households: int = 0
    households_level2: int = 0
    households_visited: int = 0
    adults: int = 0
    adults_online: int = 0
    adults_level2: int = 0
    adults_bank: int = 0
    surveys: int = 0
    surveys_satisfied: int = 0
    surveys_lci: int = 0
    surveys_lci_satisfied: int = 0
    members: int = 0
    members_trained: int = 0


def snapshot(histories, day):
    """The live records as of the end of `day`: latest version on or before, not deleted."""
    cutoff = local_cutoff(day)
    live = []
    for history in histories.values():
        for version in reversed(history):
            if version["updated_at"] <= cutoff:
                if not version["deleted"]:
                    live.append(version)
                break
    return live


def tally(records, year, adult_age=18):
    """Count, per village, what the indicators need from a snapshot of records."""
    oldest_adult_year = year - adult_age
    households, level2_homes, visited_homes = {}, set(), set()
    counts = {}
    for record in records:
        village = counts.setdefault(record["village_id"], Counts())
        data, kind = record["data"], record["type"]
        if kind == "household":
            households[record["id"]] = village
            village.households += 1
        elif kind == "person":
            if data.get("vneid") == "level2":
                level2_homes.add(data.get("household_id"))
            if data.get("birth_year", year) <= oldest_adult_year:
                village.adults += 1
                village.adults_online += data.get("uses_online_services") is True
                village.adults_level2 += data.get("vneid") == "level2"
                village.adults_bank += data.get("bank_account") is True
        elif kind == "visit":
            if data.get("outcome") == "met":
                visited_homes.add(data.get("household_id"))
        elif kind == "member":
            if data.get("active") is True:
                village.members += 1
                village.members_trained += bool(data.get("trained_on"))
        elif kind == "survey":
            satisfied = data.get("rating", 0) >= 4
            village.surveys += 1
            village.surveys_satisfied += satisfied
            if data.get("service_area") in LCI:
                village.surveys_lci += 1
                village.surveys_lci_satisfied += satisfied
    for home_id, village in households.items():
        village.households_level2 += home_id in level2_homes
        village.households_visited += home_id in visited_homes
    return counts


def _entry(definition, numerator, denominator, source, target):
    value = numerator / denominator if denominator else None
    met = None if value is None or target is None else value >= target
    return {"key": definition.key, "label": definition.label, "numerator": numerator,
            "denominator": denominator, "value": value, "target": target, "met": met,
            "denominator_source": source}


def indicator_list(counts_by_village, villages, targets):
    """The indicator list for a group of villages (one village, or the whole commune).

    `villages` maps village id to its settings (adult_population, targets); the adult
    denominator is the sum of each village's official or registered count.
    """
    total = Counts()
    for counts in counts_by_village.values():
        for f in fields(Counts):
            setattr(total, f.name, getattr(total, f.name) + getattr(counts, f.name))
    adult_denominator, sources = 0, set()
    for village_id in set(villages) | set(counts_by_village):
        official = (villages.get(village_id) or {}).get("adult_population")
        if official:
            adult_denominator += official
            sources.add("official")
        else:
            adult_denominator += counts_by_village.get(village_id, Counts()).adults
            sources.add("registered")
    adult_source = sources.pop() if len(sources) == 1 else ("mixed" if sources else "registered")
    out = []
    for definition in DEFINITIONS:
        numerator = getattr(total, definition.numerator)
        if definition.denominator == "adults":
            denominator, source = adult_denominator, adult_source
        else:
            denominator, source = getattr(total, definition.denominator), "registered"
        out.append(_entry(definition, numerator, denominator, source,
                          targets.get(definition.key, definition.target)))
    return out


def _village_targets(settings, village):
    targets = dict(DEFAULT_TARGETS)
    targets.update(settings.get("targets") or {})
    targets.update(village.get("targets") or {})
    return targets


def _tallies(histories, days, adult_age=18):
    """{day: tally(snapshot(histories, day), day.year, adult_age)} for several days at once.

    One pass over the histories: each live version is classified once, with the set of
    days it is live on as a bit mask, and equal classifications are counted together.
    """
    with no_cycle_collection():
        return _tallies_of(histories, days, adult_age)


def _tallies_of(histories, days, adult_age):
    """_tallies, with the collector paused."""
    days = sorted(set(days))
    cutoffs = [local_cutoff(day) for day in days]
    size = len(cutoffs)
    full = (1 << size) - 1
    from_index = [full & ~((1 << i) - 1) for i in range(size + 1)]   # live from day i on
    live_from = bisect.bisect_left
    groups, homes, level2_homes, visited_homes = {}, [], {}, {}

    def add(record, mask):
        """Count a version that is the live state of its record on the days of `mask`."""
        data, kind = record["data"], record["type"]
        if kind == "person":
            level2 = data.get("vneid") == "level2"
            if level2:
                home = data.get("household_id")
                level2_homes[home] = level2_homes.get(home, 0) | mask
            key = (mask, record["village_id"], kind, data.get("birth_year", _MISSING),
                   data.get("uses_online_services") is True, level2,
                   data.get("bank_account") is True)
        elif kind == "household":
            key = (mask, record["village_id"], kind)
            # one entry per live version: the masks of one record's versions are disjoint
            homes.append((record["id"], record["village_id"], mask))
        elif kind == "visit":
            if data.get("outcome") == "met":
                home = data.get("household_id")
                visited_homes[home] = visited_homes.get(home, 0) | mask
            key = (mask, record["village_id"], kind)
        elif kind == "survey":
            key = (mask, record["village_id"], kind, data.get("rating", 0) >= 4,
                   data.get("service_area") in LCI)
        elif kind == "member":
            key = (mask, record["village_id"], kind, data.get("active") is True,
                   bool(data.get("trained_on")))
        else:
            key = (mask, record["village_id"], kind)
        groups[key] = groups.get(key, 0) + 1

    for history in histories.values():
        if len(history) == 1:
            version = history[0]
            mask = from_index[live_from(cutoffs, version["updated_at"])]
            if mask and not version["deleted"]:
                add(version, mask)
            continue
        stamps = [version["updated_at"] for version in history]
        if stamps == sorted(stamps):     # as the store keeps them: one bisect per version
            last = len(history) - 1
            for index, version in enumerate(history):
                mask = from_index[live_from(cutoffs, stamps[index])]
                if index < last:
                    mask &= ~from_index[live_from(cutoffs, stamps[index + 1])]
                if mask and not version["deleted"]:
                    add(version, mask)
            continue
        chosen = {}                      # index in history -> mask of the days it is latest
        for bit, cutoff in enumerate(cutoffs):
            for index in range(len(history) - 1, -1, -1):
                if stamps[index] <= cutoff:
                    chosen[index] = chosen.get(index, 0) | (1 << bit)
                    break
        for index, mask in chosen.items():
            if not history[index]["deleted"]:
                add(history[index], mask)

    home_groups = {}
    for home_id, village_id, mask in homes:
        key = (village_id, mask & level2_homes.get(home_id, 0), mask & visited_homes.get(home_id, 0))
        home_groups[key] = home_groups.get(key, 0) + 1

    tallies = [{} for _ in days]
    bits = [[bit for bit in range(size) if mask >> bit & 1] for mask in range(full + 1)] \
        if size <= 12 else None
    def days_of(mask):
        return bits[mask] if bits is not None else [b for b in range(size) if mask >> b & 1]
    for key, number in groups.items():
        mask, village_id, kind = key[0], key[1], key[2]
        for bit in days_of(mask):
            village = tallies[bit].get(village_id)
            if village is None:
                village = tallies[bit][village_id] = Counts()
            if kind == "household":
                village.households += number
            elif kind == "person":
                year = days[bit].year
                birth_year = year if key[3] is _MISSING else key[3]
                if birth_year <= year - adult_age:
                    village.adults += number
                    village.adults_online += number * key[4]
                    village.adults_level2 += number * key[5]
                    village.adults_bank += number * key[6]
            elif kind == "member":
                if key[3]:
                    village.members += number
                    village.members_trained += number * key[4]
            elif kind == "survey":
                village.surveys += number
                village.surveys_satisfied += number * key[3]
                if key[4]:
                    village.surveys_lci += number
                    village.surveys_lci_satisfied += number * key[3]
    for (village_id, level2, visited), number in home_groups.items():
        for bit in days_of(level2):
            tallies[bit][village_id].households_level2 += number
        for bit in days_of(visited):
            tallies[bit][village_id].households_visited += number
    return dict(zip(days, tallies))


_MISSING = object()


def _lists(settings, counts, village_ids, group_only=False):
    """(group list, {village: list}) from one day's tally; no village lists if group_only."""
    villages = {v["id"]: v for v in settings.get("villages", [])}
    ids = [v for v in villages if v in village_ids] if village_ids else list(villages)
    ids += sorted(v for v in counts if v not in villages and (not village_ids or v in village_ids))
    def village_list(vid):
        return indicator_list({vid: counts.get(vid, Counts())}, {vid: villages.get(vid, {})},
                              _village_targets(settings, villages.get(vid, {})))
    if group_only:
        if len(ids) == 1:
            return village_list(ids[0]), {}
        by_village = {}
    else:
        by_village = {vid: village_list(vid) for vid in ids}
    commune_targets = dict(DEFAULT_TARGETS, **(settings.get("targets") or {}))
    group = indicator_list({vid: counts[vid] for vid in ids if vid in counts},
                           {vid: villages.get(vid, {}) for vid in ids}, commune_targets)
    if len(ids) == 1:
        group = by_village[ids[0]]
    return group, by_village


def _periods_until(settings, as_of):
    """[(period, last day counted)] of the campaign periods started by `as_of`."""
    out = []
    for period in periods_from_settings(settings.get("campaign") or {}):
        if period.start > as_of:
            break
        out.append((period, min(period.end, as_of)))
    return out


def _answer(settings, tallies, as_of, periods, village_ids):
    """The compute() answer from the tallies of `as_of` and of every period's last day."""
    group, by_village = _lists(settings, tallies[as_of], village_ids)
    by_period, previous = [], None
    for period, day in periods:
        current, _ = _lists(settings, tallies[day], village_ids, group_only=True)
        for entry in current:
            before = previous and next(e for e in previous if e["key"] == entry["key"])
            entry["change"] = change(entry["value"], before and before["value"])
        by_period.append(dict(period.as_json(), as_of=day.isoformat(),
                              complete=period.end <= as_of, indicators=current))
        previous = current
    return {"commune_code": settings.get("commune_code"), "as_of": as_of.isoformat(),
            "indicators": group, "by_village": by_village, "by_period": by_period}


def compute(settings, histories, as_of=None, village_ids=None):
    """The indicators answer of SPEC §6 for the site, or for some of its villages."""
    as_of = as_of or today_local()
    periods = _periods_until(settings, as_of)
    tallies = _tallies(histories, [as_of] + [day for _, day in periods],
                       settings.get("adult_age", 18))
    return _answer(settings, tallies, as_of, periods, village_ids)


def compute_each(settings, histories, as_of=None, village_ids=None):
    """(compute(settings, histories, as_of), {v: compute(settings, histories, as_of, [v])})
    for every village `v` of `village_ids` (default: the settings' villages), tallying the
    stored versions once for all of them."""
    as_of = as_of or today_local()
    if village_ids is None:
        village_ids = [v["id"] for v in settings.get("villages", [])]
    periods = _periods_until(settings, as_of)
    tallies = _tallies(histories, [as_of] + [day for _, day in periods],
                       settings.get("adult_age", 18))
    return (_answer(settings, tallies, as_of, periods, None),
            {vid: _answer(settings, tallies, as_of, periods, [vid]) for vid in village_ids})


def _site_tallies(site, as_of):
    """(settings, periods, tallies) for a site's stored versions, the tallies kept while
    the stored data stays the same (fieldapp.cache); they depend on nothing else but the
    days and the adult age, so answers are built fresh from them with today's settings."""
    settings = site.settings
    periods = _periods_until(settings, as_of)
    days = tuple(sorted({as_of, *(day for _, day in periods)}))
    age = settings.get("adult_age", 18)
    tallies = cached(site.store, ("tallies", days, age),
                     lambda: _tallies(site.store.histories(), days, age))
    return settings, periods, tallies


def site_compute(site, as_of=None, village_ids=None):
    """compute(site.settings, site.store.histories(), as_of, village_ids), from kept tallies."""
    as_of = as_of or today_local()
    settings, periods, tallies = _site_tallies(site, as_of)
    return _answer(settings, tallies, as_of, periods, village_ids)


def site_indicators(site, as_of=None, village_ids=None):
    """The indicators answer for a site: door-to-door indicators from its stored versions,
    and at the commune (whole commune view) the one-stop shop's procedure rates too."""
    as_of = as_of or today_local()
    settings = site.settings
    answer = site_compute(site, as_of, village_ids)
    if site.kind != "commune" or (village_ids and set(village_ids) != set(site.village_ids)):
        return answer
    from fieldapp.indicators.procedures import figures, procedure_indicators
    current, by_period = procedure_indicators(settings, figures(site), as_of)
    answer["indicators"] = answer["indicators"] + current
    previous = None
    for period in answer["by_period"]:
        entries = by_period.get(period["period"], [])
        for entry in entries:
            before = previous and next(e for e in previous if e["key"] == entry["key"])
            entry["change"] = change(entry["value"], before and before["value"])
        period["indicators"] = period["indicators"] + entries
        previous = entries
    return answer
