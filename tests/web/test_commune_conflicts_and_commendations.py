"""Commune conflicts, commendations and accounts pages."""
import datetime
import html
import re

import pytest

from fieldapp import create_app
from fieldapp.auth import accounts as auth
from fieldapp.forms.rules import CHOICES
from fieldapp.forms.versions import base_of
from tests.support import factories as f
from tests.support.pages import csrf_token, login_page
from tests.support.batches import import_approved
from tests.support.commune import (client, commune, page_text,  # noqa: F401
                                          sign_in, staff)

D = datetime.date


def table_rows(body, table_class):
    """[[cell text, ...], ...] of every row of the tables with `table_class`."""
    rows = []
    for table in re.findall(rf'<table class="{table_class}">(.*?)</table>', body, re.S):
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            rows.append([" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
                         for c in cells])
    return rows


@pytest.fixture
def admin(client):
    return sign_in(client, "quantri")


def test_no_conflicts_says_so(commune, staff):
    home = f.household(village_id="thon-1")
    commune.store.submit([home], partition="site-a")
    commune.store.submit([home], partition="site-b")            # same version twice
    text = page_text(staff.get("/commune/conflicts"))
    assert "Không có xung đột nào" in text
    assert "Cách xử lý" in text and "Tổ trưởng thôn" in text


def test_conflicts_side_by_side_with_the_current_one_marked(commune, staff):
    home = f.household(head="Nguyễn Văn An", village_id="thon-1", day=D(2025, 7, 25))
    first = dict(home, updated_at=f.stamp(D(2025, 8, 1), 9), device_id="ph-a", author="an",
                 base=base_of(home), data=dict(home["data"], phone="0912345678"))
    second = dict(home, updated_at=f.stamp(D(2025, 8, 1), 10, 30), device_id="ph-b",
                  author="binh", base=base_of(home), data=dict(home["data"], head_name="Nguyễn Văn Ân <b>"))
    alone = f.household(village_id="thon-2")
    commune.store.submit([home, first, alone], partition="site-a")
    commune.store.submit([home, second], partition="site-b")
    response = staff.get("/commune/conflicts")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "1 bản ghi có xung đột" in page_text(response)
    assert "Nguyễn Văn Ân &lt;b&gt;" in body and "<b>" not in body.split("<main>")[1]
    rows = {row[0]: row[1:] for row in table_rows(body, "versions")}
    # the later edit (10:30 Vietnam time) is current and shown first
    assert rows["Mục"] == ["✔ Bản đang dùng", "Bản khác"]
    assert rows["Người sửa"] == ["binh", "an"]
    assert rows["Thiết bị"] == ["ph-b", "ph-a"]
    assert rows["Lúc (giờ VN)"] == ["01/08/2025 10:30", "01/08/2025 09:00"]
    assert rows["Gửi từ"] == ["site-b", "site-a"]
    assert rows["Họ tên chủ hộ"] == ["Nguyễn Văn Ân <b>", "Nguyễn Văn An"]
    assert rows["Số điện thoại"] == ["—", "0912345678"]
    assert "Địa chỉ" not in rows                                  # the same in both
    assert commune.store.current(home["id"])["device_id"] == "ph-b"


def test_a_tie_in_time_is_broken_by_device(commune, staff):
    person = f.person(f.household()["id"], village_id="thon-1")
    stamp = f.stamp(D(2025, 8, 3), 14)
    low = dict(person, updated_at=stamp, device_id="ph-a", data=dict(person["data"],
                                                                     vneid="level2"))
    high = dict(person, updated_at=stamp, device_id="ph-z", data=dict(person["data"],
                                                                      bank_account=True))
    commune.store.submit([high], partition="site-z")
    commune.store.submit([low], partition="site-a")
    rows = {row[0]: row[1:] for row in table_rows(
        staff.get("/commune/conflicts").get_data(as_text=True), "versions")}
    assert rows["Thiết bị"][0] == "ph-z" and rows["Mục"][0] == "✔ Bản đang dùng"
    assert rows["Tài khoản VNeID"] == ["Chưa có", CHOICES["vneid"]["level2"]]
    assert rows["Có tài khoản ngân hàng"] == ["Có", "Không"]


