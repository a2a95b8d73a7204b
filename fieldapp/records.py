"""Records of the store for the app: reading the live ones, searching, and saving.

`save_versions` is the one write path of pages, API and round app: every version is
checked by the rules (fieldapp.forms.versions), then by who may write it.
"""
import datetime
import re

from fieldapp.forms.consent import COMMENT_NEEDS_CONSENT, COMMENT_PARENT_UNKNOWN, comment_allowed
from fieldapp.forms.rules import normalise_phone
from fieldapp.forms.text import fold
from fieldapp.forms.versions import check_version, forks
from fieldapp.indicators.cache import cached
from storage import Refused
from sync import erasures

__all__ = ["live_records", "search_households", "open_forks", "forked_households", "people_names",
           "save_versions", "save_one", "roster", "person_name",
           "reference_errors", "consent_errors", "MAX_RECORDS_PER_REQUEST"]


def live_records(store, village_ids=None, record_type=None):
    """Current, not deleted versions, optionally of some villages and one type."""
    return [v for v in store.currents()
            if not v["deleted"]
            and (record_type is None or v["type"] == record_type)
            and (village_ids is None or v["village_id"] in village_ids)]


def open_forks(store, village_ids):
    """The records of `village_ids` whose heads are a fork (SPEC §3), sorted by id:
    [{"id", "type", "village_id", "versions": the heads, oldest first}]. Computed once
    per state of the stored data (every phone's pull asks for it); not to be changed."""
    wanted = frozenset(village_ids)

    def build():
        found = []
        for record_id, history in store.histories().items():
            if len(history) > 1 and history[-1]["village_id"] in wanted:
                heads = forks(history)
                if heads:
                    found.append({"id": record_id, "type": heads[-1]["type"],
                                  "village_id": heads[-1]["village_id"], "versions": heads})
        return tuple(sorted(found, key=lambda fork: fork["id"]))
    return cached(store, ("open_forks", tuple(sorted(wanted))), build)


def forked_households(store, village_ids):
    """Sorted ids of the households with an open fork of their own or of a record of theirs
    (a member, a visit, a survey), for the round app to mark."""
    found = set()
    for fork in open_forks(store, village_ids):
        current = store.current(fork["id"])
        found.add(fork["id"] if fork["type"] == "household"
                  else current["data"].get("household_id"))
    return sorted(found - {None, ""})


def people_names(store, village_ids):
    """{login: the person's name} from the villages' team rosters (member records, which
    travel to the commune), for pages to name people rather than accounts."""
    return {m["data"]["username"]: m["data"]["full_name"]
            for m in live_records(store, village_ids, "member") if m["data"].get("username")}


def roster(store, village_id):
    """{username: member data} of the village's current roster records (kept while the
    stored data stays the same; not to be changed)."""
    return cached(store, ("roster", village_id), lambda: {
        v["data"].get("username"): v["data"]
        for v in live_records(store, [village_id], "member")})


def person_name(store, user):
    """The name a signed-in user is shown by: the roster's, the account holder's, or the
    login when neither names the person."""
    member = roster(store, user["village_id"]).get(user["username"], {}) \
        if user.get("village_id") else {}
    return member.get("full_name") or user.get("full_name") or user["username"]


# a query that looks like (part of) a phone number: digits, a leading +, spaces, dots, dashes
PHONE_QUERY_RE = re.compile(r"^\+?[0-9][0-9 .-]*[0-9]\Z")


def search_households(store, village_ids, query):
    """Households of the villages whose head, xóm, address, phone or members match `query`.

    Case and Vietnamese diacritics are ignored. Returns versions sorted by head name.
    """
    households = live_records(store, village_ids, "household")
    needle = fold(query or "")
    if needle:
        members = {}
        for person in live_records(store, village_ids, "person"):
            members.setdefault(person["data"]["household_id"], []).append(
                person["data"].get("full_name", ""))
        def haystack(h):
            d = h["data"]
            return fold(" ".join([d.get("head_name", ""), d.get("hamlet", ""),
                                  d.get("address", ""), d.get("phone", ""),
                                  *members.get(h["id"], [])]))
        phone = normalise_phone(query.strip()) if PHONE_QUERY_RE.match(query.strip()) else ""
        households = [h for h in households if needle in haystack(h) or (
            phone and phone in normalise_phone(h["data"].get("phone") or ""))]
    return sorted(households, key=lambda h: fold(h["data"].get("head_name", "")))


MAX_RECORDS_PER_REQUEST = 500
WRITER_ROLES = ("volunteer", "lead")


