"""Commune centre pages: dashboard, villages and targets, conflicts, commendations, users."""
import copy
import datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, RadioField, SelectChoice, StringField

from fieldapp import annex, auth
from fieldapp.access import current_user, get_site, page
from fieldapp.errors import BadRequest, FieldappError, NotFound
from fieldapp.forms import ActionForm
from fieldapp.forms.rules import CHOICES, TYPE_LABELS
from fieldapp.indicators import DEFINITIONS, compute, today_local, volunteer_stats
from fieldapp.periods import TZ_OFFSET, monthly_periods, weekly_periods

bp = Blueprint("commune", __name__, url_prefix="/commune")
STAFF = ("staff", "admin")
SHORT_LABELS = {
    "adult_online_usage": "Dùng DVCTT", "satisfaction": "Hài lòng",
    "satisfaction_land_construction_investment": "Hài lòng đất đai, XD, ĐT",
    "household_vneid_level2": "Hộ có mức 2", "adult_vneid_level2": "Người có mức 2",
    "adult_bank_account": "Tài khoản NH", "households_visited": "Hộ đã đến",
}
MAX_CAMPAIGN_DAYS = 731
CONFLICTS_PER_PAGE = 50
MAX_CSV_BYTES = 256 * 1024


# ---------------------------------------------------------------- shared helpers

def _parse_day(raw, what="Ngày"):
    """A date typed as YYYY-MM-DD (date input) or dd/mm/yyyy; raise annex.AnnexError."""
    text = (raw or "").strip()
    try:
        if "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            value = datetime.date(year, month, day)
        else:
            value = datetime.date.fromisoformat(text)
    except ValueError:
        raise annex.AnnexError(f"{what} “{text}” không hợp lệ (dạng ngày/tháng/năm).") from None
    if not 2000 <= value.year <= 2100:
        raise annex.AnnexError(f"{what} phải nằm trong khoảng năm 2000–2100.")
    return value


def _as_of(settings):
    """(date, note): the chosen date, or today in Vietnam clipped to the campaign."""
    raw = request.args.get("as_of", "")[:20]
    if raw:
        try:
            return _parse_day(raw, "Ngày xem"), None
        except annex.AnnexError as error:
            raise BadRequest(error.message) from None
    today = today_local()
    campaign = settings.get("campaign") or {}
    end = campaign.get("end") and datetime.date.fromisoformat(campaign["end"])
    start = campaign.get("start") and datetime.date.fromisoformat(campaign["start"])
    if end and today > end:
        return end, "Chiến dịch đã kết thúc: số liệu tính đến ngày cuối chiến dịch."
    if start and today < start:
        return start, "Chiến dịch chưa bắt đầu: số liệu tính đến ngày đầu chiến dịch."
    return today, None


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


def _local_time(stamp):
    """A SPEC UTC timestamp as 'dd/mm/yyyy HH:MM' in Vietnam."""
    moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")) + TZ_OFFSET
    return moment.strftime("%d/%m/%Y %H:%M")


def _update_settings(change):
    """Apply change(settings copy) under the site lock and save."""
    site = get_site()
    with site.lock:
        settings = copy.deepcopy(site.settings)
        change(settings)
        site.save_settings(settings)


def _with_changes(answer):
    """The current indicators, each with the change since the previous period's end."""
    last = answer["by_period"][-1]["indicators"] if answer["by_period"] else []
    changes = {entry["key"]: entry.get("change") for entry in last}
    return [dict(entry, change=changes.get(entry["key"])) for entry in answer["indicators"]]


# ---------------------------------------------------------------- dashboard

@bp.get("/")
@page(*STAFF, site_kind="commune")
def dashboard():
    """Every indicator for the commune or one village, per period, against the targets."""
    site = get_site()
    site.store.refresh()
    settings = site.settings
    as_of, note = _as_of(settings)
    village_id = _village_filter(site)
    histories = site.store.histories()
    answer = compute(settings, histories, as_of, [village_id] if village_id else None)
    return render_template("commune/dashboard.html", answer=answer, as_of=as_of, note=note,
                           village_id=village_id, names=_names(site), settings=settings,
                           empty=not histories, indicators=_with_changes(answer),
                           short=SHORT_LABELS,
                           has_imports="batches.imports" in current_app.view_functions,
                           has_procedures="procedures.figures" in current_app.view_functions)


