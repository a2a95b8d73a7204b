"""The round app in the system Chromium, as a phone on the village Wi-Fi sees it.

The page is opened at http://fieldapp.lan:PORT/round (mapped to 127.0.0.1), which is not
a secure context, against the real `fieldapp serve`. Set ROUND_SHOTS=DIR to keep
screenshots of the states the tests pass through.
"""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from fieldapp.auth import accounts as auth
from fieldapp.forms.consent import NOTICE_VERSION
from fieldapp.forms.text import fold
from tests.support import factories
from tests.support.factories import LEAD_PIN, VOL_PIN
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

ARGS = ["--no-sandbox", "--host-resolver-rules=MAP fieldapp.lan 127.0.0.1",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-gpu"]
SAVE = "Lưu trên điện thoại"
NONE_WAITING = "Không có thay đổi chờ gửi"
# Moves the page's clock three days ahead (a phone with a wrong date).
SKEWED_CLOCK = """(() => {
  const shift = 3 * 86400000; const Real = Date;
  class Skewed extends Real {
    constructor(...a) { super(...(a.length ? a : [Real.now() + shift])); }
    static now() { return Real.now() + shift; }
  }
  globalThis.Date = Skewed;
})();"""


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def checks_server(site_templates, tmp_path_factory):
    """One server for the tests that only load round.js to run its checks: they never
    sign in or store anything."""
    site = site_templates.copy(tmp_path_factory.mktemp("checks") / "village",
                               factories.village_site, quick_hashes=True)
    server = LiveServer(site.data_dir).start()
    yield server
    server.stop()


@pytest.fixture
def phone(browser):
    """Make fresh phone browser contexts; fail the test on any page error."""
    contexts, errors = [], []

    def make():
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN",
                                      timezone_id="Asia/Ho_Chi_Minh")
        context.on("page", lambda page: page.on("pageerror", lambda error: errors.append(error)))
        contexts.append(context)
        return context
    yield make
    for context in contexts:
        context.close()
    assert errors == []


