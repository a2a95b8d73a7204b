"""Batch format and import checks (SPEC §7): every bad input is refused whole, naming the
problem, and leaves the commune's stored files byte-identical."""
import gzip
import json
import os
from unittest import mock

import pytest

from fieldapp.indicators.compute import compute
from storage.canonical import canonical_json
from sync import keys
from sync.batch import batch_bytes, gzip_bytes
from sync.errors import BatchRejected
from sync.export import export_batch
from sync.senders import imported_batches, known_sites
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import filled_village, resign, snapshot


@pytest.fixture
def village(tmp_path):
    return filled_village(tmp_path / "village")


@pytest.fixture
def commune(tmp_path):
    return factories.commune_site(tmp_path / "commune", users=False)


def refused(commune, data, problem, words=()):
    """Import `data`, expect a refusal with `problem`, and nothing stored."""
    before = snapshot(commune.data_dir)
    with pytest.raises(BatchRejected) as caught:
        import_batch(commune, data)
    assert caught.value.problem == problem, caught.value.message
    assert caught.value.status == 422
    assert caught.value.details["problem"] == problem
    for word in words:
        assert word in caught.value.message
    assert snapshot(commune.data_dir) == before
    return caught.value


def test_site_key_is_private_and_made_at_init(village):
    path = os.path.join(village.data_dir, keys.KEY_FILE)
    assert os.stat(path).st_mode & 0o777 == 0o600
    public = keys.create_site_key(village.data_dir)      # idempotent: same key
    assert public == keys.public_key_b64(keys.load_site_key(village.data_dir))


def test_batch_file_is_canonical_and_signature_verifies(village):
    batch = export_batch(village, all_versions=True)
    body = batch_bytes(batch)
    assert json.loads(body) == batch
    from storage.canonical import canonical_json
    assert body == canonical_json(batch)
    assert batch["record_count"] == 9 and batch["since_seq"] == 0 and batch["until_seq"] == 9
    unsigned = {k: v for k, v in batch.items() if k != "signature"}
    assert keys.verify(batch["site"]["public_key"], canonical_json(unsigned), batch["signature"])


def test_round_trip_stores_every_version_and_pins_the_key(village, commune):
    batch = export_batch(village, all_versions=True)
    receipt = import_batch(commune, batch_bytes(batch), source="test")
    assert (receipt.new, receipt.duplicate, receipt.conflicts) == (9, 0, [])
    assert {v["id"] for v in commune.store.currents()} == {v["id"] for v in village.store.currents()}
    assert [s["public_key"] for s in known_sites(commune)] == [batch["site"]["public_key"]]
    row = imported_batches(commune)[0]
    assert (row["batch_id"], row["record_count"], row["new"], row["until_seq"]) == \
        (batch["batch_id"], 9, 9, 9)


def test_reimporting_a_batch_changes_nothing_and_says_so(village, commune):
    data = gzip_bytes(batch_bytes(export_batch(village, all_versions=True)))
    import_batch(commune, data)
    before = snapshot(commune.data_dir)
    again = import_batch(commune, data)
    assert again.already_imported and again.new == 0 and again.duplicate == 9
    assert "đã được nhận trước đây" in again.summary()
    assert snapshot(commune.data_dir) == before


def test_export_is_incremental(village, commune):
    first = export_batch(village, remember=True)
    assert first["record_count"] == 9
    assert export_batch(village)["record_count"] == 0
    home = factories.household("Hộ mới")
    village.store.submit([home])
    second = export_batch(village, remember=True)
    assert [v["id"] for v in second["records"]] == [home["id"]]
    assert (second["since_seq"], second["until_seq"]) == (9, 10)
    assert export_batch(village, all_versions=True)["record_count"] == 10
    for batch in (second, first):                     # any order
        import_batch(commune, batch)
    assert len(commune.store) == 10


def test_unknown_villages_are_added_with_the_site_name(tmp_path, commune):
    other = filled_village(tmp_path / "v5", "thon-5", "Thôn 5", households=1)
    receipt = import_batch(commune, export_batch(other))
    assert receipt.added_villages == ["thon-5"]
    assert commune.village("thon-5") == {"id": "thon-5", "name": "Thôn 5",
                                         "adult_population": None, "targets": {}}


# -- bad input: every case of the issue --------------------------------------

def test_one_byte_changed_in_a_record_is_a_hash_mismatch(village, commune):
    body = batch_bytes(export_batch(village))
    at = body.index("Người 1".encode())
    refused(commune, body[:at] + b"X" + body[at + 1:], "hash", ["băm"])


def test_one_byte_changed_in_the_header_breaks_the_signature(village, commune):
    body = batch_bytes(export_batch(village))
    changed = body.replace('"name":"Thôn 3"'.encode(), '"name":"Thôn 4"'.encode())
    assert changed != body
    refused(commune, changed, "signature", ["Chữ ký"])


