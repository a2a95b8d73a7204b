"""Villages, targets and campaign on the commune: forms with CSRF, CSV annex import."""
import io
import json
import os

import pytest

from fieldapp.indicators.annex import read_annex_csv
from tests.support.pages import csrf_token
from tests.support.commune import page_text

from tests.support.commune import client, commune, staff  # noqa: F401


def settings_bytes(commune):
    with open(os.path.join(commune.data_dir, "settings.json"), "rb") as handle:
        return handle.read()


def stored(commune):
    return json.loads(settings_bytes(commune))


def post(client, path, data, page="/commune/villages"):
    return client.post(path, data=dict(data, csrf_token=csrf_token(client, page)))


def upload(client, content, name="phu-luc.csv"):
    token = csrf_token(client, "/commune/villages")
    return client.post("/commune/villages/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "annex_file": (io.BytesIO(content), name)})


def test_edit_a_village_with_decimal_comma_targets(commune, staff):
    response = post(staff, "/commune/villages/thon-1", {
        "village_name": "  Thôn   Một ", "adult_population": "1.234",
        "t_adult_online_usage": "52,5", "t_households_visited": "95 %",
        "t_satisfaction": ""}, page="/commune/villages/thon-1")
    assert response.status_code == 302, page_text(response)
    village = stored(commune)["villages"][0]
    assert village == {"id": "thon-1", "name": "Thôn Một", "adult_population": 1234,
                       "targets": {"adult_online_usage": 0.525, "households_visited": 0.95}}
    body = staff.get("/commune/villages/thon-1").get_data(as_text=True)
    assert 'value="52,5"' in body and 'value="1234"' in body
    listing = page_text(staff.get("/commune/villages"))
    assert "Chỉ tiêu riêng:" in listing and "52,5 %" in listing and "95,0 %" in listing


@pytest.mark.parametrize("field, value, message", [
    ("t_adult_online_usage", "abc", "không phải tỉ lệ phần trăm"),
    ("t_adult_online_usage", "120", "lớn hơn 100 %"),
    ("adult_population", "mười", "không phải số nguyên"),
    ("adult_population", "-5", "không phải số nguyên"),
    ("village_name", "   ", "Tên thôn không được để trống"),
])
def test_bad_village_values_store_nothing(commune, staff, field, value, message):
    before = settings_bytes(commune)
    data = {"village_name": "Thôn 1", "adult_population": "10", field: value}
    response = post(staff, "/commune/villages/thon-1", data, page="/commune/villages/thon-1")
    assert response.status_code == 422
    assert message in page_text(response)
    assert settings_bytes(commune) == before


def test_forms_without_csrf_are_refused(commune, staff):
    before = settings_bytes(commune)
    for path in ("/commune/villages/thon-1", "/commune/villages/targets",
                 "/commune/villages/campaign", "/commune/villages/add"):
        response = staff.post(path, data={"village_name": "X", "campaign_name": "X"})
        assert response.status_code == 400, path
        assert "Phiên biểu mẫu" in page_text(response)
    assert settings_bytes(commune) == before


def test_unknown_village_is_404(staff):
    assert staff.get("/commune/villages/thon-9").status_code == 404


def test_commune_targets_blank_means_no_target(commune, staff):
    data = {"t_" + key: "" for key in stored(commune)["targets"]}
    data.update(t_adult_online_usage="60", t_satisfaction="92,5")
    response = post(staff, "/commune/villages/targets", data)
    assert response.status_code == 302
    targets = stored(commune)["targets"]
    assert targets["adult_online_usage"] == 0.6 and targets["satisfaction"] == 0.925
    assert targets["households_visited"] is None


def test_a_village_set_to_no_target_has_none_whatever_the_communes(commune, staff):
    """"không" in a village's own cell: no target for it, though the commune has one; the
    other villages keep the commune's, and a blank cell goes back to it."""
    from fieldapp.indicators.compute import site_compute
    from fieldapp.site import Site
    key = "adult_online_usage"
    assert post(staff, "/commune/villages/targets", {"t_" + key: "60"}).status_code == 302
    response = post(staff, "/commune/villages/thon-1", {
        "village_name": "Thôn 1", "adult_population": "", "t_" + key: " Không "},
        page="/commune/villages/thon-1")
    assert response.status_code == 302, page_text(response)
    assert stored(commune)["villages"][0]["targets"] == {key: None}
    body = staff.get("/commune/villages/thon-1").get_data(as_text=True)
    assert 'value="không"' in body and "theo xã: 60 %" in body
    assert 'inputmode="decimal"' not in body.split('id="t_' + key)[1].split(">")[0]
    answer = site_compute(Site(commune.data_dir))
    targets = {vid: next(e for e in entries if e["key"] == key)["target"]
               for vid, entries in answer["by_village"].items()}
    assert targets["thon-1"] is None
    assert all(t == 0.6 for vid, t in targets.items() if vid != "thon-1")
    post(staff, "/commune/villages/thon-1", {"village_name": "Thôn 1", "t_" + key: ""},
         page="/commune/villages/thon-1")
    assert stored(commune)["villages"][0]["targets"] == {}


def test_campaign_monthly_periods_are_regenerated(commune, staff):
    response = post(staff, "/commune/villages/campaign", {
        "campaign_name": "Chiến dịch 2026", "campaign_start": "2026-01-15",
        "campaign_end": "31/03/2026", "period_kind": "month"})
    assert response.status_code == 302
    campaign = stored(commune)["campaign"]
    assert campaign["name"] == "Chiến dịch 2026" and campaign["end"] == "2026-03-31"
    assert campaign["periods"] == [
        {"period": 1, "start": "2026-01-15", "end": "2026-01-31"},
        {"period": 2, "start": "2026-02-01", "end": "2026-02-28"},
        {"period": 3, "start": "2026-03-01", "end": "2026-03-31"}]
    page = page_text(staff.get("/commune/villages"))
    assert "Tháng thứ 3: 01/03/2026 – 31/03/2026" in page and "Tuần 1" not in page


@pytest.mark.parametrize("data, message", [
    ({"campaign_start": "2025-08-10", "campaign_end": "2025-08-01"}, "phải sau"),
    ({"campaign_start": "2025-02-30"}, "không hợp lệ"),
    ({"campaign_name": ""}, "tên chiến dịch"),
    ({"period_kind": "year"}, "tuần hoặc theo tháng"),
    ({"campaign_end": "2031-01-01"}, "dài quá 2 năm"),
])
def test_bad_campaigns_store_nothing(commune, staff, data, message):
    before = settings_bytes(commune)
    form = {"campaign_name": "C", "campaign_start": "2025-07-25",
            "campaign_end": "2025-08-25", "period_kind": "week"}
    response = post(staff, "/commune/villages/campaign", dict(form, **data))
    assert response.status_code == 422
    assert message in page_text(response)
    assert settings_bytes(commune) == before


def test_add_village_and_refuse_a_duplicate(commune, staff):
    response = post(staff, "/commune/villages/add", {"village_name": "Ấp Phú Bình",
                                                     "village_id": "", "adult_population": ""})
    assert response.status_code == 302
    assert stored(commune)["villages"][-1] == {"id": "ap-phu-binh", "name": "Ấp Phú Bình",
                                               "adult_population": None, "targets": {}}
    before = settings_bytes(commune)
    response = post(staff, "/commune/villages/add", {"village_name": "Khác",
                                                     "village_id": "thon-1"})
    assert response.status_code == 422
    assert "đã có" in page_text(response)
    response = post(staff, "/commune/villages/add", {"village_name": "X",
                                                     "village_id": "Thôn 5!"})
    assert response.status_code == 422 and "chữ thường không dấu" in page_text(response)
    assert settings_bytes(commune) == before


def test_csv_import_with_comma_and_english_headers(commune, staff):
    content = ("village_id,name,adult_population,adult_online_usage\n"
               "thon-1,Thôn Một,850,55\n"
               "thon-7,Thôn Bảy,,\n").encode("utf-8")
    response = upload(staff, content)
    assert response.status_code == 302, page_text(response)
    villages = {v["id"]: v for v in stored(commune)["villages"]}
    assert villages["thon-1"] == {"id": "thon-1", "name": "Thôn Một", "adult_population": 850,
                                  "targets": {"adult_online_usage": 0.55}}
    assert villages["thon-7"] == {"id": "thon-7", "name": "Thôn Bảy",
                                  "adult_population": None, "targets": {}}
    assert villages["thon-2"]["name"] == "Thôn 2"          # not in the file: untouched
    assert "Đã nhập 2 thôn từ tệp (1 thôn mới)" in page_text(staff.get("/commune/villages"))


def test_csv_import_bom_semicolon_vietnamese_headers(commune, staff):
    content = ("\ufeffMã thôn;Tên thôn;Số người trưởng thành;Chỉ tiêu sử dụng DVCTT (%);"
               "Chỉ tiêu tài khoản ngân hàng (%)\r\n"
               "thon-2;Thôn Hai;1.020;52,5;90\r\n"
               ";Tổ dân phố 4;300;;\r\n").encode("utf-8")
    response = upload(staff, content)
    assert response.status_code == 302, page_text(response)
    villages = {v["id"]: v for v in stored(commune)["villages"]}
    assert villages["thon-2"] == {"id": "thon-2", "name": "Thôn Hai", "adult_population": 1020,
                                  "targets": {"adult_online_usage": 0.525,
                                              "adult_bank_account": 0.9}}
    assert villages["to-dan-pho-4"]["name"] == "Tổ dân phố 4"
    assert villages["to-dan-pho-4"]["adult_population"] == 300


def test_csv_bad_cell_names_row_and_column_and_stores_nothing(commune, staff):
    before = settings_bytes(commune)
    content = ("Mã thôn;Tên thôn;Số người trưởng thành;Chỉ tiêu hài lòng (%)\n"
               "thon-1;Thôn 1;100;90\n"
               "thon-2;Thôn 2;một trăm;90\n"
               "thon-3;Thôn 3;100;150\n").encode("utf-8")
    response = upload(staff, content)
    assert response.status_code == 422
    text = page_text(response)
    assert "Chưa lưu gì" in text
    assert "Dòng 3, cột “Số người trưởng thành”: “một trăm” không phải số nguyên" in text
    assert "Dòng 4, cột “Chỉ tiêu hài lòng (%)”: “150” lớn hơn 100 %" in text
    assert settings_bytes(commune) == before


@pytest.mark.parametrize("content, message", [
    (b"", "Hãy chọn một tệp CSV"),
    ("Tên thôn;Ghi chú\nthôn\n".encode("cp1252"), "UTF-8"),
    ("Mã thôn,Tên thôn\n".encode("utf-16"), "UTF-16"),
    (b"Ma thon,Dan so,Ghi chu\nthon-1,1,x\n", "Không hiểu cột"),
    ("Mã thôn;Tên thôn\n".encode(), "chưa có thôn nào"),
    ("Mã thôn;Tên thôn\nthon-1;A\nthon-1;B\n".encode(), "trùng với dòng 2"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
    (b"x" * (300 * 1024), "quá lớn"),
])
def test_csv_bad_files_store_nothing(commune, staff, content, message):
    before = settings_bytes(commune)
    response = upload(staff, content)
    assert response.status_code == 422
    assert message in page_text(response)
    assert settings_bytes(commune) == before


def test_template_download_round_trips(commune, staff):
    post(staff, "/commune/villages/thon-1", {"village_name": "Thôn 1", "adult_population": "10",
                                             "t_adult_online_usage": "52,5"},
         page="/commune/villages/thon-1")
    response = staff.get("/commune/villages/annex.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith("\ufeffMã thôn;Tên thôn;Số người trưởng thành".encode("utf-8"))
    assert "thon-1;Thôn 1;10;52,5;".encode("utf-8") in body
    rows, errors = read_annex_csv(body)
    assert errors == []
    assert [r["id"] for r in rows] == ["thon-1", "thon-2"]
    assert rows[0]["targets"] == {"adult_online_usage": 0.525}
    before = stored(commune)["villages"]
    assert upload(staff, body).status_code == 302
    assert stored(commune)["villages"] == before


def test_targets_kept_by_other_pages_survive_every_edit(commune, staff):
    settings = stored(commune)
    settings["targets"]["full_online_rate"] = 0.8
    settings["villages"][0]["targets"] = {"full_online_rate": 0.7, "satisfaction": 0.95}
    commune.save_settings(settings)
    data = {"t_" + key: "" for key in stored(commune)["targets"] if key != "full_online_rate"}
    assert post(staff, "/commune/villages/targets", dict(data, t_satisfaction="91")
                ).status_code == 302
    assert post(staff, "/commune/villages/thon-1", {
        "village_name": "Thôn 1", "adult_population": "10", "t_households_visited": "99"},
        page="/commune/villages/thon-1").status_code == 302
    assert upload(staff, "Mã thôn;Chỉ tiêu hài lòng (%)\nthon-1;93\n".encode()).status_code == 302
    settings = stored(commune)
    assert settings["targets"]["full_online_rate"] == 0.8
    assert settings["targets"]["satisfaction"] == 0.91
    assert settings["villages"][0]["targets"] == {"full_online_rate": 0.7, "satisfaction": 0.93}
