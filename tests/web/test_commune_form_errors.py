"""A refused save on a commune form: a summary at the top of the page names every error
at once, each a link to its field; every error also stands under its own field."""
import json
import os
import re
from html import unescape


from tests.support.commune import client, commune, sign_in, staff  # noqa: F401
from tests.support.pages import csrf_token


def post(client, path, data, page):
    return client.post(path, data=dict(data, csrf_token=csrf_token(client, page)))


def summary(response):
    """[(target id or None, text)] of the page's error summary, and the page's ids."""
    page = response.get_data(as_text=True)
    block = re.search(r'<div class="flash error error-summary" role="alert">(.*?)</div>', page, re.S)
    assert block, "no error summary at the top of the page"
    assert page.index("error-summary") < page.index("<form", page.index("<main"))  # above the forms
    rows = [(m.group(2), unescape(re.sub(r"<[^>]+>", "", m.group(3))).strip())
            for m in re.finditer(r'<li>(<a href="#([^"]+)">)?(.*?)</li>', block.group(1), re.S)]
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    for target, _ in rows:
        assert target is None or target in ids, f"the link to #{target} leads nowhere"
    return rows


def settings(commune):
    with open(os.path.join(commune.data_dir, "settings.json"), "rb") as handle:
        return handle.read()


def test_adding_a_village_lists_each_bad_field_and_links_to_it(commune, staff):
    before = settings(commune)
    response = post(staff, "/commune/villages/add", {
        "village_name": "   ", "village_id": "Thôn có dấu!", "adult_population": "-5"},
        "/commune/villages")
    assert response.status_code == 422
    rows = summary(response)
    assert {target for target, _ in rows} == {"village_name", "village_id", "adult_population"}
    assert all(text.split(":", 1)[1].strip() for _, text in rows)    # label: message
    assert settings(commune) == before


def test_bad_commune_targets_link_to_their_fields(commune, staff):
    response = post(staff, "/commune/villages/targets", {
        "t_adult_online_usage": "150", "t_households_visited": "nhiều"}, "/commune/villages")
    assert response.status_code == 422
    assert {t for t, _ in summary(response)} == {"t_adult_online_usage", "t_households_visited"}


def test_a_new_account_shows_every_error_at_once_under_its_own_field(commune, client):
    admin = sign_in(client, "quantri")
    response = post(admin, "/commune/users", {"username": "Cán Bộ", "password": "ngắn",
                                             "role": "boss"}, "/commune/users")
    assert response.status_code == 422
    assert {t for t, _ in summary(response)} == {"full_name", "username", "password", "role-0"}
    page = response.get_data(as_text=True)
    for field, message in (("full_name", "bắt buộc"), ("username", "chữ thường không dấu"),
                           ("password", "ít nhất 10 ký tự"), ("role", "Hãy chọn vai trò")):
        assert re.search(rf'id="{field}-err">[^<]*{message}', page), field
    users = json.loads(open(os.path.join(commune.data_dir, "users.json"), "rb").read()) \
        if os.path.exists(os.path.join(commune.data_dir, "users.json")) else {}
    assert "cán bộ" not in json.dumps(users, ensure_ascii=False).lower()


def test_a_bad_procedure_cell_is_linked_and_marked(commune, staff):
    response = post(staff, "/commune/procedures/?period=1", {
        "land-received": "10", "land-settled": "mười", "land-paid_online": "3",
        "land-with_fee": "1"}, "/commune/procedures/?period=1")
    assert response.status_code == 422
    rows = summary(response)
    assert {t for t, _ in rows} == {"land-settled", "land-paid_online"}
    page = response.get_data(as_text=True)
    assert re.search(r'id="land-settled"[^>]*aria-invalid="true"', page)
    assert not re.search(r'id="land-received"[^>]*aria-invalid', page)


def test_bad_procedure_targets_are_linked(commune, staff):
    response = post(staff, "/commune/procedures/targets", {
        "baseline_year": "năm ngoái", "target-full_online_rate": "160"},
        "/commune/procedures/targets")
    assert response.status_code == 422
    assert {t for t, _ in summary(response)} == {"baseline_year", "target-full_online_rate"}

