"""What a province keeps: the newest roll-up of each of its communes (SPEC §7a).

DATA/rollups/<commune code>.json holds a commune's newest roll-up whole, exactly as it
arrived; the key each commune signs with is pinned in meta's `commune_keys` on first
sight. A newer roll-up replaces the older file whole (figures a commune no longer sends
are gone, never left over); the same roll-up twice, or an older one arriving late,
changes nothing.
"""
import os
from dataclasses import asdict, dataclass

import orjson
from tinydb import Query

from fieldapp.forms.errors import FieldappError
from storage.durable import atomic_write_bytes
from sync import keys
from sync.errors import BatchRejected
from sync.rollup import rollup_bytes, read_rollup

__all__ = ["RollupReceipt", "import_rollup", "stored_rollups", "ROLLUP_DIR"]

ROLLUP_DIR = "rollups"


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


def import_rollup(site, raw):
    """Check a roll-up file's bytes and keep it if it is the commune's newest; return the
    RollupReceipt or raise BatchRejected (nothing stored)."""
    if site.kind != "province":
        raise FieldappError("Chỉ máy của tỉnh nhận số liệu tổng hợp của các xã.")
    rollup = read_rollup(raw)
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
        with site.meta_lock:
            pins = site.table("commune_keys")
            pinned = pins.get(Query().commune_code == code)
            if pinned is not None and pinned["public_key"] != key:
                raise BatchRejected("key", f"Tệp của {communes[code]} được ký bằng một khóa "
                                           f"khác khóa đã biết (dấu vân tay "
                                           f"{keys.fingerprint(key)}, đã biết "
                                           f"{keys.fingerprint(pinned['public_key'])}): "
                                           "không nhận. Nếu xã đã thay máy, hãy hỏi xã.")
        current = _read(_path(site, code))
        if current is not None and current["rollup_id"] == rollup["rollup_id"]:
            return RollupReceipt(outcome="same", **receipt)
        if current is not None and _order(current) > _order(rollup):
            return RollupReceipt(outcome="older", **receipt)
        if pinned is None:
            with site.meta_lock:
                site.table("commune_keys").insert({"commune_code": code, "public_key": key})
        atomic_write_bytes(_path(site, code), rollup_bytes(rollup))
    return RollupReceipt(outcome="replaced" if current else "new", **receipt)


def stored_rollups(site):
    """{commune code: its newest roll-up} of a province site."""
    out = {}
    folder = os.path.join(site.data_dir, ROLLUP_DIR)
    for code in (c["code"] for c in site.settings.get("communes", [])):
        rollup = _read(os.path.join(folder, f"{code}.json"))
        if rollup is not None:
            out[code] = rollup
    return out
