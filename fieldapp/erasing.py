"""Erasing a citizen's data on request, and the retention purge (Law 91/2025/QH15).

Which records an erasure covers is domain knowledge, so it is here: a household with its
people, visits and surveys, or one person with their surveys (a record counts when any
of its versions refers to them, so a member who moved is covered too). The erasure
itself (sync.erasures) is kept, applied to every stored version in one rewrite of the
store, and travels in the next batch; the facts stay, so indicators do not change.
"""
import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fieldapp import audit, retention
from fieldapp.forms.erasure import is_deidentified
from fieldapp.forms.errors import NotFound
from sync import erasures

__all__ = ["Erasure", "household_records", "person_records", "subject_records",
           "describe_records", "names_of", "erase", "purge_targets",
           "purge", "purge_is_due", "last_purge_day", "local_today"]

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Erasure:
    """What an erasure or a purge did: the entries made, records and versions changed."""
    entries: list = field(default_factory=list)
    records: int = 0          # records that held identifying data
    versions: int = 0         # stored versions rewritten


def local_today():
    """Today's date in Vietnam."""
    return datetime.datetime.now(LOCAL).date()


def _referring(histories, field_name, target_ids):
    """Ids of records with a version whose data[field_name] is one of `target_ids`."""
    return {rid for rid, history in histories.items()
            if any(v["data"].get(field_name) in target_ids for v in history)}


def household_records(store, household_id):
    """(the household's current version, the ids of it and of every record of its
    people, visits and surveys); raise NotFound for no such household."""
    home = store.current(household_id)
    if home is None or home["type"] != "household":
        raise NotFound(f"Không có hộ nào mã {household_id}.")
    histories = store.histories()
    ids = {household_id} | _referring(histories, "household_id", {household_id})
    people = {rid for rid in ids if histories[rid][-1]["type"] == "person"}
    ids |= _referring(histories, "person_id", people)
    return home, {rid for rid in ids if histories[rid][-1]["village_id"] == home["village_id"]}


def person_records(store, person_id):
    """(the person's current version, the ids of them and of their surveys); raise
    NotFound for no such person."""
    person = store.current(person_id)
    if person is None or person["type"] != "person":
        raise NotFound(f"Không có người nào mã {person_id}.")
    histories = store.histories()
    ids = {person_id} | {rid for rid in _referring(histories, "person_id", {person_id})
                         if histories[rid][-1]["village_id"] == person["village_id"]}
    return person, ids


def subject_records(store, subject_type, subject_id):
    """(current version, ids) of what erasing a household or a person covers."""
    if subject_type == "household":
        return household_records(store, subject_id)
    return person_records(store, subject_id)


def describe_records(store, ids):
    """'1 hộ, 3 người, 2 lần thăm, 1 khảo sát' of the records `ids`."""
    from fieldapp.forms.text import vn_number
    words = (("household", "hộ"), ("person", "người"), ("visit", "lần thăm"),
             ("survey", "khảo sát"))
    kinds = [store.current(rid)["type"] for rid in ids]
    return ", ".join(f"{vn_number(kinds.count(kind))} {word}" for kind, word in words
                     if kind in kinds)


def names_of(store, ids):
    """The names the households and people of `ids` show now (heads first), for the
    confirmation of an erasure."""
    heads, people = [], []
    for rid in ids:
        version = store.current(rid)
        data = version["data"] if version else {}
        if version and version["type"] == "household" and data.get("head_name"):
            heads.append(data["head_name"])
        elif version and version["type"] == "person" and data.get("full_name"):
            people.append(data["full_name"])
    return sorted(heads) + sorted(people)


def _identified(store, ids=None):
    """How many records (of `ids`, or all) still hold identifying data in a version."""
    histories = store.histories()
    return sum(1 for rid, history in histories.items()
               if (ids is None or rid in ids) and not all(map(is_deidentified, history)))


def erase(site, record_ids, village_id, actor, dry_run=False):
    """Erase the identifying fields of `record_ids` (of one village) from every stored
    version, record the erasure to travel, and audit it; return an Erasure."""
    site.store.refresh()
    if dry_run:
        return Erasure(records=_identified(site.store, set(record_ids)))
    ids = sorted(set(record_ids))
    stamp = erasures.new_entry("request", village_id, ids[:1])["at"]
    entries = [erasures.new_entry("request", village_id, ids[n:n + erasures.MAX_IDS], at=stamp)
               for n in range(0, len(ids), erasures.MAX_IDS)]    # as a batch may carry them
    erasures.record(site, entries, source="local")
    done = Erasure(entries, *erasures.apply(site, entries))
    audit.record(site, actor, "subject.erase", ids=ids,
                 erasure=",".join(e["id"] for e in entries), count=done.versions)
    return done


def purge_targets(site):
    """The villages a purge covers: the site's own and any its records belong to."""
    villages = list(site.village_ids)
    villages += sorted({v["village_id"] for v in site.store.currents()} - set(villages))
    return villages


def last_purge_day(site):
    """The local date of the site's last purge, or None."""
    stamps = [e["at"] for e in erasures.entries(site) if e["reason"] == "purge"]
    if not stamps:
        return None
    moment = datetime.datetime.strptime(max(stamps), "%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(LOCAL).date()


def purge_is_due(site, today):
    """Whether the retention date is reached on `today` and no purge was made since."""
    settings = site.settings
    if not retention.purge_due(settings, today):
        return False
    last = last_purge_day(site)
    return last is None or last < retention.purge_date(settings)


def purge(site, actor, dry_run=False):
    """De-identify every stored version of the site (one rewrite of the store), record a
    purge per village to travel, and audit it; return an Erasure."""
    site.store.refresh()
    if dry_run:
        return Erasure(records=_identified(site.store))
    stamp = erasures.new_entry("purge", "x")["at"]
    entries = [erasures.new_entry("purge", village, at=stamp) for village in purge_targets(site)]
    erasures.record(site, entries, source="local")
    done = Erasure(entries, *erasures.apply(site, entries))
    audit.record(site, actor, "purge", count=done.records, versions=done.versions,
                 villages=[e["village_id"] for e in entries])
    return done
