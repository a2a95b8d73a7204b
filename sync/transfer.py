"""Import batches at the commune: check them, store them, or hold a new laptop's batch.

Import checks a batch in the order of SPEC §7, then stores every version with one
`store.submit` call into the sending site's own partition. Storing every version and
choosing the current one by (updated_at, device_id, sha256) makes import idempotent and
independent of order. Villages the commune does not know yet are added to its settings
with the sending site's name, so staff can rename them and set targets later.
Competing edits are counted between sending sites (store partitions): the phones of one
village were already merged, by the same rule, on that village's laptop.
"""
import datetime
import operator
import os

from tinydb import Query

from fieldapp.forms.versions import forks, utc_now
from storage import FileLock
from storage.collector import no_cycle_collection
from storage.outcomes import Refused
from sync import crypto, erasures, held, keys
from sync.batch import FILE_LIMITS, batch_bytes, check_batch, read_batch
from sync.errors import BatchRejected
from sync.receipt import Receipt
from sync.record_checks import _check_records, _created, _decode_typed, _records_rejected, _refused
from sync.senders import _claimed, _pinned_for, _remember

__all__ = ["import_batch", "partition_for", "competing_edits", "import_lock", "read_checked",
           "store_checked"]


_ID = operator.itemgetter("id")


def partition_for(site_id):
    """The record-store partition of a sending site (its id is a checked UUID)."""
    return f"site-{site_id}"


def competing_edits(store, record_ids):
    """Ids among `record_ids` that now have a fork (SPEC §3): heads from two devices."""
    return sorted(rid for rid in record_ids if forks(store.history(rid)))


def _add_unknown_villages(site, batch):
    """Add the batch's villages the commune does not list yet; return their ids."""
    sender = batch["site"]
    missing = [v for v in sender["village_ids"] if site.village(v) is None]
    if missing:
        def add(settings):
            known = {v["id"] for v in settings.get("villages", [])}
            settings["villages"] = list(settings.get("villages", [])) + [
                {"id": v, "name": sender["name"] if len(sender["village_ids"]) == 1
                 else f"{sender['name']} ({v})", "adult_population": None, "targets": {}}
                for v in missing if v not in known]
        site.update_settings(add)
    return missing


def import_batch(site, data, source="", authorize=None, now=None, limits=FILE_LIMITS):
    """Check and store one batch (bytes, gz bytes or dict); return a Receipt.

    Raise BatchRejected naming the problem (and the records at fault); then nothing is
    stored. `authorize(batch)` may raise to refuse a sender before anything is stored, or
    return what to do once the batch is taken (still under the import's lock).
    A batch from a new laptop for a village another site sends for is held instead
    (receipt.held): stored apart, counted for nothing until staff approve the laptop.
    `limits` (sync.batch): how large a batch this sender may bring.
    """
    with no_cycle_collection(promote=True):
        return _import(site, data, source, authorize, now, limits)


def import_lock(site):
    """The lock every import, hold, approval and refusal of a commune takes."""
    return FileLock(os.path.join(site.data_dir, ".import.lock"))


def _import(site, data, source, authorize, now, limits):
    """import_batch, with the collector paused."""
    if site.kind != "commune":
        raise BatchRejected("site_kind", "Chỉ máy của xã mới nhận lô dữ liệu.")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    batch, checked, raw = read_checked(site, data, now, limits)
    with import_lock(site):
        # under the lock: a token revoked meanwhile counts; what authorize returns is done
        # once the batch is taken, before another import can check the same token
        taken = authorize(batch) if authorize is not None else None
        receipt = store_checked(site, batch, checked, raw, source, now)
        if taken is not None:
            taken()
        return receipt


def read_checked(site, data, now, limits=FILE_LIMITS):
    """(batch, whether its records were decoded typed, its bytes) of a batch that passed
    the checks of its own: format, commune, count, hash and signature."""
    if crypto.is_sealed(data):             # a file sealed for this commune's key
        data = crypto.open_sealed(site.data_dir, data)
    raw = data
    batch, body, checked = read_batch(
        data, lambda body, batch: _decode_typed(body, batch, now), limits,
        site.settings["commune_code"])
    check_batch(batch, body, site.settings["commune_code"])
    _created(batch, now, refuse=True)
    return batch, checked, raw


