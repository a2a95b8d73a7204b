"""`fieldapp export`, `fieldapp import`: round trips village → commune through files."""
import gzip
import json
import os

from fieldapp.cli import main
from fieldapp.site import Site
from sync import keys
from tests.support import factories
from tests.support.batches import filled_village, snapshot


def invoke(runner, data_dir, *args):
    return runner.invoke(main, ["--data", str(data_dir), *args])


def test_init_makes_a_private_site_key(tmp_path, runner):
    result = invoke(runner, tmp_path / "v", "init", "--site", "village", "--commune", "25264",
                    "--village-id", "thon-1", "--village-name", "Thôn 1")
    assert result.exit_code == 0, result.output
    path = tmp_path / "v" / keys.KEY_FILE
    assert path.exists() and os.stat(path).st_mode & 0o777 == 0o600


def test_export_then_import_through_files(tmp_path, runner):
    village = filled_village(tmp_path / "village")
    commune_dir = tmp_path / "commune"
    factories.commune_site(commune_dir, users=False)
    out = tmp_path / "usb" / "thon-3.json.gz"
    out.parent.mkdir()
    result = invoke(runner, village.data_dir, "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Đã xuất 9 bản ghi" in result.output
    assert json.loads(gzip.decompress(out.read_bytes()))["record_count"] == 9

    result = invoke(runner, commune_dir, "import", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{out}: Đã nhận lô của Thôn 3: 9 bản ghi, 9 mới, 0 trùng."
    commune = Site(str(commune_dir))
    assert {v["id"] for v in commune.store.currents()} == {v["id"] for v in village.store.currents()}

    before = snapshot(commune_dir)
    again = invoke(runner, commune_dir, "import", str(out))
    assert again.exit_code == 0 and "đã được nhận trước đây" in again.output
    assert snapshot(commune_dir) == before


def test_second_export_carries_only_new_changes(tmp_path, runner):
    village = filled_village(tmp_path / "village")
    first, second, full = (tmp_path / n for n in ("a.json", "b.json", "all.json"))
    assert invoke(runner, village.data_dir, "export", "--out", str(first)).exit_code == 0
    result = invoke(runner, village.data_dir, "export", "--out", str(second))
    assert result.exit_code == 0 and "Không có thay đổi mới" in result.output
    assert json.loads(second.read_bytes())["record_count"] == 0
    village.store.submit([factories.household("Hộ thêm")])
    invoke(runner, village.data_dir, "export", "--out", str(second))
    assert json.loads(second.read_bytes())["record_count"] == 1
    result = invoke(runner, village.data_dir, "export", "--out", str(full), "--all")
    assert "toàn bộ dữ liệu" in result.output
    assert json.loads(full.read_bytes())["record_count"] == 10


def test_import_reports_each_file_and_fails_if_any_is_refused(tmp_path, runner):
    village = filled_village(tmp_path / "village")
    commune_dir = tmp_path / "commune"
    factories.commune_site(commune_dir, users=False)
    good, bad, empty = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "empty.json"
    invoke(runner, village.data_dir, "export", "--out", str(good))
    bad.write_bytes(good.read_bytes().replace(b'"version":1', b'"version":7'))
    empty.write_bytes(b"")
    result = invoke(runner, commune_dir, "import", str(bad), str(good), str(empty),
                    str(tmp_path / "missing.json"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 4, result.output
    assert lines[0].startswith(f"{bad}: TỪ CHỐI — Phiên bản định dạng lô 7")
    assert lines[1] == f"{good}: Đã nhận lô của Thôn 3: 9 bản ghi, 9 mới, 0 trùng."
    assert lines[2] == f"{empty}: TỪ CHỐI — Tệp rỗng: không có lô dữ liệu nào."
    assert "không đọc được" in lines[3]
    assert invoke(runner, commune_dir, "import", str(good)).exit_code == 0


def test_export_is_refused_on_a_commune_and_import_on_a_village(tmp_path, runner):
    village = filled_village(tmp_path / "village")
    commune_dir = tmp_path / "commune"
    factories.commune_site(commune_dir, users=False)
    result = invoke(runner, commune_dir, "export", "--out", str(tmp_path / "x.json"))
    assert result.exit_code == 1 and "Chỉ máy của thôn" in result.output
    out = tmp_path / "v.json"
    invoke(runner, village.data_dir, "export", "--out", str(out))
    result = invoke(runner, village.data_dir, "import", str(out))
    assert result.exit_code == 1 and "Chỉ máy của xã" in result.output


def test_push_to_an_unreachable_commune_keeps_the_changes(tmp_path, runner):
    from tests.support.live import free_port
    village = filled_village(tmp_path / "village")
    result = invoke(runner, village.data_dir, "push", f"http://127.0.0.1:{free_port()}",
                    "--token", "fa-push-" + "x" * 43, "--timeout", "5")
    assert result.exit_code == 1 and "Không kết nối được" in result.output
    from sync.export import export_batch
    assert export_batch(village)["record_count"] == 9        # still to be sent
    result = invoke(runner, village.data_dir, "push", "ftp://x", "--token", "t")
    assert result.exit_code == 2 and "http://" in result.output


def test_demo_fills_the_commune(demo):
    from fieldapp.indicators.compute import compute
    assert demo.result.exit_code == 0, demo.result.output
    commune = Site(str(demo.root / "commune"))
    village_dirs = sorted((demo.root / "villages").iterdir())
    assert village_dirs
    village_ids = set()
    total = 0
    for site_dir in village_dirs:
        village = Site(str(site_dir))
        village_id = village.village_ids[0]
        total += len(village.store)
        village_ids.add(village_id)
        answer = compute(village.settings, village.store.histories(), factories.END)
        at_commune = compute(commune.settings, commune.store.histories(), factories.END,
                             [village_id])
        assert at_commune["indicators"] == answer["indicators"]
    assert len(commune.store) == total
    assert {v["village_id"] for v in commune.store.currents()} == village_ids
    # the villages know the commune's key, so their pushes are sealed, as the batches were
    from sync.crypto import box_public_key
    key = box_public_key(commune.data_dir)
    assert all(Site(str(v)).settings["commune_public_key"] == key for v in village_dirs)
