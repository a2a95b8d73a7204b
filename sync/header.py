"""A batch's header (SPEC §7): every field but the records, the rules of their format,
and how large a batch each kind of sender may bring.

`check_header` runs checks 1-2 of SPEC §7 (format and version, commune code) and the
record count on a parsed batch, before anything is hashed or verified (sync.batch).
"""
import re
from typing import NamedTuple

from fieldapp.forms.rules import UUID_RE
from fieldapp.forms.versions import MAX_VILLAGES, UPDATED_AT_RE, VILLAGE_RE
from sync import erasures, keys
from sync.errors import BatchRejected, BatchTooLarge

__all__ = ["FORMAT", "VERSION", "FIELDS", "OPTIONAL_FIELDS", "SITE_FIELDS", "Limits", "MB",
           "PUSH_LIMITS", "UPLOAD_LIMITS", "FILE_LIMITS", "village_ids_valid", "format_errors",
           "check_header"]

FORMAT, VERSION = "fieldapp-batch", 1
FIELDS = ("format", "version", "batch_id", "commune_code", "site", "created_at", "since_seq",
          "until_seq", "record_count", "records_sha256", "records", "signature")
# fields a batch may lack: a batch made before they existed still imports
OPTIONAL_FIELDS = ("erasures",)        # sync.erasures: what the sending site erased
SITE_FIELDS = ("id", "name", "village_ids", "public_key")
HEX64_RE = re.compile(r"^[0-9a-f]{64}\Z")


class Limits(NamedTuple):
    """How large a batch one kind of sender may bring: its decompressed bytes and records."""
    bytes: int
    records: int


MB = 1024 * 1024
# a village's whole campaign is a few MB (bench/import.py: 19,000 versions, about 7 MB)
PUSH_LIMITS = Limits(32 * MB, 100_000)          # a village laptop's push token
UPLOAD_LIMITS = Limits(64 * MB, 500_000)        # staff over HTTP (the body is 4 MB at most)
FILE_LIMITS = Limits(256 * MB, 2_000_000)       # a file at the commune's own command line


def village_ids_valid(ids):
    """Whether a batch's site.village_ids is a list of 1 to MAX_VILLAGES distinct ids."""
    return (isinstance(ids, list) and 0 < len(ids) <= MAX_VILLAGES
            and all(isinstance(v, str) and VILLAGE_RE.match(v) for v in ids)
            and len(set(ids)) == len(ids))


def format_errors(batch):
    """Field-level problems of a parsed batch whose format and version are right."""
    errors = []
    missing = [f for f in FIELDS if f not in batch]
    extra = [str(f)[:40] for f in batch if f not in FIELDS + OPTIONAL_FIELDS]
    if missing:
        errors.append("thiếu trường " + ", ".join(missing))
    if extra:
        errors.append("có trường lạ " + ", ".join(extra))
    def bad(name, test):
        if name in batch and not test(batch[name]):
            errors.append(f"trường {name} không hợp lệ")
    is_int = lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0
    bad("batch_id", lambda v: isinstance(v, str) and UUID_RE.match(v))
    bad("commune_code", lambda v: isinstance(v, str) and v.isdigit() and len(v) <= 10)
    bad("created_at", lambda v: isinstance(v, str) and UPDATED_AT_RE.match(v))
    bad("since_seq", is_int)
    bad("until_seq", is_int)
    bad("record_count", is_int)
    bad("records_sha256", lambda v: isinstance(v, str) and HEX64_RE.match(v))
    bad("records", lambda v: isinstance(v, list))
    bad("signature", lambda v: isinstance(v, str) and len(v) <= 200)
    site = batch.get("site")
    if "site" in batch:
        if not isinstance(site, dict) or set(site) != set(SITE_FIELDS):
            errors.append("trường site phải có đúng: " + ", ".join(SITE_FIELDS))
        else:
            if not (isinstance(site["id"], str) and UUID_RE.match(site["id"])):
                errors.append("site.id phải là UUID")
            if not (isinstance(site["name"], str) and 0 < len(site["name"]) <= 120):
                errors.append("site.name không hợp lệ")
            if not village_ids_valid(site["village_ids"]):
                errors.append("site.village_ids phải là danh sách mã thôn")
            if not keys.valid_public_key(site["public_key"]):
                errors.append("site.public_key không phải khóa Ed25519")
    if "erasures" in batch:
        sender = site.get("village_ids") if isinstance(site, dict) else None
        errors += erasures.format_errors(batch["erasures"],
                                         sender if village_ids_valid(sender) else None)
    if is_int(batch.get("since_seq")) and is_int(batch.get("until_seq")) \
            and batch["until_seq"] < batch["since_seq"]:
        errors.append("until_seq nhỏ hơn since_seq")
    return errors


def check_header(batch, commune_code, limits=FILE_LIMITS):
    """Checks 1–2 of SPEC §7 (format and version, commune code) and the record count
    against `limits`, on a parsed batch; raise BatchRejected."""
    if not isinstance(batch, dict) or batch.get("format") != FORMAT:
        raise BatchRejected("format", "Đây không phải lô dữ liệu fieldapp "
                                      "(tệp JSON của chương trình khác?).")
    if batch.get("version") != VERSION:
        shown = str(batch.get("version"))[:20]
        raise BatchRejected("version", f"Phiên bản định dạng lô {shown} không được hỗ trợ "
                                       f"(máy này đọc phiên bản {VERSION}). Hãy cập nhật fieldapp.")
    errors = format_errors(batch)
    if errors:
        raise BatchRejected("format", "Lô dữ liệu sai định dạng: " + "; ".join(errors) + ".")
    if batch["commune_code"] != str(commune_code):
        raise BatchRejected("commune", f"Lô này của xã mã {batch['commune_code']}, "
                                       f"không phải xã này (mã {commune_code}).")
    if batch["record_count"] > limits.records:
        raise BatchTooLarge("too_large", f"Lô ghi {batch['record_count']:,} bản ghi, quá số "
                                         f"nhận một lần ({limits.records:,}): không nhận."
                            .replace(",", "."))