def test_commendations_rank_volunteers_and_villages(commune, staff):
    day = D(2025, 8, 5)
    h1, h2 = f.household(village_id="thon-1"), f.household(village_id="thon-1")
    h3 = f.household(village_id="thon-2")
    dropped = f.visit(h2["id"], village_id="thon-1", author="an", day=day,
                      help=["vneid_level2"])
    versions = [
        h1, h2, h3,
        f.visit(h1["id"], village_id="thon-1", author="an", day=day,
                help=["vneid_level2", "bank_account"]),
        f.visit(h2["id"], village_id="thon-1", author="an", day=day, help=["bank_account"]),
        f.visit(h1["id"], village_id="thon-1", author="an", day=day, outcome="absent"),
        dropped, dict(dropped, updated_at=f.stamp(day, 11), deleted=True),
        f.survey(village_id="thon-1", author="an", day=day),
        f.visit(h3["id"], village_id="thon-2", author="binh", day=day),
        f.survey(village_id="thon-2", author="binh", day=day),
        f.survey(village_id="thon-2", author="binh", day=day, rating=4),
        f.person(h3["id"], village_id="thon-2", online=True, vneid="level2",
                 bank_account=True),
    ]
    commune.store.submit(versions, partition="site-a")
    response = staff.get("/commune/commendations?as_of=2025-08-25")
    assert response.status_code == 200
    rows = table_rows(response.get_data(as_text=True), "ranking-table")
    # an: 2 homes met + 1 level-2 + 2 bank accounts + 1 survey = 6 (the deleted visit not)
    # binh: 1 home + 0 + 0 + 2 surveys = 3
    assert rows[1] == ["1", "an Thôn 1", "6", "2", "1", "2", "1"]
    assert rows[2] == ["2", "binh Thôn 2", "3", "1", "0", "0", "2"]
    text = page_text(response)
    ranking = text.split("Thôn theo mức hoàn thành chỉ tiêu", 1)[1]
    # thon-2 meets 5 of its 7 targets (no land/construction survey, no trained team
    # roster); thon-1 fewer
    assert ranking.index("Thôn 2") < ranking.index("Thôn 1")
    assert "Thôn 2 Đạt 5/7 chỉ tiêu" in ranking


def test_commendations_when_nothing_happened(staff):
    text = page_text(staff.get("/commune/commendations"))
    assert "Chưa có lần đến nhà hay phiếu khảo sát nào" in text


def test_admin_adds_a_staff_account_that_can_sign_in(commune, admin):
    token = csrf_token(admin, "/commune/users")
    response = admin.post("/commune/users", data={
        "csrf_token": token, "full_name": "Trần Thị Mai", "username": "canbo2",
        "password": "mat-khau-moi-2026", "role": "staff"})
    assert response.status_code == 302
    assert auth.get_user(commune, "canbo2")["role"] == "staff"
    other = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    assert login_page(other, "canbo2", "mat-khau-moi-2026").status_code == 302
    assert other.get("/commune/").status_code == 200


@pytest.mark.parametrize("data, message", [
    ({"username": "canbo3", "password": "ngan"}, "ít nhất 10 ký tự"),
    ({"username": "Cán Bộ", "password": "mat-khau-moi-2026"}, "chữ thường không dấu"),
    ({"username": "canbo", "password": "mat-khau-moi-2026"}, "đã có"),
    ({"username": "canbo3", "password": "mat-khau-moi-2026", "role": "lead"},
     "Hãy chọn vai trò"),
])
def test_bad_new_accounts_are_refused(commune, admin, data, message):
    before = [u["username"] for u in auth.list_users(commune)]
    token = csrf_token(admin, "/commune/users")
    response = admin.post("/commune/users", data=dict(
        {"role": "staff", "full_name": "Trần Thị Mai"}, csrf_token=token, **data))
    assert response.status_code == 422
    assert message in page_text(response)
    assert [u["username"] for u in auth.list_users(commune)] == before


