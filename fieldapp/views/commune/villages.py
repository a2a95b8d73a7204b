"""Commune villages, targets and campaign pages (routes of the commune blueprint).

Edited through Flask-WTF forms or loaded from a CSV like a plan's annex; every change
is checked whole and saved with one settings write, or nothing is saved.
"""

from flask import Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, StringField

from fieldapp import audit, subject_requests
from fieldapp.auth.access import current_user, get_site, page
from fieldapp.forms.errors import Invalid, NotFound
from fieldapp.indicators import annex
from fieldapp.indicators.definitions import DEFINITIONS
from fieldapp.indicators.periods import (PERIOD_WORDS, monthly_periods, parse_day, period_kind,
                                         weekly_periods)
from fieldapp.views.commune.blueprint import SHORT_LABELS, STAFF, bp, update_settings

MAX_CAMPAIGN_DAYS = 731
MAX_CSV_BYTES = 256 * 1024


class CampaignForm(FlaskForm):
    """The campaign: name, dates, period length."""
    campaign_name = StringField("Tên chiến dịch", render_kw={"maxlength": 120})
    campaign_start = StringField("Ngày bắt đầu", render_kw={"type": "date"})
    campaign_end = StringField("Ngày kết thúc", render_kw={"type": "date"})
    period_kind = RadioField("Chia chiến dịch theo", choices=[SelectChoice("week", "Tuần (7 ngày)"),
                                                       SelectChoice("month", "Tháng")],
                             validate_choice=False)


class VillageForm(FlaskForm):
    """A village: id (when added), name, official adult population."""
    village_id = StringField("Mã thôn (không dấu, ví dụ thon-3)",
                             render_kw={"maxlength": 40, "autocapitalize": "none"})
    village_name = StringField("Tên thôn", render_kw={"maxlength": annex.NAME_MAX})
    adult_population = StringField("Số người trưởng thành (số chính thức, có thể để trống)",
                                   render_kw={"inputmode": "numeric", "maxlength": 9})


class AnnexForm(FlaskForm):
    """Upload of the plan's annex as CSV."""
    annex_file = FileField("Tệp CSV phụ lục kế hoạch")


def targets_form(values, placeholders, formdata=None, own=False):
    """A form with one percent input per indicator (field names t_<key>); `own`: a
    village's own targets, where "không" (typed on the full keyboard) is no target and
    a blank cell the commune's."""
    attrs = {f"t_{d.key}": StringField(f"{d.label} (%)", render_kw={
        "maxlength": 8, "placeholder": placeholders.get(d.key, ""),
        **({} if own else {"inputmode": "decimal"})}) for d in DEFINITIONS}
    form_class = type("TargetsForm", (FlaskForm,), attrs)
    data = {f"t_{k}": annex.own_target_input(values, k) if own else
            annex.format_percent_input(v) for k, v in values.items()}
    if formdata is None:
        return form_class(formdata=None, data=data)
    return form_class(data=data)


def _read_targets(form, own=False):
    """{key: ratio or None} from a targets form, errors attached to its fields; `own`:
    annex.DEFAULT for a blank cell (the commune's target), None for "không"."""
    values = {}
    for definition in DEFINITIONS:
        field = form[f"t_{definition.key}"]
        try:
            values[definition.key] = annex.parse_own_target(field.data) if own \
                else annex.parse_percent(field.data)
        except annex.AnnexError as error:
            field.errors = [error.message]
    return values, not any(form[f"t_{d.key}"].errors for d in DEFINITIONS)


def _commune_targets(settings):
    stored = settings.get("targets") or {}
    return {d.key: stored.get(d.key, d.target) for d in DEFINITIONS}


def _villages_page(campaign_form=None, targets=None, add_form=None, annex_form=None,
                   annex_errors=None, status=200, request_form=None):
    """Render the villages page; forms not given are filled from the settings."""
    settings = get_site().settings
    if request_form is None:
        request_form = RequestDaysForm(formdata=None, data={
            "subject_request_days": str(subject_requests.request_days(settings))})
    campaign = settings.get("campaign") or {}
    if campaign_form is None:
        campaign_form = CampaignForm(formdata=None, data={
            "campaign_name": campaign.get("name", ""), "campaign_start": campaign.get("start"),
            "campaign_end": campaign.get("end"), "period_kind": period_kind(campaign)})
    if targets is None:
        targets = targets_form(_commune_targets(settings), {})
    return render_template(
        "commune/villages.html", settings=settings, campaign_form=campaign_form,
        targets=targets, add_form=add_form or VillageForm(formdata=None),
        annex_form=annex_form or AnnexForm(formdata=None), annex_errors=annex_errors or [],
        commune_targets=_commune_targets(settings), definitions=DEFINITIONS,
        short=SHORT_LABELS, periods=campaign.get("periods", []), request_form=request_form,
        is_admin=current_user()["role"] == "admin"), status


