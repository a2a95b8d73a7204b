"""The page "Yêu cầu về dữ liệu cá nhân": the lead (own village only) and commune staff find
a person, record a request, see its deadline, download what is held, mark it done; the
dashboards count the open and the overdue ones."""
import datetime
import hashlib
import json
import os
import re

import pytest

from fieldapp import audit, create_app, subject_requests
from fieldapp.auth.accounts import add_user, get_user, session_stamp
from fieldapp.forms.text import vn_date
from fieldapp.indicators.periods import today_local
from tests.support import factories as f
from tests.support.commune import page_text
from tests.support.pages import csrf_token

DAY = datetime.timedelta(days=1)


def _tree(data_dir):
    found = {}
    for root, _, files in os.walk(data_dir):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                found[name] = hashlib.sha256(handle.read()).hexdigest()
    return found


@pytest.fixture
def world(site):
    """thon-3 (lead lan) and thon-4 (lead hoa) on one laptop, a household in each."""
    site.update_settings(lambda s: s["villages"].append(
        {"id": "thon-4", "name": "Thôn 4", "adult_population": None, "targets": {}}))
    add_user(site, "hoa", "lead", "864213", "thon-4")
    home = f.household("Nguyễn Thị Ánh")
    edited = dict(home, data=dict(home["data"], address="Xóm Đồng"),
                  updated_at=f.stamp(f.START, 15), author="lan", device_id="web-lan")
    person = f.person(home["id"], name="Đặng Văn Đức")
    home4 = f.household("Lò Văn Bốn", village_id="thon-4", author="hoa")
    site.store.submit([home, edited, person, home4])
    app = create_app({"DATA_DIR": site.data_dir, "TESTING": True})
    return {"site": site, "app": app, "home": home, "person": person, "home4": home4}


def _client(world, username):
    client = world["app"].test_client()
    with client.session_transaction() as session:
        session["username"] = username
        session["stamp"] = session_stamp(get_user(world["site"], username))
    return client


def _post(client, path, **data):
    data["csrf_token"] = csrf_token(client, "/subject-requests/")
    return client.post(path, data=data)


def test_the_lead_records_a_request_and_sees_its_deadline(world):
    lead = _client(world, "lan")
    found = page_text(lead.get("/subject-requests/?q=nguyen thi anh"))
    assert "Hộ Nguyễn Thị Ánh" in found and "Đặng Văn Đức" in found
    chosen = lead.get(f"/subject-requests/?subject=person:{world['person']['id']}")
    assert "Yêu cầu của người Đặng Văn Đức" in page_text(chosen)
    received = today_local() - 3 * DAY
    answer = _post(lead, "/subject-requests/new", subject=f"person:{world['person']['id']}",
                   kind="erase", received=received.isoformat())
    assert answer.status_code == 302
    deadline = received + subject_requests.DEFAULT_REQUEST_DAYS * DAY
    text = page_text(lead.get("/subject-requests/"))
    answer_due = subject_requests.answer_due(received)
    assert (f"Đã ghi yêu cầu: phản hồi người dân chậm nhất {answer_due.strftime('%d/%m/%Y')}, "
            f"hạn xử lý {deadline.strftime('%d/%m/%Y')}.") in text
    assert "Đang chờ xử lý (1)" in text and "Xóa · Người Đặng Văn Đức" in text
    assert f"hạn {deadline.strftime('%d/%m/%Y')}" in text
    assert f"còn {(deadline - today_local()).days} ngày" in text
    assert f"/subject-requests/erase?subject=person:{world['person']['id']}" in \
        lead.get("/subject-requests/").get_data(as_text=True)
    [logged] = subject_requests.all_requests(world["site"])
    assert (logged["recorded_by"], logged["village_id"]) == ("lan", "thon-3")
    assert audit.entries(world["site"], "subject.request")[-1]["ids"] == [world["person"]["id"]]


