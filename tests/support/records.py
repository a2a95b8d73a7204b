"""Hypothesis strategies and values for records: plain valid data, near misses and odd
values of every kind a field or an envelope may meet."""
import datetime

from hypothesis import strategies as st

from fieldapp.forms.rules import RULES
from fieldapp.forms.versions import ENVELOPE

NOW = datetime.datetime(2025, 8, 1, 9, 30, tzinfo=datetime.timezone.utc)
UUID = "0b8f2a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"

# plain valid values, near misses and odd values of every kind a field may meet
VALUES = [
    None, "", "   ", [], {}, True, False, 0, 1, 3, 4, 5, 6, 1.5, 1899, 1900, 1990, 2025, 2026,
    UUID, UUID + "\n", UUID.upper(), "not-a-uuid", "Nguyễn Thị Ánh", "  Nguye\u0302\u0303n  ",
    "A\x00B", "dòng một\ndòng hai", "tab\there", "\u00a0khoảng trắng", "x" * 121, "x" * 1001,
    "0912 345 678", " +84912345678 ", "091", "call me", "2025-08-01", "2025-08-02",
    "2025-08-03", "2025-02-30", "1999-12-31", "2000-01-01", "20250801", "٢٠٢٥-٠٨-٠١",
    "male", "female", "other", "none", "level1", "level2", "level3", "met", "absent",
    "refused", "land", "civil_status", "lead", "volunteer",
    ["bank_account", "vneid_install"], ["vneid_install", "bank_account", "bank_account"],
    ["unknown"], [1], ["bank_account"] * 17,
]
# near misses per kind of field, drawn half of the time for that kind
NEAR = {
    "year": [1899, 1900, 2024, 2025, 2026, True, "1990", 1990.0],
    "rating": [0, 1, 5, 6, True, "4", 4.0],
    "date": ["2024-12-31", "2025-01-01", "2025-01-02", "2025-08-02", "2025-08-03",
             "1999-12-31", "2000-01-01", "2025-02-30", "20250801", "2025-08-01\n"],
    "bool": [True, False, 0, 1, "true"],
    "ref": [UUID, UUID + "\n", UUID.upper(), ""],
    "text": ["a", " a ", "x" * 32, "x" * 33, "x" * 120, "x" * 121, "x" * 200, "x" * 201,
             "x" * 1000, "x" * 1001, "a\x7fb", "a\x85b", "a\u2028b", "e\u0301",
             # invisible only, bidirectional controls, and neighbours that are allowed
             "\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", "\u0301", "\u3000\u200b",
             "\u00a0\u2007", "Lan\u202e", "\u2066An\u2069", "\u202aA", "a\u202bb", "\u200b1",
             "A\u200b", "\u2067", "\u2068", "\u202c", "\u202d", "\u2065a", "\u206aa", "7"],
    "phone": ["0912345678", "0912.345.678", "+84 912 345 678", "0912-34", "09123456789012345678",
              " 0912345678\n"],
    "choice": ["male", "level2", "met", "land", "lead", "", "Male"],
    "consent": [
        {"notice_version": "2026-01", "purposes": ["phone_contact"], "by": "self",
         "on": "2025-08-01"},
        {"notice_version": "2026-01", "purposes": [], "by": "guardian", "on": "2025-08-02"},
        {"notice_version": "2026-01", "purposes": ["phone_contact", "campaign_support"],
         "by": "self", "on": "2025-07-30"},
        {"notice_version": "2026-01", "purposes": ["phone_contact", "phone_contact"],
         "by": "self", "on": "2025-08-01"},
        {"notice_version": "2026-01", "purposes": ["sms"], "by": "self", "on": "2025-08-01"},
        {"notice_version": "2025-12", "purposes": [], "by": "self", "on": "2025-08-01"},
        {"notice_version": "2026-01", "purposes": [], "by": "friend", "on": "2025-08-01"},
        {"notice_version": "2026-01", "purposes": [], "by": "self", "on": "2025-08-03"},
        {"notice_version": "2026-01", "purposes": [], "by": "self", "on": "2025-02-30"},
        {"notice_version": "2026-01", "purposes": "phone_contact", "by": "self",
         "on": "2025-08-01"},
        {"notice_version": "2026-01", "purposes": [], "by": "self"},
        {"notice_version": "2026-01", "purposes": [], "by": "self", "on": "2025-08-01", "x": 1},
        ["phone_contact"]],
    "choices": [["vneid_install"], ["vneid_install", "vneid_install"], ["bank_account"] * 16,
                ["bank_account"] * 17, [], [""]],
}
KIND_OF = {rule.name: rule.kind for fields in RULES.values() for rule in fields}


def value_for(name):
    return st.one_of(st.sampled_from(NEAR.get(KIND_OF.get(name), [None])),
                     st.sampled_from(VALUES))


NAMES = sorted({rule.name for fields in RULES.values() for rule in fields})


@st.composite
def data_of(draw, record_type):
    """Data for a type: mostly its own fields with values that are often right."""
    out = {}
    for rule in RULES[record_type]:
        if draw(st.integers(0, 9)) < 8:
            out[rule.name] = draw(value_for(rule.name))
    if draw(st.integers(0, 9)) == 0:
        out[draw(st.sampled_from(NAMES + ["nickname"]))] = draw(st.sampled_from(VALUES))
    return out


# agreed to every purpose, on the day before NOW
CONSENT = {"notice_version": "2026-01", "by": "self", "on": "2025-07-31",
           "purposes": ["campaign_support", "satisfaction_survey", "phone_contact"]}


