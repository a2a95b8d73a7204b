"""De-identifying a record keeps its facts, drops what identifies a citizen, and the
de-identified data still passes the rules."""
import random

from fieldapp.forms.erasure import (ERASED_NAME, IDENTIFYING, deidentify_version,
                                    is_deidentified)
from fieldapp.forms.rules import validate_data
from tests.support.factories import consent, household, person, survey, visit


def _records(seed):
    rng = random.Random(seed)
    home = household(f"Nguyễn Văn {rng.randint(1, 999)}")
    home["data"].update(phone="0912345678", note=f"cổng xanh {rng.random()}",
                        consent=consent())
    people = [person(home["id"], name=f"Trần Thị {i}", birth_year=rng.randint(1930, 2007),
                     online=rng.random() < 0.5) for i in range(rng.randint(1, 4))]
    people[0]["data"].update(phone="0987654321", consent=consent())
    met = visit(home["id"], outcome=rng.choice(["met", "absent", "refused"]))
    met["data"]["note"] = "hẹn quay lại"
    rated = survey(rating=rng.randint(1, 5), household_id=home["id"])
    rated["data"]["comment"] = "thủ tục nhanh"
    return [home, *people, met, rated]


def test_deidentified_records_keep_every_other_field_and_still_validate():
    for seed in range(30):
        for original in _records(seed):
            erased = deidentify_version(original)
            fields = IDENTIFYING[original["type"]]
            assert {k: v for k, v in erased.items() if k != "data"} == \
                {k: v for k, v in original.items() if k != "data"}
            assert {k: v for k, v in erased["data"].items() if k not in fields} == \
                {k: v for k, v in original["data"].items() if k not in fields}
            for name in fields:
                assert erased["data"].get(name) in (None, ERASED_NAME)
            _, errors = validate_data(original["type"], erased["data"])
            assert errors == {}
            assert is_deidentified(erased) and deidentify_version(erased) == erased


def test_an_identified_record_is_not_reported_as_deidentified_and_is_not_changed():
    home = household("Lê Văn Tám")
    before = {**home, "data": dict(home["data"])}
    erased = deidentify_version(home)
    assert not is_deidentified(home)
    assert home == before
    assert erased["data"] == {"head_name": ERASED_NAME}
