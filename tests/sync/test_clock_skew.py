"""Clocks that run ahead (SPEC §3): a version stamped more than MAX_CLOCK_AHEAD after the
clock that judges it is refused; the laptop judges a phone by its own clock, the commune
judges a batch's records by the batch's created_at and the batch by its own clock."""
import datetime
import re

import pytest

from fieldapp import create_app
from fieldapp.forms.rules import MAX_CLOCK_AHEAD
from sync.batch import batch_bytes
from sync.errors import BatchRejected
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import bare_commune, bare_village  # noqa: F401  (fixtures)
from tests.support.pages import csrf_token, login_page
from tests.support.batches import resign, snapshot

UTC = datetime.timezone.utc


def stamp(moment):
    """A SPEC stamp of an aware datetime."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def household_at(moment, head="Nguyễn Văn An", record_id=None):
    return dict(factories.household(head, record_id=record_id), updated_at=stamp(moment))


# -- the village laptop judges phones by its own clock (real server) --------------------

def test_a_phone_a_day_ahead_is_refused_and_told_to_set_its_clock(live_server):
    token = live_server.login("minh", factories.VOL_PIN)
    now = datetime.datetime.now(UTC)
    ahead = household_at(now + datetime.timedelta(hours=23))
    status, body = live_server.request("POST", "/api/v1/records", {"records": [ahead]}, token)
    assert status == 200, body
    [result] = body["results"]
    assert result["status"] == "rejected"
    message = result["errors"]["updated_at"]
    assert message.startswith("Giờ trên điện thoại đang nhanh hơn giờ máy thôn")
    assert "23 giờ" in message
    assert message.endswith("Hãy chỉnh lại giờ của điện thoại rồi gửi lại.")
    status, pulled = live_server.request("GET", "/api/v1/records?since=0", token=token)
    assert status == 200 and ahead["id"] not in {v["id"] for v in pulled["records"]}


def test_a_phone_five_minutes_ahead_is_accepted(live_server):
    token = live_server.login("minh", factories.VOL_PIN)
    ahead = household_at(datetime.datetime.now(UTC) + datetime.timedelta(minutes=5))
    status, body = live_server.request("POST", "/api/v1/records", {"records": [ahead]}, token)
    assert status == 200 and body["results"][0]["status"] == "accepted", body
    status, pulled = live_server.request("GET", "/api/v1/records?since=0", token=token)
    assert ahead["id"] in {v["id"] for v in pulled["records"]}


def test_the_limit_is_ten_minutes_on_the_api(client, api_token):
    now = datetime.datetime.now(UTC)
    inside = household_at(now + MAX_CLOCK_AHEAD - datetime.timedelta(seconds=30))
    outside = household_at(now + MAX_CLOCK_AHEAD + datetime.timedelta(seconds=30))
    response = client.post("/api/v1/records", json={"records": [inside, outside]},
                           headers={"Authorization": f"Bearer {api_token}"})
    assert [r["status"] for r in response.json["results"]] == ["accepted", "rejected"]
    assert MAX_CLOCK_AHEAD == datetime.timedelta(minutes=10)


def test_an_edit_on_the_page_after_a_slightly_fast_phone_becomes_current(app, site, api_token):
    """The phone stamped its version minutes ahead of the laptop: the lead's later edit on
    the page must still be the current version, not one that "Đã lưu." and is lost."""
    client = app.test_client()
    ahead = household_at(datetime.datetime.now(UTC) + datetime.timedelta(minutes=8),
                         head="Trần Văn Bình")
    response = client.post("/api/v1/records", json={"records": [ahead]},
                           headers={"Authorization": f"Bearer {api_token}"})
    assert response.json["results"][0]["status"] == "accepted"
    login_page(client, "lan", factories.LEAD_PIN)
    path = f"/records/{ahead['id']}/edit"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "head_name": "Trần Văn Bảo", "address": "Xóm 2"})
    assert response.status_code == 302, response.get_data(as_text=True)
    site.store.refresh()
    current = site.store.current(ahead["id"])
    assert current["data"]["head_name"] == "Trần Văn Bảo"
    assert current["updated_at"] > ahead["updated_at"]


# -- the commune judges records by the batch's created_at -------------------------------


def batch_of(bare_village, created_at, records):
    """A batch of the village site, signed by its key, made at `created_at`."""
    from sync.export import build_batch
    batch = build_batch(bare_village, 0, None, "2f7d6a1e-5b4c-4d3e-8f2a-1b0c9d8e7f6a",
                        stamp(created_at))
    return resign(batch, bare_village.data_dir, records=records)


CREATED = datetime.datetime(2025, 8, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("as_bytes", [True, False], ids=["typed", "record_by_record"])
def test_a_record_stamped_after_the_batch_was_made_refuses_the_batch(bare_village, bare_commune,
                                                                   as_bytes):
    good = household_at(CREATED - datetime.timedelta(hours=2))
    late = household_at(CREATED + MAX_CLOCK_AHEAD + datetime.timedelta(minutes=1))
    batch = batch_of(bare_village, CREATED, [good, late])
    before = snapshot(bare_commune.data_dir)
    with pytest.raises(BatchRejected) as caught:
        import_batch(bare_commune, batch_bytes(batch) if as_bytes else batch)
    assert caught.value.problem == "records"
    assert late["id"] in caught.value.message and good["id"] not in caught.value.message
    [bad] = caught.value.details["records"]
    assert bad["id"] == late["id"] and "nhanh hơn giờ tạo lô" in bad["errors"]["updated_at"]
    assert snapshot(bare_commune.data_dir) == before


@pytest.mark.parametrize("as_bytes", [True, False], ids=["typed", "record_by_record"])
def test_a_batch_imported_days_after_it_was_made_is_accepted(bare_village, bare_commune, as_bytes):
    """Imported long after created_at (here, months): stamps up to ten minutes past
    created_at are fine, whatever the commune's clock says now."""
    records = [household_at(CREATED - datetime.timedelta(days=3)),
               household_at(CREATED + datetime.timedelta(minutes=9))]
    batch = batch_of(bare_village, CREATED, records)
    receipt = import_batch(bare_commune, batch_bytes(batch) if as_bytes else batch,
                           now=CREATED + datetime.timedelta(days=4))
    assert receipt.new == 2
    assert {bare_commune.store.current(r["id"])["updated_at"] for r in records} == \
        {r["updated_at"] for r in records}


