"""`fieldapp subject erase` and `fieldapp purge` through the CLI: the Vietnamese prompt,
the audit entries, nothing identifying left on disk, and indicators that stay equal."""
import datetime
import json
import os
import random

import pytest

from fieldapp import audit, erasing
from fieldapp.cli import main
from fieldapp.indicators.compute import site_compute
from fieldapp.indicators.volunteers import site_volunteer_stats
from fieldapp.indicators.periods import periods_from_settings
from fieldapp.site import Site
from sync.export import export_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.disk import texts_on_disk
from tests.support.batches import snapshot

NAMES = ["Nguyễn Văn Khải", "Trần Thị Duyên", "Lê Hữu Phước", "Phạm Ngọc Diệp", "Võ Minh Trí"]


def invoke(runner, data_dir, *args, input=None):
    return runner.invoke(main, ["--data", str(data_dir), *args], input=input)


def _fill(site, village_id, seed, households=25):
    """Random households over the campaign's days, with people, edits, visits, surveys
    and every identifying field filled; return the names and phones written."""
    rng = random.Random(seed)
    secrets, versions = set(), []
    for n in range(households):
        day = factories.START + datetime.timedelta(days=rng.randint(0, 31))
        name = f"{rng.choice(NAMES)} {village_id} {n}"
        phone = f"09{rng.randint(10**7, 10**8 - 1)}"
        secrets |= {name, phone}
        home = factories.household(name, village_id=village_id, day=day,
                                   device_id=f"ph-{rng.randint(1, 3)}")
        home["data"].update(phone=phone, note=f"ghi chú riêng {village_id} {n}",
                            consent=factories.consent())
        versions.append(home)
        for k in range(rng.randint(1, 4)):
            member = factories.person(home["id"], f"{name} con {k}", rng.randint(1940, 2015),
                                      vneid=rng.choice(["none", "installed", "level2"]),
                                      bank_account=rng.random() < 0.5,
                                      online=rng.random() < 0.4, village_id=village_id,
                                      day=day, hour=11)
            secrets.add(member["data"]["full_name"])
            versions.append(member)
            if rng.random() < 0.5:                   # a later edit of the same person
                later = day + datetime.timedelta(days=rng.randint(0, 10))
                versions.append(dict(member, updated_at=factories.stamp(later, 15),
                                     data=dict(member["data"], vneid="level2",
                                               uses_online_services=True),
                                     base={"updated_at": member["updated_at"],
                                           "device_id": member["device_id"]}))
        if rng.random() < 0.8:
            visited = factories.visit(home["id"], outcome=rng.choice(["met", "met", "absent"]),
                                      help=["vneid_level2"] if rng.random() < 0.5 else [],
                                      village_id=village_id, day=day, hour=12,
                                      author=rng.choice(["minh", "lan"]))
            visited["data"]["note"] = f"hẹn lại {village_id} {n}"
            versions.append(visited)
            rated = factories.survey(rng.choice(["land", "civil_status"]), rng.randint(1, 5),
                                     day=day, household_id=home["id"], village_id=village_id,
                                     hour=13)
            rated["data"]["comment"] = f"nhận xét riêng {village_id} {n}"
            versions.append(rated)
    site.store.submit(versions)
    return secrets


def _figures(site):
    """Every indicator of the site, its villages and periods, as of each period's end and
    the campaign's, and the commendation list's statistics."""
    days = [p.end for p in periods_from_settings(site.settings["campaign"])]
    out = {}
    for day in days:
        out[day] = {"all": site_compute(site, day)}
        for village_id in site.village_ids:
            out[day][village_id] = site_compute(site, day, [village_id])
        out[day]["volunteers"] = site_volunteer_stats(site, day)
    return out


def _local_day(stamp):
    moment = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    return (moment + datetime.timedelta(hours=7)).date()


def _level2_adults(site, village_id, day):
    """Adults at level 2 of a village as of `day`, counted here from the versions."""
    count = 0
    for history in site.store.histories().values():
        seen = [v for v in history if _local_day(v["updated_at"]) <= day]
        if seen:
            v = seen[-1]
            count += (v["type"] == "person" and not v["deleted"] and v["village_id"] == village_id
                      and v["data"]["vneid"] == "level2" and v["data"]["birth_year"] <= day.year - 18)
    return count


@pytest.fixture
def village(tmp_path):
    site = factories.village_site(tmp_path / "village", users=False, retention_days=None)
    return site, _fill(site, "thon-3", 1)


