"""The village admin sets the days a citizen's request has before its deadline on the
settings page: a whole number from 1 to 90, a Vietnamese error under the field otherwise
(nothing saved), and requests recorded afterwards get that deadline."""
import datetime
import re

import pytest

from fieldapp import subject_requests
from fieldapp.indicators.periods import today_local
from tests.support import factories as f
from tests.support.pages import csrf_token, login_page

FORM = {"village_name": "Thôn 3", "adult_population": "", "campaign_start": "2025-07-25",
        "campaign_end": "2025-08-25", "wifi_ssid": "", "wifi_password": ""}


def _admin(client):
    login_page(client, "quantri", f.PASSWORD)
    return csrf_token(client, "/settings")


def test_the_page_shows_the_default_of_ten_days(client):
    _admin(client)
    page = client.get("/settings").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="subject_request_days"[^>]*>', page).group(0)
    assert 'value="10"' in field and subject_requests.DEFAULT_REQUEST_DAYS == 10


@pytest.mark.parametrize("raw", ["0", "91", "-3", "7.5", "mười", "", "１０"])
def test_a_bad_number_is_said_under_the_field_and_nothing_is_saved(client, site, raw):
    token = _admin(client)
    before = site.settings
    answer = client.post("/settings", data=dict(FORM, csrf_token=token,
                                                subject_request_days=raw))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    field = page[page.index('name="subject_request_days"'):]
    assert "Phải là số ngày nguyên từ 1 đến 90." in field[:600]
    assert site.settings == before


def test_a_saved_number_sets_the_deadline_of_later_requests(client, site):
    token = _admin(client)
    answer = client.post("/settings", data=dict(FORM, csrf_token=token,
                                                subject_request_days=" 20 "))
    assert answer.status_code == 302
    assert site.settings["subject_request_days"] == 20
    home = f.household("Lê Văn Hạn")
    site.store.submit([home])
    received = today_local()
    logged = subject_requests.open_request(site, "lan", "see", "household", home["id"],
                                           "thon-3", received)
    assert logged["deadline"] == (received + datetime.timedelta(days=20)).isoformat()


@pytest.fixture
def commune_client(tmp_path):
    from fieldapp import create_app
    commune = f.commune_site(tmp_path / "commune")
    return commune, create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()


def test_the_commune_admin_sets_the_days_and_a_bad_one_is_said_under_the_field(
        commune_client):
    commune, client = commune_client
    login_page(client, "quantri", f.PASSWORD)
    token = csrf_token(client, "/commune/villages")
    bad = client.post("/commune/villages/request-days",
                      data={"csrf_token": token, "subject_request_days": "0"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    field = page[page.index('name="subject_request_days"'):]
    assert "Phải là số ngày nguyên từ 1 đến 90." in field[:600]
    assert "subject_request_days" not in commune.settings
    ok = client.post("/commune/villages/request-days",
                     data={"csrf_token": token, "subject_request_days": "15"})
    assert ok.status_code == 302
    assert commune.settings["subject_request_days"] == 15


def test_commune_staff_see_no_days_form_and_cannot_post_one(commune_client):
    commune, client = commune_client
    login_page(client, "canbo", f.PASSWORD)
    token = csrf_token(client, "/commune/villages")
    assert 'name="subject_request_days"' not in client.get("/commune/villages").get_data(
        as_text=True)
    answer = client.post("/commune/villages/request-days",
                         data={"csrf_token": token, "subject_request_days": "15"})
    assert answer.status_code == 403
    assert "subject_request_days" not in commune.settings
