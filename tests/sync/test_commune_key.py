"""The commune's encryption key: made at `init --site commune`, never replaced, carried by
backups, and still made by `fieldapp commune-key` for sites that predate that."""
import os

from click.testing import CliRunner

from fieldapp.cli import main
from fieldapp.site import Site
from sync import crypto
from sync.export import export_batch
from sync.transfer import import_batch
from sync.batch import batch_bytes, gzip_bytes
from tests.support import factories
from tests.support.batches import filled_village


def invoke(runner, data_dir, *args):
    return runner.invoke(main, ["--data", str(data_dir), *args])


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def key_path(data_dir):
    return os.path.join(str(data_dir), crypto.BOX_KEY_FILE)


def test_init_of_a_commune_makes_its_private_encryption_key(tmp_path, runner):
    result = invoke(runner, tmp_path / "xa", "init", "--site", "commune", "--commune", "25264")
    assert result.exit_code == 0, result.output
    assert "fieldapp commune-key" in result.output
    path = key_path(tmp_path / "xa")
    assert os.path.isfile(path) and os.stat(path).st_mode & 0o777 == 0o600
    before = read(path)
    shown = invoke(runner, tmp_path / "xa", "commune-key")
    assert shown.exit_code == 0, shown.output
    # the printed key is the public half of the key made at init, which stays as it was
    assert shown.stdout.strip() == crypto.box_public_key(str(tmp_path / "xa"))
    assert read(path) == before


def test_init_of_a_village_makes_no_encryption_key(tmp_path, runner):
    result = invoke(runner, tmp_path / "v", "init", "--site", "village", "--commune", "25264",
                    "--village-id", "thon-1", "--village-name", "Thôn 1")
    assert result.exit_code == 0, result.output
    assert not os.path.exists(key_path(tmp_path / "v"))
    assert "commune-key" not in result.output


def test_commune_key_makes_the_key_for_a_commune_that_predates_init_making_it(tmp_path, runner):
    commune = factories.commune_site(tmp_path / "xa", users=False)
    os.unlink(key_path(commune.data_dir))          # as a site initialised before this change
    first = invoke(runner, commune.data_dir, "commune-key")
    assert first.exit_code == 0, first.output
    made = read(key_path(commune.data_dir))
    second = invoke(runner, commune.data_dir, "commune-key")
    assert second.stdout.strip() == first.stdout.strip()
    assert read(key_path(commune.data_dir)) == made
    assert crypto.create_box_key(commune.data_dir) == first.stdout.strip()      # not replaced


def test_backup_and_restore_carry_the_commune_key(tmp_path, runner):
    commune = factories.commune_site(tmp_path / "xa", users=False)
    public = crypto.box_public_key(commune.data_dir)
    key_bytes = read(key_path(commune.data_dir))
    out = tmp_path / "xa.fieldapp-backup"
    runner = CliRunner(env={"FIELDAPP_BACKUP_PASSPHRASE": "khoa-cua-xa-2026"})
    result = invoke(runner, commune.data_dir, "backup", "--out", str(out))
    assert result.exit_code == 0, result.output
    restored = tmp_path / "xa-moi"
    result = invoke(runner, restored, "restore", str(out))
    assert result.exit_code == 0, result.output
    path = key_path(restored)
    assert read(path) == key_bytes
    assert os.stat(path).st_mode & 0o777 == 0o600
    # a batch a village sealed for the old machine's key opens on the restored one
    village = filled_village(tmp_path / "v")
    sealed = crypto.seal(gzip_bytes(batch_bytes(export_batch(village, remember=False))), public)
    receipt = import_batch(Site(str(restored)), sealed)
    assert receipt.new == 9
    assert invoke(runner, restored, "commune-key").stdout.strip() == public


def test_a_village_refuses_a_key_nothing_can_be_sealed_for(tmp_path, runner):
    import base64
    village = filled_village(tmp_path / "v")
    for raw in (bytes(32), b"\x01" + bytes(31)):           # points of small order
        result = invoke(runner, village.data_dir, "commune-key", base64.b64encode(raw).decode())
        assert result.exit_code != 0 and "không hợp lệ" in result.output
    assert "commune_public_key" not in village.settings
