"""Users, secrets, lockout and API tokens (SPEC §5).

PINs and passwords are hashed with scrypt (werkzeug); API tokens are random and stored
as SHA-256 only. Repeated failures lock an account for a while.
"""
import datetime
import functools
import hashlib
import re
import secrets

from tinydb import Query
from werkzeug.security import check_password_hash, generate_password_hash

from fieldapp import audit
from fieldapp.forms.errors import AccountDisabled, Invalid, Locked, NotSignedIn
from fieldapp.forms.rules import clean_name

__all__ = ["session_stamp", "end_page_sessions", "ROLES", "ROLE_LABELS", "add_user",
           "check_secret_rule", "authenticate", "get_user", "issue_token", "signed_in",
           "user_for_token", "revoke_token", "revoke_tokens", "prune_tokens", "set_active",
           "set_secret", "list_users", "public_user", "MAX_FAILURES", "LOCK_MINUTES",
           "locked_until", "unlock", "holder_name", "set_full_name", "account_names",
           "FORGET_HOURS", "UNKNOWN_NAMES", "MAX_UNKNOWN_NAMES"]

ROLES = ("volunteer", "lead", "staff", "admin")
ROLE_LABELS = {"volunteer": "Tình nguyện viên", "lead": "Tổ trưởng",
               "staff": "Cán bộ xã", "admin": "Quản trị"}
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,31}\Z")
USERNAME_RULE = "Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu . _ - (2–32 ký tự)."
PIN_RE = re.compile(r"^[0-9]{6}\Z")
MAX_FAILURES = 5
LOCK_MINUTES = 15
FORGET_HOURS = 24              # a day without failures and an account's count starts again
UNKNOWN_NAMES = "login_unknown_names"
MAX_UNKNOWN_NAMES = 500
TOKEN_DAYS = 7


@functools.cache
def _dummy_hash():
    """The hash an unknown name is checked against, so it costs what a known one does;
    made on first need, not at import (every CLI command would pay 0.1 s for it)."""
    return generate_password_hash("not-a-secret-000000")


User = Query()


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def check_secret_rule(role, secret):
    """Raise Invalid unless the secret suits the role: a 6-digit PIN or a password."""
    if not isinstance(secret, str):
        raise Invalid("Mã PIN hoặc mật khẩu không hợp lệ.")
    if role in ("volunteer", "lead"):
        if not PIN_RE.match(secret):
            raise Invalid("Mã PIN phải gồm đúng 6 chữ số.")
        if len(set(secret)) == 1 or secret in ("123456", "654321", "012345"):
            raise Invalid("Mã PIN quá dễ đoán, hãy chọn mã khác.")
    elif len(secret) < 10:
        raise Invalid("Mật khẩu phải có ít nhất 10 ký tự.")


def session_stamp(user):
    """What a page session must match: changes when the account is remade, its secret
    changes or the person signs out, so that no copy of an older session cookie (another
    browser, a cookie kept from before "Đăng xuất") is a session any more."""
    return f"{user['created_at']}|{user.get('secret_changed_at', '')}|" \
           f"{user.get('sessions_ended', '')}"


def end_page_sessions(site, username):
    """Sign an account out of the pages in every browser (its API tokens stay)."""
    with site.meta_lock:
        site.table("users").update({"sessions_ended": secrets.token_hex(8)},
                                   User.username == username)


def public_user(site, user):
    """What may be shown of a user: username, role, village, and the person's name (as
    the team roster or the account's holder names them), which the phone shows."""
    from fieldapp.records import person_name
    return {"username": user["username"], "role": user["role"],
            "village_id": user.get("village_id"), "name": person_name(site.store, user)}


def holder_name(full_name):
    """The account holder's name as stored; raise Invalid when it is not a name."""
    text, error = clean_name(full_name)
    if error:
        raise Invalid(f"Họ và tên: {error}.")
    return text


def add_user(site, username, role, secret, village_id=None, full_name=None):
    """Create a user; raise Invalid with a Vietnamese message when something is wrong.
    `full_name` names the person holding a staff or admin account (a volunteer's or
    lead's name is on the team roster, a member record)."""
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise Invalid(USERNAME_RULE)
    if full_name is not None:
        full_name = holder_name(full_name)
    if role not in ROLES:
        raise Invalid(f"Vai trò không hợp lệ: {role}.")
    if role in ("volunteer", "lead"):
        if site.kind != "village":
            raise Invalid("Tình nguyện viên và tổ trưởng chỉ có ở máy của thôn.")
        village_id = village_id or (site.village_ids[0] if len(site.village_ids) == 1 else None)
        if village_id not in site.village_ids:
            raise Invalid("Thôn không thuộc trạm này.")
    elif role == "staff" and site.kind not in ("commune", "province"):
        raise Invalid("Cán bộ chỉ có ở máy của xã hoặc của tỉnh.")
    else:
        village_id = None
    check_secret_rule(role, secret)
    users = site.table("users")
    with site.meta_lock:
        if users.contains(User.username == username):
            raise Invalid(f"Tên đăng nhập {username} đã có.")
        users.insert({"username": username, "role": role, "village_id": village_id,
                      "full_name": full_name, "secret_hash": generate_password_hash(secret), "active": True,
                      "failures": 0, "locked_until": None, "created_at": _now().isoformat()})
    return get_user(site, username)


