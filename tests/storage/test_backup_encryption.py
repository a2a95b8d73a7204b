"""Encrypted backups: nothing readable without the passphrase, and a wrong passphrase, a
changed byte, a file cut short or a crafted header restores nothing and changes nothing."""
import gzip
import json
import os
import struct
import zlib

import pytest
from click.testing import CliRunner

from fieldapp import backup_box
from fieldapp.cli import main
from fieldapp.site import Site
from tests.support import factories
from tests.support.factories import household

PASSPHRASE = "trâu-cày-ruộng-sâu"
NAME = "Nguyễn Văn Khải Hoàn"


@pytest.fixture
def cheap_kdf(monkeypatch):
    """scrypt at a small cost: the tests that use this are about the file, not the KDF."""
    monkeypatch.setattr(backup_box, "KDF_N", 2 ** 12)


def backup(site, out, passphrase=PASSPHRASE, *extra):
    return CliRunner(env={"FIELDAPP_BACKUP_PASSPHRASE": passphrase}).invoke(
        main, ["--data", site.data_dir, "backup", "--out", str(out), *extra])


def restore(target, archive, passphrase=PASSPHRASE, *extra):
    return CliRunner(env={"FIELDAPP_BACKUP_PASSPHRASE": passphrase}).invoke(
        main, ["--data", str(target), "restore", str(archive), *extra])


def snapshot(directory):
    """{relative path: bytes} of every file under `directory`."""
    found = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, directory)] = handle.read()
    return found


def kept(directory):
    """The data files a backup carries (no locks), but the audit log, which the restore
    appends to."""
    return {rel: data for rel, data in snapshot(directory).items()
            if not os.path.basename(rel).startswith(".") and rel != "audit.log"}


def readable_bytes(raw):
    """The file's bytes and everything any gzip or deflate stream inside it unpacks to:
    what someone without the passphrase can read."""
    out = [raw]
    for at in range(len(raw)):
        if raw[at:at + 2] == b"\x1f\x8b":
            try:
                out.append(zlib.decompressobj(31).decompress(raw[at:], 50 * 1024 ** 2))
            except zlib.error:
                pass
    return b"".join(out)


def test_a_backup_made_with_a_typed_passphrase_restores_with_it_from_a_file(site, tmp_path):
    """The real KDF cost, the hidden prompt asked twice, and --passphrase-file."""
    site.store.submit([household(NAME)])
    out = tmp_path / "sao-luu.fieldapp-backup"
    made = CliRunner().invoke(main, ["--data", site.data_dir, "backup", "--out", str(out)],
                              input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert made.exit_code == 0, made.output
    assert made.output.count("ụm mật khẩu") >= 2 and PASSPHRASE not in made.output
    assert os.stat(out).st_mode & 0o777 == 0o600
    header = json.loads(out.read_bytes()[10:10 + struct.unpack(">H", out.read_bytes()[8:10])[0]])
    assert header["kdf"] == "scrypt" and header["n"] >= 2 ** 17 and header["version"] == 1
    secret = tmp_path / "cum.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    target = tmp_path / "restored"
    done = CliRunner().invoke(main, ["--data", str(target), "restore", str(out),
                                     "--passphrase-file", str(secret)])
    assert done.exit_code == 0, done.output
    assert kept(target) == kept(site.data_dir) and len(kept(target)) >= 5
    assert [v["data"]["head_name"] for v in Site(str(target)).store.currents()] == [NAME]


def test_a_backup_shows_neither_the_private_keys_nor_a_name_in_clear(site, tmp_path,
                                                                     cheap_kdf):
    site.store.submit([household(NAME)])
    out = tmp_path / "b.fieldapp-backup"
    assert backup(site, out).exit_code == 0
    readable = readable_bytes(out.read_bytes())
    with open(os.path.join(site.data_dir, "site_key.pem"), "rb") as handle:
        pem = handle.read()
    with open(os.path.join(site.data_dir, "secret_key"), "rb") as handle:
        secret_key = handle.read().strip()
    key_lines = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    assert key_lines and not any(line in readable for line in key_lines)
    assert secret_key not in readable
    for needle in (NAME, "Khải Hoàn", "thon-3", "head_name"):
        assert needle.encode("utf-8") not in readable, needle
    # the check can fail: the same search finds them in the unencrypted legacy format
    legacy = tmp_path / "legacy.tar.gz"
    with open(out, "rb") as raw:
        plain = backup_box.DecryptingReader(raw, PASSPHRASE).read()
    legacy.write_bytes(plain)
    assert key_lines[0] in readable_bytes(legacy.read_bytes())
    assert NAME.encode("utf-8") in readable_bytes(legacy.read_bytes())


def test_a_wrong_passphrase_restores_nothing_and_changes_nothing(site, tmp_path, cheap_kdf):
    out = tmp_path / "b.fieldapp-backup"
    assert backup(site, out).exit_code == 0
    site.store.submit([household("Sau sao lưu")])
    before = snapshot(site.data_dir)
    for target, extra in ((tmp_path / "new", ()), (site.data_dir, ("--force",))):
        result = restore(target, out, "trâu-cày-ruộng-cạn", *extra)
        assert result.exit_code == 1 and "Sai cụm mật khẩu" in result.output, result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "new").exists() and snapshot(site.data_dir) == before
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".restore-")
                or ".before-restore-" in p]
    # and a restore without any passphrase at hand says it needs one
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "new"), "restore", str(out)],
                                input="\n")
    assert result.exit_code != 0 and not (tmp_path / "new").exists()