def shot(page, name):
    folder = os.environ.get("ROUND_SHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def open_round(context, server, path="/round"):
    page = context.new_page()
    page.goto(f"http://fieldapp.lan:{server.port}{path}")
    assert page.evaluate("window.isSecureContext") is False
    return page


def sign_in(page, username="minh", secret=VOL_PIN):
    page.fill("#username", username)
    page.fill("#secret", secret)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_selector("#q")


def sign_in_pages(context, server, username, secret):
    """Sign in on the laptop's pages (not the round app) in a new tab; return it."""
    page = context.new_page()
    page.goto(f"http://fieldapp.lan:{server.port}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=secret]", secret)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/(?!login)"))
    return page


def count(page):
    return page.inner_text("#count")


def wait_count(page, text, timeout=30000):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function("t => document.getElementById('count').textContent === t",
                               arg=text, timeout=timeout)
    except PlaywrightTimeout:
        raise AssertionError(f"count never showed {text!r}; the page says: "
                             + page.inner_text("body")) from None


def wait_net(page, text):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function("t => document.getElementById('net').textContent === t",
                               arg=text)
    except PlaywrightTimeout:
        raise AssertionError(f"never {text!r}; the page says: " + page.inner_text("body")
                             + " | lock: " + str(page.evaluate("localStorage.getItem('fa.lock')"))
                             ) from None


def outbox(page):
    """The versions waiting in the phone's storage."""
    return page.evaluate("""() => Object.keys(localStorage).filter(k => k.startsWith('fa.o:'))
        .map(k => JSON.parse(localStorage.getItem(k)))""")


def save(page):
    page.get_by_role("button", name=SAVE).click()


def add_household(page, head, address="", phone="", agree=()):
    page.get_by_role("link", name="+ Thêm hộ mới").click()
    page.fill("#i-head_name", head)
    page.fill("#i-address", address)
    page.fill("#i-phone", phone)
    for purpose in agree:               # consent (SPEC §3): nothing is ticked before
        page.check(f'input[name="consent"][value="{purpose}"]')
    save(page)
    page.wait_for_selector(f"h2:has-text('{head}')")


def server_versions(site):
    site.store.refresh()
    return site.store.histories()


def test_a_full_round_offline_survives_a_closed_tab_and_syncs_exactly_once(phone, live_server,
                                                                          site):
    context = phone()
    page = open_round(context, live_server)
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    shot(page, "1-signed-out")
    sign_in(page)
    wait_net(page, "Đã nối máy thôn")
    context.set_offline(True)
    wait_net(page, "Mất kết nối")

    add_household(page, "Lê Thị Hồng Đào", "Xóm Bàu, tổ 4", "0912 345 678", ["phone_contact"])
    page.get_by_role("link", name="+ Thêm người").click()
    page.fill("#i-full_name", "Lê Thị Hồng Đào")
    page.fill("#i-birth_year", "1850")
    page.check("#i-vneid-level2")
    save(page)
    assert page.inner_text("#e-birth_year") == "Năm sinh: phải từ 1900 trở đi"
    assert count(page) == "1 thay đổi chờ gửi"
    shot(page, "4-form-error")
    page.fill("#i-birth_year", "1968")
    page.check("#i-sex-female")
    page.check("#i-bank_account")
    save(page)
    page.wait_for_selector("#people li")
    page.get_by_role("link", name="+ Thêm người").click()
    page.fill("#i-full_name", "Phạm Văn Quý")
    page.fill("#i-birth_year", "2001")
    page.check("#i-vneid-none")
    page.check("#i-uses_online_services")
    save(page)
    page.wait_for_selector("#people li >> nth=1")
    page.get_by_role("link", name="+ Ghi lần đến nhà").click()
    page.check("#i-outcome-met")
    page.check("#i-help-vneid_level2")
    page.check("#i-help-bank_account")
    page.fill("#i-note", "Đã hẹn quay lại")
    shot(page, "3-visit-form")
    save(page)
    page.wait_for_selector("#visits li")
    page.get_by_role("link", name="+ Khảo sát hài lòng").click()
    page.select_option("#i-service_area", "land")
    page.check("#i-rating-4")
    page.select_option("#i-person_id", label="Phạm Văn Quý")
    shot(page, "3b-survey-form")
    save(page)
    page.wait_for_selector("#surveys li")
    assert count(page) == "5 thay đổi chờ gửi"
    shot(page, "5-offline-waiting")
    waiting = sorted((e["v"] for e in outbox(page)), key=lambda v: v["updated_at"])
    assert server_versions(site) == {}

    # Leaving with unsent changes asks first; the tab is closed while still offline.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    with page.expect_event("close", timeout=10000):
        page.close(run_before_unload=True)
    assert page.is_closed() and dialogs == ["beforeunload"]

    # Back in range: a new tab finds the outbox intact before anything is sent.
    context.set_offline(False)
    context.route("**/api/v1/records", lambda route: route.abort())
    page = open_round(context, live_server)
    page.wait_for_selector("#q")
    assert count(page) == "5 thay đổi chờ gửi"
    assert sorted((e["v"] for e in outbox(page)), key=lambda v: v["updated_at"]) == waiting
    wait_net(page, "Mất kết nối")       # its first try was refused: nothing is in flight
    context.unroute("**/api/v1/records")
    page.click("#send")
    wait_count(page, NONE_WAITING)

    household_id = waiting[0]["id"]
    people = {v["data"]["full_name"]: v["id"] for v in waiting if v["type"] == "person"}
    expected = {
        ("household", "Lê Thị Hồng Đào"): {"head_name": "Lê Thị Hồng Đào",
                                           "address": "Xóm Bàu, tổ 4", "hamlet": "",
                                           "phone": "0912345678",
                                           "note": "", "consent": {
                                               "notice_version": NOTICE_VERSION, "by": "self",
                                               "purposes": ["phone_contact"],
                                               "on": waiting[3]["data"]["visited_on"]}},
        ("person", "Lê Thị Hồng Đào"): {"household_id": household_id,
                                        "full_name": "Lê Thị Hồng Đào", "birth_year": 1968,
                                        "sex": "female", "phone": "", "vneid": "level2",
                                        "bank_account": True, "uses_online_services": False,
                                        "paid_online": False},
        ("person", "Phạm Văn Quý"): {"household_id": household_id, "full_name": "Phạm Văn Quý",
                                     "birth_year": 2001, "phone": "", "vneid": "none",
                                     "bank_account": False, "uses_online_services": True,
                                     "paid_online": False},
        ("visit", None): {"household_id": household_id, "visited_on": waiting[3]["data"]["visited_on"],
                          "outcome": "met", "help": ["vneid_level2", "bank_account"],
                          "note": "Đã hẹn quay lại"},
        ("survey", None): {"household_id": household_id, "person_id": people["Phạm Văn Quý"],
                           "surveyed_on": waiting[4]["data"]["surveyed_on"],
                           "service_area": "land", "rating": 4, "comment": ""},
    }
    lead = live_server.login("lan", LEAD_PIN)
    status, answer = live_server.request("GET", "/api/v1/records?since=0", token=lead)
    assert status == 200
    held = answer["records"]
    assert sorted(v["id"] for v in held) == sorted(v["id"] for v in waiting)
    assert {v["id"]: v for v in held} == {v["id"]: v for v in waiting}
    got = {(v["type"], v["data"].get("full_name") or v["data"].get("head_name")): v["data"]
           for v in held}
    assert got == expected
    uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(uuid4.match(v["id"]) for v in held)
    assert {(v["author"], v["village_id"], v["deleted"]) for v in held} == {("minh", "thon-3", False)}
    assert len({v["device_id"] for v in held}) == 1
    assert all(len(h) == 1 for h in server_versions(site).values())


def test_a_retry_after_a_lost_answer_comes_back_duplicate_not_a_second_copy(phone, live_server,
                                                                           site):
    page = open_round(phone(), live_server)
    sign_in(page)
    answers = []

    def lose_the_answer(route):
        if route.request.method != "POST":
            return route.continue_()
        stored = route.fetch(url=route.request.url.replace("fieldapp.lan", "127.0.0.1"))
        answers.append(stored.json())
        return route.abort("timedout")

    page.route("**/api/v1/records", lose_the_answer)
    add_household(page, "Võ Thị Sáu")
    deadline = time.monotonic() + 15
    while not answers and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert [r["status"] for r in answers[0]["results"]] == ["accepted"]
    wait_net(page, "Mất kết nối")
    assert count(page) == "1 thay đổi chờ gửi"
    page.unroute("**/api/v1/records")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/records")
                              and r.request.method == "POST") as retry:
        page.click("#send")
    assert [r["status"] for r in retry.value.json()["results"]] == ["duplicate"]
    wait_count(page, NONE_WAITING)
    histories = server_versions(site)
    assert [len(h) for h in histories.values()] == [1]
    assert next(iter(histories.values()))[0]["data"]["head_name"] == "Võ Thị Sáu"


