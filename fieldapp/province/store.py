"""What a province keeps: the newest roll-up of each of its communes (SPEC §7a).

DATA/rollups/<commune code>.json holds a commune's newest roll-up whole, as it arrived;
meta's `rollup_receipts` notes each one kept (when it came), and the first receipt of a
commune pins the key it signs with. A newer roll-up replaces the older file whole
(figures a commune no longer sends are gone, never left over); the same roll-up twice,
or an older one arriving late, changes nothing.
"""
import datetime
import os
from dataclasses import asdict, dataclass

import orjson

from fieldapp.forms.errors import FieldappError
from storage.durable import atomic_write_bytes
from sync import keys
from sync.errors import BatchRejected
from sync.rollup import read_rollup_json

__all__ = ["RollupReceipt", "import_rollup", "stored_rollups", "receipts", "ROLLUP_DIR"]

ROLLUP_DIR = "rollups"
RECEIPTS = "rollup_receipts"


@dataclass
class RollupReceipt:
    """What importing one roll-up did."""
    commune_code: str
    commune_name: str
    rollup_id: str
    as_of: str
    outcome: str                  # "new", "replaced", "same", "older"
    fingerprint: str

    def as_json(self):
        return asdict(self)

    def summary(self):
        """One Vietnamese line for people."""
        from fieldapp.forms.text import vn_date
        what = f"số liệu của {self.commune_name} tính đến {vn_date(self.as_of)}"
        return {"new": f"Đã nhận {what}.",
                "replaced": f"Đã nhận {what}: thay cho số liệu cũ hơn của xã.",
                "same": f"Tệp này ({what}) đã được nhận trước đây; không có gì thay đổi.",
                "older": f"Đã có số liệu mới hơn của {self.commune_name}; tệp cũ hơn này "
                         "không được dùng."}[self.outcome]


def _path(site, code):
    return os.path.join(site.data_dir, ROLLUP_DIR, f"{code}.json")


def _order(rollup):
    """Which of two roll-ups of a commune is newer: the later date of its figures, then
    the later making (a commune that reprints a week replaces it)."""
    return rollup["as_of"], rollup["created_at"], rollup["rollup_id"]


def _read(path):
    try:
        with open(path, "rb") as handle:
            return orjson.loads(handle.read())
    except FileNotFoundError:
        return None


def import_rollup(site, raw, authorize=None):
    """Check a roll-up file's bytes (JSON, gzip, or sealed for this province's key) and
    keep it if it is the commune's newest; return the RollupReceipt or raise
    BatchRejected (nothing stored). `authorize(rollup)` may refuse a checked roll-up
    before anything is stored (a commune's token posting another commune's figures), or
    return what to do once it is taken (still under the lock)."""
    if site.kind != "province":
        raise FieldappError("Chỉ máy của tỉnh nhận số liệu tổng hợp của các xã.")
    rollup, body = read_rollup_json(raw, box_dir=site.data_dir)
    settings = site.settings
    if rollup["province_code"] != settings["province_code"]:
        raise BatchRejected("province", f"Tệp này của một xã thuộc tỉnh khác (mã "
                                        f"{rollup['province_code']}), không phải "
                                        f"{settings['province_name']}.")
    communes = {c["code"]: c["name"] for c in settings.get("communes", [])}
    code = rollup["commune_code"]
    if code not in communes:
        raise BatchRejected("commune", f"Xã mã {code} không thuộc danh sách xã của "
                                       f"{settings['province_name']}.")
    key = rollup["site"]["public_key"]
    receipt = dict(commune_code=code, commune_name=communes[code],
                   rollup_id=rollup["rollup_id"], as_of=rollup["as_of"],
                   fingerprint=keys.fingerprint(key))
    os.makedirs(os.path.join(site.data_dir, ROLLUP_DIR), exist_ok=True)
    with site.lock:                       # one import of a commune at a time, whole
        # under the lock: a token revoked meanwhile counts; what authorize returns is done
        # once the roll-up is taken, before another import can check the same token
        taken = authorize(rollup) if authorize is not None else None
        outcome = _keep(site, rollup, body, communes[code])
        if taken is not None:
            taken()
    return RollupReceipt(outcome=outcome, **receipt)


def _keep(site, rollup, body, name):
    """Under the site's lock: keep a checked roll-up if it is its commune's newest;
    return the outcome ("new", "replaced", "same", "older") or raise BatchRejected for
    a key that is not the one the commune's first roll-up pinned."""
    code, key = rollup["commune_code"], rollup["site"]["public_key"]
    kept = receipts(site, code)
    pinned = kept[0]["public_key"] if kept else None      # the key seen first
    if pinned is not None and pinned != key:
        raise BatchRejected("key", f"Tệp của {name} được ký bằng một khóa "
                                   f"khác khóa đã biết (dấu vân tay "
                                   f"{keys.fingerprint(key)}, đã biết "
                                   f"{keys.fingerprint(pinned)}): không nhận. Nếu xã "
                                   "đã thay máy, hãy hỏi xã.")
    current = _read(_path(site, code))
    if current is not None and current["rollup_id"] == rollup["rollup_id"]:
        return "same"
    if current is not None and _order(current) > _order(rollup):
        return "older"
    # the receipt first: when it came (how late a commune reported) and, on first
    # sight, the key it pins; a crash before the file leaves a harmless receipt
    with site.meta_lock:
        site.table(RECEIPTS).insert({
            "commune_code": code, "rollup_id": rollup["rollup_id"],
            "as_of": rollup["as_of"], "public_key": key,
            "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds")})
    atomic_write_bytes(_path(site, code), body)
    return "replaced" if current else "new"


def stored_rollups(site):
    """{commune code: its newest roll-up} of a province site."""
    out = {}
    folder = os.path.join(site.data_dir, ROLLUP_DIR)
    for code in (c["code"] for c in site.settings.get("communes", [])):
        rollup = _read(os.path.join(folder, f"{code}.json"))
        if rollup is not None:
            out[code] = rollup
    return out


def receipts(site, commune_code=None):
    """[{commune_code, rollup_id, as_of, public_key, received_at}] of every roll-up kept
    on arrival (of one commune), in the order they came."""
    with site.meta_lock:
        rows = site.table(RECEIPTS).all()
    return [dict(r) for r in rows if commune_code is None or r["commune_code"] == commune_code]