def test_a_changed_byte_anywhere_restores_nothing(site, tmp_path, cheap_kdf, monkeypatch):
    monkeypatch.setattr(backup_box, "CHUNK", 1024)      # several chunks from a small site
    site.store.submit([household(f"Hộ {n}") for n in range(120)])
    out = tmp_path / "b.fieldapp-backup"
    assert backup(site, out).exit_code == 0
    raw = out.read_bytes()
    start = 10 + struct.unpack(">H", raw[8:10])[0]
    assert len(raw) - start > 3 * (1024 + 16)
    before = snapshot(site.data_dir)
    for at in (start, start + 1500, (start + len(raw)) // 2, len(raw) - 1):
        bad = tmp_path / f"bad-{at}"
        bad.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1:])
        result = restore(site.data_dir, bad, PASSPHRASE, "--force")
        assert result.exit_code == 1 and "đã bị sửa" in result.output, (at, result.output)
        assert snapshot(site.data_dir) == before, at
    # a changed header: its chunk size fails every chunk (the header is their associated
    # data), its scrypt cost gives a key the check value does not match
    bad = tmp_path / "bad-header"
    for old, new in ((b'"chunk": 1024', b'"chunk": 1025'), (b'"n": 4096', b'"n": 8192')):
        header = raw[10:start].replace(old, new)
        assert header != raw[10:start]
        bad.write_bytes(raw[:10] + header + raw[start:])
        result = restore(tmp_path / "t", bad)
        assert result.exit_code == 1 and "đã bị sửa" in result.output, result.output
    # two chunks swapped
    chunk = 1024 + 16
    first, second = raw[start:start + chunk], raw[start + chunk:start + 2 * chunk]
    bad.write_bytes(raw[:start] + second + first + raw[start + 2 * chunk:])
    result = restore(tmp_path / "t", bad)
    assert result.exit_code == 1 and "đã bị sửa" in result.output
    assert not (tmp_path / "t").exists() and not list(tmp_path.glob(".restore-*"))


