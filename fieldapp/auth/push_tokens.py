"""Per-laptop push tokens of the commune centre: a village laptop sends its batches with
one (POST /api/v1/batches). Only a token's hash is stored."""
import datetime
import hashlib
import secrets

from tinydb import Query

from fieldapp.forms.errors import NotSignedIn

__all__ = ["PUSH_PREFIX", "issue_push_token", "push_token_row", "mark_used"]

PUSH_PREFIX = "fa-push-"


def _hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def issue_push_token(site, village_id, label, by):
    """A new push token for one village's laptop (only its hash is kept); return it."""
    token = PUSH_PREFIX + secrets.token_urlsafe(32)
    with site.meta_lock:
        site.table("push_tokens").insert({
            "hash": _hash(token), "village_id": village_id,
            "label": label or site.village(village_id)["name"],
            "created_at": _now(), "created_by": by,
            "revoked": False, "site_id": None, "last_used": None})
    return token


def push_token_row(site, token):
    """The live push-token row of a bearer token; raise NotSignedIn."""
    with site.meta_lock:
        row = site.table("push_tokens").get(Query().hash == _hash(token))
    if row is None or row["revoked"]:
        raise NotSignedIn("Mã gửi dữ liệu không hợp lệ hoặc đã bị thu hồi.")
    return row


def mark_used(site, row, site_id):
    """Bind a token to the laptop that first used it, and note when it was last used."""
    with site.meta_lock:
        site.table("push_tokens").update({"site_id": site_id, "last_used": _now()},
                                         doc_ids=[row.doc_id])