def test_disable_enable_and_reset_a_password(commune, admin):
    other = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    assert login_page(other, "canbo", f.PASSWORD).status_code == 302
    api = other.post("/api/v1/login", json={"username": "canbo", "secret": f.PASSWORD})
    bearer = {"Authorization": "Bearer " + api.json["token"]}
    token = csrf_token(admin, "/commune/users")

    assert admin.post("/commune/users/canbo/disable",
                      data={"csrf_token": token}).status_code == 302
    assert auth.get_user(commune, "canbo")["active"] is False
    assert other.get("/commune/").status_code == 302              # session no longer valid
    assert other.get("/api/v1/indicators", headers=bearer).status_code == 401

    assert admin.post("/commune/users/canbo/enable",
                      data={"csrf_token": token}).status_code == 302
    response = admin.post("/commune/users/canbo/password",
                          data={"csrf_token": token, "password": "ngan"}, follow_redirects=True)
    assert "ít nhất 10 ký tự" in page_text(response)
    assert login_page(other, "canbo", f.PASSWORD).status_code == 302
    response = admin.post("/commune/users/canbo/password",
                          data={"csrf_token": token, "password": "mot-mat-khau-moi"},
                          follow_redirects=True)
    assert "Đã đặt mật khẩu mới cho canbo" in page_text(response)
    fresh = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    assert login_page(fresh, "canbo", f.PASSWORD).status_code == 401
    assert login_page(fresh, "canbo", "mot-mat-khau-moi").status_code == 302


def test_account_actions_are_checked(commune, admin):
    token = csrf_token(admin, "/commune/users")
    assert admin.post("/commune/users/quantri/disable",
                      data={"csrf_token": token}).status_code == 400
    assert admin.post("/commune/users/nobody/disable",
                      data={"csrf_token": token}).status_code == 404
    assert admin.post("/commune/users/canbo/explode",
                      data={"csrf_token": token}).status_code == 404
    assert admin.post("/commune/users/canbo/disable").status_code == 400     # no CSRF
    assert auth.get_user(commune, "canbo")["active"] is True


def test_staff_cannot_manage_accounts(commune, staff):
    token = csrf_token(staff, "/commune/villages")
    assert staff.post("/commune/users", data={"csrf_token": token, "username": "x1",
                                              "password": "mat-khau-moi-2026"}).status_code == 403
    assert staff.post("/commune/users/quantri/disable",
                      data={"csrf_token": token}).status_code == 403
    assert auth.get_user(commune, "x1") is None
    assert auth.get_user(commune, "quantri")["active"] is True


def test_a_replaced_laptop_is_a_sender_of_its_own_and_staff_resolve_its_fork(
        commune, staff, tmp_path):
    from sync import export, keys, transfer
    laptops = [f.village_site(tmp_path / name, village_id="thon-1", name="Thôn 1",
                              users=False) for name in ("old", "new")]    # a replaced laptop
    home = f.household(village_id="thon-1", day=D(2025, 7, 26))
    batches = []
    for laptop, head, hour in ((laptops[0], "Lò Văn Sáng", 9), (laptops[1], "Lò Văn Sang", 15)):
        edit = dict(home, updated_at=f.stamp(D(2025, 8, 2), hour), device_id=f"web-{hour}",
                    base=base_of(home), data=dict(home["data"], head_name=head))
        laptop.store.submit([home, edit])
        batches.append(export.export_batch(laptop, all_versions=True))
        import_approved(commune, batches[-1])
    prints = [keys.fingerprint(b["site"]["public_key"]) for b in reversed(batches)]
    body = staff.get("/commune/conflicts").get_data(as_text=True)
    rows = {row[0]: row[1:] for row in table_rows(body, "versions")}
    assert rows["Gửi từ"] == [f"Thôn 1 khóa {prints[0]}", f"Thôn 1 khóa {prints[1]}"]
    assert rows["Họ tên chủ hộ"] == ["Lò Văn Sang", "Lò Văn Sáng"]
    assert rows["Mục"][0] == "✔ Bản đang dùng"
    older = commune.store.history(home["id"])
    kept = next(v for v in older if v["data"]["head_name"] == "Lò Văn Sáng")
    answer = staff.post(f"/conflicts/{home['id']}/resolve", data={
            "csrf_token": csrf_token(staff, "/commune/conflicts"),
            "keep": f"{kept['updated_at']}|{kept['device_id']}"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/commune/conflicts")
    commune.store.refresh()
    current = commune.store.current(home["id"])
    assert current["data"]["head_name"] == "Lò Văn Sáng" and current["author"] == "canbo"
    assert "Không có xung đột nào" in page_text(staff.get("/commune/conflicts"))
    for batch in batches:                             # the same batches again: still closed
        transfer.import_batch(commune, batch)
    assert "Không có xung đột nào" in page_text(staff.get("/commune/conflicts"))
    for laptop in laptops:
        laptop.close()
