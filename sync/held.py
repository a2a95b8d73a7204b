"""Batches held until commune staff approve a new laptop (SPEC §7).

A batch from a site the commune has not pinned for a village that another site already
sends for is held: it passed every check of its own (size, hash, signature, records),
but who sent it is for staff to judge by comparing key fingerprints. It is kept as the
bytes it arrived in, DATA/held/<batch_id>.batch, with a row in the meta table `held`,
and counts for nothing until staff approve the laptop (it is then imported as any batch)
or refuse it (it is dropped). The room for held batches is bounded.

Callers hold the commune's import lock, so holding, approving and refusing never cross.
"""
import os

from tinydb import Query

from storage.durable import atomic_write_bytes
from sync.batch import gzip_bytes
from sync.errors import BatchRejected

__all__ = ["MAX_HELD", "MAX_HELD_BYTES", "held_row", "held_rows", "keep", "read", "drop"]

MAX_HELD = 20                         # batches waiting at once, of every sender
MAX_HELD_BYTES = 256 * 1024 * 1024    # their stored (compressed) bytes together
HELD_DIR = "held"


def _path(site, batch_id):
    """Where a held batch's bytes are kept (its id is a checked UUID)."""
    return os.path.join(site.data_dir, HELD_DIR, f"{batch_id}.batch")


def held_row(site, batch_id):
    """The held row of `batch_id`, or None."""
    with site.meta_lock:
        row = site.table("held").get(Query().batch_id == batch_id)
    return dict(row) if row is not None else None


def held_rows(site, site_id=None):
    """Held batches, oldest first, optionally of one sending site."""
    with site.meta_lock:
        rows = [dict(r) for r in site.table("held").all()]
    rows = [r for r in rows if site_id is None or r["site_id"] == site_id]
    return sorted(rows, key=lambda r: (r["received_at"], r["since_seq"], r["batch_id"]))


def keep(site, batch, raw, source, claimed, received_at):
    """Store a checked batch (`raw`: its bytes as received, gzip or plain) as held;
    return its row. `claimed`: [{site_id, name, village_ids}] of the pinned sites whose
    villages it claims. Raise BatchRejected when the room for held batches is full."""
    payload = raw if raw[:2] == b"\x1f\x8b" else gzip_bytes(raw)
    rows = held_rows(site)
    if len(rows) >= MAX_HELD or sum(r["size"] for r in rows) + len(payload) > MAX_HELD_BYTES:
        raise BatchRejected("held_full", f"Đã có {len(rows)} lô chờ duyệt máy mới, không "
                                         "giữ thêm lô nào. Cán bộ xã hãy mở trang “Máy mới "
                                         "chờ duyệt” để duyệt hoặc từ chối trước, rồi gửi "
                                         "lại. Chưa lưu gì.")
    sender = batch["site"]
    os.makedirs(os.path.join(site.data_dir, HELD_DIR), mode=0o700, exist_ok=True)
    atomic_write_bytes(_path(site, batch["batch_id"]), payload)
    row = {"batch_id": batch["batch_id"], "site_id": sender["id"], "site_name": sender["name"],
           "village_ids": list(sender["village_ids"]), "public_key": sender["public_key"],
           "created_at": batch["created_at"], "received_at": received_at,
           "since_seq": batch["since_seq"], "until_seq": batch["until_seq"],
           "record_count": batch["record_count"], "records_sha256": batch["records_sha256"],
           "size": len(payload), "source": str(source)[:200], "claimed": claimed}
    with site.meta_lock:
        site.table("held").insert(row)
    return row


def read(site, row):
    """The bytes of a held batch as received (gzip)."""
    with open(_path(site, row["batch_id"]), "rb") as handle:
        return handle.read()


def drop(site, rows):
    """Forget held batches: their rows, then their files."""
    ids = [row["batch_id"] for row in rows]
    with site.meta_lock:
        site.table("held").remove(Query().batch_id.one_of(ids))
    for batch_id in ids:
        try:
            os.remove(_path(site, batch_id))
        except FileNotFoundError:
            pass