def test_a_qr_login_card_works_once_then_is_refused(phone, live_server, tmp_path):
    lead = phone().new_page()
    lead.goto(f"http://fieldapp.lan:{live_server.port}/login")
    lead.fill("input[name=username]", "lan")
    lead.fill("input[name=secret]", LEAD_PIN)
    lead.get_by_role("button", name="Đăng nhập").click()
    lead.goto(f"http://fieldapp.lan:{live_server.port}/round/cards")
    lead.select_option("#card-user", "minh")
    lead.get_by_role("button", name="Tạo thẻ mới").click()
    png = tmp_path / "card.png"
    lead.locator("img.qr").screenshot(path=str(png))
    shot(lead, "8-lead-card")
    url = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True,
                         check=True).stdout.strip()
    prefix = f"http://fieldapp.lan:{live_server.port}/round#card="
    assert url.startswith(prefix) and len(url) > len(prefix) + 16
    code = url[len(prefix):]

    first = phone().new_page()
    first.goto(url)
    first.wait_for_selector("#q")
    assert first.inner_text("#title") == "Đi vòng · Thôn 3"
    assert code not in first.url
    assert first.evaluate("JSON.parse(localStorage.getItem('fa.auth')).user.username") == "minh"

    second = phone().new_page()
    second.goto(url)
    second.wait_for_selector("#signin-msg.error")
    assert "đã dùng" in second.inner_text("#signin-msg")
    assert second.evaluate("localStorage.getItem('fa.auth')") is None
    shot(second, "9-card-refused")
    assert "Đã dùng" in lead.goto(f"http://fieldapp.lan:{live_server.port}/round/cards").text()