@pytest.mark.parametrize("cut", [1, 100, 2000])
def test_truncated_file_is_refused(village, commune, cut):
    body = batch_bytes(export_batch(village))
    refused(commune, body[:-cut], "truncated", ["cắt cụt"])
    packed = gzip_bytes(body)
    refused(commune, packed[:max(11, len(packed) - cut)], "truncated", ["cắt cụt"])


def test_empty_file_is_refused(commune):
    refused(commune, b"", "empty", ["rỗng"])
    refused(commune, b"  \n", "empty")
    refused(commune, gzip.compress(b""), "empty")


def test_not_json_is_refused(commune):
    refused(commune, b"PK\x03\x04 this is a zip", "not_json", ["JSON"])
    refused(commune, b"\xff\xfe{}", "not_json")
    refused(commune, b"[" * 100000, "not_json")


@pytest.mark.parametrize("other", [b"{}", b"[1, 2, 3]", b'"batch"', b"null",
                                   b'{"format": "other-app", "version": 1, "records": []}',
                                   b'{"type": "FeatureCollection", "features": []}'])
def test_another_programs_json_is_refused(commune, other):
    refused(commune, other, "format", ["không phải lô dữ liệu fieldapp"])


def test_unknown_format_version_is_refused(village, commune):
    batch = export_batch(village)
    refused(commune, resign(batch, village.data_dir, version=2), "version", ["Phiên bản", "2"])


def test_missing_or_extra_fields_are_refused(village, commune):
    batch = export_batch(village)
    missing = {k: v for k, v in batch.items() if k != "site"}
    assert "thiếu trường site" in refused(commune, missing, "format").message
    assert "trường lạ extra" in refused(commune, dict(batch, extra=1), "format").message


def test_another_communes_batch_is_refused(village, commune):
    batch = resign(export_batch(village), village.data_dir, commune_code="25261")
    refused(commune, batch, "commune", ["25261", "25264"])


def test_wrong_record_count_is_refused(village, commune):
    batch = export_batch(village)
    refused(commune, resign(batch, village.data_dir, record_count=8), "count", ["8", "9"])


def test_wrong_hash_is_refused(village, commune):
    batch = export_batch(village)
    refused(commune, resign(batch, village.data_dir, records_sha256="0" * 64), "hash")


def test_bad_signature_is_refused(tmp_path, village, commune):
    batch = export_batch(village)
    stranger = factories.village_site(tmp_path / "stranger", users=False)
    forged = resign(batch, stranger.data_dir)        # signed with another key
    refused(commune, forged, "signature")
    refused(commune, dict(batch, signature="AAAA"), "signature")


def test_a_known_site_with_a_new_key_is_refused(village, commune):
    import_batch(commune, export_batch(village, remember=True))
    os.unlink(os.path.join(village.data_dir, keys.KEY_FILE))
    keys.create_site_key(village.data_dir)
    village.store.submit([factories.household("Hộ sau cài lại")])
    error = refused(commune, export_batch(village), "key", ["khóa khác"])
    assert "Thôn 3" in error.message


def test_an_invalid_record_inside_refuses_the_whole_batch(village, commune):
    batch = export_batch(village)
    records = [dict(r) for r in batch["records"]]
    person = next(r for r in records if r["type"] == "person")
    person["data"] = dict(person["data"], birth_year=1700)
    records[0] = dict(records[0], device_id="bad device!")
    error = refused(commune, resign(batch, village.data_dir, records=records), "records",
                    [person["id"], "Cả lô bị từ chối"])
    listed = {r["id"]: r["errors"] for r in error.details["records"]}
    assert set(listed) == {person["id"], records[0]["id"]}
    assert "data.birth_year" in listed[person["id"]] and "device_id" in listed[records[0]["id"]]
    assert error.details["records_total"] == 2


@pytest.mark.parametrize("value", [2 ** 70, -(2 ** 64)])
def test_an_integer_past_64_bits_is_refused_as_a_record_fault(village, commune, value):
    batch = export_batch(village)
    records = [dict(r) for r in batch["records"]]
    person = next(r for r in records if r["type"] == "person")
    person["data"] = dict(person["data"], birth_year=value)
    error = refused(commune, batch_bytes(resign(batch, village.data_dir, records=records)),
                    "records", [person["id"]])
    assert list(error.details["records"][0]["errors"]) == ["data.birth_year"]


