"""Staff approve or refuse a new laptop whose batches are held (SPEC §7).

A replaced laptop is the honest case: approving pins the new key for its villages and
imports its held batches, each whole or not at all with every usual check; refusing
drops them. Both run under the commune's import lock, so two staff deciding at once
decide once: the second finds nothing held any more.
"""
import datetime
from dataclasses import dataclass, field

from tinydb import Query

from fieldapp.forms.errors import FieldappError
from fieldapp.forms.versions import utc_now
from storage.collector import no_cycle_collection
from sync import held, keys
from sync.senders import known_sites
from sync.transfer import import_lock, read_checked, store_checked

__all__ = ["held_sites", "Decision", "approve_site", "refuse_site"]


def held_sites(site):
    """The laptops waiting for approval, by first arrival: [{site_id, name, village_ids,
    public_key, fingerprint, batches, claimed}], `claimed` listing the pinned sites (name,
    villages, fingerprint or None for a forgotten key, first_seen) already sending for
    those villages."""
    pinned = {row["site_id"]: row for row in known_sites(site)}
    waiting = {}
    for row in held.held_rows(site):
        entry = waiting.setdefault((row["site_id"], row["public_key"]), {
            "site_id": row["site_id"], "name": row["site_name"], "village_ids": [],
            "public_key": row["public_key"], "fingerprint": keys.fingerprint(row["public_key"]),
            "batches": [], "claimed": {}})
        entry["name"] = row["site_name"]
        entry["batches"].append(row)
        entry["village_ids"] += [v for v in row["village_ids"] if v not in entry["village_ids"]]
        for claim in row["claimed"]:
            known = pinned.get(claim["site_id"], {})
            entry["claimed"].setdefault(claim["site_id"], {
                "site_id": claim["site_id"], "name": known.get("name", claim["name"]),
                "village_ids": known.get("village_ids", claim["village_ids"]),
                "fingerprint": keys.fingerprint(known["public_key"])
                if known.get("public_key") else None,
                "first_seen": known.get("first_seen")})
    for entry in waiting.values():
        entry["claimed"] = list(entry["claimed"].values())
    return list(waiting.values())


@dataclass
class Decision:
    """What approving or refusing a laptop did. `found` is False when nothing of it was
    held (decided already); `receipts` of the batches imported, `failed` [(held row,
    message)] of those the import refused, `dropped` how many a refusal dropped."""
    found: bool
    receipts: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    dropped: int = 0


def approve_site(site, site_id, public_key, by):
    """Approve the laptop `site_id` with the key staff compared (base64): pin it for its
    villages and import its held batches. A held batch the import refuses is dropped and
    named in `failed`: it could never be imported."""
    with no_cycle_collection(promote=True), import_lock(site):
        rows = _held(site, site_id, public_key)
        if not rows:
            return Decision(found=False)
        _pin(site, rows, by)
        decision = Decision(found=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        for row in rows:
            try:
                batch, checked, raw = read_checked(site, held.read(site, row), now)
                decision.receipts.append(store_checked(site, batch, checked, raw,
                                                       row["source"], now))
            except FieldappError as error:
                decision.failed.append((row, error.message))
            except OSError as error:
                decision.failed.append((row, f"không đọc được lô đã giữ ({error.strerror})"))
            held.drop(site, [row])
        return decision


def refuse_site(site, site_id, public_key):
    """Refuse the laptop `site_id` with that key: its held batches are dropped."""
    with import_lock(site):
        rows = _held(site, site_id, public_key)
        if rows:
            held.drop(site, rows)
        return Decision(found=bool(rows), dropped=len(rows))


def _held(site, site_id, public_key):
    """The held rows of one laptop: its site id and the very key staff were shown."""
    return [r for r in held.held_rows(site, site_id) if r["public_key"] == public_key]


def _pin(site, rows, by):
    """Pin an approved laptop's key for the villages its held batches name."""
    newest = rows[-1]
    villages = []
    for row in rows:
        villages += [v for v in row["village_ids"] if v not in villages]
    Site = Query()
    with site.meta_lock:
        sites = site.table("sites")
        pinned = sites.get(Site.site_id == newest["site_id"])
        if pinned is not None:
            villages = list(pinned["village_ids"]) + [v for v in villages
                                                      if v not in pinned["village_ids"]]
        row = {"site_id": newest["site_id"], "name": newest["site_name"],
               "village_ids": villages, "public_key": newest["public_key"],
               "approved_by": str(by)[:60], "approved_at": utc_now()}
        if pinned is None:
            sites.insert(dict(row, first_seen=row["approved_at"]))
        else:
            sites.update(row, Site.site_id == newest["site_id"])
