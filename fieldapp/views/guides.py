"""Public citizen guides (SPEC §5b): no sign-in, phone sized, Vietnamese."""
from flask import Blueprint, render_template

from fieldapp.guide_texts import GUIDES, guide_by_slug

bp = Blueprint("guides", __name__, url_prefix="/guides")


@bp.get("/")
def index():
    """The list of guides."""
    return render_template("guides/index.html", guides=GUIDES)


@bp.get("/<path:slug>")
def guide(slug):
    """One guide, step by step; an unknown slug gets a friendly page listing the others."""
    found = guide_by_slug(slug)
    if found is None:
        return render_template("guides/not_found.html", guides=GUIDES), 404
    others = [g for g in GUIDES if g.slug != found.slug]
    return render_template("guides/guide.html", guide=found, others=others)
