"""Consent at the door (SPEC §3): its shape, and the phone it allows, judged alike by the
record rules and by the typed import of whole batches."""
import datetime
import json

import pytest

from fieldapp.forms.consent import NOTICE_VERSION, comment_allowed
from fieldapp.forms.rules import validate_data
from fieldapp.forms.typed import clean_versions
from fieldapp.forms.versions import check_versions

TODAY = datetime.date(2026, 3, 10)
NOW = datetime.datetime(2026, 3, 10, 5, 0, tzinfo=datetime.timezone.utc)
HOME = "6f1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8"


def consent(**change):
    return dict({"notice_version": NOTICE_VERSION, "purposes": ["phone_contact"],
                 "by": "self", "on": "2026-03-10"}, **change)


def household(**data):
    return dict({"head_name": "Lê Văn Hải"}, **data)


def test_a_consent_is_kept_with_its_purposes_in_the_order_of_the_notice():
    given = consent(purposes=["phone_contact", "campaign_support"], by="guardian")
    clean, errors = validate_data("household", household(consent=given), TODAY)
    assert errors == {}
    assert clean["consent"] == dict(given, purposes=["campaign_support", "phone_contact"])


@pytest.mark.parametrize("given, words", [
    (consent(purposes=["phone_contact", "marketing"]), "mục đích không hợp lệ"),
    (consent(purposes=["phone_contact", "phone_contact"]), "hai lần"),
    (consent(purposes="phone_contact"), "danh sách"),
    (consent(purposes=[1]), "danh sách"),
    (consent(by="neighbour"), "người giám hộ"),
    (consent(on="2026-03-12"), "tương lai"),
    (consent(on="2026-02-30"), "ngày có thật"),
    (consent(on="10/03/2026"), "YYYY-MM-DD"),
    (consent(notice_version="2030-01"), NOTICE_VERSION),
    ({"purposes": ["phone_contact"], "by": "self", "on": "2026-03-10"}, "bốn mục"),
    (dict(consent(), extra=1), "bốn mục"),
    ("phone_contact", "bốn mục"),
])
def test_a_wrong_consent_is_refused_with_a_vietnamese_message_on_its_field(given, words):
    clean, errors = validate_data("person", {"consent": given}, TODAY, partial=True)
    assert set(errors) == {"consent"} and "consent" not in clean
    assert errors["consent"].startswith("Đồng ý: ") and words in errors["consent"]


@pytest.mark.parametrize("record_type", ["household", "person"])
@pytest.mark.parametrize("given", [None, consent(purposes=[]),
                                   consent(purposes=["campaign_support", "satisfaction_survey"]),
                                   consent(purposes=["sms"])])
def test_a_phone_without_phone_contact_consent_is_refused_naming_the_phone(record_type, given):
    data = {"household_id": HOME, "full_name": "Lan", "birth_year": 1990, "vneid": "none",
            "bank_account": False, "uses_online_services": False} \
        if record_type == "person" else household()
    if given is not None:
        data["consent"] = given
    clean, errors = validate_data(record_type, dict(data, phone="0912 345 678"), TODAY)
    assert "phone" not in clean
    assert errors["phone"].startswith("Số điện thoại: chỉ được ghi khi người dân đồng ý")
    assert "xóa số điện thoại" in errors["phone"]       # withdrawal: remove the phone too


def test_withdrawing_phone_contact_is_an_edit_that_must_drop_the_phone():
    kept = household(phone="0912345678", consent=consent())
    assert validate_data("household", kept, TODAY)[1] == {}
    withdrawn = dict(kept, consent=consent(purposes=[]))
    assert set(validate_data("household", withdrawn, TODAY)[1]) == {"phone"}
    clean, errors = validate_data("household", dict(withdrawn, phone=""), TODAY)
    assert errors == {} and clean["consent"]["purposes"] == []


def test_an_empty_phone_needs_no_consent_and_a_tombstone_is_never_refused_for_its_phone():
    assert validate_data("household", household(phone=""), TODAY)[1] == {}
    assert validate_data("household", household(phone="0912345678"), TODAY, partial=True)[1] == {}


def test_a_survey_comment_needs_the_satisfaction_consent_of_the_person_or_household():
    people = {"p": {"consent": consent(purposes=["satisfaction_survey"])},
              "h": {"consent": consent(purposes=["phone_contact"])}}
    assert comment_allowed({"comment": "Tốt", "person_id": "p", "household_id": "h"}, people.get)
    assert comment_allowed({"comment": "Tốt", "household_id": "h"}, people.get) is False
    assert comment_allowed({"comment": "Tốt", "household_id": "x"}, people.get) is None
    assert comment_allowed({"comment": "Tốt"}, people.get) is False
    assert comment_allowed({"comment": "", "household_id": "h"}, people.get) is True


def _version(data, record_type="household"):
    return {"id": "8c0b5c1e-1234-4abc-8def-0123456789ab", "type": record_type,
            "village_id": "thon-3", "updated_at": "2026-03-10T04:00:00.000Z",
            "device_id": "ph-1", "author": "minh", "deleted": False, "data": data}


@pytest.mark.parametrize("data", [
    household(phone="0912345678", consent=consent()),
    household(phone="0912345678", consent=consent(purposes=["campaign_support"])),
    household(phone="0912345678"),
    household(phone="", consent=consent(purposes=[])),
    household(consent=consent(purposes=["phone_contact", "campaign_support"])),
    household(consent=consent(purposes=["campaign_support", "campaign_support"])),
    household(consent=consent(on="2026-03-12")),
    household(consent=consent(on="2026-03-11")),
    household(consent=consent(notice_version="2025-01")),
])
def test_the_typed_import_answers_as_the_record_rules_do(data):
    body = json.dumps([_version(data)], ensure_ascii=False).encode()
    checked, bad = check_versions([_version(data)], NOW)
    typed = clean_versions(body, NOW)
    if bad:
        assert typed is None
    else:
        assert typed is None or typed == [v for _, v in checked]
    if typed is not None:
        assert typed == [v for _, v in checked]


def test_the_typed_import_takes_clean_consents_itself():
    data = [household(phone="0912345678", consent=consent()),
            household(consent=consent(purposes=[], by="guardian"))]
    body = json.dumps([_version(d) for d in data], ensure_ascii=False).encode()
    assert clean_versions(body, NOW) == [v for _, v in check_versions(
        [_version(d) for d in data], NOW)[0]]
