"""Record envelopes (SPEC §3): checking a version, making one, and finding records."""
import datetime
import re
import uuid
from dataclasses import dataclass

from fieldapp.forms.fastcheck import REAL_DATES, real_date
from fieldapp.forms.rules import (MAX_CLOCK_AHEAD, RULES, UNSAFE_TEXT_RE, UUID_RE, fast_checker,
                                  validate_data)
from fieldapp.text import fold, nfc

__all__ = ["utc_now", "new_id", "member_record_id", "check_version", "check_versions",
           "make_version", "VersionCheck",
           "ENVELOPE", "live_records", "search_households", "VILLAGE_RE", "DEVICE_RE",
           "MAX_CLOCK_AHEAD", "parse_stamp", "ahead_text"]

UPDATED_AT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\Z")
VILLAGE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}\Z")
MAX_VILLAGES = 100          # village ids one site may hold (and list in its batches)
DEVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}\Z")
ENVELOPE = ("id", "type", "village_id", "updated_at", "device_id", "author", "deleted", "data")


def utc_now():
    """The current UTC time as SPEC timestamps have it: 2025-07-28T09:15:02.123Z."""
    return _format_stamp(datetime.datetime.now(datetime.timezone.utc))


def new_id():
    """A new record id."""
    return str(uuid.uuid4())


def member_record_id(site_id, username):
    """The roster record of an account: the same id every time for the same site and user."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fieldapp:{site_id}:{username}"))


@dataclass
class VersionCheck:
    """The outcome of checking one submitted version."""
    version: dict | None
    errors: dict
    id: str | None = None


# why a stamp too far ahead is refused, by whose clock judged it: {} is how far ahead
_AHEAD_MESSAGES = {
    "server": "Giờ trên điện thoại đang nhanh hơn giờ máy thôn {}. Hãy chỉnh lại giờ của "
              "điện thoại rồi gửi lại.",
    "batch": "giờ ghi bản ghi nhanh hơn giờ tạo lô {}: đồng hồ của điện thoại đã ghi bản "
             "ghi này đang chạy nhanh",
}


def parse_stamp(text):
    """The aware UTC datetime of a SPEC stamp (2025-07-28T09:15:02.123Z), or None."""
    if not isinstance(text, str) or not UPDATED_AT_RE.match(text):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def ahead_text(delta):
    """How far one clock runs ahead of another, in Vietnamese: 'khoảng 23 giờ'."""
    minutes = round(delta.total_seconds() / 60)
    if minutes < 120:
        return f"khoảng {max(minutes, 1)} phút"
    if minutes < 48 * 60:
        return f"khoảng {round(minutes / 60)} giờ"
    return f"khoảng {round(minutes / 1440)} ngày"


def check_version(raw, now=None, check_future=True, clock="server"):
    """Validate one version (envelope and data); return a VersionCheck.

    `now` is the clock the stamp is judged by (`clock`: "server", or "batch" for a batch's
    created_at, which words the message): no stamp more than MAX_CLOCK_AHEAD after it.
    The cleaned version has its text in NFC and trimmed; nothing else is changed.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    version = _fast_version(raw, now, check_future)
    if version is not None:
        return VersionCheck(version, {}, version["id"])
    return _full_check(raw, now, check_future, clock)


def _full_check(raw, now, check_future, clock="server"):
    """check_version with every rule applied, which alone words the errors."""
    if not isinstance(raw, dict):
        return VersionCheck(None, {"record": "phải là một đối tượng JSON"})
    record_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    record_type = raw.get("type") if isinstance(raw.get("type"), str) else None
    errors = {}
    for key in raw:
        if key not in ENVELOPE:
            errors[str(key)[:60]] = "trường không được phép"
    for key in ENVELOPE:
        if key not in raw:
            errors[key] = "bắt buộc"
    if "id" in raw and (record_id is None or not UUID_RE.match(record_id)):
        errors["id"] = "phải là UUID chữ thường"
    if "type" in raw and record_type not in RULES:
        errors["type"] = "loại bản ghi không hợp lệ"
    if "village_id" in raw and not (isinstance(raw["village_id"], str)
                                    and VILLAGE_RE.match(raw["village_id"])):
        errors["village_id"] = "mã thôn không hợp lệ"
    stamp = raw.get("updated_at")
    if "updated_at" in raw:
        if not isinstance(stamp, str) or not UPDATED_AT_RE.match(stamp):
            errors["updated_at"] = "phải là giờ UTC dạng 2025-07-28T09:15:02.123Z"
        else:
            moment = parse_stamp(stamp)
            if moment is None:
                errors["updated_at"] = "không phải thời điểm có thật"
            elif check_future and moment > now + MAX_CLOCK_AHEAD:
                errors["updated_at"] = _AHEAD_MESSAGES[clock].format(ahead_text(moment - now))
    if "device_id" in raw and not (isinstance(raw["device_id"], str)
                                   and DEVICE_RE.match(raw["device_id"])):
        errors["device_id"] = "mã thiết bị không hợp lệ"
    if "author" in raw and not (isinstance(raw["author"], str) and 0 < len(raw["author"]) <= 64
                                and not UNSAFE_TEXT_RE.search(raw["author"])):
        errors["author"] = "người ghi không hợp lệ"
    if "deleted" in raw and not isinstance(raw["deleted"], bool):
        errors["deleted"] = "phải là true hoặc false"
    data = {}
    if "data" in raw and record_type in RULES:
        data, data_errors = validate_data(record_type, raw["data"], now.date(),
                                          partial=raw.get("deleted") is True)
        errors.update({f"data.{k}": v for k, v in data_errors.items()})
    if errors:
        return VersionCheck(None, errors, record_id)
    version = {key: raw[key] for key in ENVELOPE}
    version["author"] = nfc(version["author"])
    version["data"] = data
    return VersionCheck(version, {}, record_id)



