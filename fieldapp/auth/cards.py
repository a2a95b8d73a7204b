"""One-time QR login cards (SPEC §5): a lead makes one for a volunteer, the phone trades it
for an API token once.

Only the SHA-256 of a card's code is stored. Redeeming checks and marks the card used
under the meta lock, so two phones racing with the same card get one token between them.
The code travels in the URL fragment (`/round#card=CODE`), which browsers never send to
the server, so no access log or Referer can hold it.
"""
import datetime
import hashlib
import secrets

from tinydb import Query

from fieldapp.auth.accounts import get_user, list_users
from fieldapp.forms.errors import Forbidden, Invalid, NotFound, NotSignedIn

__all__ = ["CARD_DAYS", "create_card", "redeem_card", "revoke_card", "list_cards",
           "card_url", "card_status", "card_users", "STATUS_LABELS"]

CARD_DAYS = 30
TABLE = "login_cards"
STATUS_LABELS = {"unused": "Chưa dùng", "used": "Đã dùng", "revoked": "Đã thu hồi",
                 "expired": "Hết hạn"}
Card = Query()


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _hash(code):
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def create_card(site, username, made_by, days=CARD_DAYS):
    """Make a card for an active volunteer or lead; return (card row, code shown once)."""
    user = get_user(site, username)
    if user is None or user["role"] not in ("volunteer", "lead"):
        raise NotFound("Không có tài khoản tổ viên này.")
    if not user.get("active", True):
        raise Invalid("Tài khoản này đang bị khóa, không làm được thẻ đăng nhập.")
    code = secrets.token_urlsafe(18)
    now = _now()
    row = {"id": secrets.token_hex(8), "hash": _hash(code), "username": username,
           "village_id": user.get("village_id"), "made_by": made_by,
           "created_at": now.isoformat(),
           "expires_at": (now + datetime.timedelta(days=days)).isoformat(),
           "used_at": None, "revoked_at": None}
    with site.meta_lock:
        site.table(TABLE).insert(row)
    return row, code


def card_status(row, now=None):
    """'unused', 'used', 'revoked' or 'expired'."""
    now = now or _now()
    if row["revoked_at"]:
        return "revoked"
    if row["used_at"]:
        return "used"
    if datetime.datetime.fromisoformat(row["expires_at"]) < now:
        return "expired"
    return "unused"


def redeem_card(site, code):
    """Mark the card of `code` used and return its user; raise NotSignedIn otherwise."""
    refused = NotSignedIn("Thẻ đăng nhập không dùng được: thẻ đã dùng, đã bị thu hồi, hết "
                          "hạn hoặc không đúng. Hãy xin tổ trưởng thẻ mới hoặc đăng nhập "
                          "bằng mã PIN.")
    if not isinstance(code, str) or not 16 <= len(code) <= 64:
        raise refused
    table = site.table(TABLE)
    with site.meta_lock:
        row = table.get(Card.hash == _hash(code))
        if row is None or card_status(row) != "unused":
            raise refused
        table.update({"used_at": _now().isoformat()}, Card.id == row["id"])
    user = get_user(site, row["username"])
    if user is None or not user.get("active", True):
        raise refused
    return user


def revoke_card(site, card_id, lead):
    """Revoke an unused card of the lead's village (admins: any)."""
    table = site.table(TABLE)
    with site.meta_lock:
        row = table.get(Card.id == card_id) if isinstance(card_id, str) else None
        if row is None:
            raise NotFound("Không có thẻ này.")
        if lead["role"] != "admin" and row["village_id"] != lead.get("village_id"):
            raise Forbidden("Thẻ này thuộc thôn khác.")
        if not row["revoked_at"]:
            table.update({"revoked_at": _now().isoformat()}, Card.id == card_id)


def list_cards(site, village_id=None):
    """Cards (without hashes), newest first, each with its status."""
    with site.meta_lock:
        rows = site.table(TABLE).all()
    now = _now()
    return sorted(({**{k: v for k, v in row.items() if k != "hash"},
                    "status": card_status(row, now)}
                   for row in rows if village_id is None or row["village_id"] == village_id),
                  key=lambda row: row["created_at"], reverse=True)


def card_url(base_url, code):
    """The address a card's QR code opens: the round app with the code in the fragment."""
    return base_url.rstrip("/") + "/round#card=" + code


def card_users(site, village_id):
    """Active volunteers and leads of a village, who may get a card."""
    return [u for u in list_users(site, village_id)
            if u["role"] in ("volunteer", "lead") and u.get("active", True)]