def test_a_batch_made_in_the_future_of_the_commune_is_refused(bare_village, bare_commune):
    now = datetime.datetime.now(UTC)
    created = now + datetime.timedelta(days=2)
    batch = batch_of(bare_village, created, [household_at(created - datetime.timedelta(hours=1))])
    before = snapshot(bare_commune.data_dir)
    with pytest.raises(BatchRejected) as caught:
        import_batch(bare_commune, batch_bytes(batch))
    assert caught.value.problem == "created_at"
    message = caught.value.message
    assert "đồng hồ máy của thôn đang chạy nhanh" in message and "2 ngày" in message
    assert "chưa lưu gì" in message
    assert snapshot(bare_commune.data_dir) == before


def test_a_batch_from_the_future_is_refused_by_the_import_command(bare_village, bare_commune,
                                                                 runner, tmp_path):
    from fieldapp.cli import main
    created = datetime.datetime.now(UTC) + datetime.timedelta(hours=3)
    batch = batch_of(bare_village, created, [household_at(created - datetime.timedelta(hours=1))])
    path = tmp_path / "batch.json"
    path.write_bytes(batch_bytes(batch))
    result = runner.invoke(main, ["--data", bare_commune.data_dir, "import", str(path)])
    assert result.exit_code == 1, result.output
    assert "đồng hồ máy của thôn đang chạy nhanh" in result.output
    assert re.search(r"khoảng 3 giờ", result.output)
    bare_commune.store.refresh()
    assert not list(bare_commune.store.currents())