def test_subject_erase_asks_in_vietnamese_and_a_no_changes_nothing(tmp_path, runner, village):
    site, _ = village
    home = next(v for v in site.store.currents() if v["type"] == "household")
    files = snapshot(site.data_dir)
    result = invoke(runner, site.data_dir, "subject", "erase", "--household", home["id"],
                    input="n\n")
    assert result.exit_code == 0, result.output
    assert "không hoàn tác được" in result.output and "Xóa thật không?" in result.output
    assert "Đã hủy, không xóa gì." in result.output
    assert snapshot(site.data_dir) == files and not audit.entries(site, "subject.erase")


def test_subject_erase_of_a_household_erases_it_on_disk_and_audits_ids_only(runner, village):
    site, _ = village
    home = next(v for v in site.store.currents() if v["type"] == "household")
    _, ids = erasing.household_records(site.store, home["id"])
    names = {v["data"].get("full_name") for v in site.store.currents() if v["id"] in ids} - {None}
    secrets = names | {home["data"]["head_name"], home["data"]["phone"], home["data"]["note"]}
    result = invoke(runner, site.data_dir, "subject", "erase", "--household", home["id"],
                    "--by", "lan", input="c\n")
    assert result.exit_code == 0, result.output
    assert f"Đã xóa thông tin định danh của {len(ids)} bản ghi" in result.output
    assert texts_on_disk(site.data_dir, secrets) == set()
    [entry] = audit.entries(Site(site.data_dir), "subject.erase")
    assert entry["actor"] == "lan" and sorted(entry["ids"]) == sorted(ids)
    assert not texts_on_disk(os.path.join(site.data_dir, "audit.log"), secrets)


@pytest.mark.parametrize("args, words", [
    ((), "Cần đúng một trong hai"),
    (("--household", "x", "--person", "y"), "Cần đúng một trong hai"),
    (("--household", "khong-co"), "Không có hộ nào mã khong-co"),
    (("--person", "khong-co"), "Không có người nào mã khong-co"),
])
def test_subject_erase_refuses_a_wrong_request_clearly(runner, village, args, words):
    site, _ = village
    files = snapshot(site.data_dir)
    result = invoke(runner, site.data_dir, "subject", "erase", *args, "--yes")
    assert result.exit_code != 0 and words in result.output, result.output
    assert "Traceback" not in result.output and snapshot(site.data_dir) == files


def test_purge_before_the_retention_date_changes_nothing(runner, village):
    site, secrets = village
    files = snapshot(site.data_dir)
    result = invoke(runner, site.data_dir, "purge", "--as-of", "20/02/2026")
    assert result.exit_code == 0, result.output
    assert "Chưa đến hạn: dữ liệu được giữ đến hết ngày 20/02/2026" in result.output
    assert snapshot(site.data_dir) == files


def test_a_dry_run_says_how_many_and_changes_nothing(runner, village):
    site, _ = village
    files = snapshot(site.data_dir)
    result = invoke(runner, site.data_dir, "purge", "--as-of", "21/02/2026", "--dry-run")
    assert result.exit_code == 0, result.output
    records = len(site.store.currents())
    assert f"Sẽ xóa thông tin định danh của {records} bản ghi" in result.output
    assert snapshot(site.data_dir) == files


def test_a_purge_leaves_no_name_on_disk_and_every_indicator_equal(tmp_path, runner):
    commune = factories.commune_site(tmp_path / "commune", users=False, retention_days=None,
                                     villages=(("thon-3", "Thôn 3", None), ("thon-5", "Thôn 5", 40)))
    secrets = set()
    for n, village_id in enumerate(("thon-3", "thon-5")):
        village = factories.village_site(tmp_path / village_id, village_id, users=False)
        secrets |= _fill(village, village_id, 10 + n)
        import_batch(commune, export_batch(village))
    assert texts_on_disk(commune.data_dir, secrets) == secrets
    before = _figures(commune)
    counted = {v: _level2_adults(commune, v, factories.END) for v in commune.village_ids}
    result = invoke(runner, commune.data_dir, "purge", "--as-of", "21/02/2026")
    assert result.exit_code == 0, result.output
    records = len(commune.store.currents())
    assert f"Đã xóa thông tin định danh của {records} bản ghi" in result.output
    assert "báo cáo và chỉ số giữ nguyên" in result.output
    purged = Site(commune.data_dir)
    assert texts_on_disk(purged.data_dir, secrets) == set()
    assert _figures(purged) == before
    for village_id, level2 in counted.items():
        got = next(e for e in site_compute(purged, factories.END, [village_id])["indicators"]
                   if e["key"] == "adult_vneid_level2")
        assert got["numerator"] == level2 == _level2_adults(purged, village_id, factories.END)
    [entry] = audit.entries(purged, "purge")
    assert entry["actor"] == "cli" and entry["count"] == records
    again = invoke(runner, commune.data_dir, "purge", "--as-of", "22/02/2026")
    assert "không cần xóa lại" in again.output


