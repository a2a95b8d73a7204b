"""The commune dashboard: numbers checked against the test's own arithmetic, roles, filters."""
import re

import pytest

from fieldapp import create_app
from tests.support import factories as f
from tests.support.pages import login_page

from tests.support.commune import (VILLAGES, card, client, commune, page_text, seed,  # noqa: F401
                                     sign_in, staff)


def test_anonymous_is_sent_to_login(client):
    for path in ("/commune/", "/commune/villages", "/commune/conflicts",
                 "/commune/commendations", "/commune/users", "/commune/villages/thon-1"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


def test_an_api_token_does_not_open_pages(client):
    token = client.post("/api/v1/login", json={"username": "canbo", "secret": f.PASSWORD})
    assert token.status_code == 200
    response = client.get("/commune/", headers={"Authorization": "Bearer " + token.json["token"]})
    assert response.status_code == 302


def test_empty_commune_says_how_to_import(staff):
    response = staff.get("/commune/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Xã chưa nhận dữ liệu nào" in text
    assert "fieldapp import" in text and "Gửi lên xã" in text and "Kết nối gửi lên xã" in text


def test_dashboard_numbers_match_the_records(commune, staff):
    seed(commune)
    response = staff.get("/commune/")          # today is after the campaign: clipped to 25/08
    assert response.status_code == 200
    text = page_text(response)
    assert "tính đến ngày cuối chiến dịch" in text
    assert "25/08/2025" in text
    # adults: thon-1 official 10 (1 online); thon-2 registered 2 (both online after week 4)
    online = card(response, "Người trưởng thành sử dụng dịch vụ công trực tuyến")
    assert "25,0 %" in online and "3/12" in online
    assert "Chưa đạt" in online and "mẫu số: kết hợp" in online
    # week 3 ended with 2/12, so the change is +1/12 = 8,3 points
    assert f"tăng {100 / 12:.1f}".replace(".", ",") + " điểm %" in online
    visited = card(response, "Hộ đã được đến tận nhà hướng dẫn")
    assert "66,7 %" in visited and "2/3" in visited and "Chưa đạt" in visited
    level2 = card(response, "Hộ có ít nhất 1 thành viên định danh mức 2")
    assert "66,7 %" in level2 and "2/3" in level2
    satisfied = card(response, "Người dân hài lòng với dịch vụ công trực tuyến")
    assert "50,0 %" in satisfied and "1/2" in satisfied
    lci = card(response, "Hài lòng với thủ tục đất đai, xây dựng, đầu tư")
    assert "0,0 %" in lci and "0/1" in lci
    adult_level2 = card(response, "Người trưởng thành có định danh điện tử mức 2")
    assert "Không đặt chỉ tiêu" in adult_level2 and "2/12" in adult_level2
    # per village: thon-2 meets the online target (2/2), thon-1 does not (1/10)
    by_village = text.split("Theo thôn", 1)[1].split("Theo tuần", 1)[0]
    row_1 = by_village.split("Thôn 1", 1)[1].split("Thôn 2", 1)[0]
    row_2 = by_village.split("Thôn 2", 1)[1]
    assert row_1.split()[:4] == ["10,0", "%", "1/10", "✘"]
    assert row_2.split()[:5] == ["100,0", "%", "2/2", "✔", "Đạt"]
    # four weekly periods
    for label in ("Tuần 1", "Tuần 2", "Tuần 3", "Tuần 4"):
        assert label in text


def test_as_of_and_village_filter(commune, staff):
    seed(commune)
    response = staff.get("/commune/?as_of=2025-07-31")
    online = card(response, "Người trưởng thành sử dụng dịch vụ công trực tuyến")
    # end of week 1: thon-1 has 1 online of 10; thon-2's registered adults: 1 (not online)
    assert "1/11" in online and f"{100 / 11:.1f}".replace(".", ",") + " %" in online
    response = staff.get("/commune/?village=thon-2&as_of=2025-08-25")
    assert response.status_code == 200
    online = card(response, "Người trưởng thành sử dụng dịch vụ công trực tuyến")
    assert "100,0 %" in online and "2/2" in online and "✔ Đạt" in online
    assert "số đã ghi nhận" in online
    assert "Theo thôn" not in page_text(response)
    official = card(staff.get("/commune/?village=thon-1"),
                    "Người trưởng thành sử dụng dịch vụ công trực tuyến")
    assert "1/10" in official and "chính thức" in official


@pytest.mark.parametrize("query", ["as_of=2025-13-01", "as_of=hôm-nay", "village=thon-9",
                                   "as_of=1800-01-01"])
def test_bad_filters_get_a_clear_page(commune, staff, query):
    seed(commune)
    response = staff.get("/commune/?" + query)
    assert response.status_code == 400
    text = page_text(response)
    assert "không hợp lệ" in text or "Không có thôn" in text or "2000–2100" in text


def test_staff_pages_and_admin_only_users(commune, client):
    seed(commune)
    assert login_page(client, "canbo", f.PASSWORD).status_code == 302
    for path in ("/commune/", "/commune/villages", "/commune/conflicts",
                 "/commune/commendations", "/commune/villages/thon-1"):
        assert client.get(path).status_code == 200, path
    assert client.get("/commune/users").status_code == 403
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/commune/").get_data(as_text=True)
    ).group(1)})
    assert login_page(client, "quantri", f.PASSWORD).status_code == 302
    assert client.get("/commune/users").status_code == 200


def test_commune_pages_do_not_exist_on_a_village_site(tmp_path):
    village = f.village_site(tmp_path / "village")
    client = create_app({"DATA_DIR": village.data_dir, "TESTING": True}).test_client()
    login_page(client, "quantri", f.PASSWORD)
    assert client.get("/commune/").status_code == 404
    assert client.get("/commune/users").status_code == 404


def test_hostile_village_names_are_escaped(commune, staff):
    settings = dict(commune.settings)
    settings["villages"] = [dict(v) for v in settings["villages"]]
    settings["villages"][0]["name"] = '<script>alert("x")</script>'
    commune.save_settings(settings)
    seed(commune)
    for path in ("/commune/", "/commune/villages", "/commune/commendations",
                 "/commune/villages/thon-1"):
        body = staff.get(path).get_data(as_text=True)
        assert "<script>alert" not in body, path
        assert "&lt;script&gt;alert" in body, path


def test_change_is_against_the_last_period_ended_before_the_date(commune, staff):
    seed(commune)
    # 10/08 is in week 3: compared with the end of week 2 (07/08), when 2 of 12 were online
    # as now, so no change; after the campaign (10/09) compared with week 4's end (25/08)
    response = staff.get("/commune/?as_of=2025-08-10")
    assert "so với cuối tuần 2 (07/08/2025)" in page_text(response)
    assert "= không đổi" in card(response, "Người trưởng thành sử dụng dịch vụ công trực tuyến")
    response = staff.get("/commune/?as_of=2025-08-25")
    assert "so với cuối tuần 3 (14/08/2025)" in page_text(response)
    response = staff.get("/commune/?as_of=2025-09-10")
    assert "so với cuối tuần 4 (25/08/2025)" in page_text(response)
    assert "= không đổi" in card(response, "Người trưởng thành sử dụng dịch vụ công trực tuyến")
    response = staff.get("/commune/?as_of=2025-07-28")
    assert "so với cuối tuần" not in page_text(response)
    assert "—" in card(response, "Người trưởng thành sử dụng dịch vụ công trực tuyến")
