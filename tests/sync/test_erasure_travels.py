"""An erasure at the village erases every stored version on disk, travels in the next
batch file, erases at the commune, and an older batch imported later brings nothing
back; importing again changes nothing."""
import gzip
import json
import os

import pytest

from fieldapp import audit, erasing
from fieldapp.forms.erasure import ERASED_NAME
from fieldapp.site import Site
from sync.errors import BatchRejected
from sync.export import export_batch, write_batch_file
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import resign, snapshot, state

NAME, PHONE = "Nguyễn Văn Riêng", "0912777888"
MEMBER, MEMBER_PHONE = "Đinh Thị Kín", "0987111222"
SECRETS = [NAME, PHONE, MEMBER, MEMBER_PHONE, "cổng sơn xanh", "chờ con về", "nhanh gọn"]


def _village(path):
    """A village with the household to erase (edited once), a member, a visit, a survey,
    and a neighbour that stays."""
    site = factories.village_site(path, users=False)
    home = factories.household(NAME, hour=8)
    home["data"].update(phone=PHONE, note="cổng sơn xanh", consent=factories.consent())
    edited = dict(home, updated_at=factories.stamp(factories.START, 9),
                  data=dict(home["data"], address="Xóm 2"),
                  base={"updated_at": home["updated_at"], "device_id": home["device_id"]})
    member = factories.person(home["id"], MEMBER, 1985, vneid="level2", online=True)
    member["data"].update(phone=MEMBER_PHONE, consent=factories.consent())
    met = factories.visit(home["id"])
    met["data"]["note"] = "chờ con về"
    rated = factories.survey(rating=4, household_id=home["id"])
    rated["data"].update(person_id=member["id"], comment="nhanh gọn")
    neighbour = factories.household("Phạm Văn Hàng Xóm")
    site.store.submit([home, edited, member, met, rated, neighbour,
                       factories.person(neighbour["id"], "Phạm Thị Ở Lại", 1990)])
    return site, home


def _write(batch, path):
    write_batch_file(batch, path)
    return path.read_bytes()


def _holds(directory, secret):
    """The files under `directory` whose bytes (or, gzip, inflated bytes) hold `secret`."""
    found = []
    for root, _, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                content = handle.read()
            if content[:2] == b"\x1f\x8b":
                content = gzip.decompress(content)
            needles = {secret.encode(), json.dumps(secret).encode()}    # \u escapes too
            if any(n in content for n in needles):
                found.append(os.path.relpath(os.path.join(root, name), directory))
    return found


def test_an_erasure_leaves_no_name_or_phone_in_any_file_of_the_village(tmp_path):
    village, home = _village(tmp_path / "village")
    _, ids = erasing.household_records(village.store, home["id"])
    assert len(ids) == 4
    done = erasing.erase(village, ids, "thon-3", "lan")
    assert (done.records, done.versions) == (4, 5)
    for secret in SECRETS:
        assert _holds(village.data_dir, secret) == [], secret
    history = village.store.history(home["id"])
    kept = {"head_name": ERASED_NAME, "consent": home["data"]["consent"]}  # facts stay
    assert [v["data"] for v in history] == [kept, kept]
    assert village.store.current(home["id"])["updated_at"] == factories.stamp(factories.START, 9)
    assert "Phạm Văn Hàng Xóm" in json.dumps(
        [v["data"] for v in village.store.currents()], ensure_ascii=False)
    fresh = tmp_path / "fresh.json"
    _write(export_batch(village, all_versions=True), fresh)
    for secret in SECRETS:
        assert _holds(tmp_path / "fresh.json", secret) == [], secret
    [entry] = audit.entries(village, "subject.erase")
    assert entry["actor"] == "lan" and sorted(entry["ids"]) == sorted(ids)
    assert NAME not in json.dumps(entry, ensure_ascii=False)