def test_an_overdue_request_is_red_on_the_page_and_the_dashboard(world):
    site = world["site"]
    subject_requests.open_request(site, "lan", "see", "household", world["home"]["id"],
                                  "thon-3", today_local() - 20 * DAY)
    subject_requests.open_request(site, "lan", "correct", "person", world["person"]["id"],
                                  "thon-3", today_local())
    lead = _client(world, "lan")
    page = lead.get("/subject-requests/").get_data(as_text=True)
    assert 'class="card subject-request overdue"' in page
    assert re.search(r'class="st missed">quá hạn 10 ngày', page)
    dashboard = lead.get("/village/dashboard").get_data(as_text=True)
    assert "Yêu cầu về dữ liệu cá nhân đang chờ: 2" in dashboard
    assert '<span class="overdue">quá hạn: 1</span>' in dashboard
    # thon-4's lead counts none of thon-3's
    other = _client(world, "hoa").get("/village/dashboard").get_data(as_text=True)
    assert "Yêu cầu về dữ liệu cá nhân đang chờ" not in other


def test_the_downloads_hold_every_version_and_are_audited(world):
    lead = _client(world, "lan")
    subject = f"household:{world['home']['id']}"
    answer = lead.get(f"/subject-requests/export.json?subject={subject}")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    data = json.loads(answer.get_data())
    versions = data["records"][0]["versions"]
    assert [v["data"]["address"] for v in versions] == ["Xóm 1", "Xóm Đồng"]
    assert [r["id"] for r in data["records"]] == [world["home"]["id"], world["person"]["id"]]
    pdf = lead.get(f"/subject-requests/export.pdf?subject={subject}")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    assert [e["action"] for e in audit.entries(world["site"], "subject.export")] == [
        "subject.export.json", "subject.export.pdf"]


def test_marking_done_moves_the_request_and_names_who_did_it(world):
    site = world["site"]
    logged = subject_requests.open_request(site, "lan", "see", "household",
                                           world["home"]["id"], "thon-3", today_local())
    lead = _client(world, "lan")
    assert _post(lead, "/subject-requests/done", request_id=logged["id"]).status_code == 302
    text = page_text(lead.get("/subject-requests/"))
    assert "Đang chờ xử lý (0)" in text and "Đã xử lý xong" in text
    assert subject_requests.all_requests(site)[0]["handled_by"] == "lan"
    again = _post(lead, "/subject-requests/done", request_id=logged["id"])
    assert "đã được xử lý xong" in page_text(lead.get(again.headers["Location"]))


def test_the_lead_notes_the_answer_and_the_page_says_when_it_is_due(world):
    site = world["site"]
    received = today_local() - datetime.timedelta(days=6)      # answer due: already past
    logged = subject_requests.open_request(site, "lan", "see", "household",
                                           world["home"]["id"], "thon-3", received)
    lead = _client(world, "lan")
    text = page_text(lead.get("/subject-requests/"))
    assert f"Phản hồi người dân chậm nhất {vn_date(logged['answer_due'])}" in text
    assert "quá hạn phản hồi" in text and "Đã phản hồi người dân" in text
    assert subject_requests.open_counts(site, ["thon-3"], today_local()) == (1, 1)
    before = _tree(site.data_dir)
    assert lead.post("/subject-requests/answered",
                     data={"request_id": logged["id"]}).status_code == 400      # no CSRF
    _post(_client(world, "hoa"), "/subject-requests/answered", request_id=logged["id"])
    assert _tree(site.data_dir) == before                   # another village's lead: nothing
    answer = _post(lead, "/subject-requests/answered", request_id=logged["id"])
    assert answer.status_code == 302
    text = page_text(lead.get(answer.headers["Location"]))
    assert "Đã ghi: người dân đã được phản hồi." in text
    assert f"Đã phản hồi người dân {vn_date(today_local())}" in text
    assert "quá hạn phản hồi" not in text
    assert subject_requests.open_counts(site, ["thon-3"], today_local()) == (1, 0)
    entry = audit.entries(site, "subject.answered")[-1]
    assert (entry["actor"], entry["request_id"]) == ("lan", logged["id"])
    again = _post(lead, "/subject-requests/answered", request_id=logged["id"])
    assert "đã được ghi là đã phản hồi" in page_text(lead.get(again.headers["Location"]))


