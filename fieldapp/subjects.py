"""A citizen's data, for their requests (Law 91/2025/QH15): find them, and gather
everything the site holds about a household or a person.

`find_subjects` reuses the households' search (case and diacritics ignored). `gather`
returns every stored version of the subject's records, history and tombstones included,
each with who recorded it (the login and the person's name from the team roster) and
when, plus the requests they made; `export_json` writes that as one JSON document.
"""
import datetime
import json

from fieldapp import subject_requests
from fieldapp.forms.errors import NotFound
from fieldapp.forms.rules import CHOICES, RULES, TYPE_LABELS
from fieldapp.forms.text import vn_date, vn_time
from fieldapp.records import live_records, people_names, search_households

__all__ = ["find_subjects", "gather", "export_json", "readable_fields", "EXPORT_FORMAT"]

EXPORT_FORMAT = "fieldapp-subject-export"
# what each kind of subject's export holds besides its own record: the records that point
# at it. A person's export leaves out the household's other members (their data, not theirs)
_RELATED = {"household": ("household_id", ("person", "visit", "survey")),
            "person": ("person_id", ("survey",))}


def find_subjects(store, village_ids, query):
    """[{"household": version, "people": [person versions, oldest first by birth year]}]
    of the households whose head, address, phone or members match `query`."""
    homes = search_households(store, village_ids, query)
    members = {}
    for person in live_records(store, village_ids, "person"):
        members.setdefault(person["data"]["household_id"], []).append(person)
    return [{"household": home, "people": sorted(members.get(home["id"], []),
                                                 key=lambda p: p["data"]["birth_year"])}
            for home in homes]


def subject_record(store, subject_type, subject_id, village_ids=None):
    """The current version of a subject (tombstones too); raise NotFound when it is not a
    `subject_type` record of `village_ids` (None: any)."""
    current = store.current(subject_id or "")
    if current is None or current["type"] != subject_type or (
            village_ids is not None and current["village_id"] not in village_ids):
        raise NotFound("Không tìm thấy hộ hoặc người này." if subject_type == "household"
                       else "Không tìm thấy người này.")
    return current


def gather(site, subject_type, subject_id, village_ids=None, now=None):
    """Everything held about a household or a person, as a JSON-ready dict:
    {"format", "version", "made_at", "site", "subject", "records": [{"id", "type",
    "type_label", "deleted", "versions": [...oldest first]}], "requests": [...]}.
    Raise NotFound when the subject is not one of `village_ids`."""
    store = site.store
    store.refresh()
    current = subject_record(store, subject_type, subject_id, village_ids)
    names = people_names(store, [current["village_id"]])
    field, kinds = _RELATED[subject_type]
    related = sorted((v for v in store.currents()
                      if v["type"] in kinds and v["data"].get(field) == subject_id
                      and v["village_id"] == current["village_id"]),
                     key=lambda v: (kinds.index(v["type"]), v["updated_at"], v["id"]))
    records = [_record(store, version, names) for version in [current, *related]]
    ids = [r["id"] for r in records]
    village = site.village(current["village_id"]) or {}
    made = now or datetime.datetime.now(datetime.timezone.utc)
    return {
        "format": EXPORT_FORMAT, "version": 1,
        "made_at": made.isoformat(timespec="seconds"),
        "site": {"name": site.settings.get("site_name", ""),
                 "commune": site.settings.get("commune_name", ""),
                 "province": site.settings.get("province_name", "")},
        "subject": {"type": subject_type, "id": subject_id,
                    "village_id": current["village_id"], "village_name": village.get("name", "")},
        "records": records,
        "requests": subject_requests.all_requests(site, subject_ids=set(ids)),
    }


def _record(store, current, names):
    history = store.history(current["id"])
    return {"id": current["id"], "type": current["type"],
            "type_label": TYPE_LABELS.get(current["type"], current["type"]),
            "deleted": bool(current["deleted"]),
            "versions": [{"updated_at": v["updated_at"], "recorded_at": vn_time(v["updated_at"]),
                          "device_id": v["device_id"], "author": v["author"],
                          "author_name": names.get(v["author"], ""),
                          "deleted": bool(v["deleted"]), "data": v["data"]}
                         for v in history]}


def export_json(gathered):
    """The export as UTF-8 JSON bytes, readable (indented, Vietnamese as it is)."""
    return json.dumps(gathered, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def readable_fields(record_type, data):
    """[(label, value as a person reads it)] of a version's data, in the rules' order,
    then any field the rules do not know (kept as it is)."""
    shown, known = [], set()
    for rule in RULES.get(record_type, ()):
        known.add(rule.name)
        if rule.name in data and data[rule.name] not in (None, "", []):
            shown.append((rule.label, _value(rule, data[rule.name])))
    for name in sorted(set(data) - known):
        shown.append((_EXTRA_LABELS.get(name, name), _plain(data[name])))
    return shown


_EXTRA_LABELS = {"consent": "Đồng ý xử lý dữ liệu"}


def _value(rule, value):
    if rule.kind == "date" and isinstance(value, str):
        return vn_date(value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    labels = CHOICES.get(rule.choices or rule.name, {})
    if isinstance(value, list):
        return ", ".join(str(labels.get(item, item)) for item in value)
    return str(labels.get(value, value))


def _plain(value):
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
