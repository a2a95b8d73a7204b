"""Export: a village site's changes as a signed batch, the marks of what left, batch files."""
import uuid

from fieldapp.forms.errors import Invalid
from fieldapp.forms.versions import utc_now
from storage.durable import atomic_write_bytes
from sync import erasures, keys
from sync.batch import FORMAT, VERSION, batch_bytes, gzip_bytes, sign_batch

__all__ = ["export_batch", "build_batch", "mark_exported", "last_exported", "export_marks",
           "write_batch_file"]


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
