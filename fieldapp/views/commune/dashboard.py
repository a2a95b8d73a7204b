"""The commune centre's dashboard (indicators per village against targets), the
conflicts between versions, and the commendations."""

from flask import render_template, request

from fieldapp.auth.access import get_site, page
from fieldapp.forms.errors import BadRequest
from fieldapp.indicators.compute import site_compute
from fieldapp.indicators.volunteers import site_volunteer_stats
from fieldapp.indicators.definitions import change
from fieldapp.indicators.periods import today_local
from fieldapp.subject_requests import open_counts
from fieldapp.views.days import counted_day
from fieldapp.views.commune.blueprint import SHORT_LABELS, STAFF, bp


# ---------------------------------------------------------------- shared helpers

def _village_filter(site):
    """The village chosen in ?village=, or None for the whole commune."""
    village_id = request.args.get("village", "")[:60]
    if not village_id:
        return None
    if village_id not in site.village_ids:
        raise BadRequest("Không có thôn này trong danh sách thôn của xã.")
    return village_id


def _names(site):
    return {v["id"]: v["name"] for v in site.settings.get("villages", [])}


def _with_changes(answer, as_of):
    """(indicators each with the change since the end of the last period before `as_of`,
    that period or None)."""
    before = [p for p in answer["by_period"] if p["end"] < as_of.isoformat()]
    if not before:
        return [dict(entry, change=None) for entry in answer["indicators"]], None
    then = {entry["key"]: entry["value"] for entry in before[-1]["indicators"]}
    return [dict(entry, change=change(entry["value"], then[entry["key"]]))
            for entry in answer["indicators"]], before[-1]


# ---------------------------------------------------------------- dashboard

def _procedures(site, as_of):
    """The one-stop shop's cumulative rates, or None before any figures are entered."""
    from fieldapp.indicators.procedures import figures, procedure_indicators
    stored = figures(site)
    return procedure_indicators(site.settings, stored, as_of)[0] if stored else None


@bp.get("/")
@page(*STAFF, site_kind="commune")
def dashboard():
    """Every indicator for the commune or one village, per period, against the targets."""
    site = get_site()
    settings = site.settings
    as_of, note = counted_day(settings)
    village_id = _village_filter(site)
    answer = site_compute(site, as_of, [village_id] if village_id else None)
    indicators, previous = _with_changes(answer, as_of)
    return render_template("commune/dashboard.html", answer=answer, as_of=as_of, note=note,
                           village_id=village_id, names=_names(site), settings=settings,
                           empty=not len(site.store), indicators=indicators, previous=previous,
                           short=SHORT_LABELS,
                           procedures=_procedures(site, as_of) if not village_id else None,
                           open_requests=open_counts(site, [village_id] if village_id
                                                     else site.village_ids, today_local()))


# ---------------------------------------------------------------- conflicts

@bp.get("/conflicts")
@page(*STAFF, site_kind="commune")
def conflicts():
    """Records edited on two devices (SPEC §3 forks) from any laptops, side by side."""
    from fieldapp.views.conflicts import render_conflicts
    site = get_site()
    return render_conflicts(site, site.village_ids, "commune/conflicts.html", "commune.conflicts")


# ---------------------------------------------------------------- commendations

def _village_progress(answer, names):
    """Villages ranked by targets met, then by mean progress towards the targets."""
    ranked = []
    for village_id, entries in answer["by_village"].items():
        targeted = [e for e in entries if e["target"]]
        progress = [min((e["value"] or 0) / e["target"], 1.0) for e in targeted]
        ranked.append({"village_id": village_id, "name": names.get(village_id, village_id),
                       "met": sum(1 for e in targeted if e["met"]), "targets": len(targeted),
                       "progress": sum(progress) / len(progress) if progress else None,
                       "entries": entries})
    ranked.sort(key=lambda r: (-r["met"], -(r["progress"] or 0), r["name"]))
    return ranked


@bp.get("/commendations")
@page(*STAFF, site_kind="commune")
def commendations():
    """Volunteers across villages and villages ranked by their results."""
    site = get_site()
    settings = site.settings
    as_of, note = counted_day(settings)
    names = _names(site)
    volunteers = site_volunteer_stats(site, as_of)
    answer = site_compute(site, as_of)
    return render_template("commune/commendations.html", volunteers=volunteers[:200],
                           total=len(volunteers), villages=_village_progress(answer, names),
                           names=names, as_of=as_of, note=note, short=SHORT_LABELS)