@bp.get("/villages")
@page(*STAFF, site_kind="commune")
def villages():
    """Villages, official populations, targets and the campaign periods."""
    return _villages_page()


@bp.post("/villages/campaign")
@page(*STAFF, site_kind="commune")
def campaign():
    """Save the campaign and regenerate its periods."""
    form = CampaignForm()
    if not form.validate_on_submit():
        return _villages_page(campaign_form=form, status=400)
    name = " ".join((form.campaign_name.data or "").split())
    if not name or len(name) > 120:
        form.campaign_name.errors = ["Hãy nhập tên chiến dịch (tối đa 120 ký tự)."]
    days = {}
    for key, field in (("start", form.campaign_start), ("end", form.campaign_end)):
        try:
            days[key] = parse_day(field.data, field.label.text, typed=True)
        except Invalid as error:
            field.errors = [error.message]
    if len(days) == 2 and days["end"] < days["start"]:
        form.campaign_end.errors = ["Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."]
    elif len(days) == 2 and (days["end"] - days["start"]).days > MAX_CAMPAIGN_DAYS:
        form.campaign_end.errors = ["Chiến dịch dài quá 2 năm."]
    kind = form.period_kind.data
    if kind not in ("week", "month"):
        form.period_kind.errors = ["Hãy chọn chia theo tuần hoặc theo tháng."]
    if form.errors:
        return _villages_page(campaign_form=form, status=422)
    make = monthly_periods if kind == "month" else weekly_periods
    periods = [p.as_json() for p in make(days["start"], days["end"])]

    def change(settings):
        settings["campaign"] = dict(settings.get("campaign") or {}, name=name,
                                    start=days["start"].isoformat(),
                                    end=days["end"].isoformat(), period_kind=kind,
                                    periods=periods)
    update_settings(change)
    flash(f"Đã lưu chiến dịch: {len(periods)} {PERIOD_WORDS[kind]}.", "ok")
    return redirect(url_for("commune.villages"))


@bp.post("/villages/targets")
@page(*STAFF, site_kind="commune")
def commune_targets():
    """Save the commune-wide targets (blank: no target)."""
    form = targets_form({}, {}, formdata=True)
    if not form.validate_on_submit():
        return _villages_page(targets=form, status=400)
    values, ok = _read_targets(form)
    if not ok:
        return _villages_page(targets=form, status=422)
    # other rooms may keep their own targets here (procedure figures): keep them
    update_settings(lambda settings: settings.__setitem__(
        "targets", dict(settings.get("targets") or {}, **values)))
    audit.record(get_site(), current_user()["username"], "targets.save")
    flash("Đã lưu chỉ tiêu của xã.", "ok")
    return redirect(url_for("commune.villages"))


@bp.post("/villages/add")
@page(*STAFF, site_kind="commune")
def add_village():
    """Add a village."""
    form = VillageForm()
    if not form.validate_on_submit():
        return _villages_page(add_form=form, status=400)
    row = _read_village(form, new=True)
    if form.errors:
        return _villages_page(add_form=form, status=422)
    update_settings(lambda settings: settings.setdefault("villages", []).append(
        dict(row, targets={})))
    flash(f"Đã thêm {row['name']}.", "ok")
    return redirect(url_for("commune.villages"))


def _read_village(form, new):
    """{id?, name, adult_population} from a village form, errors attached to its fields."""
    row = {}
    try:
        row["name"] = annex.parse_village_name(form.village_name.data)
    except annex.AnnexError as error:
        form.village_name.errors = [error.message]
    try:
        row["adult_population"] = annex.parse_population(form.adult_population.data)
    except annex.AnnexError as error:
        form.adult_population.errors = [error.message]
    if new:
        try:
            row["id"] = annex.parse_village_id(form.village_id.data, row.get("name"))
        except annex.AnnexError as error:
            form.village_id.errors = [error.message]
        else:
            if row["id"] in get_site().village_ids:
                form.village_id.errors = [f"Mã thôn {row['id']} đã có."]
    return row


