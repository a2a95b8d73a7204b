"""Text a person can read (SPEC §3): a required name holds a letter; no text field holds a
bidirectional embedding, override or isolate. Through the API, the village pages and
batch import, typed and record by record."""
import datetime
import uuid

import pytest

from fieldapp import create_app
from fieldapp.forms.rules import RULES
from sync.batch import batch_bytes
from sync.errors import BatchRejected
from sync.export import build_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import bare_commune, bare_village  # noqa: F401  (fixtures)
from tests.support.pages import csrf_token, login_page
from tests.support.batches import resign, snapshot

INVISIBLE = ["\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", "\u3000", "\u00a0\u2007",
             "\u0301", "\u0301\u0302", " \u200b ", "\u200b\u00a0\u2060", "\u180e", "\u2800"]
BIDI = [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
READABLE = ["Nguyễn Văn An", "Ksor H'Luyện", "Nguye\u0302\u0303n Thi\u0323 Ánh", "Lý A",
            "Hồ\u200bThị Lan", "李明"]

# every text field of the door-to-door types and the roster, with valid data around it
TEXT_FIELDS = [(record_type, rule.name) for record_type, rules in RULES.items()
               for rule in rules if rule.kind == "text"]


def valid_data(record_type, household_id):
    return {"household": {"head_name": "Lê Văn Hải", "address": "Tổ 3", "note": "Hẹn lại"},
            "person": {"household_id": household_id, "full_name": "Lê Thị Mai",
                       "birth_year": 1990, "vneid": "level2", "bank_account": True,
                       "uses_online_services": False},
            "visit": {"household_id": household_id, "visited_on": "2025-08-01",
                      "outcome": "met", "note": "Đã hướng dẫn"},
            "survey": {"household_id": household_id, "surveyed_on": "2025-08-01",
                       "service_area": "land", "rating": 4, "comment": "Tốt"},
            "member": {"full_name": "Trần Minh", "username": "minh", "active": True,
                       "training_topic": "VNeID"}}[record_type]


def post(client, token, *records):
    response = client.post("/api/v1/records", json={"records": list(records)},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def new_version(record_type, data, author="lan"):
    return dict(factories.version(record_type, data, author=author),
                updated_at=datetime.datetime.now(datetime.timezone.utc)
                .strftime("%Y-%m-%dT%H:%M:%S.000Z"))


@pytest.mark.parametrize("record_type,field", [("household", "head_name"),
                                               ("person", "full_name")])
def test_a_name_of_invisible_characters_only_is_refused(client, lead_token, record_type,
                                                        field):
    versions = [new_version(record_type, dict(valid_data(record_type, str(uuid.uuid4())),
                                              **{field: name})) for name in INVISIBLE]
    results = post(client, lead_token, *versions)
    for name, result in zip(INVISIBLE, results):
        assert result["status"] == "rejected", name
        assert set(result["errors"]) == {f"data.{field}"}
        message = result["errors"][f"data.{field}"]
        if name.strip():        # (a name of spaces alone trims to empty: "bắt buộc")
            assert message.endswith("phải có ít nhất một chữ cái (không chỉ dấu cách hay "
                                    "ký tự vô hình)"), (name, message)
        else:
            assert message.endswith("bắt buộc")


def test_a_name_with_a_letter_is_kept(client, lead_token):
    versions = [new_version("household", dict(valid_data("household", None), head_name=name))
                for name in READABLE]
    results = post(client, lead_token, *versions)
    assert [r["status"] for r in results] == ["accepted"] * len(READABLE), results


def test_a_bidirectional_control_is_refused_in_every_text_field(client, lead_token):
    cases = [(record_type, field, mark) for record_type, field in TEXT_FIELDS for mark in BIDI]
    versions = [new_version(record_type, dict(valid_data(record_type, str(uuid.uuid4())),
                                              **{field: f"Lan{mark} 0912"}))
                for record_type, field, mark in cases]
    for (record_type, field, mark), result in zip(cases, post(client, lead_token, *versions)):
        assert result["status"] == "rejected", (record_type, field, f"U+{ord(mark):04X}")
        assert set(result["errors"]) == {f"data.{field}"}
        assert "đảo hướng chữ" in result["errors"][f"data.{field}"]


def test_an_author_with_a_bidirectional_control_is_refused(site):
    from fieldapp.forms.versions import check_version
    version = new_version("household", valid_data("household", None), author="lan\u202e")
    check = check_version(version)
    assert check.version is None and "author" in check.errors


def test_the_household_page_refuses_an_invisible_name_in_vietnamese(app, site):
    client = app.test_client()
    login_page(client, "lan", factories.LEAD_PIN)
    path = "/records/new/household"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "head_name": "\u200b\u200b", "address": "Xóm 1"})
    assert response.status_code == 422
    assert "phải có ít nhất một chữ cái" in response.get_data(as_text=True)
    site.store.refresh()
    assert not list(site.store.currents())


def test_the_visit_page_refuses_a_right_to_left_override_in_the_note(app, site):
    home = factories.household()
    site.store.submit([home])
    client = app.test_client()
    login_page(client, "lan", factories.LEAD_PIN)
    path = f"/records/new/visit?household_id={home['id']}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "visited_on": "2025-08-01", "outcome": "met",
                                       "note": "gọi lại \u202e876 543 2190"})
    assert response.status_code == 422
    assert "đảo hướng chữ" in response.get_data(as_text=True)


# -- batch import: the typed decoding and the record-by-record check agree -------------


def batch_with(bare_village, records):
    batch = build_batch(bare_village, 0, None, str(uuid.uuid4()),
                        datetime.datetime.now(datetime.timezone.utc)
                        .strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    return resign(batch, bare_village.data_dir, records=records)


@pytest.mark.parametrize("as_bytes", [True, False], ids=["typed", "record_by_record"])
@pytest.mark.parametrize("change", [("household", "head_name", "\u200b"),
                                    ("person", "full_name", "\u2060\ufeff"),
                                    ("household", "address", "Xóm \u2067 1"),
                                    ("survey", "comment", "\u202dTốt"),
                                    ("member", "full_name", "\u0301")])
def test_a_batch_holding_an_unreadable_text_is_refused_whole(bare_village, bare_commune, as_bytes,
                                                             change):
    record_type, field, value = change
    home = factories.household()
    bad = factories.version(record_type, dict(valid_data(record_type, home["id"]),
                                              **{field: value}))
    batch = batch_with(bare_village, [home, bad])
    before = snapshot(bare_commune.data_dir)
    with pytest.raises(BatchRejected) as caught:
        import_batch(bare_commune, batch_bytes(batch) if as_bytes else batch)
    assert caught.value.problem == "records" and bad["id"] in caught.value.message
    [named] = caught.value.details["records"]
    assert set(named["errors"]) == {f"data.{field}"}
    assert snapshot(bare_commune.data_dir) == before