def store_checked(site, batch, checked, raw, source, now):
    """Steps 5 and on of an import, under the import lock: the sender's key, a batch seen
    before, the records, then store them, or hold the batch of a new laptop."""
    sender = batch["site"]
    with site.meta_lock:
        pinned = site.table("sites").get(Query().site_id == sender["id"])
        earlier = site.table("batches").get(Query().batch_id == batch["batch_id"])
    if pinned is not None and pinned["public_key"] not in (None, sender["public_key"]):
        raise BatchRejected(
            "key", f"Trạm {pinned['name']} đã gửi lô trước đây bằng một khóa khác "
                   f"(dấu vân tay {keys.fingerprint(pinned['public_key'])}, lô này "
                   f"{keys.fingerprint(sender['public_key'])}). Lô bị từ chối. Nếu máy của "
                   "thôn đã được cài lại, cán bộ xã cần gỡ khóa cũ trước.")
    receipt = Receipt(batch["batch_id"], sender["id"], sender["name"],
                      list(sender["village_ids"]), batch["since_seq"], batch["until_seq"],
                      batch["record_count"], created_at=batch["created_at"],
                      fingerprint=keys.fingerprint(sender["public_key"]))
    if earlier is not None:
        if earlier["records_sha256"] != batch["records_sha256"]:
            raise BatchRejected("batch_id", "Mã lô này đã dùng cho một lô khác đã nhận: "
                                            "lô bị từ chối.")
        receipt.already_imported = True
        receipt.imported_at = earlier["imported_at"]
        receipt.new, receipt.duplicate = 0, batch["record_count"]
        receipt.conflicts = competing_edits(site.store, {r["id"] for r in batch["records"]})
        return receipt
    # records decoded typed are valid, clean and of the sender's villages already; the
    # others are judged after the erasures that cover them (a phone erased for want of consent)
    versions, bad = (batch["records"], []) if checked else _check_records(
        erasures.scrub_incoming(site, batch), sender["village_ids"],
        _created(batch, now, refuse=True))
    if bad:
        raise _records_rejected(bad)
    claimed = [] if _pinned_for(pinned, sender) else _claimed(site, sender)
    if claimed:
        return _hold(site, batch, raw, source, claimed, receipt)
    # erasures first: an older batch's versions of an erased record then bring nothing back
    versions, receipt.erased = erasures.receive(site, batch, versions, refuse=_records_rejected)
    try:                              # the commit reads what other processes wrote
        receipt.new, receipt.duplicate = site.store.add(
            versions, partition_for(sender["id"])) if versions else (0, 0)
    except Refused as refusal:
        raise _refused(refusal) from None
    receipt.conflicts = competing_edits(site.store, set(map(_ID, versions)))
    receipt.added_villages = _add_unknown_villages(site, batch)
    receipt.imported_at = utc_now()
    _remember(site, batch, receipt, source)
    return receipt


def _hold(site, batch, raw, source, claimed, receipt):
    """Keep a new laptop's batch for staff to approve (once: the same batch sent again
    is the same held batch); return its held receipt."""
    sender = batch["site"]
    earlier = held.held_row(site, batch["batch_id"])
    if earlier is not None and earlier["records_sha256"] != batch["records_sha256"]:
        raise BatchRejected("batch_id", "Mã lô này đã dùng cho một lô khác đang chờ duyệt: "
                                        "lô bị từ chối.")
    waiting = [r for r in held.held_rows(site, sender["id"])
               if r["public_key"] != sender["public_key"]]
    if waiting:
        raise BatchRejected("key", f"Máy {sender['name']} đã có lô chờ duyệt ký bằng một khóa "
                                   f"khác (dấu vân tay {keys.fingerprint(waiting[0]['public_key'])}"
                                   f", lô này {receipt.fingerprint}). Lô bị từ chối.")
    if earlier is None:
        if isinstance(raw, dict):
            raw = batch_bytes(raw)
        raw = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
        earlier = held.keep(site, batch, raw, source, claimed, utc_now())
    else:
        receipt.already_held = True
    receipt.held = True
    receipt.held_since = earlier["received_at"]
    receipt.held_for = [{"site_name": c["name"], "village_ids": c["village_ids"]}
                        for c in claimed]
    return receipt
