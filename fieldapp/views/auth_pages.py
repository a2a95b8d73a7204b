"""Sign-in and sign-out pages."""
from flask import Blueprint, redirect, render_template, request, session, url_for

from fieldapp import audit
from fieldapp.auth import accounts as auth
from fieldapp.auth.access import current_user, get_site
from fieldapp.forms.errors import FieldappError
from fieldapp.views.forms import LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only local paths may be returned to after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # browsers drop tabs and newlines and read a backslash as a slash: /\t/evil.example
    if any(ch in "\\" or ord(ch) < 0x21 or ord(ch) == 0x7f for ch in target):
        return None
    return target


def _not_a_pin(secret):
    """Digits that are neither a 6-digit PIN nor long enough for a password (10 or more):
    no account's secret, so it is told as a mistyped PIN (which says nothing of any
    account, and costs no attempt)."""
    return secret.isascii() and secret.isdigit() and len(secret) != 6 and len(secret) < 10


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with a username and a PIN or password."""
    form = LoginForm()
    error = None
    secret, valid = form.secret.data or "", form.validate_on_submit()
    if valid and _not_a_pin(secret):
        error = "Mã PIN gồm 6 chữ số. Hãy nhập lại đủ 6 số."
    elif valid:
        try:
            user = auth.authenticate(get_site(), (form.username.data or "").strip().lower(),
                                     secret)
        except FieldappError as failure:
            error = failure.message
        else:
            session.clear()
            session.permanent = True
            session["username"] = user["username"]
            session["stamp"] = auth.session_stamp(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
    elif request.method == "POST":
        error = "Phiên biểu mẫu đã hết hạn. Hãy thử lại."
    return render_template("login.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    """Sign out: this browser, and every other page session of the account (a copy of the
    cookie is no session any more); the phones' API tokens stay."""
    user = current_user()
    if user is not None:
        auth.end_page_sessions(get_site(), user["username"])
        audit.record(get_site(), user["username"], "logout")
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """Send each person to where their work starts."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login"))
    site = get_site()
    if site.kind == "commune":
        return redirect(url_for("commune.dashboard"))
    if site.kind == "province":
        return redirect(url_for("province.dashboard"))
    if user["role"] == "volunteer":
        return redirect(url_for("village.households"))
    return redirect(url_for("village.dashboard"))

