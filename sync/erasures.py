"""Erasures (Law 91/2025/QH15): kept, applied to the stored versions, and sent on.

An erasure entry names records, never what they held:

    {"id": "uuid", "reason": "request" | "purge", "at": "2026-03-02T08:15:00.000Z",
     "village_id": "thon-3", "record_ids": ["uuid", ...]}

A request names the records erased (a household with its people, visits and surveys, or
one person with their surveys); a purge names none and covers every version of its
village stamped at or before `at`. An entry may also carry `fields` (e.g. ["phone"]):
then it removes only those fields, from the versions of its records stamped at or before
`at` (reason "consent": phones recorded before consent existed, fieldapp.phone_consent);
entries without it are as before. A site keeps its entries in the meta table
`erasures`, rewrites the stored versions they cover with `deidentify_version` (history
included), and a village sends every entry of a village in each batch of that village
(docs/erasure.md). On import the commune records and applies the sender's new entries
first, then de-identifies every incoming version an entry covers before the store's
duplicate check, so that an older batch imported later cannot bring the data back.
"""
import uuid

from fieldapp.forms.erasure import ERASABLE_FIELDS, deidentify_fields, deidentify_version
from fieldapp.forms.rules import UUID_RE
from fieldapp.forms.versions import UPDATED_AT_RE, VILLAGE_RE, utc_now

__all__ = ["REASONS", "ENTRY_FIELDS", "MAX_IDS", "new_entry", "record", "entries",
           "covering", "scrub", "apply", "apply_pending", "format_errors", "for_batch", "receive",
           "sent_until", "unsent", "scrub_incoming"]

REASONS = ("request", "purge", "consent")
ENTRY_FIELDS = ("id", "reason", "at", "village_id", "record_ids")
OPTIONAL_FIELDS = ("fields",)       # only some fields erased: absent in older entries
MAX_IDS = 10_000              # record ids of one request entry (a household is a few dozen)
MAX_ENTRIES = 100_000


def new_entry(reason, village_id, record_ids=(), at=None, fields=None):
    """A new erasure entry (a purge's names no record: it covers its whole village); with
    `fields`, one that removes only those fields."""
    entry = {"id": str(uuid.uuid4()), "reason": reason, "at": at or utc_now(),
             "village_id": village_id,
             "record_ids": [] if reason == "purge" else sorted(set(record_ids))}
    if fields:
        entry["fields"] = sorted(set(fields))
    return entry


def _public(row):
    """The entry as it travels: its fields only (not the site's own bookkeeping)."""
    return {name: row[name] for name in ENTRY_FIELDS + OPTIONAL_FIELDS if name in row}


def entries(site, village_ids=None, until=None):
    """The site's erasure entries, in (at, id) order: of `village_ids` only when given,
    and only those made at or before the stamp `until` when given."""
    with site.meta_lock:
        rows = site.table("erasures").all()
    wanted = None if village_ids is None else frozenset(village_ids)
    found = [_public(r) for r in rows
             if (wanted is None or r["village_id"] in wanted)
             and (until is None or r["at"] <= until)]
    return sorted(found, key=lambda e: (e["at"], e["id"]))


def record(site, new, source=""):
    """Keep the entries of `new` the site does not hold yet (not applied); return them."""
    with site.meta_lock:
        table = site.table("erasures")
        known = {r["id"] for r in table.all()}
        fresh = []
        for entry in new:
            if entry["id"] not in known:
                known.add(entry["id"])
                fresh.append(_public(entry))
        if fresh:
            table.insert_multiple([dict(e, applied=False, source=str(source)[:80])
                                   for e in fresh])
    return fresh


def covering(found):
    """A test of whether a version is covered by one of the entries `found` that erase
    every identifying field, or None when they cover nothing."""
    named = {(e["village_id"], record_id) for e in found
             if e["reason"] != "purge" and "fields" not in e
             for record_id in e["record_ids"]}
    purged = {}
    for entry in found:
        if entry["reason"] == "purge":
            purged[entry["village_id"]] = max(entry["at"], purged.get(entry["village_id"], ""))
    if not named and not purged:
        return None

    def covers(version):
        village = version["village_id"]
        return (village, version["id"]) in named or (
            village in purged and version["updated_at"] <= purged[village])
    return covers


def cleaner(found):
    """A function answering a version with what the entries `found` erase from it removed
    (the version itself when they erase nothing of it), or None when they cover nothing."""
    covers = covering(found)
    limited = {}                  # (village, record id) -> [(at, fields)]
    for entry in found:
        if "fields" in entry:
            for record_id in entry["record_ids"]:
                limited.setdefault((entry["village_id"], record_id), []).append(
                    (entry["at"], entry["fields"]))
    if covers is None and not limited:
        return None

    def clean(version):
        if covers is not None and covers(version):
            return deidentify_version(version)
        for at, fields in limited.get((version["village_id"], version["id"]), ()):
            if version["updated_at"] <= at:
                version = deidentify_fields(version, fields)
        return version
    return clean


def scrub(versions, found):
    """`versions` with what an entry of `found` erases from each one removed."""
    clean = cleaner(found)
    if clean is None:
        return versions
    return [clean(v) for v in versions]


