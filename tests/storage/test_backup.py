"""Backups: taken while the server is written to, restored whole, refused when damaged.

The archive checks (names, sizes, manifest) are the same for encrypted backups and for the
legacy unencrypted ones, so the crafted archives here are legacy .tar.gz files restored
with --unencrypted-legacy; tests/storage/test_backup_encryption.py holds the encryption."""
import gzip
import io
import os
import tarfile
import threading

import pytest
from click.testing import CliRunner

from fieldapp.cli import main
from fieldapp.site import Site
from tests.support.factories import VOL_PIN, household
from tests.support.live import LiveServer

LEGACY = "--unencrypted-legacy"


@pytest.fixture
def runner(monkeypatch):
    """The CLI runner with the backup passphrase in its environment, and scrypt made
    cheap: these tests are about the archive, not the key derivation."""
    from fieldapp import backup_box
    monkeypatch.setattr(backup_box, "KDF_N", 2 ** 12)
    return CliRunner(env={"FIELDAPP_BACKUP_PASSPHRASE": "cum-mat-khau-thu"})


def plain_archive(path):
    """The members of an encrypted backup file, decrypted: {name: bytes}."""
    from fieldapp.backup_box import DecryptingReader
    with open(path, "rb") as raw, tarfile.open(
            fileobj=DecryptingReader(raw, "cum-mat-khau-thu"), mode="r|gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive}


def test_a_backup_taken_under_load_restores_a_consistent_site(site, runner, tmp_path):
    server = LiveServer(site.data_dir).start()
    token = server.login("minh", VOL_PIN)
    stop = threading.Event()

    def writer():
        for n in range(300):                # bounded
            if stop.is_set():
                return
            server.request("POST", "/api/v1/records",
                           {"records": [household(f"Hộ {n}", author="minh")]}, token)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        out = tmp_path / "backup.tar.gz"
        result = runner.invoke(main, ["--data", site.data_dir, "backup", "--out", str(out)])
        assert result.exit_code == 0, result.output
    finally:
        stop.set()
        thread.join(60)
        server.stop()
    restored_dir = tmp_path / "restored"
    result = runner.invoke(main, ["--data", str(restored_dir), "restore", str(out)])
    assert result.exit_code == 0, result.output
    restored = Site(str(restored_dir))
    live = Site(site.data_dir)
    # every record in the backup is one the live site has, and its sequence has no hole
    assert {v["id"] for v in restored.store.currents()} <= {v["id"] for v in live.store.currents()}
    seqs = [seq for seq, _ in restored.store.versions_since(0)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert restored.settings == live.settings
    assert runner.invoke(main, ["--data", str(restored_dir), "indicators"]).exit_code == 0
    # and the users came along: the restored site signs in
    from fieldapp.auth.accounts import authenticate
    assert authenticate(restored, "minh", VOL_PIN)["username"] == "minh"


def test_restore_refuses_to_overwrite_without_force_and_keeps_the_old_data(site, runner, tmp_path):
    out = tmp_path / "b.tar.gz"
    assert runner.invoke(main, ["--data", site.data_dir, "backup", "--out", str(out)]).exit_code == 0
    site.store.submit([household("Sau sao lưu")])
    refused = runner.invoke(main, ["--data", site.data_dir, "restore", str(out)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert len(Site(site.data_dir).store) == 1
    forced = runner.invoke(main, ["--data", site.data_dir, "restore", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert len(Site(site.data_dir).store) == 0
    aside = [p for p in os.listdir(os.path.dirname(site.data_dir)) if ".before-restore-" in p]
    assert len(aside) == 1
    assert len(Site(os.path.join(os.path.dirname(site.data_dir), aside[0])).store) == 1


def test_damaged_backups_are_refused_and_nothing_is_written(site, runner, tmp_path):
    out = tmp_path / "b.tar.gz"
    runner.invoke(main, ["--data", site.data_dir, "backup", "--out", str(out)])
    raw = out.read_bytes()
    members = plain_archive(out)
    tampered = io.BytesIO()
    with tarfile.open(fileobj=tampered, mode="w:gz") as archive:
        for name, data in members.items():
            if name == "settings.json":
                data = data.replace(b"25264", b"25265")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    cases = {"truncated": raw[: len(raw) // 2], "empty": b"", "not gzip": b"hello",
             "tampered": tampered.getvalue(), "no manifest": gzip.compress(b"x" * 10)}
    for name, data in cases.items():
        bad = tmp_path / f"{name}.tar.gz"
        bad.write_bytes(data)
        target = tmp_path / f"target-{name.replace(' ', '-')}"
        result = runner.invoke(main, ["--data", str(target), "restore", str(bad), LEGACY])
        assert result.exit_code != 0 and "Traceback" not in result.output, (name, result.output)
        assert not target.exists(), name


def archive_of(members, manifest_files=None):
    """A .tar.gz holding `members` ({name: bytes, or a TarInfo for a bare header}) and a
    manifest listing `manifest_files` ({name: bytes}, default: the members' bytes)."""
    import hashlib
    import json
    listed = {name: data for name, data in members.items() if isinstance(data, bytes)} \
        if manifest_files is None else manifest_files
    manifest = json.dumps({"format": "fieldapp-backup", "version": 1, "files": {
        name: hashlib.sha256(data).hexdigest() for name, data in listed.items()}}).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in {"MANIFEST.json": manifest, **members}.items():
            if isinstance(data, tarfile.TarInfo):
                archive.addfile(data)
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_restore_refuses_odd_names_and_unknown_files_with_its_own_message(site, runner,
                                                                          tmp_path):
    out = tmp_path / "b.tar.gz"
    assert runner.invoke(main, ["--data", site.data_dir, "backup", "--out", str(out)]).exit_code == 0
    good = {k: v for k, v in plain_archive(out).items() if k != "MANIFEST.json"}
    directory = tarfile.TarInfo("records")
    directory.type = tarfile.DIRTYPE
    cases = {"dot": {**good, ".": b"x"},
             "under a file": {**good, "settings.json/x": b"x"},
             "unknown file": {**good, "run.sh": b"rm -rf /"},
             "parent": {**good, "../escape.json": b"{}"},
             "a directory": {**good, "records": directory},
             "not a segment": {**good, "records/notes.txt": b"x"}}
    for case, members in cases.items():
        bad = tmp_path / f"{case}.tar.gz"
        bad.write_bytes(archive_of(members))
        target = tmp_path / f"target-{case.replace(' ', '-')}"
        result = runner.invoke(main, ["--data", str(target), "restore", str(bad), LEGACY])
        assert result.exit_code == 1, (case, result.output)
        assert "Traceback" not in result.output and "Tệp sao lưu chứa mục lạ" in result.output, \
            (case, result.output)
        assert not target.exists() and not list(tmp_path.glob(".restore-*")), case
    # the backup itself restores
    fine = tmp_path / "fine.tar.gz"
    fine.write_bytes(archive_of(good))
    result = runner.invoke(main, ["--data", str(tmp_path / "fine"), "restore", str(fine), LEGACY])
    assert result.exit_code == 0, result.output


def test_restore_refuses_a_member_declared_huge_before_reading_it(site, runner, tmp_path):
    out = tmp_path / "b.tar.gz"
    assert runner.invoke(main, ["--data", site.data_dir, "backup", "--out", str(out)]).exit_code == 0
    good = {k: v for k, v in plain_archive(out).items() if k != "MANIFEST.json"}
    # a 3 GB member as its header declares it: the archive ends after the header, so only a
    # restore that reads the content first would get further than the size
    huge = tarfile.TarInfo("meta.json")
    huge.size = 3 * 1024 ** 3
    members = {k: v for k, v in good.items() if k != "meta.json"}
    bad = tmp_path / "huge.tar.gz"
    header = archive_of(members)
    body = io.BytesIO()
    with gzip.open(io.BytesIO(header)) as plain:
        tar = plain.read().rstrip(b"\0")
    tar += b"\0" * (-len(tar) % 512) + huge.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 4096
    with gzip.GzipFile(fileobj=body, mode="wb") as packed:
        packed.write(tar)
    bad.write_bytes(body.getvalue())
    result = runner.invoke(main, ["--data", str(tmp_path / "target"), "restore", str(bad), LEGACY])
    assert result.exit_code == 1 and "lớn bất thường" in result.output, result.output
    assert "meta.json" in result.output and "3072 MB" in result.output
    assert not (tmp_path / "target").exists() and not list(tmp_path.glob(".restore-*"))
