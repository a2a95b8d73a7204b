"""The commune's roll-up for the province, as a download for staff (SPEC §7a)."""
from flask import Response, g, render_template

from fieldapp import audit
from fieldapp.auth.access import get_site, page
from fieldapp.province.rollup import make_rollup
from fieldapp.views.commune.blueprint import STAFF, bp
from fieldapp.views.days import counted_day
from sync.batch import gzip_bytes
from sync.rollup import rollup_bytes


@bp.get("/rollup")
@page(*STAFF, site_kind="commune")
def rollup():
    """What the roll-up holds, and the day it counts to."""
    site = get_site()
    as_of, note = counted_day(site.settings)
    return render_template("commune/rollup.html", as_of=as_of, note=note,
                           settings=site.settings)


@bp.get("/rollup/file")
@page(*STAFF, site_kind="commune")
def rollup_file():
    """The signed roll-up as of ?as_of= (default today, kept inside the campaign)."""
    site = get_site()
    as_of, _ = counted_day(site.settings)
    made = make_rollup(site, as_of)
    audit.record(site, g.user["username"], "download.rollup", rollup_id=made["rollup_id"],
                 count=len(made["villages"]))
    name = f"so-lieu-{made['commune_code']}-{as_of.isoformat()}.json.gz"
    return Response(gzip_bytes(rollup_bytes(made)), mimetype="application/gzip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


__all__ = ["rollup", "rollup_file"]