def test_search_ignores_case_and_diacritics(phone, live_server):
    token = live_server.login("minh", VOL_PIN)
    from tests.support.factories import household, person
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    anh, duc, binh = (household(name) for name in ("Nguyễn Thị Ánh", "Đặng Văn Đức",
                                                    "Trần Văn Bình"))
    member = person(binh["id"], name="Phạm Thị Ngọc Ánh")
    records = [anh, duc, binh, member]
    for record in records:
        record["updated_at"] = now
    status, _ = live_server.request("POST", "/api/v1/records", {"records": records}, token=token)
    assert status == 200
    page = open_round(phone(), live_server)
    sign_in(page)
    page.wait_for_selector("#households li >> nth=2")
    shot(page, "2-list")

    def found(query):
        page.fill("#q", query)
        return page.locator("#households li strong").all_inner_texts()
    assert found("nguyen thi anh") == ["Nguyễn Thị Ánh"]
    assert found("DUC") == ["Đặng Văn Đức"]
    assert found("  dang   VAN duc ") == ["Đặng Văn Đức"]
    assert found("ngoc anh") == ["Trần Văn Bình"]
    assert sorted(found("ánh")) == ["Nguyễn Thị Ánh", "Trần Văn Bình"]
    assert found("xyz") == []
    samples = ["Nguyễn Thị Ánh", "ĐẶNG VĂN ĐỨC", "Hồ  Thị\tHương", "Nguye\u0302\u0303n", "Ỷ Lan"]
    folded = page.evaluate("async (xs) => (await import('/static/round/storage.js')).fold && "
                           "xs.map((await import('/static/round/storage.js')).fold)", samples)
    assert folded == [fold(s) for s in samples]


def test_a_rejected_change_is_shown_with_its_reason_and_kept_for_correction(phone, live_server,
                                                                          site):
    context = phone()
    page = context.new_page()
    page.add_init_script(SKEWED_CLOCK)
    page.goto(f"http://fieldapp.lan:{live_server.port}/round")
    sign_in(page)
    add_household(page, "Hộ có giờ sai")
    page.goto(f"http://fieldapp.lan:{live_server.port}/round#")
    page.wait_for_selector("#rejected")
    text = page.inner_text("#rejected")
    assert "Giờ ghi: Giờ trên điện thoại đang nhanh hơn giờ máy thôn" in text
    assert "Hộ có giờ sai" in text
    assert "Đồng hồ điện thoại nhanh 3 ngày" in page.inner_text("#skew")
    assert count(page) == "1 thay đổi chờ gửi (1 bị từ chối)"
    shot(page, "6-rejected")
    assert server_versions(site) == {}

    fixed = context.new_page()          # the same phone with its clock set right
    page.close()
    fixed.goto(f"http://fieldapp.lan:{live_server.port}/round")
    fixed.wait_for_selector("#rejected")
    fixed.locator("#rejected a").click()
    assert "nhanh hơn giờ máy thôn" in fixed.inner_text("#form-errors")
    assert fixed.input_value("#i-head_name") == "Hộ có giờ sai"
    save(fixed)
    wait_count(fixed, NONE_WAITING)
    assert fixed.locator("#rejected").count() == 0
    assert fixed.locator("#skew").count() == 0
    histories = server_versions(site)
    assert [[v["data"]["head_name"] for v in h] for h in histories.values()] == [["Hộ có giờ sai"]]


def test_an_expired_token_asks_to_sign_in_again_and_keeps_the_outbox(phone, live_server, site):
    context = phone()
    page = open_round(context, live_server)
    sign_in(page)
    context.set_offline(True)
    add_household(page, "Hộ chờ đăng nhập lại")
    auth.revoke_tokens(site, "minh")
    context.set_offline(False)          # coming back online starts a sync by itself
    page.wait_for_selector("#signin-msg.error")
    message = page.inner_text("#signin-msg")
    assert "Hãy đăng nhập lại" in message and "1 thay đổi chờ gửi vẫn còn nguyên" in message
    assert page.input_value("#username") == "minh"
    shot(page, "7-signed-out-with-outbox")
    assert count(page) == "1 thay đổi chờ gửi"
    assert server_versions(site) == {}
    sign_in(page)
    wait_count(page, NONE_WAITING)
    assert len(server_versions(site)) == 1


