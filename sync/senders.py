"""The commune's record of sending sites: pinned keys, claimed villages, imported batches."""
from tinydb import Query

from fieldapp.forms.versions import utc_now

__all__ = ["imported_batches", "known_sites", "forget_site_key"]


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
