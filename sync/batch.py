"""The batch format of SPEC §7: canonical bytes, signing, reading and the checks (the
header's own rules and the senders' limits are in sync.header).

A batch is signed over the canonical JSON of every field but `signature`. Canonical JSON
sorts keys, so the records' canonical bytes sit whole inside that payload: we serialise
the records once (for their hash) and build the signed payload around them. On import,
msgspec splits the file into its fields without parsing the records: the hash and the
signature are checked over the records' bytes as written (canonical in a file
`batch_bytes` wrote), or, when those do not match, over the parsed records serialised
canonically. The importer may decode the records' bytes into checked versions in one
typed pass (`fieldapp.forms.typed`).
The other fields, and records the importer does not decode, are parsed with orjson; what
it refuses (NaN, lone surrogates, deep nesting, bad UTF-8) goes to json, which words the
error or reads it as before. orjson reads an integer past 64 bits as a float: no valid
batch holds one (every integer field is range-checked), so such a batch is refused
either way.
"""
import gzip
import hashlib
import json
import os
import re
import unicodedata
import zlib
from typing import NamedTuple

import msgspec
import orjson

from storage.canonical import canonical_json
from sync import keys
from sync.errors import BatchRejected, BatchTooLarge
from sync.header import (FIELDS, FILE_LIMITS, FORMAT, MB, OPTIONAL_FIELDS, PUSH_LIMITS,
                         UPLOAD_LIMITS, VERSION, check_header)

# FORMAT, VERSION and the limits are sync.header's, named here too for the importers
__all__ = ["FORMAT", "VERSION", "records_bytes", "signed_payload", "sign_batch",
           "batch_bytes", "Read", "read_batch", "check_batch", "open_batch_file",
           "gzip_bytes", "PUSH_LIMITS", "UPLOAD_LIMITS", "FILE_LIMITS",
           "MAX_CHECKED_ONE_BY_ONE", "decompress"]

MAX_HEADER_BYTES = 64 * 1024        # every field but records: site.village_ids is the longest
MAX_ERASURES_BYTES = 16 * MB        # the erasures field (ids only), apart from the header
# Parsing JSON generically costs up to ~80 bytes of Python objects per value (28x for
# `{},`): the records are parsed so, to be checked one by one, only when they hold fewer
# values than this (counted as the `,` `:` `{` `[` of their bytes, an upper bound).
MAX_CHECKED_ONE_BY_ONE = 1_500_000


def records_bytes(records):
    """The canonical JSON bytes of the records list (C-speed when already NFC)."""
    text = json.dumps(records, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False)
    # JSON quotes are starters that compose with nothing, so an NFC text has NFC strings
    if unicodedata.is_normalized("NFC", text):
        return text.encode("utf-8")
    return canonical_json(records)


def _split(fields):
    """(before, after): canonical pieces of the non-record fields around `"records":`."""
    before = {k: v for k, v in fields.items() if k < "records"}
    after = {k: v for k, v in fields.items() if k > "records"}
    head = canonical_json(before)[:-1] + (b"," if before else b"") + b'"records":'
    tail = b"," + canonical_json(after)[1:] if after else b"}"
    return head, tail


def signed_payload(batch, records_canonical):
    """The bytes the signature covers: canonical JSON of every field but `signature`."""
    fields = {k: v for k, v in batch.items() if k not in ("records", "signature")}
    head, tail = _split(fields)
    return b"".join((head, records_canonical, tail))


def sign_batch(fields, records, private_key):
    """A complete batch: `fields` plus records, their count and hash, and the signature."""
    body = records_bytes(records)
    batch = dict(fields, record_count=len(records),
                 records_sha256=hashlib.sha256(body).hexdigest(), records=records)
    batch["signature"] = keys.sign(private_key, signed_payload(batch, body))
    return batch


def batch_bytes(batch):
    """The canonical JSON file content of a whole batch (signature included)."""
    fields = {k: v for k, v in batch.items() if k != "records"}
    head, tail = _split(fields)
    return head + records_bytes(batch["records"]) + tail


# -- reading -------------------------------------------------------------------

def _too_large(limit, what):
    return BatchTooLarge("too_large", f"Lô dữ liệu quá lớn{what} (quá {limit // MB} MB): "
                                      "không nhận.")


