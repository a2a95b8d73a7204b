"""Search finds a phone number whether it was stored or typed with spaces, dots or +84."""
import pytest

from fieldapp.forms.rules import normalise_phone
from fieldapp.records import search_households
from tests.support.factories import consent, household


@pytest.mark.parametrize("typed", ["0912 345 678", "0912.345.678", "0912-345-678",
                                   "0912345678", "+84 912 345 678", "+84912345678"])
def test_a_phone_typed_any_way_compares_as_its_digits_with_plus84_made_0(typed):
    assert normalise_phone(typed) == "0912345678"


class Store:
    """The one method of storage that search reads."""
    def __init__(self, versions):
        self.versions = versions

    def currents(self):
        return self.versions


@pytest.mark.parametrize("stored,query", [("0912 345 678", "0912345678"),
                                          ("0912345678", "0912 345 678"),
                                          ("0912345678", "+84 912 345"),
                                          ("0912.345.678", "345 678")])
def test_search_finds_a_phone_typed_with_or_without_spaces(stored, query):
    home = household()
    home["data"]["phone"] = stored
    found = search_households(Store([home]), [home["village_id"]], query)
    assert [h["id"] for h in found] == [home["id"]]


def test_search_by_digits_does_not_find_another_number():
    home = household()
    home["data"]["phone"] = "0912345678"
    assert search_households(Store([home]), [home["village_id"]], "0987 654") == []


@pytest.mark.parametrize("typed, stored", [("0912 345 678", "0912345678"),
                                           ("+84 912.345.678", "0912345678"),
                                           ("+33-1-23-45-67-89", "+33123456789")])
def test_the_rules_store_a_phone_as_its_digits_with_plus84_made_0(typed, stored):
    from fieldapp.forms.rules import validate_data
    clean, errors = validate_data("household", {"head_name": "Lê Văn Hải", "phone": typed,
                                                "consent": consent("phone_contact")})
    assert errors == {} and clean["phone"] == stored
