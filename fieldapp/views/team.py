"""The village team's accounts on the lead's page: add volunteers and leads (each with
their roster record, a member record that travels to the commune), disable, enable,
unlock, a new PIN, and the training each has had."""
from flask import Blueprint, flash, redirect, render_template, request, url_for

from fieldapp import audit
from fieldapp.auth import accounts as auth
from fieldapp.auth.access import check_village, current_user, get_site, page, switch_account
from fieldapp.forms.errors import BadRequest, FieldappError, Invalid, NotFound
from fieldapp.forms.rules import validate_data
from fieldapp.forms.text import vn_time
from fieldapp.forms.versions import make_version, member_record_id
from fieldapp.indicators.periods import parse_day, today_local
from fieldapp.records import person_name, roster, save_one
from fieldapp.views.forms import ActionForm, VolunteerForm

bp = Blueprint("team", __name__)


def _write_member(site, account, lead, **changes):
    """Write the roster record of an account with some fields changed."""
    record_id = member_record_id(site.settings["site_id"], account["username"])
    current = site.store.current(record_id)
    data = dict(current["data"]) if current else {
        "full_name": account["username"], "username": account["username"],
        "role": account["role"], "active": account.get("active", True)}
    data.update(changes)
    clean, errors = validate_data("member", data)
    if errors:
        raise BadRequest(" ".join(errors.values()))
    errors = save_one(site, make_version("member", account["village_id"], clean,
                                           lead["username"], f"web-{lead['username']}",
                                           record_id=record_id, made_from=current), lead)
    if errors:              # e.g. the roster id holds a record of another village (or type)
        raise BadRequest("Danh sách tổ chưa ghi được: " + " ".join(errors.values()))


@bp.route("/volunteers", methods=["GET", "POST"])
@page("lead", "admin", site_kind="village")
def volunteers():
    """The village team's accounts with their roster records, and the form adding a
    volunteer or lead."""
    site = get_site()
    user = current_user()
    village_id = user.get("village_id") or site.village_ids[0]
    form = VolunteerForm()
    if form.validate_on_submit():
        username = (form.username.data or "").strip().lower()
        full_name = (form.full_name.data or "").strip() or username
        role = form.role.data if form.role.data in ("volunteer", "lead") else None
        # every error at once, each under its own field
        _, name_errors = validate_data("member", {"full_name": full_name, "active": True})
        if name_errors:
            form.full_name.errors = list(name_errors.values())
        if role is None:
            form.role.errors = ["Vai trò phải là tình nguyện viên hoặc tổ trưởng."]
        if not auth.USERNAME_RE.match(username):
            form.username.errors = [auth.USERNAME_RULE]
        try:
            auth.check_secret_rule("volunteer", form.pin.data or "")
        except FieldappError as error:
            form.pin.errors = [error.message]
        if not form.errors:
            try:
                added = auth.add_user(site, username, role, form.pin.data or "", village_id)
                _write_member(site, added, user, full_name=full_name)
                audit.record(site, user["username"], "user.add", user=added["username"],
                             role=role)
            except FieldappError as error:
                form.username.errors = [error.message]
            else:
                flash(f"Đã tạo tài khoản cho {full_name} ({username}).", "ok")
                return redirect(url_for("team.volunteers"))
    users = [dict(u, locked=vn_time(until.isoformat()) if (until := auth.locked_until(u)) else None)
             for u in auth.list_users(site, village_id)]
    return render_template("volunteers.html", form=form, users=users, action=ActionForm(),
                           roles=auth.ROLE_LABELS, roster=roster(site.store, village_id),
                           today=today_local()), 422 if form.errors else 200


@bp.post("/volunteers/<username>/<action>")
@page("lead", "admin", site_kind="village")
def volunteer_action(username, action):
    """Record the training of, disable, enable, unlock or set a new PIN for a volunteer
    or lead of the lead's village."""
    site = get_site()
    user = current_user()
    target = auth.get_user(site, username)
    if target is None or target["role"] not in ("volunteer", "lead"):
        raise NotFound("Không có tài khoản này.")
    if user["role"] == "lead":
        check_village(user, target["village_id"])
    name = person_name(site.store, target)
    if action == "training":
        topic = request.form.get("training_topic", "").strip()
        try:
            day = parse_day(request.form.get("trained_on"))
        except Invalid:
            day = None
        if day is None:
            flash(f"Ngày tập huấn của {name}: hãy chọn một ngày.", "error")
        elif day > today_local():
            flash(f"Ngày tập huấn của {name}: không thể ở tương lai.", "error")
        else:
            _write_member(site, target, user, trained_on=day.isoformat(),
                          training_topic=topic)
            flash(f"Đã ghi tập huấn của {name}.", "ok")
        return redirect(url_for("team.volunteers"))
    if target["username"] == user["username"]:
        raise BadRequest("Bạn không thể tự khóa hoặc đổi mã của chính mình ở đây.")
    if action in ("disable", "enable") and user["role"] == "lead":
        _write_member(site, target, user, active=action == "enable")
    if action in ("disable", "enable"):
        switch_account(site, username, action == "enable")
        audit.record(site, user["username"], f"user.{action}", user=username)
    elif action == "unlock":
        auth.unlock(site, username)
        audit.record(site, user["username"], "user.unlock", user=username)
        flash(f"Đã mở khóa cho {name}: có thể đăng nhập lại ngay.", "ok")
    elif action == "pin":
        pin = request.form.get("pin", "")
        try:
            auth.set_secret(site, username, target["role"], pin)
        except FieldappError as error:
            flash(error.message, "error")
        else:
            audit.record(site, user["username"], "user.pin_reset", user=username)
            flash(f"Đã đổi mã PIN của {name}.", "ok")
    else:
        raise NotFound("Không có thao tác này.")
    return redirect(url_for("team.volunteers"))
