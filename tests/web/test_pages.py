"""Village pages through the Flask client with real CSRF tokens."""
import datetime
import re

import pytest

from fieldapp.indicators.periods import today_local
from tests.support.pages import csrf_token, login_page
from tests.support.factories import LEAD_PIN, VOL_PIN, household, person, visit


def texts(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def lead(client):
    assert login_page(client, "lan", LEAD_PIN).status_code == 302
    return client


def test_pages_need_sign_in(client):
    for path in ("/", "/households", "/village/dashboard", "/volunteers", "/records/new/household"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


def test_a_wrong_pin_shows_a_vietnamese_error(client):
    response = login_page(client, "lan", "999999")
    assert response.status_code == 401
    assert "Sai tên đăng nhập" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(lead, site):
    response = lead.post("/records/new/household", data={"head_name": "Không token"})
    assert response.status_code == 400
    assert "Phiên biểu mẫu" in response.get_data(as_text=True)
    site.store.refresh()
    assert len(site.store) == 0


def test_adding_a_household_then_a_person_then_a_visit(lead, site):
    token = csrf_token(lead, "/records/new/household")
    response = lead.post("/records/new/household", data={
        "csrf_token": token, "head_name": "Đặng Văn Ánh", "address": "Xóm Bàu", "phone": "0912345678",
        "consent_purposes": ["phone_contact"], "consent_by": "self", "consent_on": "2025-08-01"})
    assert response.status_code == 302
    home_id = response.location.rsplit("/", 1)[1]
    token = csrf_token(lead, f"/records/new/person?household_id={home_id}")
    response = lead.post(f"/records/new/person?household_id={home_id}", data={
        "csrf_token": token, "full_name": "Đặng Thị Bé", "birth_year": "1992", "sex": "female",
        "vneid": "level2", "bank_account": "y"})
    assert response.status_code == 302
    token = csrf_token(lead, f"/records/new/visit?household_id={home_id}")
    lead.post(f"/records/new/visit?household_id={home_id}", data={
        "csrf_token": token, "visited_on": "2025-08-02", "outcome": "met",
        "help": ["vneid_level2", "guide_shared"]})
    site.store.refresh()
    kinds = sorted(v["type"] for v in site.store.currents())
    assert kinds == ["household", "person", "visit"]
    stored = {v["type"]: v for v in site.store.currents()}
    assert stored["person"]["data"]["bank_account"] is True
    assert stored["person"]["data"]["uses_online_services"] is False
    assert stored["visit"]["data"]["help"] == ["vneid_level2", "guide_shared"]
    assert all(v["author"] == "lan" and v["village_id"] == "thon-3" for v in stored.values())
    page = texts(lead.get(f"/households/{home_id}").get_data(as_text=True))
    assert "Đặng Thị Bé" in page and "Mức 2" in page and "02/08/2025" in page


def test_bad_form_input_is_explained_in_vietnamese_and_not_stored(lead, site):
    token = csrf_token(lead, "/records/new/household")
    response = lead.post("/records/new/household", data={"csrf_token": token, "head_name": "  ",
                                                         "phone": "abc"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Họ tên chủ hộ: bắt buộc" in page and "sai dạng" in page
    site.store.refresh()
    assert len(site.store) == 0


def test_editing_keeps_the_history_and_deleting_leaves_a_tombstone(lead, site):
    home = household("Lý Văn Cũ", author="lan")
    site.store.submit([home])
    token = csrf_token(lead, f"/records/{home['id']}/edit")
    lead.post(f"/records/{home['id']}/edit", data={"csrf_token": token, "head_name": "Lý Văn Mới"})
    token = csrf_token(lead, f"/records/{home['id']}/edit")
    lead.post(f"/records/{home['id']}/delete", data={"csrf_token": token})
    site.store.refresh()
    history = site.store.history(home["id"])
    assert [v["data"]["head_name"] for v in history] == ["Lý Văn Cũ", "Lý Văn Mới", "Lý Văn Mới"]
    assert history[-1]["deleted"] is True
    assert lead.get(f"/households/{home['id']}").status_code == 404


def test_search_ignores_case_and_diacritics(lead, site):
    site.store.submit([household("Nguyễn Thị Ánh"), household("Trần Văn Bình")])
    page = lead.get("/households?q=nguyen+thi+anh").get_data(as_text=True)
    assert "Nguyễn Thị Ánh" in page and "Trần Văn Bình" not in page


def test_another_villages_record_is_not_shown(lead, site):
    foreign = household("Người Thôn Khác", village_id="thon-9")
    site.store.submit([foreign])
    assert lead.get(f"/households/{foreign['id']}").status_code == 403
    assert "Người Thôn Khác" not in lead.get("/households").get_data(as_text=True)


def test_hostile_names_are_escaped(lead, site):
    evil = '<script>alert("x")</script>\u202e"onmouseover=1'
    home = household(evil)
    site.store.submit([home, person(home["id"], name=evil * 2)])
    for path in ("/households", f"/households/{home['id']}"):
        page = lead.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_the_dashboard_shows_the_indicators(lead, site):
    home = household()
    site.store.submit([home, person(home["id"], online=True), visit(home["id"])])
    page = texts(lead.get("/village/dashboard?as_of=2025-08-25").get_data(as_text=True))
    assert "Hộ đã được đến tận nhà hướng dẫn" in page and "100,0 %" in page
    assert "Tuần 4" in page
    assert lead.get("/village/dashboard?as_of=hôm-qua").status_code == 400


def test_the_lead_manages_volunteer_accounts(lead, client, site):
    token = csrf_token(lead, "/volunteers")
    response = lead.post("/volunteers", data={"csrf_token": token, "username": "hoa",
                                              "pin": "582014", "role": "volunteer"})
    assert response.status_code == 302
    response = lead.post("/volunteers", data={"csrf_token": token, "username": "hoa2",
                                              "pin": "111111", "role": "volunteer"})
    assert response.status_code == 422 and "dễ đoán" in response.get_data(as_text=True)
    lead.post("/volunteers/hoa/disable", data={"csrf_token": token})
    from fieldapp.auth.accounts import get_user
    assert get_user(site, "hoa")["active"] is False
    assert client.post("/api/v1/login", json={"username": "hoa", "secret": "582014"}).status_code == 401


def test_a_refused_new_account_shows_every_error_under_its_own_field(lead, site):
    from fieldapp.auth.accounts import list_users
    before = len(list_users(site, "thon-3"))
    token = csrf_token(lead, "/volunteers")
    response = lead.post("/volunteers", data={"csrf_token": token, "username": "Hoa Lò",
                                              "full_name": "123", "pin": "12", "role": "boss"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    page = page[page.index('name="full_name"'):]          # the add form, after the roster
    fields = {}
    for name in ("full_name", "username", "pin", "role"):
        # the error follows its own field's input, before the next field's label
        start = page.index(f'name="{name}"')
        ends = [page.find(f'name="{other}"', start + 1) for other in ("full_name", "username",
                                                                       "pin", "role")]
        fields[name] = page[start:min([e for e in ends if e > start] or [len(page)])]
    assert "chữ cái" in fields["full_name"]
    assert "chữ thường không dấu" in fields["username"]
    assert "6 chữ số" in fields["pin"]
    assert "Vai trò phải là" in page[page.rindex('name="role"'):]
    assert len(list_users(site, "thon-3")) == before


def test_a_volunteer_sees_households_but_not_accounts(client):
    login_page(client, "minh", VOL_PIN)
    assert client.get("/").location.endswith("/households")
    assert client.get("/volunteers").status_code == 403


def test_sign_in_only_redirects_to_local_paths(client):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login?next=//evil.example/x", data={
        "csrf_token": token, "username": "lan", "secret": LEAD_PIN})
    assert response.location == "/"


def test_security_headers_and_cookie_flags(client):
    response = login_page(client, "lan", LEAD_PIN)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    headers = client.get("/households").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"


def test_the_admin_sets_wifi_population_and_campaign(client, site):
    login_page(client, "quantri", "mat-khau-dai-2025")
    token = csrf_token(client, "/settings")
    bad = client.post("/settings", data={"csrf_token": token, "village_name": "Thôn 3",
                                         "adult_population": "-5", "campaign_start": "2025-08-01",
                                         "campaign_end": "2025-07-01", "wifi_ssid": "x",
                                         "wifi_password": "short"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "số nguyên dương" in page and "sau ngày bắt đầu" in page and "8 đến 63" in page
    site_settings = site.settings
    assert site_settings["wifi"]["ssid"] == ""
    ok = client.post("/settings", data={"csrf_token": token, "village_name": "Thôn Ba",
                                        "adult_population": "1.250", "campaign_start": "2025-07-25",
                                        "campaign_end": "2025-08-25", "wifi_ssid": "fieldapp-thon3",
                                        "wifi_password": "matkhau123",
                                        "subject_request_days": "10"})
    assert ok.status_code == 302
    saved = site.settings
    assert saved["villages"][0]["adult_population"] == 1250
    assert saved["wifi"] == {"ssid": "fieldapp-thon3", "password": "matkhau123"}
    assert len(saved["campaign"]["periods"]) == 4


def test_only_the_admin_opens_settings(lead):
    assert lead.get("/settings").status_code == 403


def test_the_lead_records_training_and_the_village_counts_it(lead, site):
    from fieldapp.indicators.compute import compute
    from fieldapp.forms.versions import member_record_id

    def member_id(site, username):
        return member_record_id(site.settings["site_id"], username)
    token = csrf_token(lead, "/volunteers")
    response = lead.post("/volunteers", data={"csrf_token": token, "username": "hoa",
                                              "full_name": "Lò Thị Hoa", "pin": "582014",
                                              "role": "volunteer"})
    assert response.status_code == 302
    lead.post("/volunteers/minh/training", data={"csrf_token": token, "trained_on": "2025-07-26",
                                                  "training_topic": "Kích hoạt VNeID mức 2"})
    for day, why in (("26/07/2025", "hãy chọn một ngày"), ("", "hãy chọn một ngày"),
                     (
                         (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
                         "không thể ở tương lai")):
        bad = lead.post("/volunteers/hoa/training", data={"csrf_token": token,
                                                           "trained_on": day},
                        follow_redirects=True)
        page = bad.get_data(as_text=True)
        assert f"Ngày tập huấn của Lò Thị Hoa: {why}" in page and "Đã ghi tập huấn của Lò" not in page
    site.store.refresh()
    hoa = site.store.current(member_id(site, "hoa"))
    assert hoa["type"] == "member" and hoa["data"]["full_name"] == "Lò Thị Hoa"
    assert "trained_on" not in hoa["data"]
    answer = compute(site.settings, site.store.histories(), None)
    trained = next(e for e in answer["indicators"] if e["key"] == "volunteers_trained")
    assert (trained["numerator"], trained["denominator"]) == (1, 2)     # minh of minh, hoa
    assert "Đã tập huấn 26/07/2025" in lead.get("/volunteers").get_data(as_text=True)
    lead.post("/volunteers/hoa/disable", data={"csrf_token": token})
    site.store.refresh()
    assert site.store.current(member_id(site, "hoa"))["data"]["active"] is False


def test_a_new_pin_is_told_by_the_roster_name_not_the_login(lead):
    token = csrf_token(lead, "/volunteers")
    lead.post("/volunteers", data={"csrf_token": token, "username": "hoa",
                                   "full_name": "Lò Thị Hoa", "pin": "582014",
                                   "role": "volunteer"})
    page = lead.post("/volunteers/hoa/pin", data={"csrf_token": token, "pin": "739514"},
                     follow_redirects=True).get_data(as_text=True)
    assert "Đã đổi mã PIN của Lò Thị Hoa." in page


def test_a_volunteer_cannot_post_roster_records(client, site, api_token):
    from tests.support.factories import version
    member = version("member", {"full_name": "Giả mạo", "active": True,
                                "trained_on": "2025-07-26"})
    result = client.post("/api/v1/records", json={"records": [member]},
                         headers={"Authorization": f"Bearer {api_token}"}).json["results"][0]
    assert result["status"] == "rejected" and "type" in result["errors"]


def test_an_edit_on_the_laptop_names_the_version_its_editor_saw(lead, site, client, api_token):
    """The lead opens a household the volunteer's phone then changes: the lead's edit is
    made from what the lead saw, so the two edits are a fork (SPEC §3), not a silent win."""
    from fieldapp.forms.versions import base_of, forks
    home = household(head="Đặng Công Anh", author="minh", device_id="ph-minh")
    site.store.submit([home])
    form_page = lead.get(f"/records/{home['id']}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page).group(1)
    phone_edit = dict(home, updated_at="2025-07-26T11:00:00.000Z", base=base_of(home),
                      data=dict(home["data"], note="Nhà có người già"))
    answer = client.post("/api/v1/records", json={"records": [phone_edit]},
                         headers={"Authorization": f"Bearer {api_token}"})
    assert answer.json["results"][0]["status"] == "accepted"
    assert lead.post(f"/records/{home['id']}/edit", data={
        "csrf_token": token, "head_name": "Đặng Công Anh", "address": "Xóm 2",
        "seen_at": home["updated_at"], "seen_on": home["device_id"]}).status_code == 302
    site.store.refresh()
    history = site.store.history(home["id"])
    laptop = next(v for v in history if v["device_id"] == "web-lan")
    assert laptop["base"] == base_of(home)
    assert forks(history) == sorted([phone_edit, laptop], key=lambda v: v["updated_at"])


def test_the_household_list_tells_met_absent_refused_and_not_yet_visited(site, lead):
    homes = {name: household(name) for name in ("Hộ Gặp", "Hộ Vắng", "Hộ Từ Chối", "Hộ Mới")}
    site.store.submit(list(homes.values()) + [
        visit(homes["Hộ Gặp"]["id"], outcome="absent"),
        visit(homes["Hộ Gặp"]["id"], outcome="met", minute=5),   # met once is met
        visit(homes["Hộ Vắng"]["id"], outcome="absent"),
        visit(homes["Hộ Từ Chối"]["id"], outcome="refused")])
    page = texts(lead.get("/households").get_data(as_text=True))
    for name, tag in (("Hộ Gặp", "Đã gặp"), ("Hộ Vắng", "Đã đến, vắng nhà"),
                      ("Hộ Từ Chối", "Đã đến, từ chối"), ("Hộ Mới", "Chưa đến")):
        assert re.search(rf"{name} Xóm 1 {tag}\b", page), (name, page)


def test_a_pin_of_the_wrong_length_is_told_so_and_costs_no_attempt(client, site):
    from fieldapp.auth import accounts as auth
    for secret in ("12345", "1234567", "123"):
        response = login_page(client, "minh", secret)
        assert response.status_code == 401
        assert "Mã PIN gồm 6 chữ số" in texts(response.get_data(as_text=True))
    assert not auth.get_user(site, "minh").get("failures")          # no attempt counted
    assert login_page(client, "minh", VOL_PIN).status_code == 302
    wrong = login_page(client, "lan", "000000")             # six digits: an ordinary miss
    assert "Mã PIN gồm 6 chữ số" not in texts(wrong.get_data(as_text=True))


def test_the_lead_sees_a_locked_out_volunteer_and_unlocks_them(lead, client, site):
    from fieldapp import audit
    from fieldapp.auth.accounts import MAX_FAILURES
    for _ in range(MAX_FAILURES):
        client.post("/api/v1/login", json={"username": "minh", "secret": "000001"})
    assert client.post("/api/v1/login", json={"username": "minh",
                                              "secret": VOL_PIN}).status_code != 200
    page = lead.get("/volunteers").get_data(as_text=True)
    assert "Đang bị khóa đến" in page
    token = csrf_token(lead, "/volunteers")
    assert lead.post("/volunteers/minh/unlock", data={}).status_code == 400     # no CSRF
    assert "Đang bị khóa đến" in lead.get("/volunteers").get_data(as_text=True)
    done = lead.post("/volunteers/minh/unlock", data={"csrf_token": token},
                     follow_redirects=True).get_data(as_text=True)
    assert "Đã mở khóa" in done and "Đang bị khóa đến" not in done
    assert client.post("/api/v1/login", json={"username": "minh",
                                              "secret": VOL_PIN}).status_code == 200
    assert [e["user"] for e in audit.entries(site, "user.unlock")] == ["minh"]


def test_the_header_names_the_signed_in_person_from_the_roster(lead, site):
    from fieldapp.forms.versions import make_version, member_record_id
    assert '<span class="who">lan</span>' in lead.get("/households").get_data(as_text=True)
    site.store.submit([make_version("member", "thon-3", {
        "full_name": "Lò Thị Lan", "username": "lan", "role": "lead", "active": True},
        "lan", "web-lan", record_id=member_record_id(site.settings["site_id"], "lan"))])
    assert '<span class="who">Lò Thị Lan</span>' in lead.get("/households").get_data(as_text=True)


def test_after_the_campaign_the_dashboard_says_so_and_counts_to_its_end(lead, site):
    end = datetime.date.fromisoformat(site.settings["campaign"]["end"])
    assert today_local() > end                   # the fixture's campaign is long over
    page = lead.get("/village/dashboard").get_data(as_text=True)
    assert f"Chiến dịch đã kết thúc ngày {end:%d/%m/%Y}" in texts(page)
    assert f'value="{end.isoformat()}"' in page
    asked = lead.get(f"/village/dashboard?as_of={end.isoformat()}").get_data(as_text=True)
    assert "Chiến dịch đã kết thúc" not in asked   # a date typed in is taken as asked
