"""A household's optional xóm, tổ (hamlet): the same text rules everywhere (the record
rules, the typed import, the round app's boot rules), the village page form, erasure."""
import datetime
import json

from fieldapp.forms.erasure import deidentify_data
from fieldapp.forms.rules import validate_data
from fieldapp.forms.typed import clean_versions
from fieldapp.forms.versions import check_versions
from tests.support import factories
from tests.support.pages import csrf_token, login_page
from tests.support.factories import VOL_PIN

TODAY = datetime.date(2025, 8, 1)
NOW = datetime.datetime(2025, 8, 1, 9, 30, tzinfo=datetime.timezone.utc)


def test_hamlet_is_short_optional_text_under_the_text_rules():
    base = {"head_name": "Nguyễn Văn An"}
    assert validate_data("household", base, TODAY) == (base, {})
    clean, errors = validate_data("household", dict(base, hamlet=" Xo\u0301m Ba\u0300u "), TODAY)
    assert errors == {} and clean["hamlet"] == "Xóm Bàu"
    for bad, why in (("x" * 61, "dài quá 60 ký tự"), ("Xóm\x00", "ký tự không hợp lệ"),
                     ("Xóm\u202e1", "đảo hướng"), (7, "phải là chữ")):
        errors = validate_data("household", dict(base, hamlet=bad), TODAY)[1]
        assert why in errors["hamlet"] and errors["hamlet"].startswith("Xóm, tổ:")
    assert validate_data("household", dict(base, hamlet="x" * 60), TODAY)[1] == {}


def test_the_typed_import_agrees_on_hamlets():
    """The commune's fast path takes a clean hamlet as the full checks do, and leaves
    a refused one to them."""
    good, long = factories.household(), factories.household()
    good["data"]["hamlet"], long["data"]["hamlet"] = "Xóm Bàu", "x" * 61
    assert clean_versions(json.dumps([good]).encode(), NOW) == [
        v for _, v in check_versions([good], NOW)[0]]
    assert clean_versions(json.dumps([long]).encode(), NOW) is None
    assert check_versions([long], NOW)[0] == []


def test_the_round_page_boot_rules_carry_the_hamlet_rule(client, site):
    page = client.get("/round").get_data(as_text=True)
    assert '["hamlet","text","Xóm, tổ",0,60]' in page       # fields travel as lists


def test_the_village_household_form_saves_and_shows_the_hamlet(client, site):
    login_page(client, "minh", VOL_PIN)
    form = client.get("/records/new/household").get_data(as_text=True)
    assert 'name="hamlet"' in form and "Xóm, tổ" in form
    token = csrf_token(client, "/records/new/household")
    saved = client.post("/records/new/household", data={
        "csrf_token": token, "head_name": "Lê Thị Hồng Đào", "address": "Số 4",
        "hamlet": "Xóm Bàu"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    site.store.refresh()
    [home] = [h[-1] for h in site.store.histories().values()]
    assert home["data"]["hamlet"] == "Xóm Bàu"
    assert "Xóm Bàu · Số 4" in client.get("/households").get_data(as_text=True)
    assert "Lê Thị Hồng Đào" in client.get("/households?q=xom bau").get_data(as_text=True)
    assert "Lê Thị Hồng Đào" not in client.get("/households?q=xom dong").get_data(as_text=True)
    assert "Xóm Bàu · Số 4" in client.get(saved.headers["Location"]).get_data(as_text=True)

    refused = client.post("/records/new/household", data={
        "csrf_token": token, "head_name": "Trần Văn Lộc", "hamlet": "x" * 61})
    assert refused.status_code == 422
    assert "Xóm, tổ: dài quá 60 ký tự" in refused.get_data(as_text=True)


def test_erasure_removes_the_hamlet_with_the_address():
    data = {"head_name": "Nguyễn Văn An", "address": "Số 1", "hamlet": "Xóm Bàu"}
    assert "hamlet" not in deidentify_data("household", data)