def test_a_file_cut_short_restores_nothing(site, tmp_path, cheap_kdf, monkeypatch):
    monkeypatch.setattr(backup_box, "CHUNK", 1024)
    site.store.submit([household(f"Hộ {n}") for n in range(120)])
    out = tmp_path / "b.fieldapp-backup"
    assert backup(site, out).exit_code == 0
    raw = out.read_bytes()
    start = 10 + struct.unpack(">H", raw[8:10])[0]
    chunk = 1024 + 16
    assert len(raw) > start + 3 * chunk
    for cut in (len(raw) - 1, start + 2 * chunk, start + chunk + 100, start, 9, 0):
        bad = tmp_path / f"cut-{cut}"
        bad.write_bytes(raw[:cut])
        result = restore(tmp_path / "t", bad)
        assert result.exit_code == 1 and "Traceback" not in result.output, (cut, result.output)
        if cut >= start:
            assert "bị cắt ngắn" in result.output, (cut, result.output)
        assert not (tmp_path / "t").exists() and not list(tmp_path.glob(".restore-*")), cut


def test_a_header_asking_for_huge_work_is_refused_before_any(tmp_path, monkeypatch):
    def no_scrypt(*args, **kwargs):
        raise AssertionError("scrypt ran")
    monkeypatch.setattr(backup_box, "_derive", no_scrypt)
    good = {"format": "fieldapp-backup-encrypted", "version": 1, "kdf": "scrypt",
            "salt": "AAAAAAAAAAAAAAAAAAAAAA==", "n": 2 ** 14, "r": 8, "p": 1,
            "cipher": "AES-256-GCM", "chunk": 1024, "nonce_prefix": "AAAAAAAAAA==",
            "check": "0" * 64}
    cases = {"memory": dict(good, n=2 ** 30), "threads": dict(good, p=64),
             "chunk": dict(good, chunk=2 ** 31), "n not a power of two": dict(good, n=1000),
             "a version to come": dict(good, version=2), "no salt": dict(good, salt=None),
             "no version": {k: v for k, v in good.items() if k != "version"},
             "not an object": [1, 2], "a short nonce": dict(good, nonce_prefix="AAAA"),
             "a check not in hex": dict(good, check="ü" * 64)}
    for case, header in cases.items():
        body = json.dumps(header).encode()
        bad = tmp_path / case
        bad.write_bytes(backup_box.MAGIC + struct.pack(">H", len(body)) + body + b"\0" * 64)
        result = restore(tmp_path / "t", bad)
        assert result.exit_code == 1 and "Traceback" not in result.output, (case, result.output)
        expected = "tham số bất thường" if case in ("memory", "threads", "chunk",
                                                   "n not a power of two") \
            else "phiên bản 2" if case == "a version to come" else "không đọc được"
        assert expected in result.output, (case, result.output)
    long = tmp_path / "long"
    long.write_bytes(backup_box.MAGIC + struct.pack(">H", 60000) + b" " * 60000)
    assert "quá dài" in restore(tmp_path / "t", long).output
    assert not (tmp_path / "t").exists()


def test_an_unencrypted_backup_is_refused_unless_asked_for(site, tmp_path, cheap_kdf):
    out = tmp_path / "b.fieldapp-backup"
    assert backup(site, out).exit_code == 0
    with open(out, "rb") as raw:
        plain = backup_box.DecryptingReader(raw, PASSPHRASE).read()
    legacy = tmp_path / "old.tar.gz"
    legacy.write_bytes(plain)
    assert gzip.decompress(plain)           # it is the bare .tar.gz of before
    refused = restore(tmp_path / "t", legacy)
    assert refused.exit_code == 1 and "--unencrypted-legacy" in refused.output
    assert not (tmp_path / "t").exists()
    taken = restore(tmp_path / "t", legacy, PASSPHRASE, "--unencrypted-legacy")
    assert taken.exit_code == 0, taken.output
    from fieldapp import audit
    assert audit.entries(Site(str(tmp_path / "t")), "restore")[-1]["action"] == "restore.legacy"


