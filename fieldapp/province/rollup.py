"""A commune's roll-up for the province (SPEC §7a): its indicators' counts for every
village and campaign period, and the one-stop shop's figures, signed with the site key.

Each period's entry holds the counts as of its last day (or of the roll-up's date for the
period under way), exactly as the commune's own `indicators --json --as-of` gives them, so
the province sees the same figures the commune does. Only counts leave: the indicators
are computed here and the records never are read into the file.
"""
import datetime
import uuid

from fieldapp.indicators.compute import site_compute
from fieldapp.indicators.periods import period_kind, today_local
from fieldapp.indicators.procedures import figures, procedure_indicators
from sync import keys
from sync.rollup import FORMAT, VERSION, sign_rollup

__all__ = ["make_rollup", "province_code"]


def province_code(commune_code):
    """The official code of the province a commune (ward) code belongs to."""
    from vietnam_provinces import Ward
    return str(Ward.from_code(int(commune_code)).province_code)


def _counts(indicators):
    return {entry["key"]: {"numerator": entry["numerator"], "denominator": entry["denominator"],
                           "denominator_source": entry["denominator_source"]}
            for entry in indicators}


def _procedures(settings, stored, periods):
    """The one-stop shop's rates per period (cumulative to its end), as counts."""
    if not stored:
        return []
    out = []
    for entry in periods:
        day = datetime.date.fromisoformat(entry["as_of"])
        current, _ = procedure_indicators(settings, stored, day)
        out.append({"period": entry["period"], "complete": entry["complete"],
                    "indicators": _counts(current)})
    return out


def make_rollup(site, as_of=None):
    """The signed roll-up of a commune site's figures as of `as_of` (default today)."""
    as_of = as_of or today_local()
    settings = site.settings
    campaign = settings.get("campaign") or {}
    villages = []
    answer = None
    for village in settings.get("villages", []):
        answer = site_compute(site, as_of, [village["id"]])
        villages.append({
            "id": village["id"], "name": village["name"],
            "adult_population": village.get("adult_population"),
            "periods": [{"period": p["period"], "complete": p["complete"],
                         "indicators": _counts(p["indicators"])} for p in answer["by_period"]]})
    periods = (answer or site_compute(site, as_of))["by_period"]
    # milliseconds: two roll-ups of one day made in the same second (the page's button
    # pressed twice) are told apart by when they were made, not by their random ids
    created = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    fields = {
        "format": FORMAT, "version": VERSION, "rollup_id": str(uuid.uuid4()),
        "commune_code": settings["commune_code"], "commune_name": settings["commune_name"],
        "province_code": province_code(settings["commune_code"]),
        "site": {"id": settings["site_id"],
                 "public_key": keys.create_site_key(site.data_dir)},
        "created_at": created, "as_of": as_of.isoformat(),
        "campaign": {"start": campaign.get("start"), "end": campaign.get("end"),
                     "period_kind": period_kind(campaign),
                     "periods": [{"period": p["period"], "start": p["start"], "end": p["end"]}
                                 for p in campaign.get("periods", [])]},
        "villages": villages,
        "procedures": _procedures(settings, figures(site), periods),
    }
    return sign_rollup(fields, keys.load_site_key(site.data_dir))
