"""Competing edits asked for some records answer what the whole-store scan answers."""
from storage import RecordStore
from sync.transfer import competing_edits
from tests.support.factories import household, person


def test_conflicts_of_some_records_equal_the_full_scan_filtered(tmp_path):
    store = RecordStore(str(tmp_path))
    home = household()
    a = person(home["id"], name="An")
    b = person(home["id"], name="Bình")
    c = person(home["id"], name="Chi")
    store.submit([home, a, b, c], partition="site-a")
    edit_a = dict(a, device_id="ph-other", updated_at=a["updated_at"].replace("10:", "11:"),
                  data=dict(a["data"], vneid="level2"))
    same_b = dict(b, device_id="ph-other", updated_at=b["updated_at"].replace("10:", "11:"))
    store.submit([edit_a, same_b], partition="site-b")       # a differs, b is the same data
    store.submit([dict(c, updated_at=c["updated_at"].replace("10:", "12:"),
                       data=dict(c["data"], bank_account=True))], partition="site-a")
    everything = store.conflicts()
    assert [(x.id, x.partitions) for x in everything] == [(a["id"], ["site-a", "site-b"])]
    ids = [c["id"], a["id"], b["id"], home["id"], "not-stored"]
    assert [(x.id, x.partitions) for x in store.conflicts(ids)] == [(a["id"], ["site-a", "site-b"])]
    assert store.conflicts([b["id"], home["id"]]) == []
    assert competing_edits(store, set(ids)) == [a["id"]]
