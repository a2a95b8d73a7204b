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
import operator
import os
import uuid
from dataclasses import asdict, dataclass, field

from tinydb import Query

from fieldapp.forms.errors import Invalid
from fieldapp.forms.text import vn_time
from fieldapp.forms.typed import clean_versions
from fieldapp.forms.versions import (MAX_CLOCK_AHEAD, ahead_text, check_versions, forks,
                                     parse_stamp, utc_now)
from storage import FileLock
from storage.durable import atomic_write_bytes
from storage.store import Refused, no_cycle_collection
from sync import crypto, erasures, held, keys
from sync.batch import (FILE_LIMITS, FORMAT, VERSION, batch_bytes, check_batch, gzip_bytes,
                        read_batch, sign_batch, village_ids_valid)
from sync.errors import BatchRejected

__all__ = ["export_batch", "build_batch", "mark_exported", "last_exported", "export_marks",
           "write_batch_file", "import_batch", "Receipt", "partition_for", "competing_edits",
           "imported_batches", "known_sites", "forget_site_key", "import_lock", "read_checked",
           "store_checked"]


_ID, _VILLAGE = operator.itemgetter("id"), operator.itemgetter("village_id")


def partition_for(site_id):
    """The record-store partition of a sending site (its id is a checked UUID)."""
    return f"site-{site_id}"


# -- export ----------------------------------------------------------------------

def export_marks(site):
    """{village id: the last change sequence number exported with that village} for the
    site's villages (0 if none). An export row lists the villages it carried; rows from
    before exports were per village carried the whole site."""
    with site.meta_lock:
        rows = site.table("exports").all()
    marks = dict.fromkeys(site.village_ids, 0)
    for row in rows:
        for village_id in row.get("village_ids") or marks:
            if village_id in marks:
                marks[village_id] = max(marks[village_id], row["until_seq"])
    return marks


def last_exported(site, village_id=None):
    """The last change sequence number exported for one village, or for the whole site
    (None): the mark of the village furthest behind, so that nothing unsent is skipped."""
    marks = export_marks(site)
    if village_id is not None:
        return marks.get(village_id, 0)
    return min(marks.values(), default=0)


def export_batch(site, all_versions=False, remember=True, village_id=None):
    """A signed batch of the versions changed since the last export (or all of them), of
    one village (a lead's file) or of the whole site (None: the operator's CLI).

    With `remember` the batch counts as exported at once; callers that still have to
    write or send it pass remember=False and call `mark_exported` once that has worked.
    """
    if site.kind != "village":
        raise Invalid("Chỉ máy của thôn mới xuất lô dữ liệu.")
    keys.create_site_key(site.data_dir)
    since = 0 if all_versions else last_exported(site, village_id)
    site.store.refresh()
    erasures.apply_pending(site)           # nothing erased leaves in clear
    batch = build_batch(site, since, None, str(uuid.uuid4()), utc_now(), village_id)
    if remember:
        mark_exported(site, batch)
    return batch


def build_batch(site, since, until, batch_id, created_at, village_id=None):
    """The signed batch of this village site's versions after `since` (up to `until`, or
    all), of one village or (None) of all its villages; the same bytes every time for the
    same arguments (Ed25519 is deterministic and stored versions and their sequence
    numbers never change). A village's batch names only that village: the commune
    refuses any record of another one in it."""
    private = keys.load_site_key(site.data_dir)
    settings = site.settings
    if village_id is None:
        village_ids = site.village_ids
    elif village_id in site.village_ids:
        village_ids = [village_id]
    else:
        raise Invalid("Thôn này không thuộc máy này.")
    villages = set(village_ids)
    rows = site.store.versions_since(since, accept=lambda v: v["village_id"] in villages)
    if until is not None:
        rows = [row for row in rows if row[0] <= until]
    fields = {
        "format": FORMAT, "version": VERSION, "batch_id": batch_id,
        "commune_code": str(settings["commune_code"]),
        "site": {"id": settings["site_id"], "name": settings["site_name"],
                 "village_ids": village_ids, "public_key": keys.public_key_b64(private)},
        "created_at": created_at, "since_seq": since,
        "until_seq": until if until is not None else (rows[-1][0] if rows else since),
    }
    erased = erasures.for_batch(site, village_ids, created_at)
    if erased:                        # a batch of a site that never erased is as before
        fields["erasures"] = erased
    return sign_batch(fields, [version for _, version in rows], private)