def good_data(record_type):
    """Valid data for every type, so that most drawn versions take the fast path."""
    return {"household": {"head_name": " Lê Văn Hải ", "address": "Tổ 3", "phone": "0912345678",
                          "note": "", "consent": CONSENT},
            "person": {"household_id": UUID, "full_name": "Lê Thị Mai", "birth_year": 1990,
                       "sex": "female", "phone": "", "vneid": "level2", "bank_account": True,
                       "uses_online_services": False, "paid_online": False},
            "visit": {"household_id": UUID, "visited_on": "2025-08-01", "outcome": "met",
                      "help": ["vneid_level2", "bank_account"], "note": "Hẹn lần sau"},
            "survey": {"household_id": UUID, "person_id": UUID, "surveyed_on": "2025-07-30",
                       "service_area": "land", "rating": 4, "comment": None},
            "member": {"full_name": "Trần Minh", "username": "minh", "role": "volunteer",
                       "active": True, "trained_on": "2025-07-28", "training_topic": ""},
            }[record_type]


ENVELOPE_VALUES = {
    "id": [UUID, UUID.upper(), UUID + "\n", "x", 5, None],
    "type": sorted(RULES) + ["note", 3, ["person"]],
    "village_id": ["thon-3", "ap-1", "Thon 3", "", ["thon-3"], None],
    "updated_at": ["2025-08-01T09:15:02.123Z", "2025-08-02T09:29:59.999Z",
                   "2025-08-02T09:30:00.001Z", "2025-08-09T00:00:00.000Z",
                   "2025-13-01T00:00:00.000Z", "2025-02-30T00:00:00.000Z",
                   "2025-08-01T24:00:00.000Z", "2025-08-01T09:15:02.123Z\n",
                   "2025-08-01T09:15:02Z", "2025-08-01 09:15:02.123Z", 20250801,
                   "2025-08-02T09:30:00.000Z", "2025-08-02T09:30:00.123Z",
                   "2025-08-02T09:30:00.124Z", "2025-08-02T02:30:00.124Z",
                   "0000-01-01T00:00:00.000Z", "0999-01-01T00:00:00.000Z",
                   "2025-08-01T23:59:60.000Z", "2025-08-01T12:60:00.000Z",
                   # at and just past MAX_CLOCK_AHEAD (10 minutes) of each of NOWS
                   "2025-08-01T09:40:00.000Z", "2025-08-01T09:40:00.001Z",
                   "2025-08-01T09:40:00.123Z", "2025-08-01T09:40:00.124Z",
                   "2025-08-01T02:40:00.123Z", "2025-08-01T02:40:00.124Z",
                   "２０２５-08-01T09:15:02.123Z", "2025-08-01T09:15:02.１２３Z"],
    "device_id": ["ph-minh", "ph minh", "", "x" * 65, 7],
    "author": ["minh", "Nguye\u0302\u0303n", "", "x" * 64, "x" * 65, None, "mi\u202enh",
               "mi\x00nh", "mi\nnh"],
    "deleted": [False, True, 0, None, "false"],
    "base": [None, {"updated_at": "2025-08-01T09:00:00.000Z", "device_id": "ph-lan"},
             {"updated_at": "2025-08-01T09:00:00.000Z", "device_id": "ph lan"},
             {"updated_at": "2025-02-30T09:00:00.000Z", "device_id": "ph-lan"},
             {"updated_at": "2025-08-01T09:00:00.000Z"}, "2025-08-01T09:00:00.000Z",
             {"updated_at": "2025-08-01T09:00:00.000Z", "device_id": "ph-lan", "x": 1},
             [{"updated_at": "2025-08-01T09:00:00.000Z", "device_id": "ph-lan"}],
             [{"updated_at": "2025-08-01T09:00:00.000Z", "device_id": "ph-lan"},
              {"updated_at": "2025-08-01T09:01:00.000Z", "device_id": "ph-minh"}],
             [{"updated_at": "2025-08-01T09:00:00.000Z", "device_id": "ph-lan"}] * 2, []],
}


@st.composite
def raw_versions(draw):
    record_type = draw(st.sampled_from(sorted(RULES)))
    raw = {"id": UUID, "type": record_type, "village_id": "thon-3",
           "updated_at": "2025-08-01T09:15:02.123Z", "device_id": "ph-minh", "author": "minh",
           "deleted": False, "data": dict(good_data(record_type))}
    for _ in range(draw(st.integers(0, 3))):
        what = draw(st.sampled_from(list(ENVELOPE) + ["base", "data field", "drop", "extra"]))
        if what == "data field":
            base = raw["data"] if isinstance(raw.get("data"), dict) else {}
            raw["data"] = draw(data_of(record_type)) if draw(st.booleans()) else \
                dict(base, **{name: draw(value_for(name)) for name in [draw(st.sampled_from(NAMES))]})
        elif what == "drop":
            raw.pop(draw(st.sampled_from(list(ENVELOPE))), None)
        elif what == "extra":
            raw["seq"] = 1
        elif what == "data":
            raw["data"] = draw(st.sampled_from([None, [], "x", {}]))
        else:
            raw[what] = draw(st.sampled_from(ENVELOPE_VALUES[what]))
    return raw


NOWS = [NOW, NOW.replace(microsecond=123456),
        NOW.astimezone(datetime.timezone(datetime.timedelta(hours=7))),
        datetime.datetime(2025, 8, 1, 2, 30, 0, 123999, tzinfo=datetime.timezone.utc)]
