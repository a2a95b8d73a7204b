"""The connection to the tier above, set on a page (/connection) instead of the command
line: a village lead enters the commune's address, the push token and the commune's key,
and "Gửi qua mạng" then sends to the real commune server, sealed; commune staff do the
same for the province. Bad input of every kind is named under its field and stores
nothing; the token is never shown again."""
import os

import pytest

from fieldapp import audit, create_app
from fieldapp.auth.accounts import add_user
from fieldapp.site import Site, init_site
from sync import crypto
from tests.support import factories
from tests.support.batches import commune, server  # noqa: F401 (fixtures)
from tests.support.batches import issue_push_token
from tests.support.pages import csrf_token, login_page

KEY = "A" * 43 + "="                        # 44 base64 characters, not a usable key


@pytest.fixture
def village(tmp_path):
    site = factories.village_site(tmp_path / "village", quick_hashes=True)
    homes = [factories.household(f"Hộ {n}") for n in range(2)]
    site.store.submit(homes)
    return site


def signed_in(site, username, secret):
    client = create_app({"DATA_DIR": site.data_dir}).test_client()
    assert login_page(client, username, secret).status_code == 302
    return client


def settings_bytes(site):
    with open(os.path.join(site.data_dir, "settings.json"), "rb") as handle:
        return handle.read()


def save(client, **fields):
    data = {"url": "", "token": "", "key": "", **fields,
            "csrf_token": csrf_token(client, "/connection")}
    return client.post("/connection", data=data)


def test_a_lead_connects_the_laptop_and_the_button_sends_sealed(village, commune, server):
    lead = signed_in(village, "lan", factories.LEAD_PIN)
    assert "/connection" in lead.get("/export").get_data(as_text=True)
    assert "export/push" not in lead.get("/export").get_data(as_text=True)
    token = issue_push_token(commune, "thon-3")
    key = crypto.box_public_key(commune.data_dir)
    answer = save(lead, url=f"  {server.url}  ", token=token, key=key)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/export")
    settings = Site(village.data_dir).settings
    assert settings["push"] == {"url": server.url, "token": token}
    assert settings["commune_public_key"] == key
    [entry] = audit.entries(village, "push.connection")
    assert entry["actor"] == "lan" and token not in str(entry)
    page = lead.get("/connection").get_data(as_text=True)
    assert token not in page and f"…{token[-4:]}" in page and crypto.fingerprint(key) in page
    pressed = lead.post("/export/push", data={"csrf_token": csrf_token(lead, "/export")})
    assert pressed.status_code == 303
    shown = lead.get("/export").get_data(as_text=True)
    assert "Đã gửi 2 thay đổi qua mạng (đã mã hóa)" in shown
    commune.store.refresh()
    assert {h["id"] for h in village.store.currents()} <= set(commune.store.histories())


def test_a_blank_token_keeps_the_saved_one(village):
    lead = signed_in(village, "lan", factories.LEAD_PIN)
    token = "fa-push-" + "x" * 43
    assert save(lead, url="http://10.0.0.5:8081", token=token).status_code == 303
    assert save(lead, url="http://10.0.0.6:8081").status_code == 303
    assert Site(village.data_dir).settings["push"] == {"url": "http://10.0.0.6:8081",
                                                       "token": token}


def test_a_blank_token_keeps_the_token_saved_meanwhile_not_the_one_read(village,
                                                                         monkeypatch):
    """Two saves at once: the admin's new token lands while the lead's save of the address
    alone is under way; the lead's save keeps the admin's token, not the one it read."""
    lead = signed_in(village, "lan", factories.LEAD_PIN)
    old, new = "fa-push-" + "o" * 43, "fa-push-" + "n" * 43
    assert save(lead, url="http://10.0.0.5:8081", token=old).status_code == 303
    update = Site.update_settings

    def admin_saves_first(site, change):
        monkeypatch.setattr(Site, "update_settings", update)
        update(site, lambda s: s.update(push={"url": "http://10.0.0.5:8081", "token": new}))
        return update(site, change)
    form = {"url": "http://10.0.0.6:8081", "token": "", "key": "",
            "csrf_token": csrf_token(lead, "/connection")}
    monkeypatch.setattr(Site, "update_settings", admin_saves_first)
    assert lead.post("/connection", data=form).status_code == 303
    assert Site(village.data_dir).settings["push"] == {"url": "http://10.0.0.6:8081",
                                                       "token": new}