def decompress(raw, limit):
    """Inflate a gzip file, refusing what is cut short or would inflate past `limit` bytes
    (it stops there: a small file that inflates to gigabytes costs `limit` bytes)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise BatchRejected("not_json", "Tệp nén .gz bị hỏng, không giải nén được.") from None
    if len(out) > limit:
        raise _too_large(limit, " sau khi giải nén")
    if not inflater.eof:
        raise BatchRejected("truncated", "Tệp nén .gz bị cắt cụt (chép chưa hết?).")
    return out


class Read(NamedTuple):
    """A batch as read_batch found it."""
    batch: dict
    body: memoryview | None         # the records' bytes exactly as the file has them
    decoded: bool                   # batch["records"] came from `decode_records`


def read_batch(data, decode_records=None, limits=FILE_LIMITS, commune_code=None):
    """Parse a batch from bytes (plain or gzip) or take a dict: a Read.

    Nothing past `limits` (this sender's) is inflated or parsed. With `commune_code`, the
    other fields are checked (check_header) before the records are decoded.
    `decode_records(body, batch)` may turn the records' bytes into checked versions or
    answer None (`batch`: the other fields). Records it does not take are parsed
    generically only when that is cheap enough (MAX_CHECKED_ONE_BY_ONE).
    """
    if isinstance(data, dict):
        return Read(data, None, False)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BatchRejected("format", "Không phải lô dữ liệu fieldapp.")
    raw = bytes(data)
    if raw[:2] == b"\x1f\x8b":
        raw = decompress(raw, limits.bytes)
    elif len(raw) > limits.bytes:
        raise _too_large(limits.bytes, "")
    if not raw or raw.isspace():            # (not strip(): no copy of a large file)
        raise BatchRejected("empty", "Tệp rỗng: không có lô dữ liệu nào.")
    split, why = _split_fields(raw, decode_records, limits, commune_code)
    if split is not None:
        return split
    if _values(raw) > MAX_CHECKED_ONE_BY_ONE:
        raise _unreadable(why)
    return Read(_parse(raw), None, False)


def _values(data):
    """An upper bound of the JSON values and keys in `data` (C speed, no copy)."""
    return sum(map(data.count, (b",", b":", b"{", b"[")))


def _unreadable(why):
    """BatchRejected for a large file msgspec could not split (`why`: its error), without
    parsing it generically to word the problem."""
    if "truncated" in why:
        return BatchRejected("truncated", "Tệp bị cắt cụt: nội dung JSON kết thúc giữa "
                                          "chừng (chép chưa hết?).")
    if why.startswith("Expected `object`"):
        return BatchRejected("format", "Đây không phải lô dữ liệu fieldapp "
                                       "(tệp JSON của chương trình khác?).")
    where = re.search(r"\(byte (\d+)\)", why)
    return BatchRejected("not_json", "Tệp không phải JSON hợp lệ"
                         + (f" (vị trí {where.group(1)})." if where else "."))


def _fields_struct(strict):
    """A msgspec struct of a batch's fields as raw JSON (b"" when absent): the records are
    not parsed, and unknown fields are refused (strict) or skipped unparsed."""
    return msgspec.json.Decoder(msgspec.defstruct(
        "BatchFields", [(name, msgspec.Raw, msgspec.Raw(b""))
                        for name in FIELDS + OPTIONAL_FIELDS],
        forbid_unknown_fields=strict))


_FIELDS, _ANY_FIELDS = _fields_struct(True), _fields_struct(False)
_UNKNOWN = re.compile(r"Object contains unknown field `(.*)`\Z", re.S)


def _split_fields(raw, decode_records, limits, commune_code):
    """(read_batch's Read for a JSON object whose parts orjson takes, else None; msgspec's
    or orjson's error): the fields but `records` parsed and, with `commune_code`, checked,
    the records decoded by `decode_records` when it can."""
    extra = []
    try:
        try:
            parts = _FIELDS.decode(raw)
        except msgspec.ValidationError as error:
            unknown = _UNKNOWN.match(str(error))
            if unknown is None:
                raise
            extra = [unknown.group(1)[:40]]       # the first one names the problem
            parts = _ANY_FIELDS.decode(raw)
        header = {name: memoryview(getattr(parts, name)) for name in FIELDS + OPTIONAL_FIELDS
                  if name != "records"}
        header = {name: value for name, value in header.items() if len(value)}
        if sum(len(v) for k, v in header.items() if k != "erasures") > MAX_HEADER_BYTES \
                or len(header.get("erasures", b"")) > MAX_ERASURES_BYTES:
            raise BatchRejected("format", "Phần đầu của lô quá lớn: đây không phải lô dữ "
                                          "liệu fieldapp.")
        batch = {name: orjson.loads(value) for name, value in header.items()}
    except ValueError as error:  # msgspec's and orjson's errors, bad UTF-8 included
        return None, str(error)  # not JSON, not an object, or what only json reads or words
    except RecursionError:
        raise BatchRejected("format", "Tệp có phần lồng nhau quá sâu: đây không phải lô dữ "
                                      "liệu fieldapp.") from None
    batch.update(dict.fromkeys(extra))
    body = memoryview(parts.records)
    if not len(body):
        if commune_code is not None:
            check_header(batch, commune_code, limits)
        return Read(batch, None, False), ""
    if commune_code is not None:         # before the records cost anything
        check_header(dict(batch, records=[] if body[:1] == b"[" else None), commune_code,
                     limits)
    if decode_records is not None:
        records = decode_records(body, batch)
        if records is not None:
            batch["records"] = records
            return Read(batch, body, True), ""
    if _values(raw) > MAX_CHECKED_ONE_BY_ONE:
        raise BatchRejected(
            "records", "Lô có bản ghi không hợp lệ hoặc chưa chuẩn hóa, và lô quá lớn để kiểm "
                       "tra từng bản ghi. Cả lô bị từ chối, chưa lưu gì: hãy xuất lại lô "
                       "bằng fieldapp ở máy của thôn.")
    try:
        batch["records"] = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        return None, str(error)
    return Read(batch, body, False), ""


def _parse(raw):
    """The parsed batch of what the faster readers did not take; json words the errors."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass                          # json below words what is wrong (or takes what it takes)
    try:
        batch = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BatchRejected("not_json", "Tệp không phải văn bản UTF-8: có thể đã bị hỏng.") from None
    except (ValueError, RecursionError) as error:
        where = f" (vị trí {error.pos})" if hasattr(error, "pos") else ""
        cut = isinstance(error, json.JSONDecodeError) and (
            error.pos >= len(error.doc.rstrip()) - 1 or error.msg.startswith("Unterminated string"))
        if cut:
            raise BatchRejected("truncated", "Tệp bị cắt cụt: nội dung JSON kết thúc "
                                             "giữa chừng (chép chưa hết?).") from None
        raise BatchRejected("not_json", f"Tệp không phải JSON hợp lệ{where}.") from None
    if _LONE_SURROGATE.search(raw) and not _utf8_clean(batch):     # json takes "\ud800"
        raise BatchRejected("not_json", "Tệp có ký tự không hợp lệ (không lưu được dạng "
                                        "UTF-8): có thể đã bị hỏng.")
    return batch


_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")      # an escape that may be a surrogate


def _utf8_clean(batch):
    """Whether every string of a parsed batch can be written as UTF-8 (no lone surrogate)."""
    try:
        json.dumps(batch, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True


def check_batch(batch, body, commune_code):
    """Checks 1–4 of SPEC §7 in order (format and version, commune code, record count and
    hash, signature); raise BatchRejected. Return the payload checked.

    `body`: the records' bytes as written, if known. The site key's pinning and the
    records are checked by the importer, which knows the stored state.
    """
    check_header(batch, commune_code)
    records = batch["records"]
    if batch["record_count"] != len(records):
        raise BatchRejected("count", f"Số bản ghi không khớp: lô ghi {batch['record_count']} "
                                     f"nhưng có {len(records)} bản ghi.")
    mismatch = BatchRejected("hash", "Mã băm bản ghi không khớp: dữ liệu đã bị thay đổi "
                                     "hoặc hỏng.")
    if body is None or hashlib.sha256(body).hexdigest() != batch["records_sha256"]:
        try:                      # not as fieldapp writes them: their canonical bytes, then
            body = records_bytes(records)
        except (TypeError, ValueError, RecursionError):
            raise mismatch from None
        if hashlib.sha256(body).hexdigest() != batch["records_sha256"]:
            raise mismatch
    payload = signed_payload(batch, body)
    if not keys.verify(batch["site"]["public_key"], payload, batch["signature"]):
        raise BatchRejected("signature", "Chữ ký của lô không đúng: lô đã bị sửa sau khi "
                                         "xuất, hoặc không phải do trạm này ký.")
    return payload


def open_batch_file(path, limits=FILE_LIMITS):
    """The bytes of a batch file (gzip is detected by content, not by name); raise
    BatchTooLarge, reading nothing, for a file larger than any batch `limits` let in."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > limits.bytes:
            raise _too_large(limits.bytes, "")
        return handle.read(limits.bytes + 1)


def gzip_bytes(payload):
    """Gzip bytes with a deterministic header (no name, no time)."""
    return gzip.compress(payload, compresslevel=6, mtime=0)
