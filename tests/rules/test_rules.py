"""The shared record rules, the envelope checks, periods, search folding and formats."""
import datetime

import pytest

from fieldapp.forms.rules import RULES, validate_data
from fieldapp.indicators.periods import local_cutoff, monthly_periods, weekly_periods
from fieldapp.forms.versions import check_version
from fieldapp.forms.text import fold, percent, vn_date, vn_number
from tests.support.factories import household, person, survey, visit

D = datetime.date
TODAY = D(2025, 8, 1)


def test_a_valid_person_passes_and_text_is_trimmed_and_nfc():
    data = {"household_id": household()["id"], "full_name": "  Nguye\u0302\u0303n Thi\u0323 A\u0301nh ",
            "birth_year": 1990, "vneid": "level2", "bank_account": True,
            "uses_online_services": False}
    clean, errors = validate_data("person", data, TODAY)
    assert errors == {}
    assert clean["full_name"] == "Nguyễn Thị Ánh"


@pytest.mark.parametrize("field,value", [
    ("birth_year", 2030), ("birth_year", "1990"), ("birth_year", True), ("birth_year", 1850),
    ("vneid", "level3"), ("bank_account", "yes"), ("uses_online_services", 1),
    ("household_id", "not-a-uuid"), ("full_name", "x" * 121), ("sex", "other"),
    ("phone", "call me"), ("full_name", "A\x00B"), ("full_name", "Lan \ud800"),
    ("phone", "0912\udfff345678"),
])
def test_bad_person_fields_are_named_in_vietnamese(field, value):
    data = person(household()["id"])["data"]
    data[field] = value
    clean, errors = validate_data("person", data, TODAY)
    assert field in errors and errors[field]


def test_missing_required_fields_and_unknown_fields_are_errors():
    clean, errors = validate_data("visit", {"nickname": "x"}, TODAY)
    assert {"household_id", "visited_on", "outcome", "nickname"} <= set(errors)
    assert "bắt buộc" in errors["outcome"]


def test_visits_and_surveys_check_dates_lists_and_ratings():
    good = visit(household()["id"], help=["bank_account", "vneid_level2", "bank_account"])["data"]
    clean, errors = validate_data("visit", good, TODAY + datetime.timedelta(days=30))
    assert errors == {} and clean["help"] == ["vneid_level2", "bank_account"]
    for bad in ({"help": ["fly"]}, {"visited_on": "2025-02-30"}, {"visited_on": "01/08/2025"},
                {"visited_on": "2031-01-01"}, {"outcome": ["met"]}):
        assert validate_data("visit", dict(good, **bad), TODAY)[1]
    for rating in (0, 6, 4.5, "5"):
        assert "rating" in validate_data("survey", dict(survey()["data"], rating=rating), TODAY)[1]


def test_every_record_type_has_rules_for_the_spec_fields():
    names = {t: {r.name for r in rules} for t, rules in RULES.items()}
    assert names["household"] == {"head_name", "address", "hamlet", "phone", "note", "consent"}
    assert "consent" in names["person"] and "consent" not in names["survey"]
    assert names["survey"] >= {"surveyed_on", "service_area", "rating"}


@pytest.mark.parametrize("change", [
    {"id": "ABC"}, {"type": "pet"}, {"type": {}}, {"type": ["household"]}, {"id": {}}, {"village_id": "Thôn 3"}, {"updated_at": "2025-07-28 09:15"},
    {"updated_at": "2099-01-01T00:00:00.000Z"}, {"device_id": ""}, {"author": 5},
    {"deleted": "no"}, {"extra": 1}, {"data": []},
    # a trailing newline slips past a `$` pattern: ids, villages, devices and stamps end hard
    {"id": "0b8f2a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n"}, {"village_id": "thon-3\n"},
    {"device_id": "ph-minh\n"}, {"updated_at": "2025-07-28T09:15:02.123Z\n"},
])
def test_bad_envelopes_are_rejected(change):
    raw = dict(household(), **change)
    check = check_version(raw)
    assert check.version is None and check.errors


def test_an_envelope_missing_a_key_is_rejected():
    raw = household()
    del raw["device_id"]
    assert "device_id" in check_version(raw).errors


def test_a_tombstone_may_omit_required_data():
    raw = dict(household(), deleted=True, data={})
    assert check_version(raw).errors == {}


def test_weekly_periods_match_the_phu_rieng_plan():
    got = [(p.start, p.end) for p in weekly_periods(D(2025, 7, 25), D(2025, 8, 25))]
    assert got == [(D(2025, 7, 25), D(2025, 7, 31)), (D(2025, 8, 1), D(2025, 8, 7)),
                   (D(2025, 8, 8), D(2025, 8, 14)), (D(2025, 8, 15), D(2025, 8, 25))]
    assert [(p.start, p.end) for p in weekly_periods(D(2025, 1, 1), D(2025, 1, 3))] == [
        (D(2025, 1, 1), D(2025, 1, 3))]
    months = monthly_periods(D(2025, 7, 25), D(2025, 9, 10))
    assert [(p.start, p.end) for p in months] == [
        (D(2025, 7, 25), D(2025, 7, 31)), (D(2025, 8, 1), D(2025, 8, 31)),
        (D(2025, 9, 1), D(2025, 9, 10))]


def test_the_day_ends_at_midnight_in_vietnam():
    assert local_cutoff(D(2025, 8, 25)) == "2025-08-25T16:59:59.999Z"


def test_search_folds_case_and_diacritics():
    assert fold("Nguyễn Thị Ánh") == "nguyen thi anh"
    assert fold("ĐẶNG  Đức") == "dang duc"


def test_numbers_and_dates_are_written_the_vietnamese_way():
    assert percent(0.523) == "52,3 %"
    assert percent(None) == "—"
    assert vn_number(12345) == "12.345"
    assert vn_date("2025-08-25") == "25/08/2025"


def test_a_span_of_dates_says_its_year_once_when_both_share_it():
    from fieldapp.forms.text import vn_span
    assert vn_span("2025-08-15", "2025-08-25") == "15/08–25/08/2025"
    assert vn_span("2025-12-29", "2026-01-04") == "29/12/2025–04/01/2026"


@pytest.mark.parametrize("username, pin", [("hoa\n", "123456"), ("hoa", "123456\n")])
def test_a_trailing_newline_is_not_part_of_a_valid_username_or_pin(site, username, pin):
    from fieldapp.auth.accounts import add_user, get_user
    from fieldapp.forms.errors import Invalid
    with pytest.raises(Invalid):
        add_user(site, username, "volunteer", pin)
    assert get_user(site, "hoa") is None and get_user(site, "hoa\n") is None


def test_stored_utc_times_are_shown_in_vietnam_time():
    from fieldapp.forms.text import vn_date, vn_time
    # 22:56 UTC on the 23rd is 05:56 on the 24th in Vietnam (UTC+7)
    assert vn_date("2026-11-23T22:56:00.000Z") == "24/11/2026"
    assert vn_time("2026-11-23T22:56:00.000Z") == "24/11/2026 05:56"
    assert vn_time("2026-11-23T22:56:00+00:00") == "24/11/2026 05:56"
    assert vn_date("2026-11-23T16:59:59.999Z") == "23/11/2026"
    assert vn_date("2026-11-23") == "23/11/2026" and vn_time(None) == "—"
