"""The erase action of the page "Yêu cầu về dữ liệu cá nhân": CSRF, roles (lead on the
village, staff at the commune, own village only), a bad subject says so in Vietnamese and
changes nothing, and commune staff can erase what the commune holds."""
import hashlib
import os

import pytest

from fieldapp import audit, create_app
from fieldapp.auth.accounts import add_user, get_user, session_stamp
from tests.support import factories as f
from tests.support.commune import page_text
from tests.support.pages import csrf_token


def _tree(data_dir):
    found = {}
    for root, _, files in os.walk(data_dir):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                found[os.path.join(root, name)] = hashlib.sha256(handle.read()).hexdigest()
    return found


def _client(app, site, username):
    client = app.test_client()
    with client.session_transaction() as session:
        session["username"] = username
        session["stamp"] = session_stamp(get_user(site, username))
    return client


@pytest.fixture
def world(site):
    site.update_settings(lambda s: s["villages"].append(
        {"id": "thon-4", "name": "Thôn 4", "adult_population": None, "targets": {}}))
    add_user(site, "hoa", "lead", "864213", "thon-4")
    home = f.household("Nguyễn Thị Ánh")
    site.store.submit([home, f.person(home["id"], name="Đặng Văn Đức")])
    return site, create_app({"DATA_DIR": site.data_dir, "TESTING": True}), home


def test_the_confirmation_changes_nothing_and_a_post_without_csrf_is_refused(world):
    site, app, home = world
    lead = _client(app, site, "lan")
    files = _tree(site.data_dir)
    shown = lead.get(f"/subject-requests/erase?subject=household:{home['id']}")
    assert shown.status_code == 200
    assert "Đặng Văn Đức" in page_text(shown) and "2 bản ghi" in page_text(shown)
    refused = lead.post("/subject-requests/erase", data={"subject": f"household:{home['id']}"})
    assert refused.status_code == 400
    assert _tree(site.data_dir) == files and not audit.entries(site, "subject.erase")


@pytest.mark.parametrize("username", ["hoa", "minh", "quantri"])
def test_only_the_lead_of_the_village_may_erase(world, username):
    site, app, home = world
    other = _client(app, site, username)
    files = _tree(site.data_dir)
    token = csrf_token(other, {"hoa": "/subject-requests/", "minh": "/records/new/household",
                               "quantri": "/settings"}[username])
    answer = other.post("/subject-requests/erase", data={
        "subject": f"household:{home['id']}", "csrf_token": token})
    assert answer.status_code in (302, 403, 404)
    assert _tree(site.data_dir) == files
    assert site.store.current(home["id"])["data"]["head_name"] == "Nguyễn Thị Ánh"


def test_a_bad_subject_is_said_in_vietnamese_and_erases_nothing(world):
    site, app, _ = world
    lead = _client(app, site, "lan")
    files = _tree(site.data_dir)
    answer = lead.post("/subject-requests/erase", data={
        "subject": "household:khong-co", "csrf_token": csrf_token(lead, "/subject-requests/")},
        follow_redirects=True)
    assert "Không tìm thấy hộ hoặc người này." in page_text(answer)
    assert {k: v for k, v in _tree(site.data_dir).items() if "session" not in k} == \
        {k: v for k, v in files.items() if "session" not in k}


def test_commune_staff_erase_what_the_commune_holds(tmp_path):
    commune = f.commune_site(tmp_path / "commune")
    home = f.household("Trịnh Văn Xã")
    commune.store.submit([home])
    app = create_app({"DATA_DIR": commune.data_dir, "TESTING": True})
    staff = _client(app, commune, "canbo")
    answer = staff.post("/subject-requests/erase", data={
        "subject": f"household:{home['id']}",
        "csrf_token": csrf_token(staff, "/subject-requests/")}, follow_redirects=True)
    assert "Máy của thôn vẫn còn dữ liệu này" in page_text(answer)
    commune.store.refresh()
    assert commune.store.current(home["id"])["data"]["head_name"] == "(đã xóa)"
    assert audit.entries(commune, "subject.erase")[-1]["actor"] == "canbo"


def test_an_erasure_whose_request_was_closed_meanwhile_still_says_it_erased(world,
                                                                            monkeypatch):
    """A double tap on "Xóa": the second erasure reads the request open, and the first
    closes it while the second erases; the second answers with its erasure, not a 409
    page that reads as if nothing was erased."""
    from fieldapp import erasing, subject_requests
    from fieldapp.indicators.periods import today_local
    site, app, home = world
    asked = subject_requests.open_request(site, "lan", "erase", "household", home["id"],
                                          "thon-3", today_local())
    original = erasing.erase

    def erase_after_the_first_tap(*args, **kwargs):
        subject_requests.mark_done(site, "lan", asked["id"])
        return original(*args, **kwargs)
    monkeypatch.setattr(erasing, "erase", erase_after_the_first_tap)
    lead = _client(app, site, "lan")
    answer = lead.post("/subject-requests/erase", data={
        "subject": f"household:{home['id']}", "request_id": asked["id"],
        "csrf_token": csrf_token(lead, "/subject-requests/")})
    assert answer.status_code == 302
    assert "Đã xóa thông tin định danh" in page_text(lead.get(answer.headers["Location"]))
    site.store.refresh()
    assert site.store.current(home["id"])["data"]["head_name"] != "Nguyễn Thị Ánh"
    assert [r["status"] for r in subject_requests.all_requests(site)] == ["done"]
