"""A commune's roll-up for the province (SPEC §7a): the same counts as the commune's own
`fieldapp indicators --json`, signed, and nothing in it about any one citizen."""
import datetime
import gzip
import json
import shutil

import pytest
from click.testing import CliRunner

from fieldapp.cli import main
from fieldapp.site import Site
from sync.errors import BatchRejected
from sync.rollup import read_rollup, rollup_bytes, sign_rollup
from sync import keys


@pytest.fixture(scope="module")
def commune(demo, tmp_path_factory):
    """A copy of the demo commune (the roll-up command writes to its audit log) and the
    roll-up it writes, as file bytes."""
    root = tmp_path_factory.mktemp("rollup")
    shutil.copytree(demo.root / "commune", root / "commune")
    out = root / "xa.json.gz"
    result = CliRunner().invoke(main, ["--data", str(root / "commune"), "rollup",
                                       "--out", str(out), "--as-of", "25/08/2025"])
    assert result.exit_code == 0, result.output
    assert "không có tên hay số điện thoại" in result.output
    return root / "commune", gzip.decompress(out.read_bytes())


def indicators_json(data_dir, day):
    result = CliRunner().invoke(main, ["--data", str(data_dir), "indicators", "--json",
                                       "--as-of", day])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_rollup_holds_the_communes_own_figures_for_every_village_and_period(commune):
    data_dir, body = commune
    rollup = read_rollup(body)
    site = Site(str(data_dir))
    assert [v["id"] for v in rollup["villages"]] == site.village_ids
    periods = rollup["campaign"]["periods"]
    assert len(periods) >= 2 and rollup["as_of"] == "2025-08-25"
    for period in periods:
        day = min(period["end"], rollup["as_of"])
        answer = indicators_json(data_dir, day)
        for village in rollup["villages"]:
            entry, = [p for p in village["periods"] if p["period"] == period["period"]]
            expected = {e["key"]: {"numerator": e["numerator"], "denominator": e["denominator"],
                                   "denominator_source": e["denominator_source"]}
                        for e in answer["by_village"][village["id"]]}
            assert entry["indicators"] == expected, (village["id"], period["period"])
        procedures, = [p for p in rollup["procedures"] if p["period"] == period["period"]]
        shop = {e["key"]: (e["numerator"], e["denominator"]) for e in answer["indicators"]
                if e.get("denominator_source") == "one_stop_shop"}
        assert shop and {k: (v["numerator"], v["denominator"])
                         for k, v in procedures["indicators"].items()} == shop


def test_no_name_phone_note_or_record_id_is_in_a_rollup(commune):
    data_dir, body = commune
    site = Site(str(data_dir))
    secrets = set()
    for version in site.store.currents():
        secrets.add(version["id"])
        for field in ("head_name", "full_name", "address", "phone", "note", "comment",
                      "username"):
            value = version["data"].get(field)
            if isinstance(value, str) and len(value) >= 4:
                secrets.add(value)
    assert len(secrets) > 1000                    # the demo's people, homes and notes
    found = [s for s in secrets if s.encode() in body]
    assert found == []


def resign(rollup, data_dir):
    return sign_rollup({k: v for k, v in rollup.items() if k != "signature"},
                       keys.load_site_key(str(data_dir)))


@pytest.mark.parametrize("change, problem", [
    (lambda r: r["villages"][0]["periods"][0]["indicators"]["adult_online_usage"].update(
        numerator=10 ** 6), "signature"),
    (lambda r: r.update(province_code="1"), "signature"),
])
def test_a_changed_figure_breaks_the_signature(commune, change, problem):
    _, body = commune
    rollup = json.loads(body)
    change(rollup)
    with pytest.raises(BatchRejected) as refused:
        read_rollup(json.dumps(rollup).encode())
    assert refused.value.problem == problem


@pytest.mark.parametrize("change", [
    lambda r: r.update(records=[{"head_name": "Nguyễn Văn A"}]),           # a smuggled list
    lambda r: r["villages"][0].update(note="Nhà ông A"),                   # free text
    lambda r: r["villages"][0]["periods"][0]["indicators"]["adult_online_usage"].update(
        numerator=-1),
    lambda r: r["villages"][0]["periods"][0]["indicators"]["adult_online_usage"].update(
        numerator=True),
    lambda r: r["villages"][0].update(name="Thôn \u202eA"),                # bidi override
    lambda r: r["villages"].append(dict(r["villages"][0])),               # a village twice
    lambda r: r.update(as_of="2025-08-25T99"),                            # not a day
    lambda r: r.update(as_of="2025-02-30"),
    lambda r: r.update(created_at="2025-08-25 banana"),
    lambda r: r.update(created_at="2025-08-25T10:00:00"),                 # no time zone
    lambda r: r["procedures"].append({"period": [1], "complete": True, "indicators": {}}),
    lambda r: r["villages"][0]["periods"][0].update(period=[1]),
    lambda r: r["villages"][0]["periods"][0]["indicators"]["adult_online_usage"].update(
        denominator_source=["x"]),
    lambda r: r["campaign"].update(start={"day": 1}),
    lambda r: r["campaign"]["periods"][0].update(end="2025-02-30"),
])
def test_a_rollup_off_its_schema_is_refused_even_when_signed(commune, change):
    data_dir, body = commune
    rollup = json.loads(body)
    change(rollup)
    with pytest.raises(BatchRejected) as refused:
        read_rollup(rollup_bytes(resign(rollup, data_dir)))
    assert refused.value.problem == "format"


@pytest.mark.parametrize("field", ["as_of", "created_at"])
def test_a_rollup_dated_in_the_future_is_refused_as_a_clock_problem(commune, field):
    """Else a laptop whose clock runs years ahead would stand as its commune's newest."""
    data_dir, body = commune
    rollup = json.loads(body)
    ahead = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=4)
    rollup[field] = ahead.date().isoformat() if field == "as_of" else ahead.isoformat()
    with pytest.raises(BatchRejected) as refused:
        read_rollup(rollup_bytes(resign(rollup, data_dir)))
    assert refused.value.problem == "clock"
    assert "đồng hồ" in str(refused.value)


def test_huge_broken_or_bomb_files_are_refused_before_parsing(commune):
    _, body = commune
    for raw, problem in ((b"{" * 100, "not_json"), (b"x" * (9 * 1024 * 1024), "too_large"),
                         (gzip.compress(b" " * (64 * 1024 * 1024)), "too_large"),
                         (gzip.compress(body)[:-20], "truncated"),
                         (b'{"format": "fieldapp-batch"}', "format")):
        with pytest.raises(BatchRejected) as refused:
            read_rollup(raw)
        assert refused.value.problem == problem, raw[:20]
    assert read_rollup(gzip.compress(body))["format"] == "fieldapp-rollup"


def test_a_village_laptop_makes_no_rollup(demo, tmp_path):
    result = CliRunner().invoke(main, ["--data", str(demo.root / "villages" / "phu-binh"),
                                       "rollup", "--out", str(tmp_path / "r.json")])
    assert result.exit_code != 0 and "Chỉ máy của xã" in result.output
    assert not (tmp_path / "r.json").exists()
