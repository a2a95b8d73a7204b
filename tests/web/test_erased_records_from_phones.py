"""A phone that still holds an erased household (its outbox, its cache) cannot bring
the name back through the API: what it sends of an erased record is stored erased."""
from fieldapp import erasing
from fieldapp.forms.erasure import ERASED_NAME
from tests.support import factories
from tests.support.factories import household, person


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_phone_resending_an_erased_household_stores_no_name(client, site, api_token):
    home = household("Hoàng Văn Quên", author="minh")
    home["data"].update(phone="0911222333", consent=factories.consent())
    member = person(home["id"], "Hoàng Thị Nhớ", author="minh")
    site.store.submit([home, member])
    _, ids = erasing.household_records(site.store, home["id"])
    erasing.erase(site, ids, "thon-3", "lan")
    later = dict(home, updated_at=home["updated_at"][:-4] + "999Z",
                 base={"updated_at": home["updated_at"], "device_id": home["device_id"]})
    response = client.post("/api/v1/records", json={"records": [home, member, later]},
                           headers=bearer(api_token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [r["status"] for r in response.get_json()["results"]] == [
        "duplicate", "duplicate", "accepted"]
    site.store.refresh()
    assert site.store.current(home["id"])["data"] == {"head_name": ERASED_NAME,
                                                      "consent": home["data"]["consent"]}
    with open(site.store.directory + "/local.0001.json", encoding="utf-8") as handle:
        text = handle.read()
    assert "Quên" not in text and "0911222333" not in text and "Nhớ" not in text


def test_a_new_household_after_an_erasure_keeps_its_name(client, site, api_token):
    gone = household("Hoàng Văn Quên", author="minh")
    site.store.submit([gone])
    erasing.erase(site, {gone["id"]}, "thon-3", "lan")
    fresh = household("Lý Thị Mới", author="minh")
    response = client.post("/api/v1/records", json={"records": [fresh]}, headers=bearer(api_token))
    assert response.get_json()["results"][0]["status"] == "accepted"
    site.store.refresh()
    assert site.store.current(fresh["id"])["data"]["head_name"] == "Lý Thị Mới"
