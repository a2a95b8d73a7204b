"""The roll-up format of SPEC §7a: a commune's aggregate batch for the province.

A roll-up is one canonical JSON document signed with the commune site's key, like a batch,
but it carries only counts: for every village and campaign period each indicator's
numerator, denominator and denominator source, and the one-stop shop's procedure figures.
Its reader accepts nothing else: no field outside the schema, no free text beyond the
names of villages, no record ids, so a roll-up cannot smuggle a citizen's record to the
province even from a tampered commune laptop.
"""
import datetime
import re
import unicodedata

import orjson

from fieldapp.forms.rules import UNSAFE_TEXT_RE, has_letter
from fieldapp.forms.sources import SOURCES
from storage.canonical import canonical_json
from sync import crypto, keys
from sync.batch import decompress
from sync.errors import BatchRejected, BatchTooLarge

__all__ = ["FORMAT", "VERSION", "MAX_ROLLUP_BYTES", "sign_rollup", "rollup_bytes",
           "read_rollup", "read_rollup_json", "SOURCES"]

FORMAT, VERSION = "fieldapp-rollup", 1
MAX_ROLLUP_BYTES = 8 * 1024 * 1024      # a commune of 60 villages x 60 periods is ~3 MB
MAX_COUNT = 10 ** 9
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")
CODE_RE = re.compile(r"^[0-9]{1,6}\Z")
VILLAGE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}\Z")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
FIELDS = {"format", "version", "rollup_id", "commune_code", "commune_name", "province_code",
          "site", "created_at", "as_of", "campaign", "villages", "procedures", "signature"}


def _name(value):
    """Whether `value` is a place name as a site stores it: NFC, trimmed, with a letter,
    at most 120 characters, no control or bidirectional characters."""
    return isinstance(value, str) and 0 < len(value) <= 120 and value == value.strip() \
        and unicodedata.is_normalized("NFC", value) and has_letter(value) \
        and not UNSAFE_TEXT_RE.search(value)


def _canonical(value):
    """canonical_json(value), at C speed (orjson, keys sorted) when its text is NFC
    already, as a roll-up's few texts (place names) are. bench/province.py: importing 100
    roll-ups went from 14x their parse to about 3x (with the file kept as received)."""
    body = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    if unicodedata.is_normalized("NFC", body.decode("utf-8")):
        return body
    return canonical_json(value)


def _payload(rollup):
    return _canonical({k: v for k, v in rollup.items() if k != "signature"})


def sign_rollup(fields, private_key):
    """The roll-up `fields` with the site key's signature over their canonical JSON."""
    rollup = dict(fields)
    rollup["signature"] = keys.sign(private_key, _payload(rollup))
    return rollup


def rollup_bytes(rollup):
    """The canonical JSON file content of a signed roll-up."""
    return _canonical(rollup)


def _refuse(problem, message):
    return BatchRejected(problem, message)


def _count(value):
    return type(value) is int and 0 <= value <= MAX_COUNT


def _figures(entries, where):
    """Check {indicator key: {numerator, denominator, denominator_source}}."""
    if not isinstance(entries, dict) or len(entries) > 64:
        raise _refuse("format", f"{where}: số liệu chỉ số không đúng dạng.")
    for key, entry in entries.items():
        if not KEY_RE.match(key) or not isinstance(entry, dict) or \
                set(entry) != {"numerator", "denominator", "denominator_source"}:
            raise _refuse("format", f"{where}, chỉ số “{key[:40]}”: không đúng dạng.")
        if not (_count(entry["numerator"]) and _count(entry["denominator"])) \
                or not isinstance(entry["denominator_source"], str) \
                or entry["denominator_source"] not in SOURCES:
            raise _refuse("format", f"{where}, chỉ số “{key}”: tử số, mẫu số phải là số "
                                    "nguyên không âm và nguồn mẫu số phải hợp lệ.")


def _check(rollup):
    """Raise BatchRejected unless `rollup` has exactly the roll-up's fields and types."""
    if not isinstance(rollup, dict) or rollup.get("format") != FORMAT:
        raise _refuse("format", "Đây không phải tệp số liệu tổng hợp (roll-up) của fieldapp.")
    if rollup.get("version") != VERSION:
        raise _refuse("version", "Phiên bản tệp số liệu tổng hợp không được hỗ trợ.")
    if set(rollup) != FIELDS:
        extra = sorted(set(rollup) - FIELDS)[:5] or sorted(FIELDS - set(rollup))[:5]
        raise _refuse("format", "Tệp số liệu tổng hợp có trường lạ hoặc thiếu trường: "
                                + ", ".join(str(k)[:40] for k in extra) + ".")
    site = rollup["site"]
    if not (isinstance(rollup["commune_code"], str) and CODE_RE.match(rollup["commune_code"])
            and isinstance(rollup["province_code"], str)
            and CODE_RE.match(rollup["province_code"])):
        raise _refuse("commune", "Mã xã hoặc mã tỉnh không hợp lệ.")
    if not isinstance(site, dict) or set(site) != {"id", "public_key"} or \
            not isinstance(site["id"], str) or len(site["id"]) != 36 or \
            not keys.valid_public_key(site["public_key"]):
        raise _refuse("key", "Thông tin máy gửi (khóa công khai) không hợp lệ.")
    _check_made(rollup["as_of"], rollup["created_at"])
    if not isinstance(rollup["rollup_id"], str) or len(rollup["rollup_id"]) != 36:
        raise _refuse("format", "Mã tệp số liệu tổng hợp không hợp lệ.")
    if not _name(rollup["commune_name"]):
        raise _refuse("format", "Tên xã không hợp lệ.")
    _check_campaign(rollup["campaign"])
    numbers = {p["period"] for p in rollup["campaign"]["periods"]}
    villages = rollup["villages"]
    if not isinstance(villages, list) or len(villages) > 200:
        raise _refuse("format", "Danh sách thôn không đúng dạng.")
    seen = set()
    for village in villages:
        if not isinstance(village, dict) or set(village) != {"id", "name", "adult_population",
                                                             "periods"}:
            raise _refuse("format", "Một thôn trong tệp không đúng dạng.")
        vid = village["id"]
        if not isinstance(vid, str) or not VILLAGE_RE.match(vid) or vid in seen:
            raise _refuse("format", "Mã thôn không hợp lệ hoặc bị lặp.")
        seen.add(vid)
        if not _name(village["name"]):
            raise _refuse("format", f"Tên thôn {vid} không hợp lệ.")
        if village["adult_population"] is not None and not _count(village["adult_population"]):
            raise _refuse("format", f"Số người trưởng thành của {vid} không hợp lệ.")
        _periods(village["periods"], numbers, f"Thôn {vid}")
    _periods(rollup["procedures"], numbers, "Hồ sơ thủ tục", procedures=True)


