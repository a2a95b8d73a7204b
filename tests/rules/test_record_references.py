"""References stay in their village (SPEC §3): a survey's household_id and person_id may
name a record not known yet (an orphan, kept), but never a known one of another village,
on the API and on the village pages alike."""
import datetime
import uuid

import pytest

from fieldapp import create_app
from fieldapp.auth.accounts import add_user
from fieldapp.site import init_site
from fieldapp.site import Site
from tests.support import factories
from tests.support.pages import csrf_token, login_page


@pytest.fixture
def site(tmp_path):
    """One laptop for two villages, with a volunteer and a lead in each."""
    path = str(tmp_path / "two-villages")
    init_site(path, "village", factories.COMMUNE,
              [{"id": v, "name": n, "adult_population": None, "targets": {}}
               for v, n in (("thon-3", "Thôn 3"), ("thon-5", "Thôn 5"))],
              factories.START, factories.END)
    site = Site(path)
    add_user(site, "minh", "volunteer", factories.VOL_PIN, "thon-3")
    add_user(site, "lan", "lead", factories.LEAD_PIN, "thon-3")
    add_user(site, "hoa", "volunteer", factories.VOL_PIN, "thon-5")
    return site


@pytest.fixture
def client(site):
    return create_app({"DATA_DIR": site.data_dir, "TESTING": True}).test_client()


def now_stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def post(client, username, *records):
    token = client.post("/api/v1/login", json={"username": username,
                                               "secret": factories.VOL_PIN}).json["token"]
    response = client.post("/api/v1/records", json={"records": list(records)},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def stamped(version, author):
    return dict(version, author=author, device_id=f"ph-{author}", updated_at=now_stamp())


@pytest.fixture
def elsewhere(client):
    """A household and its member in thon-5, stored by hoa."""
    home = stamped(factories.household("Phạm Văn Tư", village_id="thon-5"), "hoa")
    member = stamped(factories.person(home["id"], "Phạm Thị Năm", village_id="thon-5"), "hoa")
    assert [r["status"] for r in post(client, "hoa", home, member)] == ["accepted"] * 2
    return home, member


def survey_by_minh(**data):
    return stamped(factories.version("survey", dict({"surveyed_on": "2025-08-01",
                                                     "service_area": "land", "rating": 5},
                                                    **data)), "minh")


def test_a_survey_of_a_person_of_another_village_is_refused(client, site, elsewhere):
    _, member = elsewhere
    own_home = stamped(factories.household(), "minh")
    survey = survey_by_minh(household_id=own_home["id"], person_id=member["id"])
    results = post(client, "minh", own_home, survey)
    assert results[0]["status"] == "accepted"
    assert results[1] == {"id": survey["id"], "status": "rejected",
                          "errors": {"data.person_id": "Người này thuộc thôn khác."}}
    site.store.refresh()
    assert site.store.current(survey["id"]) is None


def test_a_survey_of_a_household_of_another_village_is_refused(client, elsewhere):
    home, _ = elsewhere
    [result] = post(client, "minh", survey_by_minh(household_id=home["id"]))
    assert result["errors"] == {"data.household_id": "Hộ này thuộc thôn khác."}


def test_a_survey_of_a_person_not_known_yet_is_kept_as_an_orphan(client, site):
    survey = survey_by_minh(person_id=str(uuid.uuid4()))
    [result] = post(client, "minh", survey)
    assert result["status"] == "accepted", result
    site.store.refresh()
    assert site.store.current(survey["id"])["data"]["person_id"] == survey["data"]["person_id"]


def test_a_survey_of_a_person_of_the_same_village_is_kept(client, site):
    home = stamped(factories.household(), "minh")
    member = stamped(factories.person(home["id"]), "minh")
    survey = survey_by_minh(household_id=home["id"], person_id=member["id"])
    assert [r["status"] for r in post(client, "minh", home, member, survey)] == \
        ["accepted"] * 3


def test_the_survey_page_refuses_a_person_of_another_village(client, site, elsewhere):
    """The page offers only the household's members; a forged form may name anyone."""
    _, member = elsewhere
    own_home = factories.household()
    site.store.submit([own_home])
    login_page(client, "lan", factories.LEAD_PIN)
    path = f"/records/new/survey?household_id={own_home['id']}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "surveyed_on": "2025-08-01", "service_area": "land",
                                       "rating": "5", "person_id": member["id"]})
    assert response.status_code == 422
    assert "Người này thuộc thôn khác." in response.get_data(as_text=True)
    site.store.refresh()
    assert not [v for v in site.store.currents() if v["type"] == "survey"]
