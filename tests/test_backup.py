"""Backups: taken while the server is written to, restored whole, refused when damaged."""
import gzip
import io
import os
import tarfile
import threading

from fieldapp.cli import main
from fieldapp.site import Site
from tests.factories import VOL_PIN, household
from tests.live import LiveServer


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
    from fieldapp.auth import authenticate
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
    with tarfile.open(out) as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive}
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
        result = runner.invoke(main, ["--data", str(target), "restore", str(bad)])
        assert result.exit_code != 0 and "Traceback" not in result.output, (name, result.output)
        assert not target.exists(), name
