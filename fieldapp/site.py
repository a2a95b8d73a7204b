"""A site's data directory: settings, users, tokens and the record store.

    DATA/settings.json   site settings (commune, villages, campaign, targets)
    DATA/meta.json       TinyDB: users, tokens, login cards, and whatever sync keeps
    DATA/records/*.json  TinyDB: every record version (storage.RecordStore)
    DATA/secret_key      Flask session key      DATA/site_key.pem  Ed25519 site key
"""
import json
import os
import secrets
import uuid

from fieldapp.forms.erasure import deidentify_version
from fieldapp.forms.errors import Conflict, Invalid
from storage import FileLock, RecordStore, open_tinydb
from storage.durable import atomic_write_bytes, remove_stray_temp_files

__all__ = ["Site", "SiteMissing", "init_site", "init_province_site", "commune_name",
           "province_communes", "create_site_files", "write_json"]


class SiteMissing(Exception):
    """The data directory has not been initialised."""


class Site:
    """Everything stored in one data directory, opened once per process."""

    def __init__(self, data_dir):
        self.data_dir = os.path.abspath(data_dir)
        settings_path = os.path.join(self.data_dir, "settings.json")
        if not os.path.exists(settings_path):
            raise SiteMissing(f"{self.data_dir} is not a fieldapp data directory: run init")
        # what a process killed in the middle of a write left behind
        remove_stray_temp_files(self.data_dir)
        self.lock = FileLock(os.path.join(self.data_dir, ".lock"))
        # a record keeps its type and village for life: the store refuses a change; ties
        # are broken so that an erasure never reorders a history
        self.store = RecordStore(self.data_dir, lock=self.lock, fixed=("type", "village_id"),
                                 stable_under=deidentify_version)
        self.meta = open_tinydb(os.path.join(self.data_dir, "meta.json"))
        # meta (users, tokens) has its own lock so sign-ins never wait on record writes
        self.meta_lock = FileLock(os.path.join(self.data_dir, ".meta.lock"))
        self._settings_path = settings_path
        self._settings_mtime = None
        self._settings = None

    @property
    def settings(self):
        """The site settings, re-read only when the file changed."""
        mtime = os.stat(self._settings_path).st_mtime_ns
        if mtime != self._settings_mtime:
            with open(self._settings_path, encoding="utf-8") as handle:
                self._settings = json.load(handle)
            self._settings_mtime = mtime
        return self._settings

    def save_settings(self, settings):
        """Replace the settings atomically."""
        with self.lock:
            write_json(self._settings_path, settings)
        self._settings_mtime = None

    def update_settings(self, change):
        """Apply `change(settings)` to the current settings and save, all under the lock,
        so that two changes made at once never overwrite each other."""
        with self.lock:
            self._settings_mtime = None
            settings = json.loads(json.dumps(self.settings))
            change(settings)
            write_json(self._settings_path, settings)
            self._settings_mtime = None
        return settings

    @property
    def kind(self):
        """'village', 'commune' or 'province'."""
        return self.settings["site"]

    @property
    def village_ids(self):
        """The ids of the villages this site holds."""
        return [v["id"] for v in self.settings.get("villages", [])]

    def village(self, village_id):
        """The settings of one village, or None."""
        return next((v for v in self.settings.get("villages", []) if v["id"] == village_id), None)

    def table(self, name):
        """A TinyDB table of the meta database."""
        return self.meta.table(name)

    def secret_key(self):
        """The Flask session key, made at init."""
        with open(os.path.join(self.data_dir, "secret_key"), encoding="ascii") as handle:
            return handle.read().strip()

    def close(self):
        """Close the meta database."""
        self.meta.close()


