"""A record keeps its type and village: the store refuses a change, under its write lock."""
import threading

import pytest

from fieldapp.records import save_versions
from fieldapp.site import Site
from storage import RecordStore, Refused
from tests.support.factories import household, person, village_site


def test_a_change_of_a_fixed_field_refuses_the_whole_submission(tmp_path):
    store = RecordStore(str(tmp_path), fixed=("type", "village_id"))
    home = household()
    store.submit([home])
    other = household("Lê Văn Bốn")
    moved = dict(home, village_id="thon-9", updated_at=home["updated_at"].replace("10:", "11:"))
    with pytest.raises(Refused) as refusal:
        store.submit([other, moved])
    assert [(r.id, r.status, r.changed) for r in refusal.value.results] == [
        (other["id"], "not_stored", ()), (home["id"], "refused", ("village_id",))]
    assert store.current(other["id"]) is None and store.history(home["id"]) == [home]
    assert len(store) == 1 and store.last_seq == 1
    # the same id with two types inside one submission is refused too
    fresh = household("Đỗ Thị Năm")
    twin = dict(person(fresh["id"]), id=fresh["id"])
    with pytest.raises(Refused):
        store.submit([fresh, twin])
    assert store.current(fresh["id"]) is None
    # and nothing was written: a store reading the files again sees the same
    assert len(RecordStore(str(tmp_path))) == 1
    # a later, honest edit still goes in with the next seq
    edit = dict(home, updated_at=home["updated_at"].replace("10:", "12:"),
                data=dict(home["data"], address="Xóm 2"))
    assert store.submit([edit])[0].seq == 2


def test_a_refused_request_does_not_hold_back_others_grouped_with_it(tmp_path):
    store = RecordStore(str(tmp_path), fixed=("type",))
    home = household()
    store.submit([home])
    bad = [dict(person(home["id"]), id=home["id"])]         # a household id as a person
    good = [household(f"Chủ hộ {n}") for n in range(5)]
    outcomes = {}

    def send(name, versions):
        try:
            outcomes[name] = [r.status for r in store.submit(versions)]
        except Refused as refusal:
            outcomes[name] = [r.status for r in refusal.results]

    with store._commit_lock:          # hold the writer so both requests join one group
        threads = [threading.Thread(target=send, args=("bad", bad)),
                   threading.Thread(target=send, args=("good", good))]
        for thread in threads:
            thread.start()
        while len(store._pending) < 2:
            threading.Event().wait(0.01)
    for thread in threads:
        thread.join(10)
    assert outcomes == {"bad": ["refused"], "good": ["accepted"] * 5}
    assert [store.current(v["id"]) for v in good] == good
    assert store.current(home["id"]) == home and store.last_seq == 6


def test_the_api_path_rejects_a_record_changed_by_a_racing_write(site_templates, tmp_path):
    """The page/API check sees the store before another writer's version lands."""
    site = site_templates.copy(tmp_path / "v", village_site)
    home = household()
    site.store.submit([home])
    racing = dict(person(home["id"]), id=str(home["id"]))
    fine = person(home["id"], name="Lê Văn Sáu")
    original = site.store.current
    site.store.current = lambda record_id: None if record_id == home["id"] else original(record_id)
    try:
        results = save_versions(site, [racing, fine], {"username": "minh", "role": "volunteer"},
                                ["thon-3"])
    finally:
        del site.store.current
    assert [r["status"] for r in results] == ["rejected", "accepted"]
    assert "id" in results[0]["errors"]
    fresh = Site(str(tmp_path / "v"))
    assert fresh.store.current(home["id"]) == home
    assert fresh.store.current(fine["id"])["data"]["full_name"] == "Lê Văn Sáu"


def test_after_a_refusal_what_is_left_is_checked_again(site_templates, tmp_path):
    """A racing write lands between the page/API check and the store: the versions not
    refused are checked again against it before they are stored."""
    site = site_templates.copy(tmp_path / "v", village_site)
    home = household()
    elsewhere = household("Hộ thôn khác", village_id="thon-9")   # written by the racing writer
    site.store.submit([home, elsewhere])
    racing = dict(person(home["id"]), id=home["id"])           # refused: a household id
    pointing = person(elsewhere["id"], name="Lê Văn Bảy")        # its household is elsewhere
    hidden = {home["id"], elsewhere["id"]}
    original_current, original_submit = site.store.current, site.store.submit

    def submit(versions, *args, **kwargs):
        hidden.clear()                      # the racing write is visible from now on
        return original_submit(versions, *args, **kwargs)

    site.store.current = lambda record_id: None if record_id in hidden else original_current(record_id)
    site.store.submit = submit
    try:
        results = save_versions(site, [racing, pointing], {"username": "minh", "role": "volunteer"},
                                ["thon-3"])
    finally:
        del site.store.current, site.store.submit
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "data.household_id" in results[1]["errors"]
    assert Site(str(tmp_path / "v")).store.current(pointing["id"]) is None