def test_a_full_storage_is_told_plainly_and_the_form_is_kept(phone, live_server, site):
    page = open_round(phone(), live_server)
    sign_in(page)
    page.evaluate("""() => { const real = Storage.prototype.setItem;
      Storage.prototype.setItem = function (k, v) {
        if (k.startsWith('fa.o:')) throw new DOMException('full', 'QuotaExceededError');
        return real.call(this, k, v); }; }""")
    page.get_by_role("link", name="+ Thêm hộ mới").click()
    page.fill("#i-head_name", "Hộ không lưu được")
    save(page)
    assert "Bộ nhớ trình duyệt trên điện thoại đã đầy" in page.inner_text("#banner")
    shot(page, "10-storage-full")
    assert page.input_value("#i-head_name") == "Hộ không lưu được"
    assert count(page) == NONE_WAITING
    assert outbox(page) == []


def test_two_tabs_share_one_outbox_and_send_it_once(phone, live_server, site):
    context = phone()
    first = open_round(context, live_server)
    sign_in(first)
    second = open_round(context, live_server)
    second.wait_for_selector("#q")
    context.set_offline(True)
    add_household(first, "Hộ ở thẻ thứ nhất")
    wait_count(second, "1 thay đổi chờ gửi")
    second.get_by_role("link", name="+ Thêm hộ mới").click()
    second.fill("#i-head_name", "Hộ ở thẻ thứ hai")
    save(second)
    wait_count(first, "2 thay đổi chờ gửi")
    context.set_offline(False)          # both tabs start sending by themselves
    wait_count(first, NONE_WAITING)
    wait_count(second, NONE_WAITING)
    histories = server_versions(site)
    assert sorted(h[0]["data"]["head_name"] for h in histories.values()) == [
        "Hộ ở thẻ thứ hai", "Hộ ở thẻ thứ nhất"]
    assert all(len(h) == 1 for h in histories.values())


# Text fields spell odd code points as <U+XXXX> (a lone surrogate cannot cross to the page
# as JSON); both sides turn them into the characters, code unit by code unit.
SPELLED = """const spelled = (data) => Object.fromEntries(Object.entries(data).map(([k, v]) =>
  [k, typeof v === 'string' ? v.replace(/<U\\+([0-9A-F]{4})>/g,
    (_, x) => String.fromCharCode(parseInt(x, 16))) : v]));"""


def spelled(data):
    """Python's side of SPELLED: a surrogate pair spelled in two halves joins into one."""
    def text(value):
        raw = re.sub(r"<U\+([0-9A-F]{4})>", lambda m: chr(int(m.group(1), 16)), value)
        return raw.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return {k: text(v) if isinstance(v, str) else v for k, v in data.items()}


