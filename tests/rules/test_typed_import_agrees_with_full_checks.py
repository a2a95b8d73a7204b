"""Cases where the typed fast path or the batch reader could answer differently from
checking record by record, or crash."""
import datetime
import gc
import json
import weakref

import pytest

from fieldapp.forms.versions import check_versions
from fieldapp.forms.typed import clean_versions
from sync.batch import batch_bytes, read_batch
from sync.errors import BatchRejected
from sync.export import export_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import filled_village, resign, snapshot

NOW = datetime.datetime(2025, 8, 2, 12, 0, tzinfo=datetime.timezone.utc)
HOME = "6f1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8"


def person_version(**data):
    return {"id": "8c0b5c1e-1234-4abc-8def-0123456789ab", "type": "person",
            "village_id": "thon-3", "updated_at": "2025-08-01T09:15:02.123Z",
            "device_id": "ph-1", "author": "minh", "deleted": False,
            "data": dict({"household_id": HOME, "full_name": "Lan", "birth_year": 1990,
                          "vneid": "level2", "bank_account": True,
                          "uses_online_services": False}, **data)}


def both(raw):
    """(clean_versions' answer, check_versions' (versions, errors)) for one record."""
    body = json.dumps([raw], ensure_ascii=False, separators=(",", ":")).encode()
    checked, bad = check_versions([raw], NOW)
    return clean_versions(body, NOW), ([v for _, v in checked], [b.errors for _, b in bad])


@pytest.mark.parametrize("stamp", ["2025-08-01T09:15:02.12Z3", "2025-08-01T09:15:0.2123Z",
                                   "2025-08-01T09:15:02123.Z"])
def test_a_stamp_with_its_separators_out_of_place_is_not_taken(stamp):
    # typedrecords._stamps checks which non-digits occur, in order, not where they are
    got, (versions, errors) = both(person_version() | {"updated_at": stamp})
    assert errors == [{"updated_at": "phải là giờ UTC dạng 2025-07-28T09:15:02.123Z"}]
    assert got is None


@pytest.mark.parametrize("phone", ["0912 345 678\n", "0912 345 678\n0987 654 321", "\n"])
def test_a_phone_with_a_newline_is_not_taken_as_clean(phone):
    # typedrecords._data_clean joins phones with newlines and lets _PHONES match any lines
    got, (versions, errors) = both(person_version(phone=phone))
    assert got is None or (not errors and got == versions), (got, versions, errors)


def test_invalid_utf8_inside_a_record_is_not_a_crash():
    body = json.dumps([person_version()], separators=(",", ":")).encode()
    assert clean_versions(body.replace(b'"Lan"', b'"L\xffn"'), NOW) is None


def test_invalid_utf8_in_a_top_level_key_is_refused_not_a_crash():
    with pytest.raises(BatchRejected):
        read_batch(b'{"form\xffat":"fieldapp-batch","records":[]}')


@pytest.fixture
def sites(tmp_path):
    village = filled_village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    return village, commune


def tampered(village, change):
    """A batch of the village's records, one of them changed, signed by the village."""
    batch = export_batch(village, all_versions=True)
    records = [dict(r) for r in batch["records"]]
    change(records[1])
    return batch_bytes(resign(batch, village.data_dir, records=records))


def test_a_signed_batch_with_a_malformed_stamp_is_refused(sites):
    village, commune = sites
    data = tampered(village, lambda r: r.update(updated_at=r["updated_at"][:22] + "Z"
                                                + r["updated_at"][22]))
    before = snapshot(commune.data_dir)
    with pytest.raises(BatchRejected) as caught:
        import_batch(commune, data)
    assert caught.value.problem == "records"
    assert snapshot(commune.data_dir) == before


def test_a_signed_batch_with_a_two_line_phone_is_refused(sites):
    village, commune = sites
    data = tampered(village, lambda r: r["data"].update(phone="0912 345 678\n0987 654 321"))
    with pytest.raises(BatchRejected) as caught:
        import_batch(commune, data)
    assert caught.value.problem == "records"


def test_a_batch_with_invalid_utf8_in_a_record_is_refused_not_a_crash(sites):
    village, commune = sites
    data = tampered(village, lambda r: None).replace("Người 0".encode(), b"Ng\xff\xffi 0")
    assert data.count(b"\xff") == 2
    with pytest.raises(BatchRejected) as caught:
        import_batch(commune, data)
    assert caught.value.problem == "not_json"


def test_an_import_does_not_make_cyclic_garbage_immortal(sites):
    village, commune = sites
    data = batch_bytes(export_batch(village, all_versions=True))

    class Node:
        pass

    enabled = gc.isenabled()
    gc.disable()          # no collection may run between making the garbage and the import
    try:
        node = Node()
        node.me = node
        gone = weakref.ref(node)
        del node
        import_batch(commune, data)
        gc.collect()
        assert gone() is None, "cyclic garbage alive at an import is frozen for good"
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
