"""Push tokens of the tier above: the commune centre gives each village laptop one to send
its batches (POST /api/v1/batches), the province gives each commune one to send its
roll-ups (POST /api/v1/rollups). Only a token's hash is stored; each is shown once.

A push is checked twice: its token when the request comes in (before its body is read),
and again under the import's lock just before anything is stored (the same row read
again: `push_token_row`, `rollup_token_row`); once
its data is taken, still under that lock, the token is marked used and bound to the
laptop that sent it (a push refused binds nothing). Revoking or replacing a token takes
the same lock, so a push in flight lands either before the revocation (taken) or after
it (refused): never taken with a token revoked while it was being read, and never two
laptops binding one token at once."""
import datetime
import hashlib
import secrets

from tinydb import Query

from fieldapp.forms.errors import NotFound, NotSignedIn

__all__ = ["PUSH_PREFIX", "ROLLUP_PREFIX", "ROLLUP_TOKENS", "issue_push_token",
           "push_token_row", "mark_used", "issue_rollup_token", "rollup_token_row",
           "mark_rollup_used", "rollup_tokens", "revoke_rollup_token", "revoke_push_token",
           "import_lock"]

PUSH_PREFIX = "fa-push-"
ROLLUP_PREFIX = "fa-tinh-"            # a commune's token at the province (tỉnh)
PUSH_TOKENS, ROLLUP_TOKENS = "push_tokens", "rollup_tokens"


def _hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _issue(site, table, prefix, row):
    """Store the hash of a new token with `row`'s fields; return the token."""
    token = prefix + secrets.token_urlsafe(32)
    with site.meta_lock:
        site.table(table).insert(dict(row, hash=_hash(token), created_at=_now(),
                                      revoked=False, site_id=None, last_used=None))
    return token


def _live_row(site, table, token):
    """The live row of a bearer token in `table`; raise NotSignedIn."""
    with site.meta_lock:
        row = site.table(table).get(Query().hash == _hash(token))
    if row is None or row["revoked"]:
        raise NotSignedIn("Mã gửi dữ liệu không hợp lệ hoặc đã bị thu hồi.")
    return row


def import_lock(site):
    """The lock an import into this site holds from its last token check to its store."""
    if site.kind == "province":
        return site.lock                  # fieldapp/province/store.py imports under it
    from sync.transfer import import_lock as commune_import_lock
    return commune_import_lock(site)


def _mark(site, table, row, site_id):
    """The token used now by laptop `site_id`, which it is bound to from its first use."""
    with site.meta_lock:
        site.table(table).update({"site_id": site_id, "last_used": _now()},
                                 doc_ids=[row.doc_id])


def issue_push_token(site, village_id, label, by):
    """A new push token for one village's laptop (only its hash is kept); return it."""
    return _issue(site, PUSH_TOKENS, PUSH_PREFIX, {
        "village_id": village_id, "label": label or site.village(village_id)["name"],
        "created_by": by})


def push_token_row(site, token):
    """The live push-token row of a bearer token; raise NotSignedIn."""
    return _live_row(site, PUSH_TOKENS, token)


def mark_used(site, row, site_id):
    """Bind a token to the laptop that first used it, and note when it was last used."""
    _mark(site, PUSH_TOKENS, row, site_id)


# -------------------------------------------------------------- a province's communes

def issue_rollup_token(site, commune_code, label, by):
    """A new token for one commune of a province, replacing (revoking) its earlier ones:
    a commune has one live token. Return (token, how many earlier ones were revoked)."""
    with import_lock(site), site.meta_lock:
        table = site.table(ROLLUP_TOKENS)
        earlier = [r.doc_id for r in table.all()
                   if r["commune_code"] == commune_code and not r["revoked"]]
        if earlier:
            table.update({"revoked": True}, doc_ids=earlier)
    token = _issue(site, ROLLUP_TOKENS, ROLLUP_PREFIX, {
        "commune_code": commune_code, "label": label, "created_by": by})
    return token, len(earlier)


def rollup_token_row(site, token):
    """The live row of a commune's bearer token at the province; raise NotSignedIn."""
    return _live_row(site, ROLLUP_TOKENS, token)


def mark_rollup_used(site, row, site_id):
    """Bind a commune's token to the commune laptop that first used it; note the time."""
    _mark(site, ROLLUP_TOKENS, row, site_id)


def rollup_tokens(site):
    """[{doc_id, commune_code, label, created_at, created_by, revoked, last_used, ...}]
    of every token the province issued, live ones first, oldest first."""
    with site.meta_lock:
        rows = [dict(r, doc_id=r.doc_id) for r in site.table(ROLLUP_TOKENS).all()]
    rows.sort(key=lambda r: (r["revoked"], r["created_at"], r["doc_id"]))
    for row in rows:
        row.pop("hash", None)
    return rows


def revoke_rollup_token(site, token_id=None, commune_code=None):
    """Revoke one token (by its number) or every live token of a commune; return how
    many were revoked; raise NotFound for a number that was never issued."""
    with import_lock(site), site.meta_lock:
        table = site.table(ROLLUP_TOKENS)
        if token_id is not None:
            if table.get(doc_id=token_id) is None:
                raise NotFound("Không có mã gửi này.")
            ids = [token_id]
        else:
            ids = [r.doc_id for r in table.all()
                   if r["commune_code"] == commune_code and not r["revoked"]]
        table.update({"revoked": True}, doc_ids=ids)
    return len(ids)


def revoke_push_token(site, token_id):
    """Revoke a village laptop's push token by its number; raise NotFound for a number
    that was never issued."""
    with import_lock(site), site.meta_lock:
        table = site.table(PUSH_TOKENS)
        if table.get(doc_id=token_id) is None:
            raise NotFound("Không có mã gửi này.")
        table.update({"revoked": True}, doc_ids=[token_id])
