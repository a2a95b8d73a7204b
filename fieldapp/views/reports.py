"""Downloads for leads and commune staff: the weekly report PDF, QR sheets, CSV exports.

A lead gets their village's figures; staff and admins get every village of the site.
Each download is written to the audit log: which file, which period, which villages.
"""
import datetime

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from fieldapp import audit
from fieldapp.auth.access import current_user, get_site, page, visible_villages
from fieldapp.forms.errors import BadRequest, Forbidden
from fieldapp.indicators.periods import period_word, periods_from_settings, today_local
from fieldapp.views.forms import ActionForm, DocumentForm

bp = Blueprint("reports", __name__, url_prefix="/reports")
ROLES = ("lead", "staff", "admin")
# where the records are: a province holds only the communes' figures, and has its own
# report (report.pdf, .docx, .xlsx) linked from its dashboard
RECORD_SITES = ("village", "commune")


def _period():
    """The ?period= number, or None; BadRequest when it is not a number."""
    raw = request.args.get("period", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 4:
        word = period_word(get_site().settings.get("campaign"))
        raise BadRequest(f"Số {word} không hợp lệ: hãy chọn một {word} trong danh sách.")
    return int(raw)


def _download(body, mimetype, filename):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _scope(user):
    """The villages of a download: a lead's own, or None (the whole site) for the others."""
    return visible_villages(user) if user["role"] == "lead" else None


def _logged(action, scope="", **details):
    """Append the audit entry of a download by the signed-in user: the file and the
    villages it covers (ids; "all" for the whole site), never what it holds."""
    if scope == "":
        scope = _scope(current_user())
    audit.record(get_site(), current_user()["username"], action,
                 villages=sorted(scope) if scope is not None else "all", **details)


def _base_url():
    return request.host_url.rstrip("/")


@bp.get("/")
@page(*ROLES, site_kind=RECORD_SITES)
def index():
    """The download page: one report per started period, the QR sheets, the CSV files."""
    site = get_site()
    user = current_user()
    today = today_local()
    periods = [p for p in periods_from_settings(site.settings.get("campaign") or {})
               if p.start <= today]
    names = [v["name"] for v in site.settings.get("villages", [])
             if v["id"] in visible_villages(user)]
    return render_template("report/index.html", periods=periods[::-1], today=today,
                           names=names, form=ActionForm(),
                           login_cards=user["role"] == "lead" and site.kind == "village")


@bp.route("/document", methods=["GET", "POST"])
@page(*ROLES)
def document():
    """The report's issuing body, number symbol, signer and recipients (Decree 30)."""
    from fieldapp import audit
    from fieldapp.reports.decree30 import FIELDS, clean_document, save_document
    site = get_site()
    stored = site.settings.get("document") or {}
    form = DocumentForm(data=None if request.method == "POST" else dict(
        {key: stored.get(key) or "" for key in FIELDS},
        recipients="\n".join(stored.get("recipients") or [])))
    if form.validate_on_submit():
        given = {key: form[key].data for key in FIELDS}
        given["recipients"] = (form.recipients.data or "").splitlines()
        clean, errors = clean_document(given)
        for name, message in errors.items():
            form[name].errors = [message]
        if not errors:
            save_document(site, clean)
            audit.record(site, current_user()["username"], "report.document_saved",
                         count=sum(1 for key in FIELDS if clean.get(key)))
            flash("Đã lưu thông tin văn bản; báo cáo tải về từ nay in các thông tin này.", "ok")
            return redirect(url_for("reports.document"))
    return render_template("report/document.html", form=form), 422 if form.errors else 200


@bp.get("/report.pdf")
@page(*ROLES)
def report_pdf():
    """The chairman's report of a period, for the villages this user may see."""
    return _report("pdf")


@bp.get("/report.docx")
@page(*ROLES)
def report_docx():
    """The same report as an editable Word file (Decree 30 layout)."""
    return _report("docx")


@bp.get("/report.xlsx")
@page(*ROLES)
def report_xlsx():
    """The report's tables as an Excel workbook."""
    return _report("xlsx")


def _report(kind):
    from fieldapp.reports.formats import MIME, site_report
    period = _period()
    body = site_report(get_site(), kind, period, None, _scope(current_user()))
    from fieldapp.indicators.periods import period_kind
    word = {"week": "tuan", "month": "thang"}[period_kind(get_site().settings.get("campaign"))]
    stamp = f"{word}-{period}" if period else today_local().isoformat()
    _logged("download.report", format=kind, period=period)
    return _download(body, MIME[kind], f"bao-cao-{stamp}.{kind}")


def _indicator_table(build):
    """The indicator tables that `build` (the CSV or the workbook) makes at the end of every
    period up to the chosen one, and the audit details of their download."""
    site = get_site()
    scope = _scope(current_user())
    stored = None
    if site.kind == "commune" and not scope:
        from fieldapp.indicators.procedures import figures
        stored = figures(site)
    period = _period()
    body = build(site.settings, site.store.histories(), scope, period, procedure_figures=stored)
    return body, {"period": period, "scope": scope}


def _volunteer_table(build):
    """The volunteer statistics up to today that `build` makes, and no further details."""
    site = get_site()
    return build(site.settings, site.store.histories(), _scope(current_user())), {}


def _table_download(kind, file, stem, made):
    """Log and send a table file: `kind` csv (text, sent as UTF-8) or xlsx (bytes);
    `made` is (body, audit details) from _indicator_table or _volunteer_table."""
    from fieldapp.reports.formats import MIME
    body, details = made
    if kind == "csv":
        body, mime = body.encode("utf-8"), "text/csv"
    else:
        mime = MIME[kind]
    _logged(f"download.{kind}", file=file, **details)
    return _download(body, mime, f"{stem}.{kind}")


@bp.get("/indicators.csv")
@page(*ROLES, site_kind=RECORD_SITES)
def indicators_csv():
    """Indicators at the end of every period up to the chosen one."""
    from fieldapp.reports.csv import indicators_csv as build
    return _table_download("csv", "indicators", "chi-so", _indicator_table(build))


@bp.get("/indicators.xlsx")
@page(*ROLES, site_kind=RECORD_SITES)
def indicators_xlsx():
    """The same indicators as an Excel workbook, one sheet per table."""
    from fieldapp.reports.workbook import indicators_xlsx as build
    return _table_download("xlsx", "indicators", "chi-so", _indicator_table(build))


@bp.get("/volunteers.csv")
@page(*ROLES, site_kind=RECORD_SITES)
def volunteers_csv():
    """Volunteer statistics up to today."""
    from fieldapp.reports.csv import volunteers_csv as build
    return _table_download("csv", "volunteers", "to-vien", _volunteer_table(build))


@bp.get("/volunteers.xlsx")
@page(*ROLES, site_kind=RECORD_SITES)
def volunteers_xlsx():
    """Volunteer statistics up to today as an Excel workbook."""
    from fieldapp.reports.workbook import volunteers_xlsx as build
    return _table_download("xlsx", "volunteers", "to-vien", _volunteer_table(build))


@bp.get("/qr.pdf")
@page(*ROLES, site_kind=RECORD_SITES)
def qr_pdf():
    """Guide cards and the Wi-Fi card; the QR codes point at the address in use."""
    from fieldapp.reports.qrsheet import site_sheets_pdf
    pdf, _ = site_sheets_pdf(get_site(), _base_url())
    _logged("download.qr")
    return _download(pdf, "application/pdf", "the-huong-dan.pdf")


@bp.post("/qr-login.pdf")
@page("lead", site_kind="village")
def qr_login_pdf():
    """The same sheets plus a new one-time login card per active volunteer (CSRF checked)."""
    from fieldapp.reports.qrsheet import site_sheets_pdf
    user = current_user()
    if not user.get("village_id"):
        raise Forbidden("Chỉ tổ trưởng của thôn mới in được thẻ đăng nhập.")
    pdf, cards = site_sheets_pdf(get_site(), _base_url(), user["village_id"], user["username"])
    _logged("download.login_cards", scope={user["village_id"]}, count=cards)
    return _download(pdf, "application/pdf",
                     f"the-dang-nhap-{datetime.date.today().isoformat()}.pdf")
