"""Who is signed in, what they may do, and which villages they may see."""
import functools

from flask import current_app, flash, g, redirect, request, session, url_for

from fieldapp.auth.accounts import get_user, session_stamp, set_active, user_for_token
from fieldapp.forms.errors import Forbidden, NotFound, NotSignedIn

__all__ = ["get_site", "current_user", "page", "api", "visible_villages", "check_village",
           "bearer_token", "bearer_user", "switch_account"]


def get_site():
    """The Site of this app."""
    return current_app.extensions["fieldapp_site"]


def current_user():
    """The signed-in page user (from the session), or None."""
    if "user" not in g:
        user = get_user(get_site(), session.get("username"))
        if user is not None and (not user.get("active", True)
                                 or session.get("stamp") != session_stamp(user)):
            user = None
        g.user = user
    return g.user


def visible_villages(user):
    """The village ids a user may see: their own, or all of the site for staff and admin."""
    site = get_site()
    if user["role"] in ("volunteer", "lead"):
        return [user["village_id"]]
    return site.village_ids


def check_village(user, village_id):
    """Raise Forbidden unless the user may work on `village_id`."""
    if village_id not in visible_villages(user):
        raise Forbidden("Bạn chỉ được làm việc với dữ liệu của thôn mình.")


def page(*roles, site_kind=None):
    """Decorate a page view: sign-in required (redirect to login), role and site checked
    (`site_kind`: one kind of site, or a tuple of them)."""
    kinds = (site_kind,) if isinstance(site_kind, str) else site_kind

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and user["role"] not in roles:
                raise Forbidden("Bạn không có quyền mở trang này.")
            if site_kind and get_site().kind not in kinds:
                raise NotFound("Trang này không có ở máy này.")
            return view(*args, **kwargs)
        return wrapped
    return decorator


def bearer_token():
    """The token of the request's `Authorization: Bearer` header; raise NotSignedIn."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise NotSignedIn("Thiếu mã đăng nhập: gửi tiêu đề Authorization: Bearer TOKEN.")
    return header[7:].strip()


def bearer_user(kind="api"):
    """The user of the request's Bearer token; raise NotSignedIn."""
    return user_for_token(get_site(), bearer_token(), kind)


def api(*roles):
    """Decorate an API view: a valid Bearer token whose user has one of `roles`."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = bearer_user()
            if roles and user["role"] not in roles:
                raise Forbidden("Vai trò của bạn không được dùng chức năng này.")
            g.user = user
            return view(*args, **kwargs)
        return wrapped
    return decorator


def switch_account(site, username, active):
    """Enable or disable an account (disabling revokes its tokens) and say so."""
    set_active(site, username, active)
    flash(f"Đã mở khóa {username}." if active else
          f"Đã khóa {username}; các phiên đăng nhập của người này bị thu hồi.", "ok")