@pytest.mark.parametrize("as_file", [False, True])
def test_records_of_a_village_the_site_does_not_hold_are_refused(village, commune, as_file):
    batch = export_batch(village)
    records = batch["records"] + [factories.household("Lạc thôn", village_id="thon-9")]
    batch = resign(batch, village.data_dir, records=records)
    # a file's records are decoded for the sender's villages only: this one is not taken
    # typed, and the record-by-record check names it
    error = refused(commune, batch_bytes(batch) if as_file else batch, "records")
    assert error.details["records"] == [{"id": records[-1]["id"], "index": len(records) - 1,
                                         "errors": {"village_id": "thôn này không thuộc trạm gửi lô"}}]


def test_a_record_id_reused_for_another_type_refuses_the_whole_batch(village, commune):
    import_batch(commune, export_batch(village))
    stored = next(v for v in commune.store.currents() if v["type"] == "household")
    fresh = factories.household("Hộ mới")
    as_person = dict(factories.person(fresh["id"]), id=stored["id"])
    village.store.submit([fresh])
    batch = export_batch(village)
    error = refused(commune, resign(batch, village.data_dir, records=batch["records"] + [as_person]),
                    "records", [stored["id"], "Cả lô bị từ chối"])
    assert [r["id"] for r in error.details["records"]] == [stored["id"]]
    assert commune.store.current(fresh["id"]) is None
    # inside one batch too: the same new id as a household and as a person
    twin = dict(factories.person(fresh["id"]), id=fresh["id"])
    error = refused(commune, resign(batch, village.data_dir, records=batch["records"] + [twin]),
                    "records", [fresh["id"]])
    assert error.details["records"][0]["errors"] == {
        "id": "mã bản ghi đã dùng cho bản ghi khác loại hoặc khác thôn"}


def test_a_reused_batch_id_with_other_content_is_refused(village, commune):
    batch = export_batch(village)
    import_batch(commune, batch)
    village.store.submit([factories.household("Khác")])
    other = resign(export_batch(village), village.data_dir, batch_id=batch["batch_id"])
    refused(commune, other, "batch_id")


def test_only_a_commune_site_imports(village):
    with pytest.raises(BatchRejected) as caught:
        import_batch(village, export_batch(village))
    assert caught.value.problem == "site_kind"


def test_non_canonical_layout_still_verifies(village, commune):
    batch = export_batch(village)
    pretty = json.dumps(batch, indent=2, ensure_ascii=True).encode()
    assert import_batch(commune, pretty).new == 9


def test_indicators_at_the_commune_match_the_village(village, commune):
    import_batch(commune, export_batch(village))
    day = factories.END
    at_village = compute(village.settings, village.store.histories(), day)
    at_commune = compute(commune.settings, commune.store.histories(), day)
    assert at_commune["indicators"] == at_village["indicators"]
    households = at_commune["indicators"][3]
    assert (households["key"], households["numerator"], households["denominator"]) == \
        ("household_vneid_level2", 3, 3)


def test_a_village_file_is_checked_in_one_typed_pass(village, commune):
    """What a village exports is clean already: no record is checked one by one."""
    data = batch_bytes(export_batch(village, all_versions=True))
    with mock.patch("sync.record_checks.check_versions", side_effect=AssertionError("not typed")):
        receipt = import_batch(commune, data)
    assert receipt.new == len(village.store) > 0
    every = lambda store: sorted(canonical_json(v) for h in store.histories().values() for v in h)
    assert every(commune.store) == every(village.store)


def test_the_records_are_hashed_beside_their_decoding_or_after_it(village, commune):
    """A thread hashes the records while they decode; with no thread to be had, the
    import hashes them afterwards, and a changed byte is still the hash's fault."""
    import threading
    data = batch_bytes(export_batch(village, all_versions=True))
    at = data.index(b'"head_name":"') + len(b'"head_name":"')
    changed = data[:at] + (b"X" if data[at:at + 1] != b"X" else b"Y") + data[at + 1:]

    def no_thread(self):
        raise RuntimeError("can't start new thread")
    with mock.patch.object(threading.Thread, "start", no_thread):
        refused(commune, changed, "hash")
        receipt = import_batch(commune, data)
    assert receipt.new == len(village.store) > 0
    refused(commune, changed, "hash")                       # with the thread


def test_deeply_nested_records_are_refused_not_a_crash(village, commune):
    batch = export_batch(village)
    records = [dict(r) for r in batch["records"]]
    deep = []
    for _ in range(500):
        deep = [deep]
    records[0]["data"] = dict(records[0]["data"], note=deep)     # signed as it is
    error = refused(commune, batch_bytes(resign(batch, village.data_dir, records=records)),
                    "records", [records[0]["id"]])
    assert "data.note" in error.details["records"][0]["errors"]
    # deeper than any JSON reader here takes: no batch at all
    data = batch_bytes(batch).replace(b'"records":[', b'"records":[' + b"[" * 5000 + b"]" * 5000 + b",", 1)
    refused(commune, data, "format", ["lồng nhau quá sâu"])