def test_the_erasure_travels_and_an_older_batch_does_not_bring_the_name_back(tmp_path):
    village, home = _village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    usb = tmp_path / "usb"
    usb.mkdir()
    first = _write(export_batch(village), usb / "1.json")          # imported before
    older = _write(export_batch(village, all_versions=True), usb / "all.json")   # kept
    import_batch(commune, first)
    assert _holds(commune.data_dir, NAME)
    _, ids = erasing.household_records(village.store, home["id"])
    erasing.erase(village, ids, "thon-3", "lan")
    after = _write(export_batch(village), usb / "2.json")
    carried = json.loads(after)
    assert carried["record_count"] == 0 and len(carried["erasures"]) == 1
    assert sorted(carried["erasures"][0]["record_ids"]) == sorted(ids)

    receipt = import_batch(commune, after)
    assert receipt.new == 0 and receipt.erased == 4
    assert "đã xóa thông tin định danh của 4 bản ghi theo lô" in receipt.summary()
    for secret in SECRETS:
        assert _holds(commune.data_dir, secret) == [], secret
    erased = state(commune)
    receipt = import_batch(commune, older)            # made before the erasure
    assert receipt.new == 0 and receipt.duplicate == receipt.record_count
    for secret in SECRETS:
        assert _holds(commune.data_dir, secret) == [], secret
    assert state(commune) == erased
    files = snapshot(commune.data_dir)
    for again in (after, older, first):                # importing twice changes nothing
        assert import_batch(commune, again).already_imported
    assert snapshot(commune.data_dir) == files and state(commune) == erased
    assert state(commune)[1][home["id"]]["data"] == {"head_name": ERASED_NAME,
                                                     "consent": home["data"]["consent"]}


def test_the_commune_ends_the_same_whichever_order_the_batches_come_in(tmp_path):
    village, home = _village(tmp_path / "village")
    older = export_batch(village, all_versions=True)
    _, ids = erasing.household_records(village.store, home["id"])
    erasing.erase(village, ids, "thon-3", "lan")
    later = export_batch(village)
    states = []
    for n, order in enumerate([(older, later), (later, older)]):
        commune = factories.commune_site(tmp_path / f"commune{n}", users=False)
        for batch in order:
            import_batch(commune, batch)
        assert not _holds(commune.data_dir, NAME)
        states.append(state(commune))
    assert states[0] == states[1]


def test_erasing_one_person_keeps_the_household_and_the_facts(tmp_path):
    village, home = _village(tmp_path / "village")
    member = next(v for v in village.store.currents() if v["data"].get("full_name") == MEMBER)
    person, ids = erasing.person_records(village.store, member["id"])
    assert len(ids) == 2                                    # the person and their survey
    erasing.erase(village, ids, "thon-3", "lan")
    kept = village.store.current(member["id"])["data"]
    assert kept == {k: v for k, v in person["data"].items() if k not in ("phone",)} | {
        "full_name": ERASED_NAME}
    assert village.store.current(home["id"])["data"]["head_name"] == NAME
    assert not _holds(village.data_dir, MEMBER) and not _holds(village.data_dir, MEMBER_PHONE)


def test_a_batch_without_erasures_is_written_and_read_as_before(tmp_path):
    village, _ = _village(tmp_path / "village")
    batch = export_batch(village)
    assert "erasures" not in batch
    commune = factories.commune_site(tmp_path / "commune", users=False)
    assert import_batch(commune, _write(batch, tmp_path / "b.json")).new == 7


@pytest.mark.parametrize("change, words", [
    (lambda e: dict(e, village_id="thon-9"), "thôn không do trạm này gửi"),
    (lambda e: dict(e, reason="whim"), "không hợp lệ"),
    (lambda e: dict(e, record_ids=["Nguyễn Văn Riêng"]), "không hợp lệ"),
    (lambda e: dict(e, name=NAME), "phải có đúng"),
])
def test_a_batch_with_a_bad_erasure_is_refused_whole(tmp_path, change, words):
    village, home = _village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    import_batch(commune, export_batch(village, all_versions=True))
    _, ids = erasing.household_records(village.store, home["id"])
    erasing.erase(village, ids, "thon-3", "lan")
    batch = export_batch(village)
    bad = resign(batch, village.data_dir, erasures=[change(batch["erasures"][0])])
    files = snapshot(commune.data_dir)
    with pytest.raises(BatchRejected) as refused:
        import_batch(commune, _write(bad, tmp_path / "bad.json"))
    assert words in refused.value.message
    assert snapshot(commune.data_dir) == files


def test_an_erasure_whose_signature_does_not_match_erases_nothing(tmp_path):
    village, home = _village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    import_batch(commune, export_batch(village, all_versions=True))
    _, ids = erasing.household_records(village.store, home["id"])
    erasing.erase(village, ids, "thon-3", "lan")
    batch = export_batch(village)
    forged = dict(batch, erasures=batch["erasures"] + [
        dict(batch["erasures"][0], id="0" * 8 + batch["erasures"][0]["id"][8:])])
    files = snapshot(commune.data_dir)
    with pytest.raises(BatchRejected) as refused:
        import_batch(commune, _write(forged, tmp_path / "forged.json"))
    assert refused.value.problem == "signature"
    assert snapshot(commune.data_dir) == files and _holds(commune.data_dir, NAME)