def test_the_phone_checks_a_record_exactly_as_the_server_does(phone, checks_server):
    """The JS checks use the rules the server publishes; their verdicts must agree."""
    from fieldapp.forms.rules import validate_data
    home = "8c0b5c1e-1d2e-4f3a-9b4c-5d6e7f809102"
    cases = [
        ("household", {"head_name": "Nguyễn Văn An", "address": "Xóm 1", "phone": "0912 345 678"}),
        ("household", {"head_name": "Nguyễn Văn An", "phone": "0912 345 678", "consent": {
            "notice_version": NOTICE_VERSION, "purposes": ["phone_contact"], "by": "self",
            "on": "2025-08-01"}}),
        ("person", {"household_id": home, "full_name": "Lê Thị B", "birth_year": 1980,
                    "vneid": "none", "bank_account": True, "uses_online_services": False,
                    "phone": "0912345678", "consent": {
                        "notice_version": NOTICE_VERSION, "purposes": ["campaign_support"],
                        "by": "guardian", "on": "2025-08-01"}}),
        ("household", {"head_name": ""}),
        ("household", {"head_name": "   "}),
        ("household", {"head_name": "A" * 121}),
        ("household", {"head_name": "Tab\tok", "note": "bell\x07"}),
        ("household", {"head_name": "An", "phone": "12ab"}),
        ("household", {"head_name": "Ánh" * 40}),
        ("person", {"household_id": home, "full_name": "Lê Thị B", "birth_year": 1899,
                    "vneid": "level3", "bank_account": "yes", "uses_online_services": True}),
        ("person", {"household_id": "not-a-uuid", "full_name": "Lê Thị B", "birth_year": 2999,
                    "vneid": "level2", "bank_account": False, "uses_online_services": False,
                    "sex": "other"}),
        ("person", {"household_id": home, "full_name": "Lê Thị B", "birth_year": "1980",
                    "vneid": "none", "bank_account": True, "uses_online_services": False}),
        ("person", {}),
        ("visit", {"household_id": home, "visited_on": "2025-02-30", "outcome": "met",
                   "help": ["vneid_install", "teleport"]}),
        ("visit", {"household_id": home, "visited_on": "2099-01-01", "outcome": "gone"}),
        ("visit", {"household_id": home, "visited_on": "1999-12-31", "outcome": "absent"}),
        ("visit", {"household_id": home, "visited_on": "28/07/2025", "outcome": "refused",
                   "help": ["guide_shared"], "note": "Hẹn lại"}),
        ("survey", {"surveyed_on": "2025-08-01", "service_area": "land", "rating": 0}),
        ("survey", {"surveyed_on": "2025-08-01", "service_area": "moon", "rating": 6,
                    "person_id": "X"}),
        ("survey", {"surveyed_on": "2025-08-01", "service_area": "civil_status", "rating": 5,
                    "comment": "Tốt"}),
        ("survey", {"surveyed_on": "2025-08-01", "service_area": "land", "rating": "5"}),
        ("household", {"head_name": "Lê <U+D800>Văn", "address": "Xóm <U+DC00>",
                       "note": "Nụ cười <U+D83D><U+DE00>"}),
        ("visit", {"household_id": home, "visited_on": "2025-08-01", "outcome": "met",
                   "help": ["guide_shared"] * 17}),
        ("visit", {"household_id": home, "visited_on": "2025-08-01", "outcome": "met",
                   "help": "guide_shared"}),
    ]
    page = open_round(phone(), checks_server)
    got = page.evaluate("""async cases => { const m = await import('/static/round/rules.js');
        return cases.map(([type, data]) => m.check(type, spelled(data))); }""".replace(
        "async", SPELLED + " async", 1), cases)
    assert got == [validate_data(kind, spelled(data))[1] for kind, data in cases]


