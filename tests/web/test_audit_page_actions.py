"""The audit entries of what pages hand out and take in: report and CSV downloads, export
files, batch uploads and pushes, new laptops approved or refused, forks resolved, the
plan's figures and villages uploaded. Who, what, which ids and counts: never a name."""
import io
import os
import re

import pytest

from fieldapp import audit, create_app
from fieldapp.cli import main
from fieldapp.forms.versions import base_of
from sync.batch import batch_bytes
from sync.export import export_batch
from tests.support import factories
from tests.support.batches import filled_village
from tests.support.factories import LEAD_PIN, PASSWORD, household
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, login_page


def entries(site, prefix):
    return [{k: v for k, v in e.items() if k != "at"} for e in audit.entries(site, prefix)]


def log_text(site):
    with open(os.path.join(site.data_dir, "audit.log"), encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture
def lead(client):
    assert login_page(client, "lan", LEAD_PIN).status_code == 302
    return client


@pytest.fixture
def commune(site_templates, tmp_path):
    return site_templates.copy(tmp_path / "commune", factories.commune_site, quick_hashes=True,
                               villages=(("thon-3", "Thôn 3", None), ("thon-5", "Thôn 5", 40)))


@pytest.fixture
def staff(commune):
    client = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    assert login_page(client, "canbo", PASSWORD).status_code == 302
    return client


def upload_batch(staff, name, body):
    return staff.post("/commune/import", data={
        "csrf_token": csrf_token(staff, "/commune/import"),
        "files": [(io.BytesIO(body), name)]}, content_type="multipart/form-data")


def test_report_csv_and_card_downloads_are_logged_with_their_villages(lead, site):
    site.store.submit([household("Đinh Thị Hạnh Nguyên")])
    for path in ("/reports/report.xlsx?period=1", "/reports/indicators.csv?period=2",
                 "/reports/volunteers.csv"):
        assert lead.get(path).status_code == 200, path
    answer = lead.post("/reports/qr-login.pdf",
                       data={"csrf_token": csrf_token(lead, "/reports/")})
    assert answer.status_code == 200
    assert entries(site, "download.") == [
        {"actor": "lan", "action": "download.report", "villages": ["thon-3"],
         "format": "xlsx", "period": 1},
        {"actor": "lan", "action": "download.csv", "villages": ["thon-3"],
         "file": "indicators", "period": 2},
        {"actor": "lan", "action": "download.csv", "villages": ["thon-3"], "file": "volunteers"},
        {"actor": "lan", "action": "download.login_cards", "villages": ["thon-3"], "count": 1}]
    assert "Hạnh Nguyên" not in log_text(site)


def test_a_refused_download_is_not_logged_as_one(lead, site):
    assert lead.get("/reports/report.xlsx?period=x").status_code == 400
    assert entries(site, "download.") == []


def test_staff_downloads_cover_the_whole_commune(staff, commune):
    assert staff.get("/reports/indicators.csv").status_code == 200
    assert entries(commune, "download.") == [
        {"actor": "canbo", "action": "download.csv", "villages": "all", "file": "indicators",
         "period": None}]


def test_an_export_file_prepared_downloaded_and_confirmed_is_logged(lead, site):
    site.store.submit([household("Hộ một"), household("Hộ hai")])
    assert lead.post("/export", data={"csrf_token": csrf_token(lead, "/export"),
                                      "scope": "new"}).status_code == 303
    batch = re.search(r'name="batch" value="([0-9a-f-]{36})"',
                      lead.get("/export").get_data(as_text=True)).group(1)
    assert lead.get(f"/export/file?batch={batch}").status_code == 200
    assert lead.post("/export/confirm", data={"csrf_token": csrf_token(lead, "/export"),
                                              "batch": batch}).status_code == 303
    assert entries(site, "export.") == [
        {"actor": "lan", "action": "export.prepare", "batch_id": batch, "count": 2,
         "scope": "new", "villages": ["thon-3"]},
        {"actor": "lan", "action": "export.download", "batch_id": batch, "count": 2,
         "sealed": False},
        {"actor": "lan", "action": "export.confirm", "batch_id": batch, "count": 2}]


def test_uploaded_batches_are_logged_taken_or_refused(staff, commune, tmp_path):
    village = filled_village(tmp_path / "village")
    batch = export_batch(village)
    assert upload_batch(staff, "thon-3.json", batch_bytes(batch)).status_code == 200
    assert upload_batch(staff, "hong.json", b'{"not": "a batch"}').status_code == 422
    assert entries(commune, "import.") == [
        {"actor": "canbo", "action": "import.upload.ok", "batch_id": batch["batch_id"],
         "count": 9, "new": 9, "duplicate": 0},
        {"actor": "canbo", "action": "import.upload.refused", "problem": "format"}]
    assert "Hộ 0" not in log_text(commune) and "hong.json" not in log_text(commune)


def test_a_new_laptop_approved_and_another_refused_are_logged(staff, commune, tmp_path):
    upload_batch(staff, "old.json", batch_bytes(export_batch(filled_village(tmp_path / "a"))))
    for name, folder in (("new.json", "b"), ("other.json", "c")):
        body = batch_bytes(export_batch(filled_village(tmp_path / folder, households=2)))
        assert "Chờ duyệt máy mới" in upload_batch(staff, name, body).get_data(as_text=True)
    held = [e for e in audit.entries(commune, "import.upload.held")]
    assert len(held) == 2 and all(e["count"] == 6 for e in held)
    for action in ("approve", "refuse"):
        page = staff.get("/commune/sites").get_data(as_text=True)
        url = re.search(rf'action="(/commune/sites/[0-9a-f-]+/{action})"', page).group(1)
        key = re.search(r'name="public_key" value="([^"]+)"', page).group(1)
        assert staff.post(url, data={"csrf_token": csrf_token(staff, "/commune/sites"),
                                     "public_key": key}).status_code == 303
    approved, refused = entries(commune, "laptop.")
    assert approved["action"] == "laptop.approve" and approved["actor"] == "canbo"
    assert approved["new"] == 6 and approved["failed"] == 0
    assert approved["batches"] == [held[0]["batch_id"]] or \
        approved["batches"] == [held[1]["batch_id"]]
    assert refused["action"] == "laptop.refuse" and refused["count"] == 1
    assert {approved["site_id"], refused["site_id"]} <= set(log_text(commune).split('"'))


def test_pushes_are_logged_at_the_commune_and_at_the_village(commune, tmp_path, runner):
    from tests.support.batches import issue_push_token
    village = filled_village(tmp_path / "village")
    token = issue_push_token(commune, "thon-3")
    server = LiveServer(commune.data_dir).start()
    try:
        result = runner.invoke(main, ["--data", village.data_dir, "push", server.url,
                                      "--token", token, "--no-encrypt"])
        assert result.exit_code == 0, result.output
        status, _ = server.request("POST", "/api/v1/batches", raw=b"{}", token=token)
        assert status in (400, 422)
    finally:
        server.stop()
    pushed = audit.entries(village, "push.cli")
    assert [(e["action"], e["count"], e["sealed"]) for e in pushed] == [("push.cli", 9, False)]
    taken, refused = entries(commune, "import.push")
    assert taken == {"actor": "push:thon-3", "action": "import.push.ok", "token": 1,
                     "batch_id": pushed[0]["batch_id"], "count": 9, "new": 9, "duplicate": 0}
    assert refused == {"actor": "push:thon-3", "action": "import.push.refused", "token": 1,
                       "problem": "format"}
    assert "Máy tổ trưởng" not in log_text(commune)         # the token's label is free text


def test_a_push_from_the_export_page_is_logged_sent_or_refused(lead, site, commune):
    from tests.support.batches import issue_push_token
    site.store.submit([household("Hộ một"), household("Hộ hai")])
    server = LiveServer(commune.data_dir).start()
    try:
        for token in (issue_push_token(commune, "thon-3"), "fa-push-sai"):
            site.update_settings(lambda s: s.update(push={"url": server.url, "token": token}))
            assert lead.post("/export/push", data={
                "csrf_token": csrf_token(lead, "/export")}).status_code == 303
    finally:
        server.stop()
    sent, refused = entries(site, "export.push")
    assert sent["action"] == "export.push" and sent["actor"] == "lan"
    assert sent["count"] == 2 and sent["sealed"] is False
    assert refused == {"actor": "lan", "action": "export.push.refused", "problem": None}
    assert entries(commune, "import.push.ok")[0]["batch_id"] == sent["batch_id"]
    assert "fa-push" not in log_text(site) and "fa-push" not in log_text(commune)


def test_a_resolved_fork_is_logged_by_record_id(lead, site):
    home = household(head="Đặng Công Anh")
    sides = [dict(home, updated_at=f"2025-07-26T09:0{n}:00.000Z", device_id=f"ph-{n}",
                  base=base_of(home), data=dict(home["data"], note=f"Ghi chú {n}"))
             for n in (1, 2)]
    site.store.submit([home, *sides])
    keep = f"{sides[0]['updated_at']}|{sides[0]['device_id']}"
    assert lead.post(f"/conflicts/{home['id']}/resolve", data={
        "csrf_token": csrf_token(lead, "/conflicts"), "keep": keep}).status_code == 303
    assert entries(site, "conflict.") == [
        {"actor": "lan", "action": "conflict.resolve", "ids": [home["id"]],
         "village_id": "thon-3", "heads": 2, "how": "keep"}]
    assert "Đặng Công Anh" not in log_text(site) and "Ghi chú" not in log_text(site)


def test_figures_targets_and_villages_uploaded_by_staff_are_logged(staff, commune):
    from fieldapp.indicators.procedures import COLUMNS
    header = ";".join(["Đợt", "Lĩnh vực", *COLUMNS.values()])
    figures = ("\ufeff" + header + "\r\n" + ";".join(["2", "Đất đai", "40", "10", "4", "30",
                                                     "20", "8", "30"]) + "\r\n").encode()
    answer = staff.post("/commune/procedures/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(staff, "/commune/procedures/"),
        "file": (io.BytesIO(figures), "so-lieu.csv")})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    annex = "village_id,name,adult_population\nthon-3,Thôn 3,500\nthon-7,Thôn Bảy,\n".encode()
    answer = staff.post("/commune/villages/import", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(staff, "/commune/villages"),
        "annex_file": (io.BytesIO(annex), "phu-luc.csv")})
    assert answer.status_code == 302
    answer = staff.post("/commune/villages/targets", data={
        "csrf_token": csrf_token(staff, "/commune/villages"), "t_adult_online_usage": "50"})
    assert answer.status_code == 302
    found = entries(commune, "procedures.") + entries(commune, "villages.") \
        + entries(commune, "targets.")
    assert found == [
        {"actor": "canbo", "action": "procedures.import", "periods": [2]},
        {"actor": "canbo", "action": "villages.import", "count": 2, "added": ["thon-7"]},
        {"actor": "canbo", "action": "targets.save"}]