def get_user(site, username):
    """The stored user, or None."""
    if not isinstance(username, str):
        return None
    with site.meta_lock:
        return site.table("users").get(User.username == username)


def list_users(site, village_id=None):
    """Users, optionally of one village, sorted by username."""
    with site.meta_lock:
        rows = site.table("users").all()
    return sorted((u for u in rows if village_id is None or u.get("village_id") == village_id),
                  key=lambda u: u["username"])


def authenticate(site, username, secret):
    """Return the user for a correct username and secret; raise NotSignedIn or Locked.

    Each attempt is written to the audit log as login.ok, login.failed or login.locked,
    naming the login only when it is an existing user's (else "unknown")."""
    try:
        user = _authenticate(site, username, secret)
    except Locked:
        audit.record(site, _known_login(site, username), "login.locked")
        raise
    except NotSignedIn:
        audit.record(site, _known_login(site, username), "login.failed")
        raise
    audit.record(site, user["username"], "login.ok")
    return user


def _known_login(site, username):
    """The login as typed when it is an existing user's, else "unknown"."""
    return username if isinstance(username, str) and get_user(site, username) else "unknown"


def _authenticate(site, username, secret):
    """authenticate without its audit entry.

    Each attempt is counted as a failure before its slow hash starts, under the meta lock,
    and only a success takes it back: however many guesses arrive at once, at most
    MAX_FAILURES hashes are evaluated before the account is locked for LOCK_MINUTES, and
    nothing but an unlock by a lead or admin ends a lock early. Unknown usernames are
    counted the same way and cost the same hash; a disabled account answers as a wrong
    secret does.
    """
    if not isinstance(secret, str) or len(secret) > 200 or not secret.isprintable() \
            or secret.encode("utf-8", "replace") != secret.encode("utf-8", "ignore"):
        secret = "\x00"
    with site.meta_lock:
        user = get_user(site, username)
        if user is None:
            _count_unknown_attempt(site, username)
        else:
            counted = _count_attempt(user)
            site.table("users").update(counted, User.username == username)
    ok = check_password_hash(user["secret_hash"] if user else _dummy_hash(), secret)
    if user is None or not ok or not user.get("active", True):
        raise NotSignedIn("Sai tên đăng nhập, mã PIN hoặc mật khẩu.")
    with site.meta_lock:
        fresh = get_user(site, username)
        change = {"failures": 0}
        # only the lock this attempt's own count set is taken back with it
        if counted.get("locked_until") and fresh.get("locked_until") == counted["locked_until"]:
            change["locked_until"] = None
        site.table("users").update(change, User.username == username)
    return user


def _parse_time(value):
    return datetime.datetime.fromisoformat(value) if value else None


def _count_attempt(counter, now=None):
    """The counter fields (failures, locked_until, last_failure_at) with one more attempt
    counted as a failure; raise Locked while the counter is locked.

    Failures keep counting across a lock: once MAX_FAILURES is reached, every further
    failure locks again, until a success or FORGET_HOURS without any failure.
    """
    now = now or _now()
    locked_until = _parse_time(counter.get("locked_until"))
    if locked_until and locked_until > now:
        raise Locked("Tài khoản tạm khóa do nhập sai nhiều lần. Hãy thử lại sau "
                     f"{LOCK_MINUTES} phút hoặc nhờ tổ trưởng mở khóa.")
    failures = counter.get("failures") or 0
    last = _parse_time(counter.get("last_failure_at"))
    if last is None or now - last > datetime.timedelta(hours=FORGET_HOURS):
        failures = 0
    failures += 1
    locked = now + datetime.timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES \
        else None
    return {"failures": failures, "last_failure_at": now.isoformat(),
            "locked_until": locked.isoformat() if locked else None}


def _count_unknown_attempt(site, username):
    """Count an attempt for a username without an account, as for one with (so no one
    learns which names exist from who gets locked); raise Locked. The counters live in
    meta's UNKNOWN_NAMES table, by a hash of the name, pruned after FORGET_HOURS and at
    most MAX_UNKNOWN_NAMES of them (the oldest go first). Call under the meta lock."""
    key = hashlib.sha256(repr(username).encode("utf-8", "replace")).hexdigest()[:32]
    table = site.table(UNKNOWN_NAMES)
    rows = table.all()
    row = next((r for r in rows if r["name"] == key), None)
    counted = _count_attempt(row or {})
    if row is not None:
        table.update(counted, doc_ids=[row.doc_id])
        return
    forget = _now() - datetime.timedelta(hours=FORGET_HOURS)
    rows.sort(key=lambda r: r["last_failure_at"])
    gone = [r.doc_id for r in rows if _parse_time(r["last_failure_at"]) < forget]
    gone += [r.doc_id for r in rows[len(gone):len(rows) - MAX_UNKNOWN_NAMES + 1]]
    if gone:
        table.remove(doc_ids=gone)
    table.insert({"name": key, **counted})


