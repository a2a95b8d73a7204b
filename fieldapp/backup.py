"""Backups of a data directory: a consistent copy while the server runs, and restore.

A backup is a .tar.gz holding every file of the data directory and a MANIFEST.json with
their SHA-256, encrypted with a passphrase (fieldapp.backup_box: scrypt and AES-256-GCM in
chunks), since it holds the site's private keys and the citizens' records. It is taken while holding the record and meta locks, so no write is
half in it. Restore streams the archive into a directory beside the target, refusing any member that
is not a data file of a site or is larger than one could be before reading it, checks it
whole there (manifest, hashes, every JSON parses), then swaps it in with renames; the old
directory is kept aside. A wrong passphrase is refused before anything is unpacked; a
changed or cut short file fails its chunk's authentication and nothing is swapped in.
Backups made before encryption (a bare .tar.gz) are refused unless the caller says
`unencrypted_legacy=True` (`fieldapp restore --unencrypted-legacy`).
"""
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib

import msgspec

from fieldapp.backup_box import (BoxError, DecryptingReader, EncryptingWriter, check_passphrase,
                                  is_encrypted)
from fieldapp.site import Site

__all__ = ["make_backup", "restore_backup", "BackupError", "MANIFEST"]

MANIFEST = "MANIFEST.json"
MAX_ARCHIVE = 2 * 1024 ** 3


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why, in Vietnamese."""


def _data_files(data_dir):
    """Relative paths of the files worth keeping (not locks, not temporary files)."""
    out = []
    for root, dirs, files in os.walk(data_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or ".tmp-" in name:
                continue
            out.append(os.path.relpath(os.path.join(root, name), data_dir))
    return out


def make_backup(data_dir, out_path, passphrase):
    """Write a consistent backup of `data_dir` to `out_path`, encrypted with `passphrase`;
    return the manifest. A passphrase too short is refused (BackupError) first."""
    try:
        check_passphrase(passphrase)
    except BoxError as error:
        raise BackupError(str(error)) from None
    site = Site(data_dir)
    with site.lock, site.meta_lock:      # no record or account write can be half-copied
        contents = {}
        for rel in _data_files(site.data_dir):
            with open(os.path.join(site.data_dir, rel), "rb") as handle:
                contents[rel] = handle.read()
    site.close()
    manifest = {"format": "fieldapp-backup", "version": 1,
                "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "site": json.loads(contents["settings.json"]).get("site_name"),
                "files": {rel: hashlib.sha256(data).hexdigest() for rel, data in contents.items()}}
    contents[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    directory = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".backup-")
    try:
        with os.fdopen(fd, "wb") as raw:
            sealed = EncryptingWriter(raw, passphrase)
            with tarfile.open(fileobj=sealed, mode="w|gz") as archive:
                for rel, data in sorted(contents.items()):
                    info = tarfile.TarInfo(rel)
                    info.size, info.mode = len(data), 0o600
                    archive.addfile(info, io.BytesIO(data))
            sealed.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return manifest


# what a data directory holds (see _data_files): anything else in an archive is refused
TOP_FILES = frozenset(("settings.json", "meta.json", "secret_key", "site_key.pem",
                       "commune_box.pem", "audit.log", "subject_requests.log"))
SEGMENT_RE = re.compile(r"records/[A-Za-z0-9][A-Za-z0-9_-]{0,79}\.\d{4,}\.json\Z")
HELD_RE = re.compile(r"held/[0-9a-f-]{36}\.batch\Z")      # batches of a new laptop (sync.held)
ROLLUP_RE = re.compile(r"rollups/\d{1,12}\.json\Z")       # a province's roll-ups (province.store)
MAX_MEMBER = 256 * 1024 ** 2        # a record segment holds 1,000 versions: well under 1 MB
MAX_UNPACKED = 4 * 1024 ** 3
CHUNK = 1024 * 1024


def _shown(name):
    """A member name fit for a message (control characters escaped, cut short)."""
    return repr(name)[1:-1][:80]


def _check_member(member, seen, total):
    """Refuse a member that is no data file of a site, or too large; before its content
    is read (the sizes are the ones its header declares)."""
    name = member.name
    if not member.isfile() or not (name in TOP_FILES or name == MANIFEST
                                   or SEGMENT_RE.match(name) or HELD_RE.match(name)
                                   or ROLLUP_RE.match(name)):
        raise BackupError(f"Tệp sao lưu chứa mục lạ, không phải dữ liệu fieldapp: "
                          f"{_shown(name)}. Không khôi phục gì.")
    if name in seen:
        raise BackupError(f"Tệp sao lưu có hai mục cùng tên {_shown(name)}. Không khôi phục gì.")
    if member.size > MAX_MEMBER or total + member.size > MAX_UNPACKED:
        raise BackupError(f"Mục {_shown(name)} trong tệp sao lưu lớn bất thường "
                          f"({member.size // 1024 ** 2} MB): không khôi phục gì.")


def _open_source(path, passphrase, unencrypted_legacy):
    """The archive's .tar.gz bytes as a file object: decrypted (the passphrase checked
    now), or a legacy unencrypted file when allowed. Size limits are checked first."""
    if not os.path.isfile(path):
        raise BackupError(f"Không tìm thấy tệp sao lưu {path}.")
    if os.path.getsize(path) > MAX_ARCHIVE:
        raise BackupError("Tệp sao lưu quá lớn.")
    raw = open(path, "rb")
    try:
        head = raw.read(16)
        raw.seek(0)
        if is_encrypted(head):
            if not passphrase:
                raise BackupError("Tệp sao lưu đã mã hóa: cần cụm mật khẩu để khôi phục.")
            return DecryptingReader(raw, passphrase), raw
        if head[:2] == b"\x1f\x8b" and not unencrypted_legacy:
            raise BackupError("Đây là tệp sao lưu cũ, không mã hóa. Chỉ khôi phục nó nếu biết "
                              "rõ nguồn gốc, bằng --unencrypted-legacy; rồi sao lưu lại "
                              "(có mã hóa) và xóa tệp cũ.")
        if not unencrypted_legacy:
            raise BackupError("Đây không phải tệp sao lưu của fieldapp.")
        return raw, raw
    except BoxError as error:
        raw.close()
        raise BackupError(str(error)) from None
    except BaseException:
        raw.close()
        raise


def _unpack(source, staging):
    """Write every member of a backup into `staging`, streamed; return (the manifest's
    bytes, {relative path: SHA-256 of what was written})."""
    manifest, digests, total = None, {}, 0
    try:
        with tarfile.open(fileobj=source, mode="r|gz") as archive:
            for member in archive:
                _check_member(member, digests.keys() | ({MANIFEST} if manifest is not None else set()),
                              total)
                total += member.size
                source = archive.extractfile(member)
                if member.name == MANIFEST:
                    manifest = source.read()
                    continue
                digests[member.name] = _write(source, os.path.join(staging, member.name))
    except BoxError as error:
        raise BackupError(str(error)) from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"Tệp sao lưu hỏng hoặc không phải tệp sao lưu: {error}") from None
    if manifest is None:
        raise BackupError("Tệp sao lưu không có bản kê (MANIFEST.json) hợp lệ.")
    return manifest, digests


def _write(source, target):
    """Copy a member's content to `target` in chunks, fsynced; return its SHA-256."""
    digest = hashlib.sha256()
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    return digest.hexdigest()


