"""Export a village site's changes as a signed batch; import batches at the commune.

Import checks a batch in the order of SPEC §7, then stores every version with one
`store.submit` call into the sending site's own partition. Storing every version and
choosing the current one by (updated_at, device_id, sha256) makes import idempotent and
independent of order. Villages the commune does not know yet are added to its settings
with the sending site's name, so staff can rename them and set targets later.
Competing edits are counted between sending sites (store partitions): the phones of one
village were already merged, by the same rule, on that village's laptop.
"""
import datetime
import hashlib
import operator
import os
import uuid
from dataclasses import asdict, dataclass, field

from tinydb import Query

from fieldapp.errors import Invalid
from fieldapp.records import MAX_CLOCK_AHEAD, ahead_text, check_versions, parse_stamp, utc_now
from fieldapp.text import vn_time
from fieldapp.typedrecords import clean_versions
from storage import FileLock
from storage.durable import atomic_write_bytes
from storage.store import Refused, no_cycle_collection
from sync import crypto, keys
from sync.batch import (FILE_LIMITS, FORMAT, VERSION, batch_bytes, check_batch, gzip_bytes,
                        read_batch, sign_batch, village_ids_valid)
from sync.errors import BatchRejected

__all__ = ["export_batch", "build_batch", "mark_exported", "last_exported", "write_batch_file", "import_batch", "Receipt",
           "partition_for", "competing_edits", "imported_batches", "known_sites"]


_ID, _VILLAGE = operator.itemgetter("id"), operator.itemgetter("village_id")


def partition_for(site_id):
    """The record-store partition of a sending site (its id is a checked UUID)."""
    return f"site-{site_id}"


# -- export ----------------------------------------------------------------------

def last_exported(site):
    """The last change sequence number exported from this site (0 if none)."""
    with site.meta_lock:
        rows = site.table("exports").all()
    return max((row["until_seq"] for row in rows), default=0)


def export_batch(site, all_versions=False, remember=True):
    """A signed batch of the versions changed since the last export (or all of them).

    With `remember` the batch counts as exported at once; callers that still have to
    write or send it pass remember=False and call `mark_exported` once that has worked.
    """
    if site.kind != "village":
        raise Invalid("Chỉ máy của thôn mới xuất lô dữ liệu.")
    keys.create_site_key(site.data_dir)
    since = 0 if all_versions else last_exported(site)
    site.store.refresh()
    batch = build_batch(site, since, None, str(uuid.uuid4()), utc_now())
    if remember:
        mark_exported(site, batch)
    return batch


def build_batch(site, since, until, batch_id, created_at):
    """The signed batch of this village site's versions after `since` (up to `until`, or
    all); the same bytes every time for the same arguments (Ed25519 is deterministic and
    stored versions and their sequence numbers never change)."""
    private = keys.load_site_key(site.data_dir)
    settings = site.settings
    villages = set(site.village_ids)
    rows = site.store.versions_since(since, accept=lambda v: v["village_id"] in villages)
    if until is not None:
        rows = [row for row in rows if row[0] <= until]
    fields = {
        "format": FORMAT, "version": VERSION, "batch_id": batch_id,
        "commune_code": str(settings["commune_code"]),
        "site": {"id": settings["site_id"], "name": settings["site_name"],
                 "village_ids": site.village_ids, "public_key": keys.public_key_b64(private)},
        "created_at": created_at, "since_seq": since,
        "until_seq": until if until is not None else (rows[-1][0] if rows else since),
    }
    return sign_batch(fields, [version for _, version in rows], private)


def mark_exported(site, batch, destination=""):
    """Remember that a batch left this site, so the next export starts after it."""
    with site.meta_lock:
        site.table("exports").insert({
            "batch_id": batch["batch_id"], "since_seq": batch["since_seq"],
            "until_seq": batch["until_seq"], "record_count": batch["record_count"],
            "created_at": batch["created_at"], "destination": destination[:200]})


def write_batch_file(batch, path):
    """Write a batch as canonical JSON, gzip-compressed when `path` ends in .gz."""
    payload = batch_bytes(batch)
    if str(path).endswith(".gz"):
        payload = gzip_bytes(payload)
    atomic_write_bytes(str(path), payload)
    return len(payload)


# -- import ----------------------------------------------------------------------