def _token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(site, user, kind="api", days=TOKEN_DAYS):
    """Make a random bearer token for a user; only its hash is stored. Tokens that expired
    or were revoked are dropped first, so meta.json does not grow with every sign-in."""
    token = secrets.token_urlsafe(32)
    expires = None if days is None else (_now() + datetime.timedelta(days=days)).isoformat()
    with site.meta_lock:
        prune_tokens(site)
        site.table("tokens").insert({"hash": _token_hash(token), "username": user["username"],
                                     "kind": kind, "created_at": _now().isoformat(),
                                     "expires_at": expires, "revoked": False})
    return token


def prune_tokens(site):
    """Remove the tokens that expired or were revoked; return how many."""
    now = _now()
    with site.meta_lock:
        tokens = site.table("tokens")
        dead = [row.doc_id for row in tokens.all() if row["revoked"] or (
            row["expires_at"] and datetime.datetime.fromisoformat(row["expires_at"]) < now)]
        if dead:
            tokens.remove(doc_ids=dead)
    return len(dead)


def signed_in(site, user):
    """The answer of every way to sign a phone in (PIN, QR card, page session): a new API
    token, the user as may be shown, and how long the token lasts."""
    return {"token": issue_token(site, user), "user": public_user(site, user),
            "expires_in_days": TOKEN_DAYS}


def user_for_token(site, token, kind="api"):
    """The active user a bearer token belongs to; raise NotSignedIn if it is not valid."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotSignedIn("Thiếu hoặc sai mã đăng nhập (token).")
    Token = Query()
    with site.meta_lock:
        row = site.table("tokens").get((Token.hash == _token_hash(token)) & (Token.kind == kind))
    user = row and get_user(site, row["username"])
    if row and (user is None or not user.get("active", True)):   # disabling revoked it too
        raise AccountDisabled("Tài khoản của bạn đã bị khóa hoặc không còn hoạt động. "
                              "Hãy hỏi tổ trưởng.")
    if row is None or row["revoked"]:
        raise NotSignedIn("Mã đăng nhập không hợp lệ, đã hết hạn hoặc bị thu hồi. "
                          "Hãy đăng nhập lại.")
    if row["expires_at"] and datetime.datetime.fromisoformat(row["expires_at"]) < _now():
        raise NotSignedIn("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại.")
    return user


def revoke_token(site, token):
    """Revoke one bearer token."""
    Token = Query()
    with site.meta_lock:
        site.table("tokens").update({"revoked": True}, Token.hash == _token_hash(token))


def revoke_tokens(site, username, kind=None):
    """Revoke every token of a user (of one kind, or all)."""
    Token = Query()
    cond = Token.username == username
    if kind:
        cond = cond & (Token.kind == kind)
    with site.meta_lock:
        site.table("tokens").update({"revoked": True}, cond)


def set_active(site, username, active):
    """Enable or disable a user (which also unlocks them); disabling revokes their tokens,
    and both end their page sessions, so re-enabling revives no old session cookie."""
    with site.meta_lock:
        site.table("users").update({"active": active, "failures": 0, "locked_until": None,
                                    "sessions_ended": secrets.token_hex(8)},
                                   User.username == username)
    if not active:
        revoke_tokens(site, username)


def set_full_name(site, username, full_name):
    """Name the person holding an account; raise Invalid when it is not a name."""
    full_name = holder_name(full_name)
    with site.meta_lock:
        if not site.table("users").update({"full_name": full_name}, User.username == username):
            raise Invalid(f"Không có tài khoản {username}.")


def account_names(site):
    """{login: the holder's name} of the accounts that carry one (staff and admins)."""
    return {u["username"]: u["full_name"] for u in site.table("users").all()
            if u.get("full_name")}


def locked_until(user, now=None):
    """When the account's lockout (too many wrong PINs) ends, or None if it is not locked."""
    until = _parse_time(user.get("locked_until"))
    return until if until and until > (now or _now()) else None


def unlock(site, username):
    """End a lockout early: the failed attempts are forgotten."""
    with site.meta_lock:
        site.table("users").update({"failures": 0, "locked_until": None},
                                   User.username == username)


def set_secret(site, username, role, secret):
    """Replace a user's PIN or password; their tokens are revoked."""
    check_secret_rule(role, secret)
    with site.meta_lock:
        site.table("users").update({"secret_hash": generate_password_hash(secret),
                                    "secret_changed_at": _now().isoformat(),
                                    "failures": 0, "locked_until": None},
                                   User.username == username)
    revoke_tokens(site, username)
