"""Village pages: dashboard, households, record forms, the site's settings (the team's
accounts are in views.team)."""
import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from fieldapp import phones, subject_requests
from fieldapp.auth.access import check_village, current_user, get_site, page, visible_villages
from fieldapp.forms.errors import BadRequest, NotFound
from fieldapp.forms.text import vn_time
from fieldapp.forms.rules import CHOICES, DOOR_TO_DOOR, RULES, TYPE_LABELS
from fieldapp.forms.versions import make_version
from fieldapp.indicators.cache import cached
from fieldapp.indicators.compute import site_compute
from fieldapp.indicators.volunteers import site_volunteer_stats
from fieldapp.indicators.periods import (monthly_periods, period_kind, today_local,
                                         weekly_periods)
from fieldapp.records import (WRITER_ROLES, live_records, people_names, roster, save_one,
                              search_households)
from fieldapp.subject_requests import open_counts
from fieldapp.views.days import counted_day
from fieldapp.views.forms import (CONSENT_FIELDS, ActionForm, VillageSettingsForm,
                                  consent_initial, form_to_data, record_form)

bp = Blueprint("village", __name__)
RECORD_ROLES = WRITER_ROLES          # who writes door-to-door records
PAGE_SIZE = 50


def _record_or_404(record_id):
    """The current, visible, not deleted version of a door-to-door record."""
    user = current_user()
    version = get_site().store.current(record_id)
    if version is None or version["deleted"] or version["type"] not in DOOR_TO_DOOR:
        raise NotFound("Không tìm thấy bản ghi này (có thể đã bị xóa).")
    check_village(user, version["village_id"])
    return version


@bp.get("/village/dashboard")
@page("lead", "admin", site_kind="village")
def dashboard():
    """Indicators against targets, by period, and the volunteers' work."""
    site = get_site()
    as_of, note = counted_day(site.settings)
    villages = visible_villages(current_user())
    answer = site_compute(site, as_of, villages)
    stats = [row for row in site_volunteer_stats(site, as_of) if row["village_id"] in villages]
    return render_template("dashboard.html", answer=answer, as_of=as_of, stats=stats,
                           note=note, settings=site.settings,
                           open_requests=open_counts(site, villages, today_local()),
                           phones=phones.village_phones(site, villages),
                           roster={u: m for v in villages for u, m in roster(site.store, v).items()},
                           vn_time=vn_time)