class _Seen(dict):
    """Strings already found valid (village ids, devices, authors, dates) -> their clean
    form; `known.get(value) or known.add(value)` checks each distinct string once."""

    def __init__(self, check, limit=4096):
        super().__init__()
        self.check, self.limit = check, limit

    def add(self, value):
        """The clean form of a valid string (remembered), or None."""
        clean = self.check(value)
        if clean is not None:
            if len(self) >= self.limit:
                self.clear()
            self[value] = clean
        return clean


_VILLAGES = _Seen(lambda value: value if VILLAGE_RE.match(value) else None)
_DEVICES = _Seen(lambda value: value if DEVICE_RE.match(value) else None)
_AUTHORS = _Seen(lambda value: nfc(value) if 0 < len(value) <= 64
                 and not UNSAFE_TEXT_RE.search(value) else None)


# (now, its latest acceptable stamp, its year, the ISO date after it): last used
_LIMITS = (None, "", 0, "")


# a plainly valid stamp: ASCII digits (as fromisoformat wants), hours, minutes, seconds in range
_PLAIN_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z", re.ASCII)


def _fast_version(raw, now, check_future):
    """The cleaned version when its envelope and data are plainly valid, else None.

    The common case of an import, kept short; a tombstone, a missing, odd or invalid value
    is left to the full check of check_version, which alone words the errors.
    """
    global _LIMITS
    # eight keys, each of them of the right type below: exactly the envelope
    if type(raw) is not dict or len(raw) != 8 or raw.get("deleted") is not False:
        return None
    limits = _LIMITS
    if limits[0] is not now:
        if now.utcoffset() is None:          # a naive `now`: the full check says what it says
            return None
        latest = (now + MAX_CLOCK_AHEAD).astimezone(datetime.timezone.utc)
        today = now.date()
        limits = _LIMITS = (now, latest.isoformat(timespec="milliseconds")[:23], today.year,
                            (today + datetime.timedelta(days=1)).isoformat())
    record_id, record_type, stamp = raw.get("id"), raw.get("type"), raw.get("updated_at")
    village_id, device_id, author = raw.get("village_id"), raw.get("device_id"), raw.get("author")
    data = raw.get("data")
    if type(record_id) is not str or type(record_type) is not str or type(stamp) is not str \
            or type(data) is not dict or type(village_id) is not str \
            or type(device_id) is not str or type(author) is not str:
        return None
    village_id = _VILLAGES.get(village_id) or _VILLAGES.add(village_id)
    device_id = _DEVICES.get(device_id) or _DEVICES.add(device_id)
    author = _AUTHORS.get(author) or _AUTHORS.add(author)
    plain = _PLAIN_STAMP.fullmatch(stamp)
    if village_id is None or device_id is None or author is None or plain is None \
            or (check_future and stamp[:23] > limits[1]) \
            or not (plain[1] in REAL_DATES or real_date(plain[1])) \
            or record_type not in RULES or not UUID_RE.match(record_id):
        return None
    clean = fast_checker(record_type)(data, limits[2], limits[3])
    if clean is None:
        return None
    return {"id": record_id, "type": record_type, "village_id": village_id, "updated_at": stamp,
            "device_id": device_id, "author": author, "deleted": False, "data": clean}


def check_versions(raws, now=None, check_future=True, clock="server"):
    """Check many versions as check_version does: ([(index, cleaned version)],
    [(index, VersionCheck)] of the invalid ones)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    versions, bad = [], []
    for index, raw in enumerate(raws):
        version = _fast_version(raw, now, check_future)
        if version is None:
            check = _full_check(raw, now, check_future, clock)
            if check.version is None:
                bad.append((index, check))
                continue
            version = check.version
        versions.append((index, version))
    return versions, bad


def make_version(record_type, village_id, data, author, device_id, record_id=None,
                 deleted=False, after=None):
    """Build a new version made on this server (pages, demo).

    `after`: the stamp of the version it replaces. A phone whose clock runs a little
    ahead (at most MAX_CLOCK_AHEAD) may have stamped that one after this server's now: the
    new version is then stamped just after it, so that it becomes the current one.
    """
    stamp = utc_now()
    if after is not None and after >= stamp:
        moment = parse_stamp(after)
        now = parse_stamp(stamp)
        if moment is not None and moment + _MS <= now + MAX_CLOCK_AHEAD:
            stamp = _format_stamp(moment + _MS)
    return {"id": record_id or new_id(), "type": record_type, "village_id": village_id,
            "updated_at": stamp, "device_id": device_id, "author": author,
            "deleted": deleted, "data": data}


_MS = datetime.timedelta(milliseconds=1)


def _format_stamp(moment):
    """A UTC datetime as a SPEC stamp."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def live_records(store, village_ids=None, record_type=None):
    """Current, not deleted versions, optionally of some villages and one type."""
    return [v for v in store.currents()
            if not v["deleted"]
            and (record_type is None or v["type"] == record_type)
            and (village_ids is None or v["village_id"] in village_ids)]


def search_households(store, village_ids, query):
    """Households of the villages whose head, address, phone or members match `query`.

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
            return fold(" ".join([d.get("head_name", ""), d.get("address", ""),
                                  d.get("phone", ""), *members.get(h["id"], [])]))
        households = [h for h in households if needle in haystack(h)]
    return sorted(households, key=lambda h: fold(h["data"].get("head_name", "")))
