"""The commune's staff accounts: adding them, setting passwords, disabling."""

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, StringField

from fieldapp import audit
from fieldapp.auth import accounts as auth
from fieldapp.auth.access import current_user, get_site, page, switch_account
from fieldapp.forms.errors import BadRequest, FieldappError, NotFound
from fieldapp.views.commune.blueprint import bp
from fieldapp.views.forms import ActionForm

# ---------------------------------------------------------------- users

class StaffForm(FlaskForm):
    """The admin adds a commune account."""
    full_name = StringField("Họ và tên người dùng tài khoản", render_kw={
        "maxlength": 120, "autocomplete": "off"})
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
        full_name = None
        if role is None:
            form.role.errors = ["Hãy chọn vai trò cán bộ xã hoặc quản trị."]
        try:
            full_name = auth.holder_name(form.full_name.data or "")
        except FieldappError as error:
            form.full_name.errors = [error.message.removeprefix("Họ và tên: ")]
        if not auth.USERNAME_RE.match(username):
            form.username.errors = [auth.USERNAME_RULE]
        try:
            auth.check_secret_rule(role or "staff", form.password.data or "")
        except FieldappError as error:
            form.password.errors = [error.message]
        if not form.errors:
            try:
                auth.add_user(site, username, role, form.password.data or "",
                              full_name=full_name)
            except FieldappError as error:
                form.username.errors = [error.message]
            else:
                audit.record(site, current_user()["username"], "user.add", user=username,
                             role=role)
                flash(f"Đã tạo tài khoản {username} cho {full_name}.", "ok")
                return redirect(url_for("commune.users"))
    return render_template("commune/users.html", form=form, users=auth.list_users(site),
                           roles=auth.ROLE_LABELS, action=ActionForm()), \
        422 if form.errors else 200


@bp.post("/users/<username>/<action>")
@page("admin", site_kind="commune")
def user_action(username, action):
    """Disable, enable, set a new password or the holder's name of a commune account."""
    site = get_site()
    target = auth.get_user(site, username)
    if target is None:
        raise NotFound("Không có tài khoản này.")
    if target["username"] == current_user()["username"] and action != "name":
        raise BadRequest("Bạn không thể tự khóa hoặc đổi mật khẩu của chính mình ở đây.")
    if action in ("disable", "enable"):
        switch_account(site, username, action == "enable")
        audit.record(site, current_user()["username"], f"user.{action}", user=username)
    elif action == "password":
        try:
            auth.set_secret(site, username, target["role"], request.form.get("password", ""))
        except FieldappError as error:
            flash(f"{username}: {error.message}", "error")
        else:
            audit.record(site, current_user()["username"], "user.pin_reset", user=username)
            flash(f"Đã đặt mật khẩu mới cho {username}.", "ok")
    elif action == "name":
        try:
            auth.set_full_name(site, username, request.form.get("full_name", ""))
        except FieldappError as error:
            flash(f"{username}: {error.message}", "error")
        else:
            audit.record(site, current_user()["username"], "user.name", user=username)
            flash(f"Đã ghi họ và tên cho {username}.", "ok")
    else:
        raise NotFound("Không có thao tác này.")
    return redirect(url_for("commune.users"))
