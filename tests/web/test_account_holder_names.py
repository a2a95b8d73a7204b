"""Staff and admin accounts carry their holder's name (a volunteer's is on the team
roster): the page header, the account list and the audit log name the person, the login
follows in small type; the name is given when the account is made, set later on
/commune/users or with `fieldapp user name`, and checked like a roster name."""
import re

import pytest

from fieldapp import audit
from fieldapp.auth import accounts as auth
from fieldapp.cli import main
from tests.support.commune import client, commune, page_text, sign_in  # noqa: F401
from tests.support.pages import csrf_token

NAME = "Phạm Thị Bích Ngọc"


def header_name(response):
    """The name the page header shows for the signed-in person."""
    found = re.search(r'<span class="who">(.*?)</span>', response.get_data(as_text=True), re.S)
    assert found, "no name in the header"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def set_name(admin, username, name):
    return admin.post(f"/commune/users/{username}/name", data={
        "csrf_token": csrf_token(admin, "/commune/users"), "full_name": name},
        follow_redirects=True)


def test_a_named_account_is_shown_by_its_holders_name(commune, client):
    admin = sign_in(client, "quantri")
    assert header_name(admin.get("/commune/")) == "quantri"      # no name yet: the login
    response = set_name(admin, "canbo", NAME)
    assert "Đã ghi họ và tên cho canbo" in page_text(response)
    assert auth.get_user(commune, "canbo")["full_name"] == NAME
    listed = page_text(admin.get("/commune/users"))
    assert f"{NAME} (canbo)" in listed
    staff = sign_in(commune_client(commune), "canbo")
    assert header_name(staff.get("/commune/")) == NAME
    entry = audit.entries(commune, "user.name")[-1]
    assert (entry["actor"], entry["user"]) == ("quantri", "canbo")
    assert NAME not in str(audit.entries(commune))          # the log holds no name


def test_the_audit_log_names_the_staff_member_who_acted(commune, client):
    auth.set_full_name(commune, "quantri", "Đỗ Văn Quang")
    admin = sign_in(client, "quantri")
    set_name(admin, "canbo", NAME)
    text = page_text(admin.get("/audit?action=user"))
    assert "Ghi họ tên người dùng tài khoản" in text and "Đỗ Văn Quang" in text


def test_an_admin_may_name_their_own_account_but_not_disable_it(commune, client):
    admin = sign_in(client, "quantri")
    assert "Đã ghi họ và tên cho quantri" in page_text(set_name(admin, "quantri", "Đỗ Văn Quang"))
    assert header_name(admin.get("/commune/")) == "Đỗ Văn Quang"
    token = csrf_token(admin, "/commune/users")
    assert admin.post("/commune/users/quantri/disable",
                      data={"csrf_token": token}).status_code == 400


@pytest.mark.parametrize("name, message", [
    ("", "bắt buộc"), ("   ", "bắt buộc"), ("\u200b\u200b", "ít nhất một chữ cái"),
    ("Nguyễn\u202eVăn", "đảo hướng chữ"), ("Lê\x07An", "không hợp lệ"),
    ("A" * 121, "dài quá 120 ký tự"),
])
def test_a_name_that_is_not_one_is_refused_and_nothing_changes(commune, client, name, message):
    admin = sign_in(client, "quantri")
    set_name(admin, "canbo", NAME)
    response = set_name(admin, "canbo", name)
    assert message in page_text(response)
    assert auth.get_user(commune, "canbo")["full_name"] == NAME
    token = csrf_token(admin, "/commune/users")
    added = admin.post("/commune/users", data={
        "csrf_token": token, "full_name": name, "username": "canbo9",
        "password": "mat-khau-moi-2026", "role": "staff"})
    assert added.status_code == 422 and message in page_text(added)
    assert auth.get_user(commune, "canbo9") is None


def test_a_new_account_is_made_with_its_holders_name(commune, client):
    admin = sign_in(client, "quantri")
    response = admin.post("/commune/users", data={
        "csrf_token": csrf_token(admin, "/commune/users"), "full_name": "  Trần Thị Mai ",
        "username": "canbo2", "password": "mat-khau-moi-2026", "role": "staff"},
        follow_redirects=True)
    assert "Đã tạo tài khoản canbo2 cho Trần Thị Mai" in page_text(response)
    assert auth.get_user(commune, "canbo2")["full_name"] == "Trần Thị Mai"


def test_the_command_line_names_an_account(commune, runner):
    result = runner.invoke(main, ["--data", commune.data_dir, "user", "add", "canbo5",
                                  "--role", "staff", "--secret", "mat-khau-moi-2026",
                                  "--name", "Hà Thị Lan"])
    assert result.exit_code == 0 and "canbo5 (Hà Thị Lan)" in result.output, result.output
    assert auth.get_user(commune, "canbo5")["full_name"] == "Hà Thị Lan"
    result = runner.invoke(main, ["--data", commune.data_dir, "user", "name", "canbo",
                                  NAME])
    assert result.exit_code == 0, result.output
    assert auth.get_user(commune, "canbo")["full_name"] == NAME
    assert audit.entries(commune, "user.name")[-1]["actor"] == "cli"
    for args in (["user", "name", "canbo", "Lê\u202eAn"], ["user", "name", "nobody", NAME],
                 ["user", "add", "canbo6", "--role", "staff", "--secret",
                  "mat-khau-moi-2026", "--name", " "]):
        result = runner.invoke(main, ["--data", commune.data_dir] + args)
        assert result.exit_code != 0 and "Error" not in result.output, result.output
    assert auth.get_user(commune, "canbo")["full_name"] == NAME
    assert auth.get_user(commune, "canbo6") is None


def commune_client(commune):
    from fieldapp import create_app
    return create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