@bp.get("/households")
@page(*RECORD_ROLES, site_kind="village")
def households():
    """Households of the village, searchable without case or diacritics."""
    site = get_site()
    query = request.args.get("q", "")[:100]
    villages = visible_villages(current_user())
    found = cached(site.store, ("households", tuple(villages), query),
                   lambda: search_households(site.store, villages, query))
    outcomes = _village_index(site, villages)[1]
    page_no = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    shown = found[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE]
    return render_template("households.html", households=shown, total=len(found), q=query,
                           outcomes=outcomes, page_no=page_no,
                           pages=max(1, -(-len(found) // PAGE_SIZE)))


@bp.get("/households/<record_id>")
@page(*RECORD_ROLES, site_kind="village")
def household(record_id):
    """A household with its people, visits and surveys."""
    home = _record_or_404(record_id)
    if home["type"] != "household":
        raise NotFound("Không tìm thấy hộ này.")
    related = _village_index(get_site(), [home["village_id"]])[0].get(record_id, ())
    people = sorted((v for v in related if v["type"] == "person"),
                    key=lambda v: v["data"]["birth_year"])
    visits = sorted((v for v in related if v["type"] == "visit"),
                    key=lambda v: v["data"]["visited_on"], reverse=True)
    surveys = sorted((v for v in related if v["type"] == "survey"),
                     key=lambda v: v["data"]["surveyed_on"], reverse=True)
    return render_template("household.html", home=home, people=people, visits=visits,
                           surveys=surveys, choices=CHOICES, action=ActionForm(),
                           names=people_names(get_site().store, [home["village_id"]]))


def _village_index(site, villages):
    """({household id: live records pointing at it}, {household id: what its visits
    found: met, else refused, else absent}) of the villages, kept while the stored data
    stays the same (fieldapp.cache); not to be changed."""
    def build():
        related, outcomes = {}, {}
        for version in live_records(site.store, villages):
            home = version["data"].get("household_id")
            if home is None:
                continue
            related.setdefault(home, []).append(version)
            outcome = version["data"].get("outcome") if version["type"] == "visit" else None
            if outcome in _OUTCOME_RANK and _OUTCOME_RANK[outcome] > _OUTCOME_RANK.get(
                    outcomes.get(home), -1):
                outcomes[home] = outcome
        return related, outcomes
    return cached(site.store, ("village_index", tuple(villages)), build)


# a household met once is met; one that refused has been reached; absent is the least
_OUTCOME_RANK = {"absent": 0, "refused": 1, "met": 2}


def _members(household_id, village_id):
    return [(p["id"], p["data"]["full_name"])
            for p in live_records(get_site().store, [village_id], "person")
            if p["data"]["household_id"] == household_id]


@bp.route("/records/new/<record_type>", methods=["GET", "POST"])
@page(*RECORD_ROLES, site_kind="village")
def new_record(record_type):
    """Add a household, or a person, visit or survey to a household."""
    if record_type not in DOOR_TO_DOOR:
        raise NotFound("Không có loại bản ghi này.")
    user = current_user()
    home = None
    if record_type != "household":
        home = _record_or_404(request.args.get("household_id", ""))
        if home["type"] != "household":
            raise NotFound("Không tìm thấy hộ này.")
    village_id = home["village_id"] if home else user["village_id"]
    defaults = {"visited_on": today_local().isoformat(),
                "surveyed_on": today_local().isoformat(), "vneid": "none",
                "outcome": "met"}
    return _edit(record_type, None, home, village_id, defaults)


@bp.route("/records/<record_id>/edit", methods=["GET", "POST"])
@page(*RECORD_ROLES, site_kind="village")
def edit_record(record_id):
    """Edit any record; the change is stored as a new version."""
    version = _record_or_404(record_id)
    home = None
    if version["type"] != "household":
        home = get_site().store.current(version["data"].get("household_id", "")) or None
    return _edit(version["type"], version, home, version["village_id"], {})


def _seen(version):
    """The version of a record the person was looking at when they sent the form (its
    stamp and device come back in hidden fields), else the current one: the base of
    their edit (SPEC §3), so that an edit made meanwhile on a phone shows as a fork."""
    if version is None:
        return None
    stamp, device = request.form.get("seen_at", ""), request.form.get("seen_on", "")
    return next((v for v in get_site().store.history(version["id"])
                 if v["updated_at"] == stamp and v["device_id"] == device), version)


def _edit(record_type, version, home, village_id, defaults):
    user = current_user()
    members = _members(home["id"], village_id) if home else []
    initial = dict(defaults, **(version["data"] if version else {}))
    if record_type in ("household", "person"):
        initial.update(consent_initial(initial, today_local().isoformat()))
    form = record_form(record_type, members, data=None if request.method == "POST" else {
        k: (str(v) if isinstance(v, int) and not isinstance(v, bool) else v)
        for k, v in initial.items()})
    if form.validate_on_submit():
        fixed = {"household_id": home["id"]} if home else {}
        data, errors = form_to_data(record_type, form, fixed,
                                    previous=version and version["data"])
        if not errors:
            new = make_version(record_type, village_id, data, user["username"],
                               f"web-{user['username']}", record_id=version and version["id"],
                               made_from=_seen(version))
            errors = save_one(get_site(), new, user)
        for name, message in errors.items():
            if name in form:
                form[name].errors = list(form[name].errors) + [message]
            else:
                flash(message, "error")
        if not errors:
            flash("Đã lưu.", "ok")
            if home is None and record_type != "household":
                return redirect(url_for("village.households"))
            return redirect(url_for("village.household", record_id=home["id"] if home else new["id"]))
    return render_template("record_form.html", form=form, record_type=record_type,
                           consent_fields=CONSENT_FIELDS,
                           type_label=TYPE_LABELS[record_type], version=version, home=home,
                           rules=RULES[record_type]), 422 if form.errors else 200


@bp.post("/records/<record_id>/delete")
@page(*RECORD_ROLES, site_kind="village")
def delete_record(record_id):
    """Delete a record: a tombstone version, kept in the history."""
    version = _record_or_404(record_id)
    user = current_user()
    tomb = make_version(version["type"], version["village_id"], version["data"],
                        user["username"], f"web-{user['username']}", record_id=record_id,
                        deleted=True, made_from=_seen(version))
    errors = save_one(get_site(), tomb, user)
    if errors:
        raise BadRequest(" ".join(errors.values()))
    flash("Đã xóa.", "ok")
    home_id = version["data"].get("household_id")
    if version["type"] == "household" or not home_id:
        return redirect(url_for("village.households"))
    return redirect(url_for("village.household", record_id=home_id))


def _settings_errors(form):
    """Check the settings form; return (clean values, {field: message})."""
    errors, clean = {}, {}
    name = (form.village_name.data or "").strip()
    if not name:
        errors["village_name"] = "Hãy nhập tên thôn."
    clean["village_name"] = name
    raw = (form.adult_population.data or "").strip().replace(".", "")
    digits = raw.isascii() and raw.isdigit()
    if raw and not (digits and 0 < int(raw) < 1_000_000):
        errors["adult_population"] = "Phải là số nguyên dương, hoặc để trống."
    clean["adult_population"] = int(raw) if digits and 0 < int(raw) < 1_000_000 else None
    for key in ("campaign_start", "campaign_end"):
        try:
            clean[key] = datetime.date.fromisoformat(form[key].data or "")
        except ValueError:
            errors[key] = "Hãy chọn ngày."
    if "campaign_start" in clean and "campaign_end" in clean \
            and clean["campaign_end"] < clean["campaign_start"]:
        errors["campaign_end"] = "Ngày kết thúc phải sau ngày bắt đầu."
    ssid, password = (form.wifi_ssid.data or "").strip(), form.wifi_password.data or ""
    if len(ssid) > 32:
        errors["wifi_ssid"] = "Tên Wi-Fi dài tối đa 32 ký tự."
    if password and not 8 <= len(password) <= 63:
        errors["wifi_password"] = "Mật khẩu Wi-Fi dài từ 8 đến 63 ký tự."
    clean["wifi"] = {"ssid": ssid, "password": password}
    days, problem = subject_requests.parse_request_days(form.subject_request_days.data)
    if problem:
        errors["subject_request_days"] = problem
    clean["subject_request_days"] = days
    return clean, errors


@bp.route("/settings", methods=["GET", "POST"])
@page("admin", site_kind="village")
def settings():
    """The village admin's settings."""
    site = get_site()
    current = site.settings
    village = current["villages"][0]
    form = VillageSettingsForm(data=None if request.method == "POST" else {
        "village_name": village["name"], "adult_population": village.get("adult_population") or "",
        "campaign_start": current["campaign"]["start"], "campaign_end": current["campaign"]["end"],
        "wifi_ssid": current.get("wifi", {}).get("ssid", ""),
        "wifi_password": current.get("wifi", {}).get("password", ""),
        "subject_request_days": str(subject_requests.request_days(current))})
    if form.validate_on_submit():
        clean, errors = _settings_errors(form)
        for name, message in errors.items():
            form[name].errors = [message]
        if not errors:
            updated = dict(current)
            updated["villages"] = [dict(village, name=clean["village_name"],
                                        adult_population=clean["adult_population"])]
            updated["site_name"] = clean["village_name"]
            start, end = clean["campaign_start"], clean["campaign_end"]
            kind = period_kind(current["campaign"])       # the campaign keeps its kind
            make = monthly_periods if kind == "month" else weekly_periods
            updated["campaign"] = dict(current["campaign"], start=start.isoformat(),
                                       end=end.isoformat(), period_kind=kind,
                                       periods=[p.as_json() for p in make(start, end)])
            updated["wifi"] = clean["wifi"]
            site.update_settings(lambda settings: settings.update(
                villages=updated["villages"], site_name=updated["site_name"],
                campaign=updated["campaign"], wifi=updated["wifi"],
                subject_request_days=clean["subject_request_days"]))
            flash("Đã lưu cài đặt.", "ok")
            return redirect(url_for("village.settings"))
    return render_template("settings.html", form=form), 422 if form.errors else 200
