"""A province site takes its communes' roll-ups: each commune's newest replaces its older
figures whole; the same file twice, or an older one late, changes nothing; a file of
another province or commune, or signed by another key, is refused and stores nothing."""
import json

import pytest
from click.testing import CliRunner

from fieldapp.cli import main
from fieldapp.province.rollup import make_rollup
from fieldapp.province.store import stored_rollups
from fieldapp.site import Site
from sync import keys
from sync.rollup import rollup_bytes, sign_rollup
from tests.support import factories
from tests.support.batches import snapshot


def run(data_dir, *args):
    return CliRunner().invoke(main, ["--data", str(data_dir), *args])


@pytest.fixture
def province(tmp_path):
    result = run(tmp_path / "tinh", "init", "--site", "province", "--province", "75",
                 "--campaign-start", "25/07/2025", "--campaign-end", "25/08/2025")
    assert result.exit_code == 0 and "Đồng Nai (mã 75), 95 xã, phường" in result.output, \
        result.output
    return Site(str(tmp_path / "tinh"))


@pytest.fixture
def commune(tmp_path):
    site = factories.commune_site(tmp_path / "xa", users=False)
    return site


def write(tmp_path, name, rollup):
    path = tmp_path / name
    path.write_bytes(rollup_bytes(rollup))
    return str(path)


def resigned(rollup, data_dir, **changes):
    fields = dict({k: v for k, v in rollup.items() if k != "signature"}, **changes)
    return sign_rollup(fields, keys.load_site_key(str(data_dir)))


def test_the_province_knows_its_communes_from_the_official_list(province):
    communes = {c["code"]: c["name"] for c in province.settings["communes"]}
    assert len(communes) == 95 and communes[factories.COMMUNE] == "Xã Phú Riềng"
    assert run(province.data_dir, "user", "add", "canbotinh", "--role", "staff",
               "--secret", "tinh-dong-nai-2025").exit_code == 0
    refused = run(province.data_dir + "-x", "init", "--site", "province", "--province", "99")
    assert refused.exit_code != 0 and "không phải mã tỉnh" in refused.output


def test_a_newer_rollup_replaces_the_older_and_repeats_change_nothing(
        province, commune, tmp_path):
    import datetime
    older = make_rollup(commune, datetime.date(2025, 8, 1))
    home = factories.household("Hộ mới", village_id="thon-3")
    commune.store.submit([home, factories.person(home["id"], "Người mới", 1980,
                                                 village_id="thon-3", online=True)])
    newer = make_rollup(commune, datetime.date(2025, 8, 20))
    first = run(province.data_dir, "import", write(tmp_path, "a.json", older))
    assert first.exit_code == 0 and "Đã nhận số liệu của Xã Phú Riềng" in first.output
    second = run(province.data_dir, "import", write(tmp_path, "b.json", newer))
    assert second.exit_code == 0 and "thay cho số liệu cũ hơn" in second.output
    kept = stored_rollups(province)[factories.COMMUNE]
    assert kept == json.loads(rollup_bytes(newer))
    before = snapshot(province.data_dir)
    again = run(province.data_dir, "import", str(tmp_path / "b.json"), str(tmp_path / "a.json"))
    assert again.exit_code == 0, again.output
    assert "đã được nhận trước đây" in again.output and "tệp cũ hơn này" in again.output
    assert snapshot(province.data_dir) == before


def test_a_rollup_of_another_province_is_refused(commune, tmp_path):
    hanoi = tmp_path / "hanoi"
    assert run(hanoi, "init", "--site", "province", "--province", "1").exit_code == 0
    before = snapshot(str(hanoi))
    result = run(hanoi, "import", write(tmp_path, "x.json", make_rollup(commune)))
    assert result.exit_code == 1 and "thuộc tỉnh khác (mã 75)" in result.output
    assert snapshot(str(hanoi)) == before


def test_a_commune_not_in_the_province_is_refused(province, commune, tmp_path):
    from vietnam_provinces import Ward
    elsewhere = next(w for w in Ward.iter_all() if int(w.province_code) != 75)
    forged = resigned(make_rollup(commune), commune.data_dir,
                      commune_code=str(int(elsewhere.code)))
    before = snapshot(province.data_dir)
    result = run(province.data_dir, "import", write(tmp_path, "x.json", forged))
    assert result.exit_code == 1 and "không thuộc danh sách xã của Đồng Nai" in result.output
    assert snapshot(province.data_dir) == before


def test_a_second_laptop_claiming_a_known_commune_is_refused(province, commune, tmp_path):
    assert run(province.data_dir, "import",
               write(tmp_path, "a.json", make_rollup(commune))).exit_code == 0
    stranger = factories.commune_site(tmp_path / "xa-moi", users=False)
    before = snapshot(province.data_dir)
    result = run(province.data_dir, "import", write(tmp_path, "b.json", make_rollup(stranger)))
    assert result.exit_code == 1 and "khóa khác khóa đã biết" in result.output
    assert snapshot(province.data_dir) == before


def test_broken_files_are_refused_one_by_one_and_store_nothing(province, commune, tmp_path):
    good = rollup_bytes(make_rollup(commune))
    (tmp_path / "cut.json").write_bytes(good[:-40])
    (tmp_path / "batch.json").write_bytes(b'{"format": "fieldapp-batch", "version": 1}')
    (tmp_path / "big.json").write_bytes(b" " * (9 * 1024 * 1024))
    before = snapshot(province.data_dir)
    result = run(province.data_dir, "import", str(tmp_path / "cut.json"),
                 str(tmp_path / "batch.json"), str(tmp_path / "big.json"),
                 str(tmp_path / "missing.json"))
    assert result.exit_code == 1
    assert result.output.count("TỪ CHỐI") == 3 and "không đọc được tệp" in result.output
    assert snapshot(province.data_dir) == before