# ---------------------------------------------------------------- villages and targets

class CampaignForm(FlaskForm):
    """The campaign: name, dates, period length."""
    campaign_name = StringField("Tên chiến dịch", render_kw={"maxlength": 120})
    campaign_start = StringField("Ngày bắt đầu", render_kw={"type": "date"})
    campaign_end = StringField("Ngày kết thúc", render_kw={"type": "date"})
    period_kind = RadioField("Chia đợt theo", choices=[SelectChoice("week", "Tuần (7 ngày)"),
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


def targets_form(values, placeholders, formdata=None):
    """A form with one percent input per indicator (field names t_<key>)."""
    attrs = {f"t_{d.key}": StringField(f"{d.label} (%)", render_kw={
        "inputmode": "decimal", "maxlength": 8,
        "placeholder": placeholders.get(d.key, "")}) for d in DEFINITIONS}
    form_class = type("TargetsForm", (FlaskForm,), attrs)
    data = {f"t_{k}": annex.format_percent_input(v) for k, v in values.items()}
    if formdata is None:
        return form_class(formdata=None, data=data)
    return form_class(data=data)


def _read_targets(form):
    """{key: ratio or None} from a targets form, errors attached to its fields."""
    values = {}
    for definition in DEFINITIONS:
        field = form[f"t_{definition.key}"]
        try:
            values[definition.key] = annex.parse_percent(field.data)
        except annex.AnnexError as error:
            field.errors = [error.message]
    return values, not any(form[f"t_{d.key}"].errors for d in DEFINITIONS)


def _commune_targets(settings):
    stored = settings.get("targets") or {}
    return {d.key: stored.get(d.key, d.target) for d in DEFINITIONS}


def _campaign_kind(campaign):
    if campaign.get("period_kind") in ("week", "month"):
        return campaign["period_kind"]
    start, end = campaign.get("start"), campaign.get("end")
    if start and end:
        months = [p.as_json() for p in monthly_periods(datetime.date.fromisoformat(start),
                                                       datetime.date.fromisoformat(end))]
        if months == campaign.get("periods") and len(months) > 1:
            return "month"
    return "week"


def _villages_page(campaign_form=None, targets=None, add_form=None, annex_form=None,
                   annex_errors=None, status=200):
    """Render the villages page; forms not given are filled from the settings."""
    settings = get_site().settings
    campaign = settings.get("campaign") or {}
    if campaign_form is None:
        campaign_form = CampaignForm(formdata=None, data={
            "campaign_name": campaign.get("name", ""), "campaign_start": campaign.get("start"),
            "campaign_end": campaign.get("end"), "period_kind": _campaign_kind(campaign)})
    if targets is None:
        targets = targets_form(_commune_targets(settings), {})
    return render_template(
        "commune/villages.html", settings=settings, campaign_form=campaign_form,
        targets=targets, add_form=add_form or VillageForm(formdata=None),
        annex_form=annex_form or AnnexForm(formdata=None), annex_errors=annex_errors or [],
        commune_targets=_commune_targets(settings), definitions=DEFINITIONS,
        short=SHORT_LABELS, periods=campaign.get("periods", [])), status


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
            days[key] = _parse_day(field.data, field.label.text)
        except annex.AnnexError as error:
            field.errors = [error.message]
    if len(days) == 2 and days["end"] < days["start"]:
        form.campaign_end.errors = ["Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."]
    elif len(days) == 2 and (days["end"] - days["start"]).days > MAX_CAMPAIGN_DAYS:
        form.campaign_end.errors = ["Chiến dịch dài quá 2 năm."]
    kind = form.period_kind.data
    if kind not in ("week", "month"):
        form.period_kind.errors = ["Hãy chọn chia đợt theo tuần hoặc theo tháng."]
    if form.errors:
        return _villages_page(campaign_form=form, status=422)
    make = monthly_periods if kind == "month" else weekly_periods
    periods = [p.as_json() for p in make(days["start"], days["end"])]

    def change(settings):
        settings["campaign"] = dict(settings.get("campaign") or {}, name=name,
                                    start=days["start"].isoformat(),
                                    end=days["end"].isoformat(), period_kind=kind,
                                    periods=periods)
    _update_settings(change)
    flash(f"Đã lưu chiến dịch: {len(periods)} đợt.", "ok")
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
    _update_settings(lambda settings: settings.__setitem__("targets", values))
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
    _update_settings(lambda settings: settings.setdefault("villages", []).append(
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
                    else "không có" for k, v in _commune_targets(site.settings).items()}
    if request.method == "GET":
        form = VillageForm(formdata=None, data={
            "village_name": current["name"],
            "adult_population": str(current.get("adult_population") or "")})
        targets = targets_form(current.get("targets") or {}, placeholders)
        return render_template("commune/village.html", village=current, form=form,
                               targets=targets)
    form = VillageForm()
    targets = targets_form({}, placeholders, formdata=True)
    status = 200
    if form.validate_on_submit():
        row = _read_village(form, new=False)
        values, ok = _read_targets(targets)
        if ok and not form.errors:
            def change(settings):
                for stored in settings.get("villages", []):
                    if stored["id"] == village_id:
                        stored.update(row, targets={k: v for k, v in values.items()
                                                    if v is not None})
            _update_settings(change)
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
    _update_settings(lambda settings: settings.__setitem__(
        "villages", annex.merge_villages(settings.get("villages", []), rows)))
    flash(f"Đã nhập {len(rows)} thôn từ tệp ({len(added)} thôn mới).", "ok")
    return redirect(url_for("commune.villages"))


@bp.get("/villages/annex.csv")
@page(*STAFF, site_kind="commune")
def annex_template():
    """The annex CSV with the current villages, to fill in a spreadsheet."""
    body = annex.annex_template(get_site().settings.get("villages", []))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=phu-luc-thon.csv"})


# ---------------------------------------------------------------- conflicts

def _differences(heads):
    """The data fields (and deletion) whose values differ between competing versions."""
    keys = sorted({k for v in heads for k in v["data"]})
    fields = [k for k in keys if len({repr(v["data"].get(k)) for v in heads}) > 1]
    if len({v["deleted"] for v in heads}) > 1:
        fields.append("deleted")
    return fields


def _display(version, field):
    """A field's value as people read it."""
    if field == "deleted":
        return "Đã xóa" if version["deleted"] else "Còn"
    value = version["data"].get(field)
    choices = CHOICES.get(field) if field in ("outcome", "vneid", "sex", "service_area",
                                              "rating") else None
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, list):
        return ", ".join(CHOICES["help"].get(v, v) for v in value) or "—"
    if choices and value in choices:
        return choices[value]
    return "—" if value in (None, "") else str(value)


def _record_title(version):
    data = version["data"]
    return data.get("head_name") or data.get("full_name") or data.get("visited_on") \
        or data.get("surveyed_on") or version["id"][:8]


@bp.get("/conflicts")
@page(*STAFF, site_kind="commune")
def conflicts():
    """Records with competing edits from different sites, side by side."""
    site = get_site()
    site.store.refresh()
    found = site.store.conflicts()
    page_no = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    shown = found[(page_no - 1) * CONFLICTS_PER_PAGE: page_no * CONFLICTS_PER_PAGE]
    senders = _senders(site)
    items = []
    for conflict in shown:
        history = site.store.history(conflict.id)
        heads = {}
        for version in history:
            heads[site.store.partition_of(version)] = version
        sent_by = {id(v): senders.get(p, p) for p, v in heads.items()}
        current = site.store.current(conflict.id)
        competing = sorted(heads.values(), key=lambda v: (v["updated_at"], v["device_id"]),
                           reverse=True)
        fields = _differences(competing)
        items.append({"id": conflict.id, "type": TYPE_LABELS.get(current["type"], current["type"]),
                      "title": _record_title(current), "village_id": current["village_id"],
                      "fields": fields, "versions": [
                          {"author": v["author"], "device_id": v["device_id"],
                           "sender": sent_by[id(v)],
                           "when": _local_time(v["updated_at"]),
                           "current": v is current or v == current,
                           "values": [(f, _display(v, f)) for f in fields]}
                          for v in competing], "count": len(history)})
    return render_template("commune/conflicts.html", items=items, total=len(found),
                           page_no=page_no, names=_names(site), labels=_field_labels(),
                           pages=max(1, -(-len(found) // CONFLICTS_PER_PAGE)))


def _senders(site):
    """{partition: the sending site's name}, from the keys pinned by sync."""
    try:
        from sync.transfer import known_sites, partition_for
    except ModuleNotFoundError as error:
        if error.name not in ("sync", "sync.transfer"):
            raise
        return {}
    return {partition_for(row["site_id"]): row["name"] for row in known_sites(site)}


def _field_labels():
    from fieldapp.forms.rules import RULES
    labels = {"deleted": "Trạng thái"}
    for rules in RULES.values():
        labels.update({rule.name: rule.label for rule in rules})
    return labels


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
    site.store.refresh()
    settings = site.settings
    as_of, note = _as_of(settings)
    histories = site.store.histories()
    names = _names(site)
    volunteers = volunteer_stats(histories, as_of)
    answer = compute(settings, histories, as_of)
    return render_template("commune/commendations.html", volunteers=volunteers[:200],
                           total=len(volunteers), villages=_village_progress(answer, names),
                           names=names, as_of=as_of, note=note, short=SHORT_LABELS)


# ---------------------------------------------------------------- users

class StaffForm(FlaskForm):
    """The admin adds a commune account."""
    username = StringField("Tên đăng nhập (không dấu)", render_kw={
        "autocapitalize": "none", "maxlength": 32, "autocomplete": "off"})
    password = PasswordField("Mật khẩu (ít nhất 10 ký tự)", render_kw={
        "autocomplete": "new-password", "maxlength": 200})
    role = RadioField("Vai trò", choices=[SelectChoice("staff", "Cán bộ xã"),
                                          SelectChoice("admin", "Quản trị")],
                      default="staff", validate_choice=False)


@bp.route("/users", methods=["GET", "POST"])
@page("admin", site_kind="commune")
def users():
    """Commune accounts: add, disable, enable, new password."""
    site = get_site()
    form = StaffForm()
    if form.validate_on_submit():
        username = (form.username.data or "").strip().lower()
        role = form.role.data if form.role.data in ("staff", "admin") else None
        try:
            if role is None:
                raise FieldappError("Hãy chọn vai trò cán bộ xã hoặc quản trị.")
            auth.add_user(site, username, role, form.password.data or "")
        except FieldappError as error:
            target = form.role if role is None else (
                form.password if "Mật khẩu" in error.message else form.username)
            target.errors = [error.message]
        else:
            flash(f"Đã tạo tài khoản {username}.", "ok")
            return redirect(url_for("commune.users"))
    return render_template("commune/users.html", form=form, users=auth.list_users(site),
                           roles=auth.ROLE_LABELS, action=ActionForm()), \
        422 if form.errors else 200


@bp.post("/users/<username>/<action>")
@page("admin", site_kind="commune")
def user_action(username, action):
    """Disable, enable or set a new password for a commune account."""
    site = get_site()
    target = auth.get_user(site, username)
    if target is None:
        raise NotFound("Không có tài khoản này.")
    if target["username"] == current_user()["username"]:
        raise BadRequest("Bạn không thể tự khóa hoặc đổi mật khẩu của chính mình ở đây.")
    if action == "disable":
        auth.set_active(site, username, False)
        flash(f"Đã khóa {username}; các phiên đăng nhập của người này bị thu hồi.", "ok")
    elif action == "enable":
        auth.set_active(site, username, True)
        flash(f"Đã mở khóa {username}.", "ok")
    elif action == "password":
        try:
            auth.set_secret(site, username, target["role"], request.form.get("password", ""))
        except FieldappError as error:
            flash(f"{username}: {error.message}", "error")
        else:
            flash(f"Đã đặt mật khẩu mới cho {username}.", "ok")
    else:
        raise NotFound("Không có thao tác này.")
    return redirect(url_for("commune.users"))