@dataclass
class Receipt:
    """What an import did: how many versions were new or duplicates, and the conflicts."""
    batch_id: str
    site_id: str
    site_name: str
    village_ids: list
    since_seq: int
    until_seq: int
    record_count: int
    new: int = 0
    duplicate: int = 0
    conflicts: list = field(default_factory=list)
    already_imported: bool = False
    added_villages: list = field(default_factory=list)
    imported_at: str = ""
    created_at: str = ""

    def as_json(self):
        """The receipt as the API returns it."""
        return asdict(self)

    def summary(self):
        """One Vietnamese line for people."""
        from fieldapp.text import vn_date, vn_number
        if self.already_imported:
            return (f"Lô của {self.site_name} đã được nhận trước đây ({vn_date(self.imported_at)}); "
                    f"không có gì thay đổi.")
        text = (f"Đã nhận lô của {self.site_name}: {vn_number(self.record_count)} bản ghi, "
                f"{vn_number(self.new)} mới, {vn_number(self.duplicate)} trùng")
        if self.conflicts:
            text += f", {len(self.conflicts)} bản ghi có chỉnh sửa xung đột cần xem lại"
        return text + "."


def competing_edits(store, record_ids):
    """Ids among `record_ids` whose latest versions from different partitions differ."""
    return sorted(conflict.id for conflict in store.conflicts(record_ids))


def _village_ids(batch):
    """The sending site's village ids as a batch's fields give them, or [] unless they are
    valid there (so a header the checks will refuse costs no typed decoder)."""
    site = batch.get("site")
    villages = site.get("village_ids") if isinstance(site, dict) else None
    return villages if village_ids_valid(villages) else []


def _check_records(records, village_ids, created):
    """(cleaned versions, [{id, index, errors}]) for every record of a batch the typed
    decoding did not take; stamps are judged by the batch's `created` (its created_at).

    That a record keeps its type and village is checked by the store, under its lock.
    """
    checked, failed = check_versions(records, created, clock="batch")
    versions, indexes = [v for _, v in checked], [index for index, _ in checked]
    bad = [{"id": check.id, "index": index, "errors": dict(check.errors)}
           for index, check in failed]
    allowed = frozenset(village_ids)
    if not allowed.issuperset(map(_VILLAGE, versions)):
        bad += [{"id": version["id"], "index": index,
                 "errors": {"village_id": "thôn này không thuộc trạm gửi lô"}}
                for index, version in zip(indexes, versions)
                if version["village_id"] not in allowed]
        bad.sort(key=lambda b: b["index"])
    return versions, bad


def _decode_typed(body, batch, now):
    """The batch's records decoded typed (fieldapp.typedrecords), or None to check them
    one by one; `batch`: the other fields, not checked yet."""
    created = _created(batch, now)
    return None if created is None else clean_versions(body, created, _village_ids(batch))


def _created(batch, now, refuse=False):
    """The batch's created_at, the clock its records' stamps are judged by (a batch may
    be imported days after it was made), when it is a real moment no more than
    MAX_CLOCK_AHEAD after `now`, the commune's clock; else None, or with `refuse`
    BatchRejected (a batch from the future: the village laptop's clock runs ahead)."""
    created = parse_stamp(batch.get("created_at"))
    if created is None:
        if refuse:
            raise BatchRejected("format", "Lô dữ liệu sai định dạng: trường created_at không "
                                          "phải thời điểm có thật.")
        return None
    if created > now + MAX_CLOCK_AHEAD:
        if refuse:
            raise BatchRejected(
                "created_at", f"Lô ghi giờ tạo {vn_time(batch['created_at'])}, nhanh hơn "
                              f"đồng hồ máy xã ({vn_time(now)}) {ahead_text(created - now)}: "
                              "đồng hồ máy của thôn đang chạy nhanh. Hãy chỉnh lại giờ máy "
                              "của thôn rồi xuất lại lô. Cả lô bị từ chối, chưa lưu gì.")
        return None
    return created


def _refused(refusal):
    """The BatchRejected of a batch whose records change a stored record's type or village."""
    bad = [{"id": result.id, "index": index,
            "errors": {"id": "mã bản ghi đã dùng cho bản ghi khác loại hoặc khác thôn"}}
           for index, result in enumerate(refusal.results) if result.status == "refused"]
    return _records_rejected(bad)