def test_the_lead_of_another_village_can_neither_see_nor_touch_it(world):
    site = world["site"]
    logged = subject_requests.open_request(site, "lan", "erase", "household",
                                           world["home"]["id"], "thon-3", today_local())
    other = _client(world, "hoa")
    text = page_text(other.get("/subject-requests/?q=nguyen"))
    assert "Nguyễn Thị Ánh" not in text and "Đang chờ xử lý (0)" in text
    subject = f"household:{world['home']['id']}"
    for path in (f"/subject-requests/export.json?subject={subject}",
                 f"/subject-requests/export.pdf?subject={subject}"):
        assert other.get(path).status_code == 404
    before = _tree(site.data_dir)
    _post(other, "/subject-requests/done", request_id=logged["id"])
    _post(other, "/subject-requests/new", subject=subject, kind="see")
    assert subject_requests.all_requests(site)[0]["status"] == "open"
    assert len(subject_requests.all_requests(site)) == 1
    assert _tree(site.data_dir) == before


def test_volunteers_and_admins_are_refused_and_forms_need_their_token(world):
    site = world["site"]
    for username in ("minh", "quantri"):
        assert _client(world, username).get("/subject-requests/").status_code == 403
    lead = _client(world, "lan")
    before = _tree(site.data_dir)
    answer = lead.post("/subject-requests/new", data={
        "subject": f"household:{world['home']['id']}", "kind": "see"})
    assert answer.status_code == 400 and "Phiên biểu mẫu" in answer.get_data(as_text=True)
    assert _tree(site.data_dir) == before


@pytest.mark.parametrize("fields,message", [
    ({"kind": "forget"}, "Loại yêu cầu không hợp lệ"),
    ({"kind": "see", "received": "2099-01-01"}, "không thể ở sau hôm nay"),
    ({"kind": "see", "received": "hôm qua"}, "Ngày nhận yêu cầu"),
    ({"kind": "see", "subject": "visit:abc"}, "Hãy chọn một hộ hoặc một người"),
])
def test_bad_input_is_told_in_vietnamese_and_nothing_is_logged(world, fields, message):
    lead = _client(world, "lan")
    data = dict({"subject": f"household:{world['home']['id']}"}, **fields)
    answer = _post(lead, "/subject-requests/new", **data)
    assert answer.status_code == 302
    assert message in page_text(lead.get(answer.headers["Location"]))
    assert subject_requests.all_requests(world["site"]) == []


def test_commune_staff_see_every_villages_requests(site_templates, tmp_path):
    from tests.support.commune import VILLAGES
    commune = site_templates.copy(tmp_path / "xa", f.commune_site, villages=VILLAGES,
                                  quick_hashes=True)
    home = f.household("Nguyễn Thị Ánh", village_id="thon-2")
    commune.store.submit([home])
    subject_requests.open_request(commune, "canbo", "erase", "household", home["id"],
                                  "thon-2", today_local() - 11 * DAY)
    app = create_app({"DATA_DIR": commune.data_dir, "TESTING": True})
    staff = app.test_client()
    with staff.session_transaction() as session:
        session["username"], session["stamp"] = "canbo", session_stamp(get_user(commune, "canbo"))
    text = page_text(staff.get("/subject-requests/"))
    assert "Xóa · Hộ Nguyễn Thị Ánh · Thôn 2" in text and "quá hạn 1 ngày" in text
    dashboard = staff.get("/commune/").get_data(as_text=True)
    assert "Yêu cầu về dữ liệu cá nhân đang chờ: 1" in dashboard and "quá hạn: 1" in dashboard
    assert ("/subject-requests/", "Yêu cầu dữ liệu") in re.findall(
        r'<a href="([^"]+)"[^>]*>([^<]+)</a>', dashboard)


def test_the_demo_laptop_holds_an_open_and_an_overdue_request(demo):
    from fieldapp.site import Site
    assert demo.result.exit_code == 0, demo.result.output
    laptop = Site(str(demo.root / "villages" / "phu-binh"))
    assert subject_requests.open_counts(laptop, laptop.village_ids, today_local()) == (2, 1)


def test_a_wide_search_shows_the_first_households_and_says_so(world):
    world["site"].store.submit([f.household(f"Nguyễn Văn Số {n}") for n in range(35)])
    text = page_text(_client(world, "lan").get("/subject-requests/?q=nguyen van so"))
    assert text.count("Hộ Nguyễn Văn Số") == 30 and "Chỉ hiện 30 hộ đầu" in text
    text = page_text(_client(world, "lan").get("/subject-requests/?q=nguyen van so 3"))
    assert "Chỉ hiện" not in text and "Hộ Nguyễn Văn Số 34" in text