def test_a_short_passphrase_is_refused_and_no_file_is_written(site, tmp_path):
    out = tmp_path / "b.fieldapp-backup"
    result = backup(site, out, "1234567")
    assert result.exit_code == 1 and "ít nhất 8 ký tự" in result.output
    assert not out.exists() and not list(tmp_path.glob(".backup-*"))


def test_the_logs_of_a_site_come_back_with_it(site, tmp_path, cheap_kdf):
    """The audit log and the log of subject requests are data files of a site too."""
    from fieldapp import audit
    audit.record(site, "lan", "test.before_backup", count=1)
    with open(os.path.join(site.data_dir, "subject_requests.log"), "w") as handle:
        handle.write('{"event": "opened", "request_id": "r1"}\n')
    out = tmp_path / "b.fieldapp-backup"
    assert backup(site, out).exit_code == 0
    target = tmp_path / "t"
    assert restore(target, out).exit_code == 0
    assert kept(target) == kept(site.data_dir)
    assert [e["action"] for e in audit.entries(Site(str(target)), "test.")] == \
        ["test.before_backup"]


def test_restoring_over_a_site_without_force_asks_nothing(site, tmp_path, cheap_kdf):
    out = tmp_path / "b.fieldapp-backup"
    assert backup(site, out).exit_code == 0
    result = CliRunner().invoke(main, ["--data", site.data_dir, "restore", str(out)])
    assert result.exit_code == 1 and "--force" in result.output
    assert "mật khẩu" not in result.output


def _sealed(plain, monkeypatch):
    import io
    monkeypatch.setattr(backup_box, "KDF_N", 2 ** 4)
    monkeypatch.setattr(backup_box, "CHUNK", 64)
    out = io.BytesIO()
    writer = backup_box.EncryptingWriter(out, PASSPHRASE)
    writer.write(plain)
    writer.close()
    return out.getvalue()


def _open_all(raw):
    import io
    return backup_box.DecryptingReader(io.BytesIO(raw), PASSPHRASE).read()


def test_any_changed_byte_or_cut_of_the_stream_is_refused(monkeypatch):
    """Every byte of a sealed stream (header included) flipped, and every length cut:
    none opens to anything (the message is a BoxError, never a traceback)."""
    plain = bytes(range(256)) * 2          # 512 bytes: 7 chunks of 64, then the last one
    raw = _sealed(plain, monkeypatch)
    assert _open_all(raw) == plain
    for at in range(len(raw)):
        bad = raw[:at] + bytes([raw[at] ^ 0x40]) + raw[at + 1:]
        with pytest.raises(backup_box.BoxError):
            _open_all(bad)
    for cut in range(len(raw)):
        with pytest.raises(backup_box.BoxError):
            _open_all(raw[:cut])
    with pytest.raises(backup_box.BoxError):              # something added at the end
        _open_all(raw + b"\0")


def test_a_province_backup_carries_its_communes_rollups(tmp_path, cheap_kdf):
    from fieldapp.province.rollup import make_rollup
    from sync.rollup import rollup_bytes
    run = CliRunner(env={"FIELDAPP_BACKUP_PASSPHRASE": PASSPHRASE}).invoke
    province = tmp_path / "tinh"
    assert run(main, ["--data", str(province), "init", "--site", "province", "--province",
                      "75"]).exit_code == 0
    commune = factories.commune_site(tmp_path / "xa", users=False)
    (tmp_path / "r.json").write_bytes(rollup_bytes(make_rollup(commune)))
    assert run(main, ["--data", str(province), "import", str(tmp_path / "r.json")]).exit_code == 0
    assert os.listdir(province / "rollups")
    out = tmp_path / "tinh.fieldapp-backup"
    assert run(main, ["--data", str(province), "backup", "--out", str(out)]).exit_code == 0
    result = restore(tmp_path / "tinh-moi", out)
    assert result.exit_code == 0, result.output
    assert kept(tmp_path / "tinh-moi") == kept(province)