@pytest.mark.parametrize("fields, field, message", [
    ({"url": "", "token": "fa-push-" + "x" * 43}, "url", "Hãy nhập địa chỉ máy của xã"),
    ({"url": "ftp://10.0.0.5", "token": "fa-push-" + "x" * 43}, "url", "Cần địa chỉ dạng"),
    ({"url": "http://10.0.0.5:8081", "token": ""}, "token", "Hãy nhập mã gửi"),
    ({"url": "http://10.0.0.5:8081", "token": "fa-tinh-" + "x" * 43}, "token",
     "bắt đầu bằng “fa-push-”"),
    ({"url": "http://10.0.0.5:8081", "token": "fa-push-x y\u202e" + "x" * 30}, "token",
     "không đúng dạng"),
    ({"url": "http://10.0.0.5:8081", "token": "fa-push-" + "x" * 43, "key": KEY}, "key",
     "Khóa công khai của xã không hợp lệ"),
])
def test_bad_input_is_named_under_its_field_and_stores_nothing(village, fields, field,
                                                                message):
    lead = signed_in(village, "lan", factories.LEAD_PIN)
    before = settings_bytes(village)
    answer = save(lead, **fields)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in page
    assert f'id="{field}-err"' in page and f'href="#{field}"' in page
    assert settings_bytes(village) == before
    assert audit.entries(village, "push.connection") == []


@pytest.mark.parametrize("url", [
    "http://lan:matkhau@10.0.0.5:8081",       # a password would be kept, shown and audited
    "http://lan:matkhau@10.0.0.5",
    "http://[fe80::1",
    "http://10.0.0.5:80a1",
    "http://10.0.0.5:8081/api v1",
    "http://10.0.0.5\u202e:8081",
    "http://xã.vn:8081",
])
def test_an_address_the_laptop_could_not_send_to_is_refused_when_saved(village, url):
    """Refused under its field, not kept to fail (or answer 500) at the button's press."""
    lead = signed_in(village, "lan", factories.LEAD_PIN)
    before = settings_bytes(village)
    answer = save(lead, url=url, token="fa-push-" + "x" * 43)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Cần địa chỉ dạng" in page, page[:300]
    assert settings_bytes(village) == before


def test_on_a_laptop_of_several_villages_only_its_admin_connects_it(tmp_path):
    """The connection is the laptop's, for every village on it: a lead of one village
    may not send the others' data (at the next press of their leads) elsewhere."""
    init_site(str(tmp_path / "village"), "village", factories.COMMUNE,
              [{"id": v, "name": n, "adult_population": None, "targets": {}}
               for v, n in (("thon-3", "Thôn 3"), ("thon-4", "Thôn 4"))],
              factories.START, factories.END)
    site = Site(str(tmp_path / "village"))
    add_user(site, "lan", "lead", factories.LEAD_PIN, "thon-3")
    add_user(site, "quantri", "admin", factories.PASSWORD)
    lead = signed_in(site, "lan", factories.LEAD_PIN)
    assert lead.get("/connection").status_code == 403
    assert "/connection" not in lead.get("/export").get_data(as_text=True)
    before = settings_bytes(site)
    lead.post("/connection", data={"url": "http://10.0.0.66:8081",
                                   "token": "fa-push-" + "x" * 43,
                                   "csrf_token": csrf_token(lead, "/export")})
    assert settings_bytes(site) == before
    admin = signed_in(site, "quantri", factories.PASSWORD)
    assert save(admin, url="http://10.0.0.5:8081", token="fa-push-" + "x" * 43
                ).status_code == 303


def test_without_its_form_token_nothing_is_stored(village):
    lead = signed_in(village, "lan", factories.LEAD_PIN)
    before = settings_bytes(village)
    answer = lead.post("/connection", data={"url": "http://10.0.0.5:8081",
                                            "token": "fa-push-" + "x" * 43})
    assert answer.status_code == 400 and settings_bytes(village) == before


def test_a_volunteer_may_not_connect_the_laptop(village):
    volunteer = signed_in(village, "minh", factories.VOL_PIN)
    assert volunteer.get("/connection").status_code == 403


def test_commune_staff_connect_to_the_province(commune):
    staff = signed_in(commune, "canbo", factories.PASSWORD)
    assert "/connection" in staff.get("/commune/rollup").get_data(as_text=True)
    token = "fa-tinh-" + "y" * 43
    assert save(staff, url="http://10.0.0.9:8082", token="fa-push-" + "y" * 43
                ).status_code == 422                      # a village's token is not for here
    answer = save(staff, url="http://10.0.0.9:8082", token=token)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/commune/rollup")
    assert Site(commune.data_dir).settings["push"] == {"url": "http://10.0.0.9:8082",
                                                       "token": token}
    page = staff.get("/commune/rollup").get_data(as_text=True)
    assert "Gửi qua mạng tới http://10.0.0.9:8082" in page


def test_a_huge_form_is_refused_before_it_is_read(village):
    """The form is a few fields: a body past the small-body limit is refused whole."""
    from fieldapp import SMALL_BODY
    lead = signed_in(village, "lan", factories.LEAD_PIN)
    before = settings_bytes(village)
    answer = save(lead, url="http://10.0.0.5:8081", token="fa-push-" + "x" * 43,
                  key="k" * SMALL_BODY)
    assert answer.status_code == 413 and settings_bytes(village) == before
