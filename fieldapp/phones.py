"""What each phone said the last time it synced: who, when, how many changes still wait.

The round app reports its device id and outbox count after every sync that reached the
laptop (POST /api/v1/phones); the lead sees the table on the village dashboard, so nobody
walks home with an unsent outbox. One row per device in meta.json ("phones"), at most
MAX_PHONES rows (the oldest report goes first), no personal data of citizens.
"""
from fieldapp.forms.errors import BadRequest
from fieldapp.forms.versions import DEVICE_RE, utc_now

__all__ = ["MAX_PHONES", "MAX_WAITING", "report", "village_phones"]

MAX_PHONES = 200
MAX_WAITING = 100_000       # far more than any phone's storage holds


def _count(body, key):
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WAITING:
        raise BadRequest(f"Trường {key} phải là số nguyên từ 0 đến {MAX_WAITING}.")
    return value


def report(site, user, body):
    """Keep a phone's report `{"device_id", "waiting", "rejected"}` of `user`; raise
    BadRequest (nothing stored) for any other shape."""
    if set(body) != {"device_id", "waiting", "rejected"}:
        raise BadRequest("Báo cáo điện thoại gồm đúng các trường device_id, waiting, rejected.")
    device = body["device_id"]
    if not isinstance(device, str) or not DEVICE_RE.match(device):
        raise BadRequest("Mã điện thoại (device_id) không hợp lệ.")
    waiting, rejected = _count(body, "waiting"), _count(body, "rejected")
    if rejected > waiting:
        raise BadRequest("Số thay đổi bị từ chối không thể lớn hơn số thay đổi chờ gửi.")
    row = {"device_id": device, "username": user["username"], "village_id": user["village_id"],
           "synced_at": utc_now(), "waiting": waiting, "rejected": rejected}
    with site.meta_lock:
        table = site.table("phones")
        table.remove(lambda r: r.get("device_id") == device)
        rows = sorted(table.all(), key=lambda r: r["synced_at"])
        if len(rows) >= MAX_PHONES:
            table.remove(doc_ids=[r.doc_id for r in rows[:len(rows) - MAX_PHONES + 1]])
        table.insert(row)
    return row


def village_phones(site, village_ids):
    """The reports of the villages' phones: changes waiting first, then the latest sync."""
    with site.meta_lock:
        rows = [dict(r) for r in site.table("phones").all() if r.get("village_id") in village_ids]
    rows.sort(key=lambda r: r["synced_at"], reverse=True)
    return sorted(rows, key=lambda r: -r["waiting"])