def test_the_phone_refuses_direction_overrides_and_names_without_a_letter(phone,
                                                                          checks_server):
    """SPEC §3: no bidirectional override, embedding or isolate in any text field; a
    required name holds a letter. The server refuses them too (fieldapp/forms/rules.py)."""
    from fieldapp.forms.rules import RULES
    label = {(kind, f.name): f.label for kind, fields in RULES.items() for f in fields}
    home = "8c0b5c1e-1d2e-4f3a-9b4c-5d6e7f809102"
    overrides = [f"<U+{code:04X}>" for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
    cases, expected = [], []
    for mark in overrides:
        cases.append(("household", {"head_name": "Lê Văn A", "address": f"Xóm {mark}1"}))
        expected.append({"address": f"{label['household', 'address']}: "
                                    "có ký tự ẩn đảo chiều chữ, không được phép"})
    person = {"household_id": home, "birth_year": 1980, "vneid": "none", "bank_account": True,
              "uses_online_services": False}
    for name in ["<U+200B><U+200B>", "123", ". - .", "<U+2800>"]:
        cases.append(("person", dict(person, full_name=name)))
        expected.append({"full_name": f"{label['person', 'full_name']}: phải có ít nhất một chữ cái"})
    cases.append(("household", {"head_name": "Ỷ Lan", "note": "123 . -"}))
    expected.append({})
    cases.append(("visit", {"household_id": home, "visited_on": "2025-08-01", "outcome": "met",
                            "note": "ghi chú <U+2067>đảo<U+2069>"}))
    expected.append({"note": f"{label['visit', 'note']}: có ký tự ẩn đảo chiều chữ, không được phép"})
    page = open_round(phone(), checks_server)
    got = page.evaluate((SPELLED + """ async cases => { const m = await import('/static/round/rules.js');
        return cases.map(([type, data]) => m.check(type, spelled(data))); }"""), cases)
    assert got == expected


def test_the_laptop_going_away_and_coming_back_loses_nothing(phone, live_server, site):
    page = open_round(phone(), live_server)
    sign_in(page)
    wait_net(page, "Đã nối máy thôn")
    live_server.kill()                  # the laptop's server dies (kill -9)
    add_household(page, "Hộ lúc máy thôn tắt")
    wait_net(page, "Mất kết nối")
    assert count(page) == "1 thay đổi chờ gửi"
    live_server.stop()                  # closes the dead server's log
    live_server.start()
    page.click("#send")
    wait_count(page, NONE_WAITING)
    wait_net(page, "Đã nối máy thôn")
    histories = server_versions(site)
    assert [[v["data"]["head_name"] for v in h] for h in histories.values()] == [
        ["Hộ lúc máy thôn tắt"]]


def test_an_edit_made_while_its_first_version_is_in_flight_is_kept_and_sent(phone, live_server,
                                                                            site):
    page = open_round(phone(), live_server)
    sign_in(page)
    wait_net(page, "Đã nối máy thôn")
    # Hold back the answer to the next POST until the test lets it through.
    page.evaluate("""() => { const real = window.fetch;
      window.heldBack = new Promise(resolve => { window.letThrough = resolve; });
      window.fetch = async (url, options) => { const answer = await real(url, options);
        if (options && options.method === 'POST' && String(url).endsWith('/api/v1/records'))
          await window.heldBack;
        return answer; }; }""")
    add_household(page, "Tên cũ")
    wait_net(page, "Đang đồng bộ…")
    page.get_by_role("link", name="Sửa thông tin hộ").click()
    page.fill("#i-head_name", "Tên mới")
    save(page)
    page.wait_for_selector("h2:has-text('Tên mới')")
    page.evaluate("window.letThrough()")
    wait_count(page, NONE_WAITING)
    wait_net(page, "Đã nối máy thôn")
    histories = server_versions(site)
    assert [[v["data"]["head_name"] for v in h] for h in histories.values()] == [
        ["Tên cũ", "Tên mới"]]
    assert page.inner_text("h2") == "Tên mới"


def test_unsent_changes_of_one_volunteer_are_never_handed_to_another(phone, live_server, site):
    context = phone()
    page = open_round(context, live_server)
    sign_in(page)
    context.set_offline(True)
    add_household(page, "Hộ của Minh")
    page.goto(page.url.split("#")[0] + "#")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Đăng xuất").click()     # declined: all is kept
    assert len(asked) == 1 and "còn 1 thay đổi chưa gửi" in asked[0]
    assert count(page) == "1 thay đổi chờ gửi" and page.is_visible("#q")
    auth.revoke_tokens(site, "minh")
    context.set_offline(False)
    page.wait_for_selector("#signin-msg.error")
    page.fill("#username", "lan")
    page.fill("#secret", LEAD_PIN)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_function("() => document.getElementById('signin-msg').textContent"
                           ".includes('1 thay đổi của minh chưa gửi')")
    assert count(page) == "1 thay đổi chờ gửi"
    assert server_versions(site) == {}
    live = lambda: [t for t in site.table("tokens").all()          # noqa: E731
                    if t["username"] == "lan" and not t.get("revoked")]
    deadline = time.monotonic() + 10                     # the refused sign-in's token is
    while live() and time.monotonic() < deadline:        # handed back at once
        time.sleep(0.1)
    assert live() == []
    sign_in(page, "minh", VOL_PIN)
    wait_count(page, NONE_WAITING)
    histories = server_versions(site)
    assert [[(v["author"], v["data"]["head_name"]) for v in h] for h in histories.values()] == [
        [("minh", "Hộ của Minh")]]


def test_deleting_a_person_sends_a_tombstone(phone, live_server, site):
    page = open_round(phone(), live_server)
    sign_in(page)
    add_household(page, "Hộ có người chuyển đi")
    page.get_by_role("link", name="+ Thêm người").click()
    page.fill("#i-full_name", "Người chuyển đi")
    page.fill("#i-birth_year", "1990")
    page.check("#i-vneid-none")
    save(page)
    wait_count(page, NONE_WAITING)
    page.locator("#people a").click()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Xóa").click()
    page.wait_for_selector("h3:has-text('Thành viên (0)')")
    wait_count(page, NONE_WAITING)
    people = [h for h in server_versions(site).values() if h[0]["type"] == "person"]
    assert [[v["deleted"] for v in h] for h in people] == [[False, True]]


def test_a_lead_signed_in_on_the_pages_opens_the_round_with_one_tap(phone, live_server, site):
    context = phone()
    anonymous = open_round(context, live_server)
    anonymous.wait_for_selector("#username")
    assert anonymous.locator("#as-session").count() == 0      # no page session: PIN only
    anonymous.close()
    factories.roster_member(site, "lan", "Trần Thị Lan", role="lead")
    sign_in_pages(context, live_server, "lan", LEAD_PIN)
    page = open_round(context, live_server)
    page.wait_for_selector("#as-session")
    shot(page, "10-session-sign-in")
    # the person's name on the button, not the login
    page.get_by_role("button", name="Tiếp tục với tài khoản của Trần Thị Lan").click()
    page.wait_for_selector("#q")
    assert page.get_by_text("Trần Thị Lan · máy").count() == 1      # the footer names her too
    shot(page, "11-session-round")
    token = page.evaluate("JSON.parse(localStorage.getItem('fa.auth')).token")
    assert page.evaluate("JSON.parse(localStorage.getItem('fa.auth')).user.username") == "lan"
    user = auth.user_for_token(site, token, "api")
    assert user["username"] == "lan" and user["role"] == "lead"
    add_household(page, "Hộ của tổ trưởng")
    wait_count(page, NONE_WAITING)
    assert any(h[-1]["data"].get("head_name") == "Hộ của tổ trưởng" and h[-1]["author"] == "lan"
               for h in server_versions(site).values())


def test_the_session_token_route_wants_a_page_session_and_its_csrf_token(live_server, site):
    import requests
    base = f"http://127.0.0.1:{live_server.port}"
    json_please = {"Accept": "application/json"}
    anonymous = requests.post(f"{base}/round/session-token", headers=json_please, timeout=10)
    assert anonymous.status_code == 400 and anonymous.json()["error"]["code"] == "csrf"
    browser = requests.Session()
    form = browser.get(f"{base}/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert browser.post(f"{base}/login", data={"csrf_token": csrf, "username": "minh",
                                               "secret": VOL_PIN}, timeout=10).ok
    page = browser.get(f"{base}/round", timeout=10).text
    boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>',
                                page, re.S).group(1))
    assert boot["session"]["username"] == "minh"
    token = boot["session"]["csrf"]
    forged = browser.post(f"{base}/round/session-token", headers=json_please, timeout=10)
    assert forged.status_code == 400 and forged.json()["error"]["code"] == "csrf"
    elsewhere = browser.post(f"{base}/round/session-token", timeout=10, headers={
        **json_please, "X-CSRFToken": token, "Origin": "http://127.0.0.1:1"})
    assert elsewhere.status_code == 403 and elsewhere.json()["error"]["code"] == "forbidden"
    answer = browser.post(f"{base}/round/session-token", timeout=10,
                          headers={**json_please, "X-CSRFToken": token,
                                   "Origin": base})
    assert answer.status_code == 200 and answer.json()["user"]["username"] == "minh"
    assert auth.user_for_token(site, answer.json()["token"], "api")["username"] == "minh"


def test_a_phones_edit_names_the_version_it_was_made_from(phone, live_server, site):
    """SPEC §3: a new record's base is null; an edit names the version the phone had."""
    page = open_round(phone(), live_server)
    sign_in(page)
    wait_net(page, "Đã nối máy thôn")
    add_household(page, "Tên cũ")
    wait_count(page, NONE_WAITING)
    page.get_by_role("link", name="Sửa thông tin hộ").click()
    page.fill("#i-head_name", "Tên mới")
    save(page)
    wait_count(page, NONE_WAITING)
    [history] = server_versions(site).values()
    first, second = history
    assert first["base"] is None
    assert second["base"] == {"updated_at": first["updated_at"], "device_id": first["device_id"]}
