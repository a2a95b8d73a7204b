"""The province's figures from its communes' roll-ups: each indicator per commune and
period against its target, the province's sums, the change from the previous period,
the communes ranked, and which commune reported for which period, and how late.

A rate is always summed counts over summed counts (never an average of rates): the
province's share of adults online is every commune's adults online over every commune's
adults, exactly as the commune sums its villages.
"""
import datetime

from fieldapp.indicators.definitions import DEFINITIONS, change
from fieldapp.forms.text import TZ_OFFSET
from fieldapp.indicators.periods import periods_from_settings

__all__ = ["INDICATORS", "commune_totals", "province_view", "reported", "village_rows"]

INDICATORS = [(d.key, d.label) for d in DEFINITIONS]


def _sum(entries):
    """{key: [numerator, denominator]} summed over `entries` ({key: {numerator, ...}})."""
    out = {}
    for entry in entries:
        for key, counts in entry.items():
            total = out.setdefault(key, [0, 0])
            total[0] += counts["numerator"]
            total[1] += counts["denominator"]
    return out


def _value(pair):
    return pair[0] / pair[1] if pair and pair[1] else None


def commune_totals(rollup):
    """{period: {key: [numerator, denominator]}} of a commune: its villages summed, and
    its one-stop shop's rates."""
    by_period = {}
    for village in rollup["villages"]:
        for entry in village["periods"]:
            by_period.setdefault(entry["period"], []).append(entry["indicators"])
    totals = {period: _sum(entries) for period, entries in by_period.items()}
    for entry in rollup["procedures"]:
        totals.setdefault(entry["period"], {}).update(
            {k: [v["numerator"], v["denominator"]] for k, v in entry["indicators"].items()})
    return totals


def _target(settings, commune, key):
    """The commune's own target (None when it has none set on purpose), else the
    province's default."""
    own = commune.get("targets") or {}
    return own[key] if key in own else (settings.get("targets") or {}).get(key)


def province_view(settings, rollups, period, key):
    """The dashboard of one period and indicator: (province row, commune rows lowest
    first, then communes with nothing to show).

    A row: {code, name, numerator, denominator, value, target, met, change}; `change` is
    against the period before, in the same counts (None when either is unknown). A
    commune's target is its own where it has one (`own_target`), else the province's.
    """
    totals = {code: commune_totals(r) for code, r in rollups.items()}
    rows, missing = [], []
    for commune in settings.get("communes", []):
        mine = totals.get(commune["code"])
        pair = mine and mine.get(period, {}).get(key)
        if not pair or not pair[1]:
            missing.append({"code": commune["code"], "name": commune["name"],
                            "reported": commune["code"] in rollups})
            continue
        before = mine.get(period - 1, {}).get(key)
        rows.append(dict(_row(commune["code"], commune["name"], pair, before,
                              _target(settings, commune, key)),
                         own_target=key in (commune.get("targets") or {})))
    rows.sort(key=lambda r: (r["value"], r["name"]))
    whole = [sum(t.get(period, {}).get(key, [0, 0])[i] for t in totals.values()) for i in (0, 1)]
    before = [sum(t.get(period - 1, {}).get(key, [0, 0])[i] for t in totals.values())
              for i in (0, 1)]
    province = _row(settings.get("province_code"), settings.get("province_name"), whole,
                    before, (settings.get("targets") or {}).get(key))
    return province, rows, missing


def _row(code, name, pair, before, target):
    value = _value(pair)
    return {"code": code, "name": name, "numerator": pair[0], "denominator": pair[1],
            "value": value, "target": target,
            "met": None if target is None or value is None else value >= target,
            "change": change(value, _value(before))}


def reported(settings, rollups, receipts):
    """Per commune: for every period, None (nothing covers it yet) or the days between
    the period's end and the first roll-up received that covers it (0: on time)."""
    periods = periods_from_settings(settings.get("campaign") or {})
    out = []
    for commune in settings.get("communes", []):
        mine = sorted((r for r in receipts if r["commune_code"] == commune["code"]),
                      key=lambda r: r["received_at"])
        late = []
        for period in periods:
            first = next((r for r in mine if r["as_of"] >= period.end.isoformat()), None)
            late.append(None if first is None else max(0, (_local_day(first["received_at"])
                                                           - period.end).days))
        out.append({"code": commune["code"], "name": commune["name"], "late": late,
                    "as_of": rollups[commune["code"]]["as_of"]
                    if commune["code"] in rollups else None})
    return periods, out


def _local_day(stamp):
    """The day in Vietnam of a UTC ISO time."""
    return (datetime.datetime.fromisoformat(stamp) + TZ_OFFSET).date()


def village_rows(rollup, period, key):
    """One commune's villages for a period and indicator, lowest first."""
    rows = []
    for village in rollup["villages"]:
        entry = next((p for p in village["periods"] if p["period"] == period), None)
        counts = entry and entry["indicators"].get(key)
        if counts:
            pair = [counts["numerator"], counts["denominator"]]
            rows.append({"id": village["id"], "name": village["name"], "numerator": pair[0],
                         "denominator": pair[1], "value": _value(pair),
                         "source": counts["denominator_source"]})
    return sorted(rows, key=lambda r: (r["value"] is None, r["value"] or 0, r["name"]))
