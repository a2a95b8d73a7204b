"""Backups of a data directory: a consistent copy while the server runs, and restore.

A backup is a .tar.gz holding every file of the data directory and a MANIFEST.json with
their SHA-256. It is taken while holding the record and meta locks, so no write is
half in it. Restore checks the archive whole (manifest, hashes, every JSON parses) before
it touches anything, then swaps the directory in with renames; the old one is kept aside.
"""
import datetime
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile

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


def make_backup(data_dir, out_path):
    """Write a consistent backup of `data_dir` to `out_path`; return the manifest."""
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
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            for rel, data in sorted(contents.items()):
                info = tarfile.TarInfo(rel)
                info.size, info.mode = len(data), 0o600
                archive.addfile(info, io.BytesIO(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return manifest


def _read_archive(path):
    """{relative path: bytes} of a backup, checked against its manifest."""
    if not os.path.isfile(path):
        raise BackupError(f"Không tìm thấy tệp sao lưu {path}.")
    if os.path.getsize(path) > MAX_ARCHIVE:
        raise BackupError("Tệp sao lưu quá lớn.")
    contents = {}
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for member in archive:
                name = os.path.normpath(member.name)
                if not member.isfile() or name.startswith(("/", "..")) or os.path.isabs(name):
                    raise BackupError(f"Tệp sao lưu chứa mục không hợp lệ: {member.name}")
                contents[name] = archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"Tệp sao lưu hỏng hoặc không phải tệp sao lưu: {error}") from None
    try:
        manifest = json.loads(contents.pop(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError("Tệp sao lưu không có bản kê (MANIFEST.json) hợp lệ.") from None
    if manifest.get("format") != "fieldapp-backup" or manifest.get("version") != 1:
        raise BackupError("Đây không phải tệp sao lưu của fieldapp (phiên bản 1).")
    if set(manifest.get("files", {})) != set(contents):
        raise BackupError("Danh sách tệp trong bản sao lưu không khớp bản kê.")
    for rel, data in contents.items():
        if hashlib.sha256(data).hexdigest() != manifest["files"][rel]:
            raise BackupError(f"Tệp {rel} trong bản sao lưu đã bị thay đổi hoặc hỏng.")
        if rel.endswith(".json"):
            try:
                json.loads(data)
            except ValueError:
                raise BackupError(f"Tệp {rel} trong bản sao lưu không đọc được.") from None
    if "settings.json" not in contents:
        raise BackupError("Bản sao lưu thiếu settings.json.")
    return contents


def restore_backup(path, data_dir, force=False):
    """Restore a backup into `data_dir`; the previous directory is renamed aside.

    Returns the path the old directory was moved to (or None). Nothing is changed when the
    archive is not whole, or when `data_dir` holds a site and `force` is not given.
    """
    contents = _read_archive(path)
    data_dir = os.path.abspath(data_dir)
    if os.path.exists(os.path.join(data_dir, "settings.json")) and not force:
        raise BackupError(f"{data_dir} đang có dữ liệu; dùng --force để thay bằng bản sao lưu "
                          "(dữ liệu cũ được giữ lại bên cạnh).")
    parent = os.path.dirname(data_dir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".restore-")
    try:
        for rel, data in contents.items():
            target = os.path.join(staging, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
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
