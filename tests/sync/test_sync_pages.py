"""Staff pages for batches: import upload (CSRF), receipt or refusal, history, push tokens."""
import io
import json
import re

import pytest

from fieldapp import create_app
from sync.batch import batch_bytes, gzip_bytes
from sync.export import export_batch
from tests.support import factories
from tests.support.pages import csrf_token, login_page
from tests.support.batches import filled_village, resign, snapshot


@pytest.fixture
def commune(site_templates, tmp_path):
    return site_templates.copy(tmp_path / "commune", factories.commune_site,
                               quick_hashes=True)


@pytest.fixture
def staff(commune):
    client = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    assert login_page(client, "canbo", factories.PASSWORD).status_code == 302
    return client


def upload(client, *files):
    return client.post("/commune/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, "/commune/import"),
        "files": [(io.BytesIO(body), name) for name, body in files]})


def test_pages_need_a_signed_in_staff_member(commune, site):
    anonymous = create_app({"DATA_DIR": commune.data_dir}).test_client()
    for path in ("/commune/import", "/commune/batches", "/commune/push-tokens"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.location
    village = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(village, "lan", factories.LEAD_PIN)
    assert village.get("/commune/import").status_code == 403
    login_page(village, "quantri", factories.PASSWORD)
    assert village.get("/commune/import").status_code == 404


def test_upload_shows_the_receipt(tmp_path, staff, commune):
    village = filled_village(tmp_path / "village")
    page = staff.get("/commune/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert ".enc đã niêm phong" in page and ".enc" in page.split('accept="')[1].split('"')[0]
    response = upload(staff, ("thon-3.json.gz", gzip_bytes(batch_bytes(export_batch(village)))))
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    assert "Đã nhận lô của Thôn 3: 9 bản ghi, 9 mới, 0 trùng." in text
    from fieldapp.site import Site
    assert len(Site(commune.data_dir).store) == 9
    history = staff.get("/commune/batches").get_data(as_text=True)
    assert "Thôn 3" in history and "#1–#9" in history


def test_batches_page_names_who_wrote_each_batch(tmp_path, staff):
    village = filled_village(tmp_path / "village")
    factories.roster_member(village, "minh", "Hoàng Kim Thảo")
    village.store.submit([factories.household("Hộ Tư", author="tu", device_id="ph-tu")])
    response = upload(staff, ("thon-3.json", batch_bytes(export_batch(village))))
    assert response.status_code == 200, response.get_data(as_text=True)
    history = staff.get("/commune/batches").get_data(as_text=True)
    cell = re.search(r'<td class="people">(.*?)</td>', history, re.S).group(1)
    # minh wrote the most versions; lan (who added minh's roster record) and tu have no
    # roster record of their own, so their logins stand in
    assert cell == "Hoàng Kim Thảo <small>(minh)</small><br>lan<br>tu"
    assert "<th scope=\"col\">Người ghi</th>" in history


def test_refused_upload_names_the_problem_and_the_records(tmp_path, staff, commune):
    village = filled_village(tmp_path / "village")
    batch = export_batch(village)
    records = [dict(r) for r in batch["records"]]
    records[1] = dict(records[1], updated_at="hôm qua")
    bad = batch_bytes(resign(batch, village.data_dir, records=records))
    before = snapshot(commune.data_dir)
    response = upload(staff, ("sai.json", bad), ("rong.json", b""))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Bị từ chối" in text and "1 bản ghi trong lô không hợp lệ" in text
    assert records[1]["id"] in text and "updated_at" in text
    assert "Tệp rỗng" in text
    assert snapshot(commune.data_dir) == before


def test_upload_without_csrf_or_file_is_refused(staff, commune):
    before = snapshot(commune.data_dir)
    response = staff.post("/commune/import", content_type="multipart/form-data",
                          data={"files": [(io.BytesIO(b"{}"), "x.json")]})
    assert response.status_code == 400
    response = staff.post("/commune/import", data={
        "csrf_token": csrf_token(staff, "/commune/import")})
    assert response.status_code == 422 and "Hãy chọn ít nhất một tệp" in response.get_data(as_text=True)
    assert snapshot(commune.data_dir) == before


def test_site_names_are_escaped(tmp_path, staff):
    village = filled_village(tmp_path / "village")
    batch = export_batch(village)
    evil = dict(batch["site"], name="<script>alert(1)</script>")
    upload(staff, ("x.json", batch_bytes(resign(batch, village.data_dir, site=evil))))
    text = staff.get("/commune/batches").get_data(as_text=True)
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_push_tokens_are_shown_once_and_stored_hashed(staff, commune, tmp_path):
    response = staff.post("/commune/push-tokens", data={
        "csrf_token": csrf_token(staff, "/commune/push-tokens"), "village_id": "thon-3",
        "label": "Máy chị Lan"})
    text = response.get_data(as_text=True)
    token = re.search(r"fa-push-[A-Za-z0-9_-]{43}", text).group(0)
    assert "fieldapp push http://localhost/ --token " + token in text
    assert token not in (tmp_path / "commune" / "meta.json").read_text()
    listing = staff.get("/commune/push-tokens").get_data(as_text=True)
    assert "Máy chị Lan" in listing and token not in listing
    bad = staff.post("/commune/push-tokens", data={
        "csrf_token": csrf_token(staff, "/commune/push-tokens"), "village_id": "thon-99"})
    assert bad.status_code == 422 and "Hãy chọn một thôn" in bad.get_data(as_text=True)


def test_admin_can_unpin_a_reinstalled_laptops_key(tmp_path, commune):
    import os
    from sync import keys
    from sync.errors import BatchRejected
    from sync.transfer import import_batch
    village = filled_village(tmp_path / "village")
    import_batch(commune, export_batch(village, remember=True))
    os.unlink(os.path.join(village.data_dir, keys.KEY_FILE))
    keys.create_site_key(village.data_dir)
    with pytest.raises(BatchRejected):
        import_batch(commune, export_batch(village, all_versions=True))
    admin = create_app({"DATA_DIR": commune.data_dir}).test_client()
    login_page(admin, "quantri", factories.PASSWORD)
    page = admin.get("/commune/batches").get_data(as_text=True)
    action = re.search(r'action="(/commune/batches/[0-9a-f-]+/forget-key)"', page).group(1)
    response = admin.post(action, data={"csrf_token": csrf_token(admin, "/commune/batches")})
    assert response.status_code == 302
    receipt = import_batch(commune, export_batch(village, all_versions=True))
    assert receipt.duplicate == 9


def test_lead_downloads_a_batch_the_commune_imports(tmp_path, site, commune, staff):
    from fieldapp.site import Site
    site.store.submit([factories.household("Hộ tải về")])
    lead = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(lead, "lan", factories.LEAD_PIN)
    page = lead.get("/export").get_data(as_text=True)
    assert "<strong>1</strong> thay đổi chưa gửi" in page
    token = csrf_token(lead, "/export")
    assert lead.post("/export", data={"csrf_token": token, "scope": "new"}).status_code == 303
    page = lead.get("/export").get_data(as_text=True)
    batch = re.search(r'name="batch" value="([0-9a-f-]{36})"', page).group(1)
    response = lead.get(f"/export/file?batch={batch}")
    assert response.status_code == 200 and response.mimetype == "application/gzip"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    # downloaded is not yet sent: only the lead's confirmation moves the mark
    assert "<strong>1</strong> thay đổi chưa gửi" in lead.get("/export").get_data(as_text=True)
    assert lead.post("/export/confirm", data={"csrf_token": token, "batch": batch}
                     ).status_code == 303
    assert "<strong>0</strong> thay đổi chưa gửi" in lead.get("/export").get_data(as_text=True)
    lead.post("/export", data={"csrf_token": token, "scope": "all"})
    page = lead.get("/export").get_data(as_text=True)
    again = lead.get("/export/file?batch="
                     + re.search(r'name="batch" value="([0-9a-f-]{36})"', page).group(1))
    assert json.loads(__import__("gzip").decompress(again.get_data()))["record_count"] == 1
    result = upload(staff, ("thon-3.json.gz", body))
    assert "1 bản ghi, 1 mới" in result.get_data(as_text=True)
    assert len(Site(commune.data_dir).store) == 1


def test_once_the_commune_key_is_known_the_lead_downloads_it_sealed(site, commune, staff):
    import gzip
    from sync import crypto
    lead = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(lead, "lan", factories.LEAD_PIN)
    assert "chưa mã hóa" in lead.get("/export").get_data(as_text=True)      # no key yet
    key = crypto.create_box_key(commune.data_dir)              # made, or the one there is
    site.update_settings(lambda settings: settings.update(commune_public_key=key))
    site.store.submit([factories.household("Hộ niêm phong")])
    page = lead.get("/export").get_data(as_text=True)
    assert "được mã hóa cho máy của xã" in page and "chưa mã hóa" not in page
    token = csrf_token(lead, "/export")
    assert lead.post("/export", data={"csrf_token": token, "scope": "new"}).status_code == 303
    batch = re.search(r'name="batch" value="([0-9a-f-]{36})"',
                      lead.get("/export").get_data(as_text=True)).group(1)
    first, second = (lead.get(f"/export/file?batch={batch}") for _ in range(2))
    for response in (first, second):
        assert response.status_code == 200 and response.mimetype == "application/octet-stream"
        assert response.headers["Content-Disposition"].endswith('.enc"')
        assert crypto.is_sealed(response.get_data())
        assert "Hộ niêm phong".encode() not in response.get_data()
    assert first.get_data() != second.get_data()                # sealed afresh each time,
    inside = [json.loads(gzip.decompress(crypto.open_sealed(commune.data_dir, r.get_data())))
              for r in (first, second)]
    assert inside[0] == inside[1] and inside[0]["batch_id"] == batch   # around one batch
    assert "1 bản ghi, 1 mới" in upload(staff, ("thon-3.enc", first.get_data())).get_data(as_text=True)
    assert "đã được nhận trước đây" in upload(staff, ("thon-3.enc", second.get_data())
                                               ).get_data(as_text=True)


def test_a_stored_commune_key_that_is_no_key_stops_downloads(site):
    import base64
    site.update_settings(lambda settings: settings.update(
        commune_public_key=base64.b64encode(bytes(32)).decode()))       # a small-order point
    site.store.submit([factories.household("Hộ chờ khóa")])
    lead = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(lead, "lan", factories.LEAD_PIN)
    assert "không dùng được" in lead.get("/export").get_data(as_text=True)
    token = csrf_token(lead, "/export")
    assert lead.post("/export", data={"csrf_token": token, "scope": "new"}).status_code == 303
    batch = re.search(r'name="batch" value="([0-9a-f-]{36})"',
                      lead.get("/export").get_data(as_text=True)).group(1)
    refused = lead.get(f"/export/file?batch={batch}")
    assert refused.status_code == 302 and "Hộ chờ khóa".encode() not in refused.get_data()
    assert "chưa tải tệp" in lead.get("/export").get_data(as_text=True)


def test_export_page_is_for_the_lead_of_a_village_site(site, commune, staff):
    volunteer = create_app({"DATA_DIR": site.data_dir}).test_client()
    login_page(volunteer, "minh", factories.VOL_PIN)
    assert volunteer.get("/export").status_code == 403
    assert volunteer.post("/export", data={"scope": "all"}).status_code == 400   # no CSRF
    assert staff.get("/export").status_code == 403
    admin = create_app({"DATA_DIR": commune.data_dir}).test_client()
    login_page(admin, "quantri", factories.PASSWORD)
    assert admin.get("/export").status_code == 404