def _ownership_errors(store, version, user, villages, seen):
    """Errors from who may write this version: village, author, the record's identity
    (an id keeps its type and village, also within one request: `seen` maps id to the
    (type, village, data, deleted) of earlier versions of the request), its references'
    village, and a survey's comment by the consent of whom it names."""
    errors = {}
    if version["village_id"] not in villages:
        errors["village_id"] = "Bạn chỉ được ghi dữ liệu của thôn mình."
    if user is not None and version["author"] != user["username"]:
        errors["author"] = "Người ghi phải là chính tài khoản đang đăng nhập."
    if version["type"] == "member" and (user is None or user["role"] not in ("lead", "admin")):
        errors["type"] = "Chỉ tổ trưởng mới cập nhật danh sách thành viên tổ."
    existing = store.current(version["id"])
    earlier = seen.get(version["id"]) or (existing and (existing["type"],
                                                        existing["village_id"]))
    if earlier:
        if earlier[0] != version["type"]:
            errors["type"] = "Mã bản ghi này đã dùng cho loại bản ghi khác."
        if earlier[1] != version["village_id"]:
            errors["village_id"] = "Bản ghi này thuộc thôn khác."
    errors.update(reference_errors(store, version))
    errors.update(consent_errors(store, version, seen))
    return errors


def consent_errors(store, version, seen=None):
    """{"data.comment": message} when a survey's comment lacks the `satisfaction_survey`
    consent of the person (or household) surveyed (fieldapp.forms.consent), as the
    store or the earlier versions of the same request (`seen`) hold them now. Pages, API
    and phones write where the person is: one not known here yet is refused too.

    Batch imports (sync/) do not judge this: batches arrive in any order and a merge
    must not depend on it; the village site judged the comment when it was written.
    """
    if version["type"] != "survey" or version["deleted"]:
        return {}

    def current(record_id):
        if seen and record_id in seen:
            _, _, data, deleted = seen[record_id]
        else:
            parent = store.current(record_id)
            if parent is None:
                return None
            data, deleted = parent["data"], parent["deleted"]
        return None if deleted else data
    allowed = comment_allowed(version["data"], current)
    if allowed:
        return {}
    return {"data.comment": "Ý kiến: " + (COMMENT_PARENT_UNKNOWN if allowed is None
                                          else COMMENT_NEEDS_CONSENT)}


# the references a record's data may hold, and why one to another village is refused
_REFERENCES = (("household_id", "Hộ này thuộc thôn khác."),
               ("person_id", "Người này thuộc thôn khác."))


def reference_errors(store, version):
    """{"data.<field>": message} for each reference of a version's data (household_id,
    person_id) to a known record of another village. References are soft: a parent not
    (yet) known is kept, an orphan until it arrives."""
    errors = {}
    for name, message in _REFERENCES:
        parent = store.current(version["data"].get(name) or "")
        if parent is not None and parent["village_id"] != version["village_id"]:
            errors[f"data.{name}"] = message
    return errors


def _seen_as(version):
    return version["type"], version["village_id"], version["data"], version["deleted"]


def save_versions(site, raws, user, villages, now=None):
    """Check and store versions; return [{"id","status","errors"}] in the given order.

    Each version is accepted, a duplicate (already stored), or rejected with its errors;
    rejected versions change nothing. Accepted ones are written in one group commit.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    site.store.refresh()
    results, valid, slots, seen = [], [], [], {}
    for raw in raws:
        check = check_version(raw, now)
        errors = check.errors
        if not errors:
            errors = _ownership_errors(site.store, check.version, user, villages, seen)
        if not errors:
            seen[check.version["id"]] = _seen_as(check.version)
        if errors:
            results.append({"id": check.id, "status": "rejected", "errors": errors})
        else:
            slots.append(len(results))
            results.append(None)
            valid.append(check.version)
    # a phone that still shows an erased record brings nothing identifying back
    valid = erasures.scrub(valid, erasures.entries(site, villages)) if valid else valid
    while valid:
        try:
            stored = site.store.submit(valid)
        except Refused as refusal:      # another request changed a record meanwhile:
            pending, seen = [], {}      # what is left is checked again against what it wrote
            for slot, version, result in zip(slots, valid, refusal.results):
                errors = ({"id": "Mã bản ghi này đã dùng cho bản ghi khác loại hoặc thôn khác."}
                          if result.status == "refused"
                          else _ownership_errors(site.store, version, user, villages, seen))
                if errors:
                    results[slot] = {"id": version["id"], "status": "rejected", "errors": errors}
                else:
                    seen[version["id"]] = _seen_as(version)
                    pending.append((slot, version))
            slots, valid = [slot for slot, _ in pending], [version for _, version in pending]
            continue
        for slot, result in zip(slots, stored):
            results[slot] = {"id": result.id, "status": result.status, "errors": {}}
        break
    return results


def save_one(site, version, user):
    """Save one version made on a page by the write path every client shares
    (save_versions); {field: message} of why it was not saved."""
    result = save_versions(site, [version], user, [version["village_id"]])[0]
    return {name.removeprefix("data."): message for name, message in result["errors"].items()}
