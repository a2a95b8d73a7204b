"""`fieldapp subject find|export`: a citizen found without diacritics, and everything held
about them written out (every version, who recorded it, when), logged and audited."""
import json
import shutil
import subprocess

import pytest

from fieldapp import audit, subject_requests
from fieldapp.cli import main
from fieldapp.forms.versions import make_version, member_record_id
from tests.support import factories as f


def _seed(site):
    """A household edited twice, two members, a visit and a survey; the roster names minh."""
    home = f.household("Nguyễn Thị Ánh", author="minh")
    edited = dict(home, data=dict(home["data"], address="Xóm Đồng", phone="0912345678"),
                  updated_at=f.stamp(f.START, 15), author="lan", device_id="web-lan")
    me = f.person(home["id"], name="Đặng Văn Đức", birth_year=1975)
    other = f.person(home["id"], name="Lý Thị Hoa", birth_year=2001)
    visit = f.visit(home["id"])
    survey = f.survey(household_id=home["id"])
    survey["data"]["person_id"] = me["id"]
    elsewhere = f.household("Nguyễn Văn Ánh Khác")
    site.store.submit([home, edited, me, other, visit, survey, elsewhere])
    site.store.submit([make_version("member", "thon-3", {
        "full_name": "Lê Thị Minh", "username": "minh", "role": "volunteer", "active": True},
        "lan", "web-lan", record_id=member_record_id(site.settings["site_id"], "minh"))])
    return {"home": home, "edited": edited, "me": me, "other": other, "visit": visit,
            "survey": survey}


def _run(runner, site, *args):
    result = runner.invoke(main, ["--data", site.data_dir, "subject", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_find_ignores_case_and_diacritics_and_names_the_ids(runner, site):
    seeded = _seed(site)
    out = _run(runner, site, "find", "nguyen thi anh")
    assert "Nguyễn Thị Ánh" in out and f"--household {seeded['home']['id']}" in out
    assert f"--person {seeded['me']['id']}" in out and "Đặng Văn Đức (1975)" in out
    assert "Ánh Khác" not in out
    assert seeded["home"]["id"] in _run(runner, site, "find", "dang van duc")
    assert seeded["home"]["id"] in _run(runner, site, "find", "+84 912 345 678")
    assert "Không tìm thấy" in _run(runner, site, "find", "không ai cả")


def test_export_json_holds_every_version_and_who_recorded_it(runner, site, tmp_path):
    seeded = _seed(site)
    out = tmp_path / "ho.json"
    printed = _run(runner, site, "export", "--household", seeded["home"]["id"], "--out", str(out))
    assert "5 bản ghi, 6 phiên bản" in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "fieldapp-subject-export"
    records = {r["id"]: r for r in data["records"]}
    expected = {seeded[k]["id"] for k in ("home", "me", "other", "visit", "survey")}
    assert set(records) == expected
    home = records[seeded["home"]["id"]]["versions"]
    assert [v["data"].get("address") for v in home] == ["Xóm 1", "Xóm Đồng"]
    assert [(v["author"], v["author_name"]) for v in home] == [("minh", "Lê Thị Minh"),
                                                                ("lan", "")]
    assert [v["updated_at"] for v in home] == [seeded["home"]["updated_at"],
                                               seeded["edited"]["updated_at"]]
    assert home[1]["recorded_at"] == "25/07/2025 15:00"      # Vietnam time of the stamp
    # the export answers a request to see, logged as done, and is audited (ids, no names)
    logged = subject_requests.all_requests(site)
    assert [(r["kind"], r["status"], r["subject_id"]) for r in logged] == [
        ("see", "done", seeded["home"]["id"])]
    assert data["requests"][0]["id"] == logged[0]["id"]
    entry = audit.entries(site, "subject.export")[-1]
    assert entry["ids"] == [seeded["home"]["id"]] and entry["count"] == 5
    assert "Nguyễn" not in json.dumps(audit.entries(site), ensure_ascii=False)


def test_a_persons_export_leaves_out_the_other_members(runner, site, tmp_path):
    seeded = _seed(site)
    out = tmp_path / "nguoi.json"
    _run(runner, site, "export", "--person", seeded["me"]["id"], "--out", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [r["id"] for r in data["records"]] == [seeded["me"]["id"], seeded["survey"]["id"]]
    assert "Lý Thị Hoa" not in out.read_text(encoding="utf-8")


def test_an_open_request_to_see_is_closed_by_the_export(runner, site, tmp_path):
    seeded = _seed(site)
    _run(runner, site, "request", "--person", seeded["me"]["id"], "--kind", "see",
         "--received", "01/12/2026")
    _run(runner, site, "export", "--person", seeded["me"]["id"], "--out", str(tmp_path / "a.json"))
    logged = subject_requests.all_requests(site)
    assert [(r["received"], r["status"], r["handled_by"]) for r in logged] == [
        ("2026-12-01", "done", "cli")]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_export_pdf_reads_back_in_vietnamese(runner, site, tmp_path):
    seeded = _seed(site)
    out = tmp_path / "ho.pdf"
    _run(runner, site, "export", "--household", seeded["home"]["id"], "--out", str(out))
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    for words in ("DỮ LIỆU CÁ NHÂN ĐANG LƯU", "Nguyễn Thị Ánh", "Xóm Đồng", "Đặng Văn Đức",
                  "Lê Thị Minh (minh)", "Phiên bản 2", "25/07/2025 15:00", "Gặp được",
                  "Xem / nhận bản sao"):
        assert words in text, words


def test_export_refuses_unclear_choices_clearly(runner, site, tmp_path):
    seeded = _seed(site)
    both = runner.invoke(main, ["--data", site.data_dir, "subject", "export", "--household",
                                seeded["home"]["id"], "--person", seeded["me"]["id"],
                                "--out", str(tmp_path / "x.json")])
    assert both.exit_code == 2 and "đúng một" in both.output
    unknown = runner.invoke(main, ["--data", site.data_dir, "subject", "export", "--household",
                                   seeded["me"]["id"], "--out", str(tmp_path / "x.json")])
    assert unknown.exit_code == 1 and "Không tìm thấy" in unknown.output
    odd = runner.invoke(main, ["--data", site.data_dir, "subject", "export", "--household",
                               seeded["home"]["id"], "--out", str(tmp_path / "x.txt")])
    assert odd.exit_code == 2 and ".json hoặc .pdf" in odd.output
    assert subject_requests.all_requests(site) == [] and not (tmp_path / "x.json").exists()