def mark_exported(site, batch, destination=""):
    """Remember that a batch (or a prepared download's row, which lists `village_ids`,
    or carried the whole site) left this site, so the next export of its villages starts
    after it."""
    village_ids = batch["site"]["village_ids"] if "site" in batch else \
        batch.get("village_ids") or site.village_ids
    with site.meta_lock:
        site.table("exports").insert({
            "batch_id": batch["batch_id"], "since_seq": batch["since_seq"],
            "until_seq": batch["until_seq"], "record_count": batch["record_count"],
            "created_at": batch["created_at"], "destination": destination[:200],
            "village_ids": list(village_ids)})


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
    fingerprint: str = ""             # of the sender's key, for staff to compare
    held: bool = False                # waiting for staff to approve a new laptop
    already_held: bool = False
    held_since: str = ""
    held_for: list = field(default_factory=list)   # [{site_name, village_ids}] sending now
    erased: int = 0                   # stored records the batch's erasures de-identified

    def as_json(self):
        """The receipt as the API returns it."""
        return asdict(self)

    def summary(self):
        """One Vietnamese line for people."""
        from fieldapp.forms.text import vn_date, vn_number
        if self.held:
            others = ", ".join(c["site_name"] for c in self.held_for)
            villages = ", ".join(self.village_ids)
            return (f"Lô của {self.site_name} CHƯA được nhận, đang chờ duyệt: thôn {villages} "
                    f"đã có máy khác gửi dữ liệu ({others}), còn máy này xã chưa biết "
                    f"(dấu vân tay khóa {self.fingerprint}). Cán bộ xã so dấu vân tay với "
                    "tổ trưởng thôn rồi duyệt hoặc từ chối ở trang “Máy mới chờ duyệt”; "
                    "trước đó lô không được tính vào chỉ số"
                    + (" (lô này đã đến xã và đang chờ từ trước)." if self.already_held
                       else "."))
        if self.already_imported:
            return (f"Lô của {self.site_name} đã được nhận trước đây ({vn_date(self.imported_at)}); "
                    f"không có gì thay đổi.")
        text = (f"Đã nhận lô của {self.site_name}: {vn_number(self.record_count)} bản ghi, "
                f"{vn_number(self.new)} mới, {vn_number(self.duplicate)} trùng")
        if self.conflicts:
            text += f", {len(self.conflicts)} bản ghi có chỉnh sửa xung đột cần xem lại"
        if self.erased:
            text += f"; đã xóa thông tin định danh của {vn_number(self.erased)} bản ghi theo lô"
        return text + "."


def competing_edits(store, record_ids):
    """Ids among `record_ids` that now have a fork (SPEC §3): heads from two devices."""
    return sorted(rid for rid in record_ids if forks(store.history(rid)))


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
    """The batch's records decoded typed (fieldapp.forms.typed), or None to check them
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
    if authorize is not None:
        authorize(batch)
    with import_lock(site):
        return store_checked(site, batch, checked, raw, source, now)


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


def _pinned_for(pinned, sender):
    """Whether the sender's key is pinned for every village its batch names."""
    return pinned is not None and pinned["public_key"] is not None and \
        set(sender["village_ids"]) <= set(pinned["village_ids"])


def _claimed(site, sender):
    """[{site_id, name, village_ids}] of the other pinned sites that already send for a
    village the sender claims and is not pinned for: then a new laptop asks to take over."""
    with site.meta_lock:
        rows = site.table("sites").all()
    own = next((set(r["village_ids"]) for r in rows if r["site_id"] == sender["id"]), set())
    asked = [v for v in sender["village_ids"] if v not in own]
    return [{"site_id": row["site_id"], "name": row["name"],
             "village_ids": [v for v in asked if v in row["village_ids"]]}
            for row in sorted(rows, key=lambda r: (r["name"], r["site_id"]))
            if row["site_id"] != sender["id"] and set(asked) & set(row["village_ids"])]


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


def _authors(batch, limit=50):
    """The logins that wrote the batch's versions, most versions first (at most `limit`)."""
    counts = {}
    for version in batch["records"]:
        author = version.get("author")
        if isinstance(author, str) and author:
            counts[author] = counts.get(author, 0) + 1
    return sorted(counts, key=lambda a: (-counts[a], a))[:limit]


def _remember(site, batch, receipt, source):
    """Record the batch in `batches` and pin the sender's key in `sites` for every
    village it has sent for (a village laptop's file may name only one of them)."""
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
            "erased": receipt.erased,
            "source": str(source)[:200], "authors": _authors(batch)})
        sites = site.table("sites")
        pinned = sites.get(Site.site_id == sender["id"])
        villages = list(pinned["village_ids"]) if pinned is not None else []
        villages += [v for v in sender["village_ids"] if v not in villages]
        row = {"site_id": sender["id"], "name": sender["name"],
               "village_ids": villages, "public_key": sender["public_key"]}
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
    """Unpin a site's key (a reinstalled laptop): its next batch pins the new key. The
    site keeps its name and its villages, so no other laptop takes them over meanwhile."""
    with site.meta_lock:
        site.table("sites").update({"public_key": None, "key_forgotten_at": utc_now()},
                                   Query().site_id == site_id)