def test_an_erasure_made_at_the_commune_holds_against_later_batches(tmp_path):
    village, home = _village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    import_batch(commune, export_batch(village))
    _, ids = erasing.household_records(commune.store, home["id"])
    erasing.erase(commune, ids, "thon-3", "canbo")
    assert not _holds(commune.data_dir, NAME)
    edited = dict(village.store.current(home["id"]),
                  updated_at=factories.stamp(factories.START, 10),
                  base={"updated_at": factories.stamp(factories.START, 9),
                        "device_id": home["device_id"]})
    village.store.submit([edited])
    import_batch(commune, export_batch(village))         # the village still has the name
    import_batch(commune, export_batch(village, all_versions=True))
    for secret in SECRETS:
        assert _holds(commune.data_dir, secret) == [], secret
    assert commune.store.current(home["id"])["updated_at"] == edited["updated_at"]


def test_an_erasure_kept_but_not_applied_before_a_crash_is_applied_by_the_next_export(tmp_path):
    from sync import erasures
    village, home = _village(tmp_path / "village")
    _, ids = erasing.household_records(village.store, home["id"])
    erasures.record(village, [erasures.new_entry("request", "thon-3", ids)])   # then a crash
    assert _holds(village.data_dir, NAME)
    batch = export_batch(Site(village.data_dir), all_versions=True)
    assert NAME not in json.dumps(batch, ensure_ascii=False)
    for secret in SECRETS:
        assert _holds(village.data_dir, secret) == [], secret


def test_a_rewrite_that_fails_to_write_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    from storage import StorageError
    from storage import rewriting
    village, home = _village(tmp_path / "village")
    _, ids = erasing.household_records(village.store, home["id"])
    files, before = snapshot(village.data_dir), village.store.histories()

    def full_disk(contents):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(rewriting, "atomic_write_many", full_disk)
    with pytest.raises(StorageError):
        erasing.erase(village, ids, "thon-3", "lan")
    assert village.store.histories() == before
    assert {k: v for k, v in snapshot(village.data_dir).items() if k != "meta.json"} == \
        {k: v for k, v in files.items() if k != "meta.json"}
    monkeypatch.undo()
    assert erasures_pending(village) == 1                  # kept, applied at the next export
    export_batch(village)
    assert not _holds(village.data_dir, NAME) and erasures_pending(village) == 0


def erasures_pending(site):
    with site.meta_lock:
        return sum(not row["applied"] for row in site.table("erasures").all())


def test_an_erasure_from_a_laptop_not_yet_approved_erases_nothing_until_approved(tmp_path):
    from sync import erasures
    from sync.approval import approve_site
    from sync.held import held_rows
    village, home = _village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    import_batch(commune, export_batch(village))
    _, ids = erasing.household_records(village.store, home["id"])
    stranger = factories.village_site(tmp_path / "other", users=False)   # claims thon-3 too
    erasures.record(stranger, [erasures.new_entry("request", "thon-3", ids)])
    receipt = import_batch(commune, export_batch(stranger))
    assert receipt.held and _holds(commune.data_dir, NAME)
    key = held_rows(commune, receipt.site_id)[0]["public_key"]
    decision = approve_site(commune, receipt.site_id, key, "canbo")
    assert decision.found and not decision.failed
    assert not _holds(commune.data_dir, NAME)


def test_a_large_erasure_is_split_into_entries_a_batch_may_carry(tmp_path, monkeypatch):
    from sync import erasures
    monkeypatch.setattr(erasures, "MAX_IDS", 2)
    village, home = _village(tmp_path / "village")
    _, ids = erasing.household_records(village.store, home["id"])
    done = erasing.erase(village, ids, "thon-3", "lan")
    assert [len(e["record_ids"]) for e in done.entries] == [2, 2]
    commune = factories.commune_site(tmp_path / "commune", users=False)
    receipt = import_batch(commune, export_batch(village))
    assert receipt.new == 7 and not _holds(commune.data_dir, NAME)


def test_the_commune_audit_log_counts_the_records_a_batch_erased(tmp_path):
    from click.testing import CliRunner

    from fieldapp import audit
    from fieldapp.cli import main
    village, home = _village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    first, erased = tmp_path / "1.json", tmp_path / "2.json"
    _write(export_batch(village), first)
    _, ids = erasing.household_records(village.store, home["id"])
    erasing.erase(village, ids, "thon-3", "lan")
    _write(export_batch(village), erased)
    result = CliRunner().invoke(main, ["--data", commune.data_dir, "import", str(first),
                                       str(erased)])
    assert result.exit_code == 0, result.output
    entries = [e for e in audit.entries(commune, "import.cli.ok")]
    assert [e.get("erased") for e in entries] == [None, len(ids)]
    assert NAME not in json.dumps(entries, ensure_ascii=False)