def test_a_village_purge_travels_and_an_older_batch_brings_nothing_back(tmp_path, runner):
    village = factories.village_site(tmp_path / "village", users=False, retention_days=None)
    secrets = _fill(village, "thon-3", 3)
    commune = factories.commune_site(tmp_path / "commune", users=False)
    older = export_batch(village, all_versions=True)
    result = invoke(runner, village.data_dir, "purge", "--as-of", "01/03/2026")
    assert result.exit_code == 0, result.output
    assert texts_on_disk(village.data_dir, secrets) == set()
    purge = export_batch(village)
    assert [e["reason"] for e in purge["erasures"]] == ["purge"]
    assert import_batch(commune, purge).new == 0
    receipt = import_batch(commune, older)
    assert receipt.new == older["record_count"]            # de-identified on the way in
    assert texts_on_disk(commune.data_dir, secrets) == set()


def test_serve_purges_at_start_when_due_and_says_so(tmp_path):
    from tests.support.live import LiveServer
    site = factories.village_site(tmp_path / "village", users=False)
    secrets = _fill(site, "thon-3", 4, households=3)
    site.update_settings(lambda s: s.update(retention_days=0))    # due since the campaign end
    server = LiveServer(site.data_dir).start()
    try:
        assert "Đã xóa thông tin định danh của" in server.output()
    finally:
        server.stop()
    assert texts_on_disk(site.data_dir, secrets) == set()
    assert [e["actor"] for e in audit.entries(site, "purge")] == ["system"]


def test_a_purge_that_fails_at_serve_start_is_said_and_done_at_the_next(tmp_path, monkeypatch):
    from fieldapp.cli.retention import purge_if_due
    from storage import rewriting
    site = factories.village_site(tmp_path / "village", users=False)
    secrets = _fill(site, "thon-3", 5, households=3)
    site.update_settings(lambda s: s.update(retention_days=0))

    def full_disk(contents):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(rewriting, "atomic_write_many", full_disk)
    assert "CHƯA xóa được" in purge_if_due(site)
    assert texts_on_disk(site.data_dir, secrets) == secrets
    monkeypatch.undo()
    reopened = Site(site.data_dir)
    purge_if_due(reopened)                  # the kept purge is applied, nothing new made
    assert texts_on_disk(site.data_dir, secrets) == set()
    assert purge_if_due(reopened) is None


def test_export_after_an_erasure_says_the_file_carries_it(tmp_path, runner, village):
    site, _ = village
    assert invoke(runner, site.data_dir, "export", "--out", str(tmp_path / "1.json")).exit_code == 0
    home = next(v for v in site.store.currents() if v["type"] == "household")
    invoke(runner, site.data_dir, "subject", "erase", "--household", home["id"], "--yes")
    result = invoke(runner, site.data_dir, "export", "--out", str(tmp_path / "2.json"))
    assert result.exit_code == 0, result.output
    assert "đã ghi lô rỗng" in result.output and "lô mang 1 yêu cầu xóa dữ liệu" in result.output
    again = invoke(runner, site.data_dir, "export", "--out", str(tmp_path / "3.json"))
    assert "yêu cầu xóa" not in again.output            # sent: carried again, not announced
    assert len(json.loads((tmp_path / "3.json").read_bytes())["erasures"]) == 1


def test_serve_before_the_retention_date_keeps_the_data(tmp_path):
    from tests.support.live import LiveServer
    site = factories.village_site(tmp_path / "village", users=False)   # a long retention
    secrets = _fill(site, "thon-3", 6, households=2)
    server = LiveServer(site.data_dir).start()
    try:
        assert "xóa thông tin định danh" not in server.output()
    finally:
        server.stop()
    assert texts_on_disk(site.data_dir, secrets) == secrets and not audit.entries(site, "purge")
