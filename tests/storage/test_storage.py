"""The durable store: atomic files, every version kept, the SPEC ordering, group commit."""
import json
import os
import threading

import pytest
from hypothesis import given, settings, strategies as st
from tinydb import TinyDB

from storage import AtomicJSONStorage, RecordStore, version_key
from storage.canonical import canonical_json, sha256_hex
from tests.support.factories import household


def test_a_stored_version_survives_reopening_and_is_a_tinydb_file(tmp_path):
    store = RecordStore(str(tmp_path))
    home = household()
    assert [r.status for r in store.submit([home])] == ["accepted"]
    reopened = RecordStore(str(tmp_path))
    assert reopened.current(home["id"]) == home
    db = TinyDB(str(tmp_path / "records" / "local.0001.json"), storage=AtomicJSONStorage)
    assert db.table("versions").all() == [home]


def test_resubmitting_the_same_version_is_a_duplicate_and_writes_nothing(tmp_path):
    store = RecordStore(str(tmp_path))
    home = household()
    store.submit([home])
    before = os.stat(tmp_path / "records" / "local.0001.json")
    assert [r.status for r in store.submit([dict(home)])] == ["duplicate"]
    after = os.stat(tmp_path / "records" / "local.0001.json")
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert len(store) == 1


def test_every_version_is_kept_and_the_latest_is_current(tmp_path):
    store = RecordStore(str(tmp_path))
    first = household("Lê Văn Một", hour=9)
    second = dict(household("Lê Văn Hai", hour=11), id=first["id"])
    third = dict(household("Lê Văn Ba", hour=10), id=first["id"])
    store.submit([first, second, third])
    assert store.current(first["id"])["data"]["head_name"] == "Lê Văn Hai"
    assert [v["data"]["head_name"] for v in store.history(first["id"])] == [
        "Lê Văn Một", "Lê Văn Ba", "Lê Văn Hai"]


def test_ties_on_time_and_device_are_broken_by_the_content_hash(tmp_path):
    a = household("Nguyễn A")
    b = dict(household("Nguyễn B"), id=a["id"], updated_at=a["updated_at"])
    expected = max([a, b], key=lambda v: sha256_hex(v))
    for order in ([a, b], [b, a]):
        directory = tmp_path / order[0]["data"]["head_name"].replace(" ", "")
        store = RecordStore(str(directory))
        store.submit(order)
        assert store.current(a["id"]) == expected


def test_the_change_sequence_numbers_new_versions_in_order(tmp_path):
    store = RecordStore(str(tmp_path))
    results = store.submit([household(), household()])
    results += store.submit([household()])
    assert [r.seq for r in results] == [1, 2, 3]
    assert [seq for seq, _ in store.versions_since(1)] == [2, 3]
    assert RecordStore(str(tmp_path)).last_seq == 3


def test_files_are_replaced_atomically_and_no_temporary_file_is_left(tmp_path):
    store = RecordStore(str(tmp_path))
    store.submit([household() for _ in range(5)])
    names = os.listdir(tmp_path / "records")
    assert names == ["local.0001.json"]
    with open(tmp_path / "records" / "local.0001.json", "rb") as handle:
        assert len(json.load(handle)["versions"]) == 5


def test_segments_bound_the_rewrite_and_a_submission_stays_in_one_file(tmp_path, monkeypatch):
    import storage.store as module
    monkeypatch.setattr(module, "SEGMENT_SIZE", 10)
    store = RecordStore(str(tmp_path))
    for _ in range(3):
        store.submit([household() for _ in range(4)])      # 4, 8, then a new segment
    store.submit([household() for _ in range(25)])          # larger than a segment: one file
    sizes = {}
    for name in sorted(os.listdir(tmp_path / "records")):
        with open(tmp_path / "records" / name, "rb") as handle:
            sizes[name] = len(json.load(handle)["versions"])
    assert sizes == {"local.0001.json": 8, "local.0002.json": 4, "local.0003.json": 25}
    reopened = RecordStore(str(tmp_path))
    assert len(reopened) == 37 and reopened.last_seq == 37
    assert {reopened.partition_of(v) for v in reopened.currents()} == {"local"}


def test_a_failed_write_stores_nothing_and_raises(tmp_path, monkeypatch):
    store = RecordStore(str(tmp_path))
    store.submit([household()])
    original = (tmp_path / "records" / "local.0001.json").read_bytes()
    import storage.store as module

    def broken(path, payload):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(module, "atomic_write_bytes", broken)
    with pytest.raises(module.StorageError):
        store.submit([household()])
    assert len(store) == 1
    assert (tmp_path / "records" / "local.0001.json").read_bytes() == original


def test_another_process_writing_is_seen_on_refresh(tmp_path):
    ours, theirs = RecordStore(str(tmp_path)), RecordStore(str(tmp_path))
    home = household()
    theirs.submit([home])
    assert ours.current(home["id"]) is None
    ours.refresh()
    assert ours.current(home["id"]) == home
    # and our next write keeps theirs
    ours.submit([household()])
    assert len(RecordStore(str(tmp_path))) == 2


