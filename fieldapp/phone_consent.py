"""The one-time migration of phone numbers recorded before consent existed (issue #16).

A village laptop may hold households and people whose phone was recorded before the
`phone_contact` consent was asked (in the current version or any older one): the commune
refuses a batch with such a version. The migration removes just the phone from every
stored version of those records, history included (one rewrite of the store), and
records it as a "consent" erasure entry with `fields: ["phone"]` (sync.erasures), which
travels in the next batch so the commune removes it too. No exemption by date: a phone
without that consent is never kept.
"""
from fieldapp import audit
from fieldapp.erasing import Erasure
from fieldapp.forms.consent import fields_needing_consent
from fieldapp.forms.text import vn_number
from fieldapp.forms.versions import utc_now
from sync import erasures

__all__ = ["FIELDS", "phones_without_consent", "migrate", "migrate_if_needed"]

FIELDS = ("phone",)


def phones_without_consent(histories):
    """{village id: sorted ids} of the households and people (of the store's `histories`)
    with a version holding a phone its consent does not allow."""
    found = {}
    for record_id, history in histories.items():
        if any(isinstance(v.get("data"), dict) and
               "phone" in fields_needing_consent(v["type"], v["data"]) for v in history):
            found.setdefault(history[-1]["village_id"], set()).add(record_id)
    return {village: sorted(ids) for village, ids in found.items()}


def migrate(site, actor):
    """Remove those phones (village site only), record the entries to travel, audit it
    (ids and counts only); return an Erasure (records: phones removed)."""
    if site.kind != "village":
        return Erasure()
    site.store.refresh()
    erasures.apply_pending(site)           # what a crash left unapplied first
    histories = site.store.histories()
    found = phones_without_consent(histories)
    if not found:
        return Erasure()
    # at or after every version it covers (a version a clock ahead stamped is covered too)
    stamp = max([utc_now()] + [v["updated_at"] for ids in found.values() for i in ids
                               for v in histories[i]])
    entries = [erasures.new_entry("consent", village, ids[n:n + erasures.MAX_IDS], at=stamp,
                                  fields=FIELDS)
               for village, ids in sorted(found.items())
               for n in range(0, len(ids), erasures.MAX_IDS)]
    erasures.record(site, entries, source="local")
    done = Erasure(entries, *erasures.apply(site, entries))
    audit.record(site, actor, "consent.phones",
                 ids=sorted(i for ids in found.values() for i in ids),
                 erasure=",".join(e["id"] for e in entries), count=done.records,
                 versions=done.versions)
    return done


def migrate_if_needed(site, actor):
    """Run the migration when a phone lacks its consent; return the Vietnamese line
    saying what it did, or None when there was nothing to do."""
    done = migrate(site, actor)
    if not done.entries:
        return None
    return (f"Đã xóa {vn_number(done.records)} số điện thoại không có đồng ý liên hệ qua "
            "điện thoại.")
