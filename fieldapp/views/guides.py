"""Public citizen guides (SPEC §5b) and the privacy notice: no sign-in, phone sized,
Vietnamese."""
from flask import Blueprint, render_template

from fieldapp.auth.access import get_site
from fieldapp.forms.consent import NOTICE_VERSION, PURPOSES
from fieldapp.forms.text import vn_date
from fieldapp.guide_texts import GUIDES, PRIVACY_SLUG, guide_by_slug
from fieldapp.retention import purge_date, retention_days

bp = Blueprint("guides", __name__, url_prefix="/guides")


@bp.get("/")
def index():
    """The list of guides."""
    return render_template("guides/index.html", guides=GUIDES)




@bp.get("/" + PRIVACY_SLUG)
def privacy():
    """The privacy notice a volunteer shows or reads at the door before asking consent
    (Law 91/2025/QH15, Decree 356/2025/NĐ-CP), with this site's retention."""
    settings = get_site().settings
    try:
        until = vn_date(purge_date(settings))
    except (KeyError, TypeError, ValueError):     # a site without campaign dates
        until = None
    return render_template("guides/privacy.html", version=NOTICE_VERSION, purposes=PURPOSES,
                           days=retention_days(settings), until=until, guides=GUIDES)


@bp.get("/<path:slug>")
def guide(slug):
    """One guide, step by step; an unknown slug gets a friendly page listing the others."""
    found = guide_by_slug(slug)
    if found is None:
        return render_template("guides/not_found.html", guides=GUIDES), 404
    others = [g for g in GUIDES if g.slug != found.slug]
    return render_template("guides/guide.html", guide=found, others=others)