@bp.route("/villages/<village_id>", methods=["GET", "POST"])
@page(*STAFF, site_kind="commune")
def village(village_id):
    """Edit one village: name, official adult population, its own targets."""
    site = get_site()
    current = site.village(village_id)
    if current is None:
        raise NotFound("Không có thôn này.")
    placeholders = {k: ("theo xã: " + annex.format_percent_input(v) + " %") if v is not None
                    else "theo xã: không đặt" for k, v in _commune_targets(site.settings).items()}
    if request.method == "GET":
        form = VillageForm(formdata=None, data={
            "village_name": current["name"],
            "adult_population": str(current.get("adult_population") or "")})
        targets = targets_form(current.get("targets") or {}, placeholders, own=True)
        return render_template("commune/village.html", village=current, form=form,
                               targets=targets)
    form = VillageForm()
    targets = targets_form({}, placeholders, formdata=True, own=True)
    status = 200
    if form.validate_on_submit():
        row = _read_village(form, new=False)
        values, ok = _read_targets(targets, own=True)
        if ok and not form.errors:
            def change(settings):
                for stored in settings.get("villages", []):
                    if stored["id"] == village_id:
                        kept = {k: v for k, v in (stored.get("targets") or {}).items()
                                if k not in values}
                        stored.update(row, targets=dict(kept, **{
                            k: v for k, v in values.items() if v is not annex.DEFAULT}))
            update_settings(change)
            audit.record(site, current_user()["username"], "village.save",
                         village_id=village_id)
            flash(f"Đã lưu {row['name']}.", "ok")
            return redirect(url_for("commune.villages"))
        status = 422
    else:
        status = 400
    return render_template("commune/village.html", village=current, form=form,
                           targets=targets), status


@bp.post("/villages/import")
@page(*STAFF, site_kind="commune")
def import_annex():
    """Load villages, populations and targets from a CSV; all rows or nothing."""
    form = AnnexForm()
    if not form.validate_on_submit():
        return _villages_page(annex_form=form, status=400)
    upload = form.annex_file.data
    content = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    errors = []
    if not content:
        errors = ["Hãy chọn một tệp CSV."]
    elif len(content) > MAX_CSV_BYTES:
        errors = ["Tệp quá lớn (tối đa 256 KB)."]
    else:
        try:
            rows, errors = annex.read_annex_csv(content)
        except annex.AnnexError as error:
            errors = [error.message]
    if errors:
        return _villages_page(annex_errors=errors, status=422)
    added = [r["id"] for r in rows if r["id"] not in get_site().village_ids]
    update_settings(lambda settings: settings.__setitem__(
        "villages", annex.merge_villages(settings.get("villages", []), rows)))
    audit.record(get_site(), current_user()["username"], "villages.import", count=len(rows),
                 added=added)
    flash(f"Đã nhập {len(rows)} thôn từ tệp ({len(added)} thôn mới).", "ok")
    return redirect(url_for("commune.villages"))


@bp.get("/villages/annex.xlsx")
@page(*STAFF, site_kind="commune")
def annex_template_xlsx():
    """The same annex as an Excel sheet: populations as numbers, targets as percents."""
    from fieldapp.reports.formats import MIME
    from fieldapp.reports.workbook import template_xlsx
    header, rows = annex.annex_table(get_site().settings.get("villages", []))
    body = template_xlsx("Phụ lục thôn", header, rows, "Phụ lục: các thôn và chỉ tiêu",
                         percent=header[3:])
    return Response(body, mimetype=MIME["xlsx"], headers={
        "Content-Disposition": "attachment; filename=phu-luc-thon.xlsx"})


@bp.get("/villages/annex.csv")
@page(*STAFF, site_kind="commune")
def annex_template():
    """The annex CSV with the current villages, to fill in a spreadsheet."""
    body = annex.annex_template(get_site().settings.get("villages", []))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=phu-luc-thon.csv"})


class RequestDaysForm(FlaskForm):
    """The days a citizen's request has before its deadline (the commune admin's)."""
    subject_request_days = StringField("Hạn xử lý yêu cầu về dữ liệu cá nhân (số ngày)",
                                       render_kw={"inputmode": "numeric", "maxlength": 2})


@bp.post("/villages/request-days")
@page("admin", site_kind="commune")
def request_days():
    """Save `subject_request_days` (a whole number 1-90; docs/erasure.md)."""
    form = RequestDaysForm()
    if not form.validate_on_submit():
        return _villages_page(request_form=form, status=400)
    days, problem = subject_requests.parse_request_days(form.subject_request_days.data)
    if problem:
        form.subject_request_days.errors = [problem]
        return _villages_page(request_form=form, status=422)
    update_settings(lambda settings: settings.update(subject_request_days=days))
    flash(f"Đã lưu: hạn xử lý yêu cầu về dữ liệu cá nhân là {days} ngày (cho các yêu cầu "
          "ghi từ nay).", "ok")
    return redirect(url_for("commune.villages", _anchor="du-lieu-ca-nhan"))
