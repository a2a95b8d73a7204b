"""The PDF a citizen receives of everything held about them (fieldapp.subjects.gather)."""
import os

import jinja2
from markupsafe import Markup

from fieldapp.forms import text
from fieldapp.reports.pdf import render_pdf

__all__ = ["render_html", "subject_pdf"]

STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")


def render_html(gathered):
    """The export as one HTML document, print CSS inline, in Vietnamese."""
    from fieldapp.subjects import readable_fields
    from fieldapp.subject_requests import KIND_LABELS
    env = jinja2.Environment(loader=jinja2.PackageLoader("fieldapp", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vn_date=text.vn_date, vn_time=text.vn_time)
    with open(os.path.join(STATIC, "report.css"), encoding="utf-8") as handle:
        css = Markup(handle.read())
    return env.get_template("subjects/export.html").render(
        data=gathered, css=css, fields=readable_fields, kind_labels=KIND_LABELS)


def subject_pdf(gathered):
    """PDF bytes of the export (WeasyPrint, fonts with Vietnamese glyphs)."""
    return render_pdf(render_html(gathered), base_url=STATIC)