def test_concurrent_submissions_are_grouped_and_none_is_lost(tmp_path, monkeypatch):
    store = RecordStore(str(tmp_path))
    import storage.store as module
    writes = []
    real = module.atomic_write_bytes

    def counting(path, payload):
        writes.append(path)
        real(path, payload)
    monkeypatch.setattr(module, "atomic_write_bytes", counting)
    made = [[household(f"Hộ {t}-{i}") for i in range(10)] for t in range(16)]
    barrier = threading.Barrier(16)

    def worker(batch):
        barrier.wait()
        for version in batch:
            assert store.submit([version])[0].status == "accepted"
    threads = [threading.Thread(target=worker, args=(b,)) for b in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(RecordStore(str(tmp_path))) == 160
    assert len(writes) < 160     # group commit: fewer rewrites than submissions


def test_canonical_json_sorts_keys_and_normalises_to_nfc():
    decomposed = "Nguye\u0302\u0303n"
    assert canonical_json({"b": 1, "a": decomposed}) == '{"a":"Nguyễn","b":1}'.encode()


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(6)), st.integers(1, 3))
def test_arrival_order_and_repetition_do_not_change_the_state(tmp_path_factory, order, repeat):
    base = household("Phạm Thị Hoa")
    versions = [dict(household(f"Phạm Thị Hoa {n}", hour=8 + n // 2,
                               device_id=f"ph-{n % 2}"), id=base["id"]) for n in range(6)]
    store = RecordStore(str(tmp_path_factory.mktemp("order")))
    for _ in range(repeat):
        for index in order:
            store.submit([versions[index]])
    assert store.current(base["id"]) == max(versions, key=version_key)
    assert len(store) == 6


def test_inserts_from_two_processes_never_collide_on_document_ids(tmp_path):
    from storage.durable import open_tinydb
    server, cli = open_tinydb(str(tmp_path / "meta.json")), open_tinydb(str(tmp_path / "meta.json"))
    server.table("users").insert({"username": "a"})
    cli.table("users").insert({"username": "b"})        # another process, say `user add`
    server.table("users").insert({"username": "c"})     # used to raise: ID 2 exists
    assert sorted(u["username"] for u in open_tinydb(str(tmp_path / "meta.json"))
                  .table("users").all()) == ["a", "b", "c"]
    assert [u["username"] for u in server.table("users").search(
        __import__("tinydb").Query().username == "b")] == ["b"]


def test_many_rows_inserted_at_once_each_get_their_own_id(tmp_path):
    from storage.durable import open_tinydb
    first, other = open_tinydb(str(tmp_path / "m.json")), open_tinydb(str(tmp_path / "m.json"))
    first.table("t").insert({"n": 0})
    other.table("t").insert({"n": 1})
    first.table("t").insert_multiple([{"n": n} for n in range(2, 9)])
    assert sorted(r["n"] for r in open_tinydb(str(tmp_path / "m.json")).table("t").all()) == \
        list(range(9))


def test_add_answers_the_counts_submit_would_and_stores_the_same(tmp_path):
    homes = [household(f"Hộ {n}", hour=8 + n % 4) for n in range(6)]
    edit = dict(household("Hộ 0 sửa", hour=12), id=homes[0]["id"])
    batches = [homes[:4], homes[2:] + [edit], [edit, dict(homes[5])]]
    submitted, added = RecordStore(str(tmp_path / "a")), RecordStore(str(tmp_path / "b"))
    for batch in batches:
        results = submitted.submit([dict(v) for v in batch])
        new = sum(r.status == "accepted" for r in results)
        assert added.add([dict(v) for v in batch]) == (new, len(results) - new)
    assert [added.history(v["id"]) for v in homes] == [submitted.history(v["id"]) for v in homes]
    assert added.last_seq == submitted.last_seq == 7
    first = RecordStore(str(tmp_path / "c")).submit(homes[:3])      # a block, made on asking
    assert [(r.id, r.status, r.seq) for r in first] == \
        [(v["id"], "accepted", n) for n, v in enumerate(homes[:3], 1)]


def test_each_stored_version_knows_its_partition_in_memory_and_after_reopening(tmp_path):
    """Versions of one record from several partitions, in single and grouped commits."""
    store = RecordStore(str(tmp_path))
    first = household("Hộ một", hour=8)
    edits = [dict(household(f"Hộ một, sửa {n}", hour=9 + n), id=first["id"]) for n in range(4)]
    alone = household("Hộ hai", hour=8)
    store.add([first, alone], "ap-1")
    store.add([edits[0]], "ap-1")                     # same partition: no competing edit
    assert store.conflicts() == []
    store.add([edits[1]], "ap-2")
    store.add([edits[2]], "ap-1")
    from storage.store import _Request             # one group commit over two partitions
    group = [_Request([edits[3]], "ap-3"), _Request([household("Hộ ba")], "ap-1")]
    store._commit(group)
    assert all(request.error is None for request in group)
    expected = {first["updated_at"]: "ap-1", edits[0]["updated_at"]: "ap-1",
                edits[1]["updated_at"]: "ap-2", edits[2]["updated_at"]: "ap-1",
                edits[3]["updated_at"]: "ap-3"}
    for opened in (store, RecordStore(str(tmp_path))):
        assert {v["updated_at"]: opened.partition_of(v) for v in opened.history(first["id"])} \
            == expected
        assert opened.partition_of(opened.current(alone["id"])) == "ap-1"
        assert opened.partition_of(dict(opened.current(alone["id"]))) is None   # a copy
        assert [(c.id, c.partitions) for c in opened.conflicts()] \
            == [(first["id"], ["ap-1", "ap-2", "ap-3"])]


def test_a_file_made_once_keeps_the_first_writers_bytes_and_leaves_no_temporary(tmp_path):
    from storage.durable import create_once
    path = tmp_path / "key.pem"
    assert create_once(str(path), b"first") is True
    assert create_once(str(path), b"second") is False
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]
    assert path.stat().st_mode & 0o777 == 0o600