def _records_rejected(bad):
    """BatchRejected naming the first records at fault."""
    listed = ", ".join(str(b["id"] or f"#{b['index'] + 1}") for b in bad[:5])
    more = f" và {len(bad) - 5} bản ghi khác" if len(bad) > 5 else ""
    return BatchRejected("records", f"{len(bad)} bản ghi trong lô không hợp lệ "
                                    f"({listed}{more}). Cả lô bị từ chối, chưa lưu gì.", bad)


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
    stored. `authorize(batch)` may raise to refuse a sender before anything is stored.
    `limits` (sync.batch): how large a batch this sender may bring.
    """
    with no_cycle_collection(promote=True):
        return _import(site, data, source, authorize, now, limits)


def _import(site, data, source, authorize, now, limits):
    """import_batch, with the collector paused."""
    if site.kind != "commune":
        raise BatchRejected("site_kind", "Chỉ máy của xã mới nhận lô dữ liệu.")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if crypto.is_sealed(data):             # a file sealed for this commune's key
        data = crypto.open_sealed(site.data_dir, data)
    batch, body, body_sha256, checked = read_batch(
        data, lambda body, batch: _decode_typed(body, batch, now), limits,
        site.settings["commune_code"])
    check_batch(batch, body, site.settings["commune_code"], body_sha256)
    created = _created(batch, now, refuse=True)
    if authorize is not None:
        authorize(batch)
    sender = batch["site"]
    with FileLock(os.path.join(site.data_dir, ".import.lock")):
        with site.meta_lock:
            pinned = site.table("sites").get(Query().site_id == sender["id"])
            earlier = site.table("batches").get(Query().batch_id == batch["batch_id"])
        if pinned is not None and pinned["public_key"] != sender["public_key"]:
            raise BatchRejected(
                "key", f"Trạm {pinned['name']} đã gửi lô trước đây bằng một khóa khác "
                       f"(dấu vân tay {keys.fingerprint(pinned['public_key'])}, lô này "
                       f"{keys.fingerprint(sender['public_key'])}). Lô bị từ chối. Nếu máy của "
                       "thôn đã được cài lại, cán bộ xã cần gỡ khóa cũ trước.")
        receipt = Receipt(batch["batch_id"], sender["id"], sender["name"],
                          list(sender["village_ids"]), batch["since_seq"], batch["until_seq"],
                          batch["record_count"], created_at=batch["created_at"])
        if earlier is not None:
            if earlier["records_sha256"] != batch["records_sha256"]:
                raise BatchRejected("batch_id", "Mã lô này đã dùng cho một lô khác đã nhận: "
                                                "lô bị từ chối.")
            receipt.already_imported = True
            receipt.imported_at = earlier["imported_at"]
            receipt.new, receipt.duplicate = 0, batch["record_count"]
            receipt.conflicts = competing_edits(site.store, {r["id"] for r in batch["records"]})
            return receipt
        # records decoded typed are valid, clean and of the sender's villages already
        versions, bad = (batch["records"], []) if checked else \
            _check_records(batch["records"], sender["village_ids"], created)
        if bad:
            raise _records_rejected(bad)
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


def _remember(site, batch, receipt, source):
    """Record the batch in `batches` and pin the sender's key in `sites`."""
    sender = batch["site"]
    Site = Query()
    with site.meta_lock:
        site.table("batches").insert({
            "batch_id": batch["batch_id"], "site_id": sender["id"], "site_name": sender["name"],
            "village_ids": list(sender["village_ids"]), "created_at": batch["created_at"],
            "imported_at": receipt.imported_at, "since_seq": batch["since_seq"],
            "until_seq": batch["until_seq"], "record_count": batch["record_count"],
            "records_sha256": batch["records_sha256"], "new": receipt.new,
            "duplicate": receipt.duplicate, "conflicts": receipt.conflicts,
            "source": str(source)[:200]})
        sites = site.table("sites")
        pinned = sites.get(Site.site_id == sender["id"])
        row = {"site_id": sender["id"], "name": sender["name"],
               "village_ids": list(sender["village_ids"]), "public_key": sender["public_key"]}
        if pinned is None:
            sites.insert(dict(row, first_seen=receipt.imported_at))
        elif any(pinned.get(k) != v for k, v in row.items()):     # renamed: one more write
            sites.update(row, Site.site_id == sender["id"])


def imported_batches(site, site_id=None):
    """Imported batches, newest first, optionally of one sending site."""
    with site.meta_lock:
        rows = site.table("batches").all()
    rows = [dict(r) for r in rows if site_id is None or r["site_id"] == site_id]
    return sorted(rows, key=lambda r: r["imported_at"], reverse=True)


def known_sites(site):
    """Sending sites whose key is pinned, by name."""
    with site.meta_lock:
        rows = site.table("sites").all()
    return sorted((dict(r) for r in rows), key=lambda r: (r["name"], r["site_id"]))


def forget_site_key(site, site_id):
    """Unpin a site's key (a reinstalled laptop); its next batch pins the new key."""
    with site.meta_lock:
        site.table("sites").remove(Query().site_id == site_id)


def batch_digest(data):
    """SHA-256 of raw batch bytes, to name what was received in logs without content."""
    return hashlib.sha256(data).hexdigest()[:12]