def _day(value):
    """The date a "YYYY-MM-DD" string names, or None (not a string, not a real day)."""
    if not isinstance(value, str) or not DAY_RE.match(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _check_made(as_of, created_at):
    """`as_of` a real day and `created_at` a real time with its zone, neither far ahead of
    this laptop's clock: a roll-up from a laptop whose clock runs years ahead
    would otherwise stand as the newest of its commune for ever."""
    day = _day(as_of)
    made = None
    if isinstance(created_at, str) and len(created_at) <= 40:
        try:
            made = datetime.datetime.fromisoformat(created_at)
        except ValueError:
            made = None
    if day is None or made is None or made.tzinfo is None:
        raise _refuse("format", "Ngày tính số liệu (as_of) hoặc giờ lập tệp (created_at) "
                                "không hợp lệ.")
    now = datetime.datetime.now(datetime.timezone.utc)
    # a day is Vietnam's (UTC+7) while `now` is UTC: two days of margin for the day
    if day > (now + datetime.timedelta(days=2)).date() or made > now + datetime.timedelta(days=1):
        raise _refuse("clock", "Tệp số liệu tổng hợp ghi ngày trong tương lai: hãy chỉnh "
                               "đồng hồ của máy xã rồi lập lại tệp.")


def _check_campaign(campaign):
    if not isinstance(campaign, dict) or set(campaign) != {"start", "end", "period_kind",
                                                            "periods"}:
        raise _refuse("format", "Thông tin chiến dịch không đúng dạng.")
    if _day(campaign["start"]) is None or _day(campaign["end"]) is None:
        raise _refuse("format", "Ngày bắt đầu hoặc kết thúc chiến dịch không hợp lệ.")
    if campaign["period_kind"] not in ("week", "month") or \
            not isinstance(campaign["periods"], list) or len(campaign["periods"]) > 120:
        raise _refuse("format", "Các tuần/tháng của chiến dịch không đúng dạng.")
    for period in campaign["periods"]:
        if not isinstance(period, dict) or set(period) != {"period", "start", "end"} or \
                type(period["period"]) is not int or not all(
                    _day(period[d]) for d in ("start", "end")):
            raise _refuse("format", "Một tuần/tháng của chiến dịch không đúng dạng.")


def _periods(periods, numbers, where, procedures=False):
    if not isinstance(periods, list) or len(periods) > 120:
        raise _refuse("format", f"{where}: danh sách tuần/tháng không đúng dạng.")
    for entry in periods:
        if not isinstance(entry, dict) or set(entry) != {"period", "complete", "indicators"} \
                or type(entry["period"]) is not int or entry["period"] not in numbers \
                or type(entry["complete"]) is not bool:
            raise _refuse("format", f"{where}: một tuần/tháng không đúng dạng.")
        _figures(entry["indicators"], f"{where}, kỳ {entry['period']}")


def read_rollup(raw, limit=MAX_ROLLUP_BYTES, box_dir=None):
    """The checked, signature-verified roll-up in `raw` (JSON, gzip, or sealed for the key
    of the site in `box_dir`); raise BatchRejected naming the problem. Key pinning is the
    importer's job."""
    return read_rollup_json(raw, limit, box_dir)[0]


def read_rollup_json(raw, limit=MAX_ROLLUP_BYTES, box_dir=None):
    """(roll-up, its JSON bytes as received, inflated): read_rollup, and the bytes an
    importer can keep as they are (they parse back to the very roll-up checked)."""
    if len(raw) > limit:
        raise BatchTooLarge("too_large", f"Tệp số liệu tổng hợp quá lớn (quá "
                                         f"{limit // (1024 * 1024)} MB): không nhận.")
    raw = bytes(raw)
    if crypto.is_sealed(raw):           # sealed for the province (sync.crypto), gzip inside
        if box_dir is None:
            raise _refuse("encrypted", "Tệp số liệu tổng hợp đã được mã hóa: chỉ máy của "
                                       "tỉnh mở được.")
        raw = crypto.open_sealed(box_dir, raw, at="province")
    if raw[:2] == b"\x1f\x8b":
        raw = decompress(raw, limit)
    try:
        rollup = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _refuse("not_json", "Tệp số liệu tổng hợp không phải JSON hợp lệ.") from None
    _check(rollup)
    if not keys.verify(rollup["site"]["public_key"], _payload(rollup), rollup["signature"]):
        raise _refuse("signature", "Chữ ký của tệp số liệu tổng hợp không đúng: tệp đã bị "
                                   "sửa hoặc không phải do máy của xã tạo ra.")
    return rollup, raw