def _check_unpacked(manifest, digests, staging):
    """Refuse an unpacked backup that is not whole: the manifest, every hash, JSON files
    that parse (checked without building them: msgspec only scans), settings.json."""
    try:
        manifest = json.loads(manifest)
    except ValueError:
        raise BackupError("Tệp sao lưu không có bản kê (MANIFEST.json) hợp lệ.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != "fieldapp-backup" \
            or manifest.get("version") != 1 or not isinstance(manifest.get("files"), dict):
        raise BackupError("Đây không phải tệp sao lưu của fieldapp (phiên bản 1).")
    if set(manifest["files"]) != set(digests):
        raise BackupError("Danh sách tệp trong bản sao lưu không khớp bản kê.")
    for rel, digest in digests.items():
        if digest != manifest["files"][rel]:
            raise BackupError(f"Tệp {rel} trong bản sao lưu đã bị thay đổi hoặc hỏng.")
        if rel.endswith(".json"):
            with open(os.path.join(staging, rel), "rb") as handle:
                try:
                    msgspec.json.decode(handle.read(), type=msgspec.Raw)
                except msgspec.DecodeError:
                    raise BackupError(f"Tệp {rel} trong bản sao lưu không đọc được.") from None
    if "settings.json" not in digests:
        raise BackupError("Bản sao lưu thiếu settings.json.")


def restore_backup(path, data_dir, force=False, passphrase=None, unencrypted_legacy=False):
    """Restore a backup into `data_dir`; the previous directory is renamed aside.

    Returns the path the old directory was moved to (or None). Nothing is changed when the
    archive is not whole, the passphrase does not open it, or when `data_dir` holds a
    site and `force` is not given: the archive is unpacked beside it and checked before
    anything is swapped in.
    """
    data_dir = os.path.abspath(data_dir)
    if os.path.exists(os.path.join(data_dir, "settings.json")) and not force:
        raise BackupError(f"{data_dir} đang có dữ liệu; dùng --force để thay bằng bản sao lưu "
                          "(dữ liệu cũ được giữ lại bên cạnh).")
    source, raw = _open_source(path, passphrase, unencrypted_legacy)
    try:
        return _restore_from(source, data_dir)
    finally:
        raw.close()


def _restore_from(source, data_dir):
    parent = os.path.dirname(data_dir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".restore-")
    try:
        manifest, digests = _unpack(source, staging)
        try:        # the tar ends before the file does: read to its end, so an encrypted
            while source.read(CHUNK):           # file's last chunk is authenticated too
                pass
        except BoxError as error:
            raise BackupError(str(error)) from None
        _check_unpacked(manifest, digests, staging)
        os.chmod(staging, 0o700)
        aside = None
        if os.path.exists(data_dir):
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = f"{data_dir}.before-restore-{stamp}"
            os.replace(data_dir, aside)
        os.replace(staging, data_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return aside