def apply(site, found):
    """De-identify every stored version the entries `found` cover, in one rewrite of the
    store, then mark them applied; return (records, versions) changed."""
    clean = cleaner(found)
    changed, records = 0, set()
    if clean is not None:
        ids = None if any(e["reason"] == "purge" for e in found) else \
            {record_id for e in found for record_id in e["record_ids"]}

        def change(version):
            new = clean(version)
            if new is not version:
                records.add(version["id"])
            return new
        changed = site.store.rewrite(change, ids=ids)
    done = {e["id"] for e in found}
    if done:
        with site.meta_lock:
            site.table("erasures").update({"applied": True},
                                          lambda row: row["id"] in done and not row["applied"])
    return len(records), changed


def apply_pending(site):
    """Apply the entries kept but not applied yet (a crash between keeping an entry and
    rewriting the store); return (records, versions) changed."""
    with site.meta_lock:
        pending = [_public(r) for r in site.table("erasures").all() if not r["applied"]]
    return apply(site, pending) if pending else (0, 0)


def for_batch(site, village_ids, created_at):
    """The entries a batch of `village_ids` made at `created_at` carries: every one of
    those villages made by then, so a later batch makes up for a lost one."""
    return entries(site, village_ids, until=created_at)


def sent_until(site):
    """{village id: the created_at of the last export that carried it} (files before
    exports were per village carried the whole site)."""
    with site.meta_lock:
        rows = site.table("exports").all()
    sent = {}
    for row in rows:
        for village_id in row.get("village_ids") or site.village_ids:
            sent[village_id] = max(sent.get(village_id, ""), row["created_at"])
    return sent


def unsent(site, batch):
    """The entries of `batch` that no export of their village carried yet."""
    sent = sent_until(site)
    return [e for e in batch.get("erasures") or () if e["at"] > sent.get(e["village_id"], "")]


def format_errors(value, village_ids):
    """Problems (Vietnamese) of a batch's `erasures` field, sent by a site of
    `village_ids` (a list, or None when not valid)."""
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        return ["trường erasures phải là danh sách"]
    allowed = frozenset(village_ids or ())
    for n, entry in enumerate(value, 1):
        if not isinstance(entry, dict) or set(entry) - set(OPTIONAL_FIELDS) != set(ENTRY_FIELDS):
            return [f"mục xóa dữ liệu thứ {n} phải có đúng: " + ", ".join(ENTRY_FIELDS)
                    + " (và có thể có fields)"]
        ids = entry["record_ids"]
        good = (isinstance(entry["id"], str) and UUID_RE.match(entry["id"])
                and entry["reason"] in REASONS
                and isinstance(entry["at"], str) and UPDATED_AT_RE.match(entry["at"])
                and isinstance(entry["village_id"], str) and VILLAGE_RE.match(entry["village_id"])
                and isinstance(ids, list) and len(ids) <= MAX_IDS
                and all(isinstance(i, str) and UUID_RE.match(i) for i in ids)
                and (entry["reason"] == "purge") == (not ids)
                and _fields_good(entry))
        if not good:
            return [f"mục xóa dữ liệu thứ {n} không hợp lệ"]
        if entry["village_id"] not in allowed:
            return [f"mục xóa dữ liệu thứ {n} thuộc thôn không do trạm này gửi"]
    return []


def _fields_good(entry):
    """Whether an entry's `fields`, when present, name erasable fields once each, in
    order; an entry of reason "consent" must have them, a purge must not."""
    if "fields" not in entry:
        return entry["reason"] != "consent"
    fields = entry["fields"]
    return (entry["reason"] != "purge" and isinstance(fields, list) and 0 < len(fields) <= 8
            and all(isinstance(f, str) and f in ERASABLE_FIELDS for f in fields)
            and fields == sorted(set(fields)))


def scrub_incoming(site, batch):
    """The records of a checked batch (format, signature) not judged yet, with what the
    batch's own erasures and the site's erasures of the sender's villages erase removed,
    so that the rules judge what would be stored: an older version whose phone a
    "consent" entry erases is not refused for that phone. Records too malformed to match
    an entry are left for the rules to refuse."""
    found = list(batch.get("erasures") or ()) + entries(site, batch["site"]["village_ids"])
    clean = cleaner(found)
    if clean is None:
        return batch["records"]
    return [clean(r) if _matchable(r) else r for r in batch["records"]]


def _matchable(record):
    """Whether a record not judged yet has the envelope fields an entry is matched by."""
    return isinstance(record, dict) and isinstance(record.get("data"), dict) and all(
        isinstance(record.get(name), str) for name in ("id", "type", "village_id", "updated_at"))


def receive(site, batch, versions, refuse):
    """(the versions of a checked batch to store, how many stored records its erasures
    de-identified): before it, the batch's erasures the
    site does not hold yet are kept and applied; then every version an erasure of the
    sender's villages covers is de-identified, before the store's duplicate check, so
    an older batch's versions of an erased record are duplicates of the erased ones.

    A version that changes a stored record's type or village makes `refuse(bad)` raise
    first (the store would refuse it only after the erasures were applied)."""
    sent = batch.get("erasures") or []
    if sent:
        bad = [{"id": v["id"], "index": n,
                "errors": {"id": "mã bản ghi đã dùng cho bản ghi khác loại hoặc khác thôn"}}
               for n, v in enumerate(versions) if _changes_a_record(site.store, v)]
        if bad:
            raise refuse(bad)
        fresh = record(site, sent, source=batch["site"]["id"])
        erased = apply(site, fresh)[0] if fresh else 0
    else:
        erased = 0
    return scrub(versions, entries(site, batch["site"]["village_ids"])), erased


def _changes_a_record(store, version):
    """Whether a version gives a stored record another type or village."""
    known = store.current(version["id"])
    return known is not None and (known["type"], known["village_id"]) != \
        (version["type"], version["village_id"])