def write_json(path, value):
    """Write a JSON file atomically, human-readable."""
    atomic_write_bytes(path, json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8"))


def create_site_files(data_dir, settings):
    """Initialise a data directory with its settings and a session key."""
    os.makedirs(data_dir, exist_ok=True)
    os.chmod(data_dir, 0o700)
    write_json(os.path.join(data_dir, "settings.json"), settings)
    atomic_write_bytes(os.path.join(data_dir, "secret_key"),
                       secrets.token_hex(32).encode("ascii"))


def commune_name(code):
    """The official name of a commune (ward) code, with its province; raise Invalid."""
    from vietnam_provinces import Province, Ward
    try:
        ward = Ward.from_code(int(code))
    except (ValueError, TypeError):
        raise Invalid(f"--commune: {code} không phải mã xã/phường chính thức.") from None
    return ward.name, Province.from_code(ward.province_code).name


def init_site(data_dir, site_kind, commune, villages, start, end, period_kind="week"):
    """Create a data directory: settings, session key, Ed25519 site key and, at a commune,
    the X25519 key that villages seal batch files for."""
    from fieldapp.indicators.definitions import DEFAULT_TARGETS
    from fieldapp.indicators.periods import monthly_periods, weekly_periods
    from sync.crypto import create_box_key
    from sync.keys import create_site_key
    if os.path.exists(os.path.join(data_dir, "settings.json")):
        raise Conflict(f"{data_dir} đã được khởi tạo.")
    name, province = commune_name(commune)
    make = monthly_periods if period_kind == "month" else weekly_periods
    settings = {
        "site": site_kind, "site_id": str(uuid.uuid4()),
        "site_name": villages[0]["name"] if site_kind == "village" else name,
        "commune_code": str(int(commune)), "commune_name": name, "province_name": province,
        "villages": villages, "adult_age": 18, "targets": dict(DEFAULT_TARGETS),
        "campaign": {"name": f"Chiến dịch dịch vụ công trực tuyến {name}",
                     "start": start.isoformat(), "end": end.isoformat(),
                     "period_kind": "month" if period_kind == "month" else "week",
                     "periods": [p.as_json() for p in make(start, end)]},
        "wifi": {"ssid": "", "password": ""},
    }
    create_site_files(data_dir, settings)
    create_site_key(data_dir)
    if site_kind == "commune":        # the key villages seal batches for (sync.crypto)
        create_box_key(data_dir)
    return settings


def province_communes(code):
    """(province name, [{code, name}] of its communes and wards, official list); raise
    Invalid for a code that is no province."""
    from vietnam_provinces import Province, Ward
    try:
        province = Province.from_code(int(code))
    except (ValueError, TypeError):
        raise Invalid(f"--province: {code} không phải mã tỉnh/thành phố chính thức.") from None
    wards = sorted(Ward.iter_by_province(province.code), key=lambda w: w.name)
    return province.name, [{"code": str(int(w.code)), "name": w.name} for w in wards]


def init_province_site(data_dir, province, start, end, period_kind="week"):
    """Create a province data directory: its communes from the official list, the
    campaign's periods and default targets (per commune targets are set later), a session
    key and the site key. A province holds no records: only its communes' roll-ups."""
    from fieldapp.indicators.definitions import DEFAULT_TARGETS
    from fieldapp.indicators.periods import monthly_periods, weekly_periods
    from sync.keys import create_site_key
    if os.path.exists(os.path.join(data_dir, "settings.json")):
        raise Conflict(f"{data_dir} đã được khởi tạo.")
    name, communes = province_communes(province)
    make = monthly_periods if period_kind == "month" else weekly_periods
    settings = {
        "site": "province", "site_id": str(uuid.uuid4()), "site_name": name,
        "province_code": str(int(province)), "province_name": name,
        "communes": [dict(c, targets={}) for c in communes], "villages": [],
        "targets": dict(DEFAULT_TARGETS),
        "campaign": {"name": f"Chiến dịch dịch vụ công trực tuyến {name}",
                     "start": start.isoformat(), "end": end.isoformat(),
                     "period_kind": period_kind,
                     "periods": [p.as_json() for p in make(start, end)]},
    }
    create_site_files(data_dir, settings)
    create_site_key(data_dir)
    from sync.crypto import create_box_key
    create_box_key(data_dir)             # what the communes seal their roll-ups for
    return settings
