"""Review of the import speed-ups after 912b611 (store home/away partitions, typed village
Literal, hashing thread, cheaper column checks).

Most tests are differential: the code at 912b611 (read with `git show`, loaded as private
modules next to the current ones) and the current code get the same input, and must
answer the same: the same receipt or the same refusal, the same stored state, the same
partitions and conflicts, before and after reopening the store.
"""
import copy
import dataclasses
import datetime
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import types

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fieldapp.forms.rules import CHOICES, RULES
from fieldapp.site import Site
from fieldapp.typedrecords import clean_versions
from storage import store as new_store
from storage.canonical import canonical_json
from sync.batch import batch_bytes, read_batch
from sync.errors import BatchRejected
from sync.transfer import export_batch, import_batch, partition_for
from tests import factories
from tests.sync_support import filled_village, resign

BASE = "912b611"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = datetime.datetime(2025, 8, 10, 3, 0, tzinfo=datetime.timezone.utc)


def _old_module(name, path, replace=()):
    """The module at `path` as it was at BASE, loaded as `name` (imports rewritten)."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        source = subprocess.check_output(["git", "show", f"{BASE}:{path}"], cwd=ROOT,
                                         text=True, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"the code at {BASE} is not in this checkout's history")
    for before, after in replace:
        assert before in source, before
        source = source.replace(before, after)
    module = types.ModuleType(name)
    module.__file__ = f"<{BASE}:{path}>"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def old_store():
    return _old_module("_review4_old_store", "storage/store.py")


def old_typed():
    return _old_module("_review4_old_typed", "fieldapp/typedrecords.py")


def old_transfer():
    """sync.transfer at BASE, with sync.batch and fieldapp.typedrecords at BASE too (the
    store is the current one: the import's own changes are compared)."""
    old_typed()
    old_store()
    _old_module("_review4_old_batch", "sync/batch.py")
    return _old_module("_review4_old_transfer", "sync/transfer.py", replace=(
        ("from fieldapp.typedrecords import clean_versions",
         "from _review4_old_typed import clean_versions"),
        ("from sync.batch import (", "from _review4_old_batch import ("),
        ("from storage.store import Refused, no_cycle_collection",
         "from _review4_old_store import Refused, no_cycle_collection")))


# -- helpers -----------------------------------------------------------------------------

def outcome_of(run):
    """('ok', receipt fields) or ('refused', problem, message, details) or ('crash', type)."""
    try:
        receipt = run()
    except BatchRejected as refusal:
        return ("refused", refusal.problem, refusal.message, refusal.details)
    except Exception as error:       # noqa: BLE001 -- a crash is an answer to compare
        return ("crash", type(error).__name__)
    fields = dataclasses.asdict(receipt)
    for name in ("imported_at",) + HELD_FIELDS:
        fields.pop(name, None)
    return ("ok", fields)


# receipt fields added after BASE for batches held until staff approve a new laptop
HELD_FIELDS = ("fingerprint", "held", "already_held", "held_since", "held_for")


def store_view(store):
    """Everything observable about partitions: histories with each version's partition,
    conflicts (all and of given ids), versions in seq order."""
    histories = store.histories()
    return (store.last_seq,
            {rid: [(canonical_json(v), store.partition_of(v)) for v in h]
             for rid, h in sorted(histories.items())},
            [(c.id, c.partitions) for c in store.conflicts()],
            [(c.id, c.partitions) for c in store.conflicts(sorted(histories, reverse=True))],
            [(seq, canonical_json(v), store.partition_of(v)) for seq, v in store.versions_since(0)])


def opened(path, label):
    """A Site at `path`; with label "old" its store is the store at BASE."""
    site = Site(path)
    if label == "old":
        site.store = old_store().RecordStore(site.data_dir, lock=site.lock,
                                             fixed=("type", "village_id"))
    return site


def both_import(commune_dir, data, tmp, now=NOW):
    """Import `data` into two copies of a commune, with the code at BASE and now: their
    outcomes and the stored states (and the state after reopening, for the new one)."""
    answers = []
    for label, importer in (("old", old_transfer().import_batch), ("new", import_batch)):
        target = os.path.join(tmp, f"{label}-{len(os.listdir(tmp))}")
        shutil.copytree(commune_dir, target)
        site = opened(target, label)
        got = outcome_of(lambda: importer(site, copy.deepcopy(data) if isinstance(data, dict)
                                          else data, now=now))
        view = store_view(site.store)
        reopened = store_view(opened(target, label).store)
        answers.append((got, view, reopened))
    return answers


def assert_same_import(commune_dir, data, tmp, now=NOW):
    (old_got, old_view, _), (new_got, new_view, new_reopened) = both_import(
        commune_dir, data, tmp, now)
    assert new_got == old_got
    assert new_view == old_view
    assert new_reopened == new_view
    return new_got


def import_sequence(commune_dir, batches, label, now=NOW):
    """Import `batches` in order into a copy of a commune with the code at BASE or now:
    [outcome], the store's view, and the view after reopening."""
    target = tempfile.mkdtemp(prefix=f"review4-{label}-")
    try:
        shutil.rmtree(target)
        shutil.copytree(commune_dir, target)
        importer = old_transfer().import_batch if label == "old" else import_batch
        site = opened(target, label)
        outcomes = [outcome_of(lambda: importer(site, data, now=now)) for data in batches]
        return outcomes, store_view(site.store), store_view(opened(target, label).store)
    finally:
        shutil.rmtree(target, ignore_errors=True)


def village_batch(tmp_path, village_id="thon-3", name="Thôn 3", households=2):
    village = filled_village(tmp_path / f"village-{village_id}-{households}", village_id, name,
                             households)
    return village, export_batch(village, all_versions=True)


# -- fixtures: village sites sharing records ----------------------------------------------

def _edit(version, device, hour, **data):
    edited = copy.deepcopy(version)
    edited["device_id"], edited["author"] = device, device.split("-")[-1]
    edited["updated_at"] = factories.stamp(factories.START, hour)
    edited["data"].update(data)
    return edited


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Village sites A and B (both thon-3) and C (thon-3 and thon-5) editing the same
    records, the commune, and their batches: {name: batch}."""
    root = tmp_path_factory.mktemp("review4")
    a = filled_village(root / "a", "thon-3", "Thôn 3", households=3)
    b = factories.village_site(root / "b", "thon-3", "Thôn 3 (máy 2)", users=False)
    c = factories.village_site(root / "c", "thon-3", "Thôn 3 và 5", users=False)
    c.update_settings(lambda s: s["villages"].append(
        {"id": "thon-5", "name": "Thôn 5", "adult_population": None, "targets": {}}))
    shared = [h[0] for h in a.store.histories().values()]
    homes = [v for v in shared if v["type"] == "household"]
    people = [v for v in shared if v["type"] == "person"]
    b.store.submit([_edit(homes[0], "ph-b", 12, head_name="Lê Văn B"),
                    copy.deepcopy(homes[1]),                           # the very same version
                    _edit(people[0], "ph-b", 13, birth_year=1981),
                    dict(_edit(homes[2], "ph-b", 14), deleted=True),
                    factories.household("Hộ riêng B", device_id="ph-b")])
    c.store.submit([_edit(homes[0], "ph-c", 12, head_name="Lê Văn C"),    # same stamp as B
                    _edit(people[0], "ph-c", 11, birth_year=1981),        # same data as B
                    _edit(homes[1], "ph-c", 15, address="Xóm 9"),
                    factories.household("Hộ thôn 5", village_id="thon-5", device_id="ph-c")])
    batches = {"a": export_batch(a, all_versions=True), "b": export_batch(b, all_versions=True),
               "c": export_batch(c, all_versions=True)}
    a.store.submit([_edit(homes[0], "ph-minh", 16, head_name="Nguyễn Văn An 2")])
    batches["a2"] = export_batch(a)                   # incremental: the later edit only
    commune = factories.commune_site(root / "commune", users=False)
    # three laptops send for thôn 3: staff approved them all, else B's and C's are held
    with commune.meta_lock:
        commune.table("sites").insert_multiple(
            {"site_id": batch["site"]["id"], "name": batch["site"]["name"],
             "village_ids": batch["site"]["village_ids"],
             "public_key": batch["site"]["public_key"], "first_seen": batch["created_at"]}
            for batch in (batches["a"], batches["b"], batches["c"]))
    return {"commune": commune.data_dir, "batches": batches, "village": a}


# -- imports: the code at BASE and now answer alike ----------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(order=st.lists(st.sampled_from(["a", "b", "c", "a2"]), min_size=1, max_size=6),
       as_bytes=st.booleans())
def test_imports_from_sites_editing_the_same_records_match_the_old_code(sites, order, as_bytes):
    batches = [batch_bytes(sites["batches"][name]) if as_bytes
               else copy.deepcopy(sites["batches"][name]) for name in order]
    old = import_sequence(sites["commune"], batches, "old")
    new = import_sequence(sites["commune"], batches, "new")
    assert new[0] == old[0]                  # receipts (new, duplicate, conflicts) or refusals
    assert new[1] == old[1]                  # partitions of every version, conflicts
    assert new[2] == old[2] == new[1]        # the same after reopening


def test_competing_edits_are_named_in_every_order(sites):
    """Checked by hand once: all three sites give the commune competing edits of the
    first household and the first person, reported on the receipt and by conflicts()."""
    batches = [sites["batches"][name] for name in ("a", "b", "c")]
    outcomes, view, reopened = import_sequence(sites["commune"], batches, "new")
    assert [o[0] for o in outcomes] == ["ok"] * 3
    assert outcomes[0][1]["conflicts"] == []
    first, last = outcomes[1][1], outcomes[2][1]
    assert first["new"] == 4 and first["duplicate"] == 1 and len(first["conflicts"]) == 3
    assert last["new"] == 4 and len(last["conflicts"]) >= 2
    conflicts = view[2]
    assert {tuple(partitions) for _, partitions in conflicts} >= {tuple(sorted(
        partition_for(sites["batches"][n]["site"]["id"]) for n in ("a", "b", "c")))}
    assert reopened == view


def _header(batch, village, **site):
    return resign(batch, village.data_dir, site=dict(batch["site"], **site))


HEADERS = {
    "as sent": {},
    "a string": {"village_ids": "thon-3"},
    "duplicates": {"village_ids": ["thon-3", "thon-3"]},
    "a number": {"village_ids": ["thon-3", 3]},
    "upper case": {"village_ids": ["thon-3", "Thon-4"]},
    "empty": {"village_ids": []},
    "a dict": {"village_ids": {"thon-3": 1}},
    "nested": {"village_ids": [["thon-3"]]},
    "another village": {"village_ids": ["thon-4"]},
    "one more": {"village_ids": ["thon-4", "thon-3"]},
    "101": {"village_ids": ["thon-3"] + [f"x{n}" for n in range(100)]},
    "100": {"village_ids": ["thon-3"] + [f"x{n}" for n in range(99)]},
    "41 characters": {"village_ids": ["thon-3", "x" * 41]},
    "name too long (header refused, villages fine)": {"name": "x" * 121},
    "null": {"village_ids": None},
}


@pytest.mark.parametrize("change", list(HEADERS), ids=list(HEADERS))
@pytest.mark.parametrize("as_bytes", [True, False], ids=["bytes", "dict"])
def test_header_village_ids_are_judged_as_before(sites, tmp_path, change, as_bytes):
    batch = _header(sites["batches"]["a"], sites["village"], **HEADERS[change])
    got = assert_same_import(sites["commune"], batch_bytes(batch) if as_bytes else batch,
                             str(tmp_path))
    if change in ("as sent", "100", "one more"):
        assert got[0] == "ok" and got[1]["new"] == 9
    elif change == "another village":
        assert got[:2] == ("refused", "records") and len(got[3]["records"]) == 9
    else:
        assert got[:2] == ("refused", "format"), got


def test_records_of_a_village_missing_from_the_header_are_named_as_before(sites, tmp_path):
    batch = copy.deepcopy(sites["batches"]["a"])
    batch["records"][4]["village_id"] = "thon-4"
    batch = resign(batch, sites["village"].data_dir, records=batch["records"])
    got = assert_same_import(sites["commune"], batch_bytes(batch), str(tmp_path))
    assert got[:2] == ("refused", "records")
    assert [r["index"] for r in got[3]["records"]] == [4]


# -- the store: group commits over several partitions, two processes, reopening -------------

IDS = [f"0000000{n}-0000-4000-8000-00000000000{n}" for n in range(4)]


def _version(n, hour, device, x, village, deleted):
    return {"id": IDS[n], "type": "household", "village_id": village,
            "updated_at": f"2025-08-01T0{hour}:00:00.000Z", "device_id": f"d{device}",
            "author": "a", "deleted": deleted, "data": {"head_name": f"h{x}"}}


POOL = [_version(n, hour, device, x, "thon-3", False)
        for n in range(4) for hour in (1, 2) for device in (0, 1) for x in (0, 1)]
versions_st = st.builds(_version, st.integers(0, 3), st.integers(1, 3), st.integers(0, 1),
                        st.integers(0, 1), st.sampled_from(["thon-3"] * 3 + ["thon-5"]),
                        st.booleans()) | st.sampled_from(POOL)     # the same object again
requests_st = st.tuples(st.sampled_from(["site-a", "site-b", "local"]),
                        st.lists(versions_st, max_size=6))
commits_st = st.lists(st.tuples(st.integers(0, 1), st.lists(requests_st, min_size=1,
                                                              max_size=4)),
                      min_size=1, max_size=6)


def _request_outcome(request):
    if request.error is not None:
        return ("error", type(request.error).__name__,
                [(r.id, r.status, r.changed) for r in getattr(request.error, "results", [])])
    if request.results is None:
        return ("block", list(request.block[0]), list(request.block[1]))
    return ("results", [(r.id, r.status, r.seq) for r in request.results])


def _copies_found(store):
    return [store.partition_of(copy.deepcopy(v)) for h in store.histories().values() for v in h]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(commits=commits_st, segment_size=st.sampled_from([1000, 2, 5]))
def test_group_commits_by_two_processes_match_the_old_store(commits, segment_size):
    """Two stores on one directory (two processes) commit groups of requests from several
    partitions in turn; partitions, conflicts, results agree with the store at BASE, and
    with what a reopened store reads (segments small or not)."""
    old = old_store()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(old, "SEGMENT_SIZE", segment_size)
        patch.setattr(new_store, "SEGMENT_SIZE", segment_size)
        _two_processes(old, commits)


def _two_processes(old, commits):
    with tempfile.TemporaryDirectory() as old_dir, tempfile.TemporaryDirectory() as new_dir:
        olds = [old.RecordStore(old_dir, fixed=("type", "village_id")) for _ in range(2)]
        news = [new_store.RecordStore(new_dir, fixed=("type", "village_id")) for _ in range(2)]
        for which, group in commits:
            old_group = [old._Request(copy.deepcopy(vs), p) for p, vs in group]
            new_group = [new_store._Request(list(vs), p) for p, vs in group]
            olds[which]._commit(old_group)
            news[which]._commit(new_group)
            assert list(map(_request_outcome, new_group)) == list(map(_request_outcome, old_group))
            assert store_view(news[which]) == store_view(olds[which])
            assert _copies_found(news[which]) == _copies_found(olds[which])
            for other in (0, 1):
                olds[other].refresh(), news[other].refresh()
                assert store_view(news[other]) == store_view(olds[other])
        reopened = new_store.RecordStore(new_dir, fixed=("type", "village_id"))
        assert store_view(reopened) == store_view(news[0]) == store_view(
            old.RecordStore(old_dir, fixed=("type", "village_id")))
        files = sorted(os.listdir(os.path.join(old_dir, "records")))
        assert sorted(os.listdir(os.path.join(new_dir, "records"))) == files
        for name in files:
            with open(os.path.join(old_dir, "records", name), "rb") as a, \
                    open(os.path.join(new_dir, "records", name), "rb") as b:
                assert json.loads(b.read()) == json.loads(a.read()), name


def test_partition_of_answers_for_stored_versions_only(tmp_path):
    store = new_store.RecordStore(str(tmp_path), fixed=("type", "village_id"))
    home = _version(0, 1, 0, 0, "thon-3", False)
    away = _version(0, 2, 1, 1, "thon-3", False)
    store.submit([home], "site-a")
    store.submit([away, copy.deepcopy(home)], "site-b")       # the copy is a duplicate
    assert [store.partition_of(v) for v in store.history(IDS[0])] == ["site-a", "site-b"]
    assert store.partition_of(home) == "site-a" and store.partition_of(away) == "site-b"
    assert store.partition_of(copy.deepcopy(away)) is None
    assert store.partition_of(copy.deepcopy(home)) is None
    assert [(c.id, c.partitions) for c in store.conflicts()] == [(IDS[0], ["site-a", "site-b"])]
    reopened = new_store.RecordStore(str(tmp_path), fixed=("type", "village_id"))
    assert [reopened.partition_of(v) for v in reopened.history(IDS[0])] == ["site-a", "site-b"]


# -- typed decoding: the column checks and the village Literal ------------------------------

_SPACES = st.sampled_from([" ", "\u00a0", "\u2003", "\u3000", "\u200b", "\ufeff", "\x1c",
                           "\x85", "\u2028", "\t", "\n", "\u180e", "\u202f", "\u205f", ""])
_TEXT = st.lists(st.one_of(st.characters(blacklist_categories=("Cs",)), _SPACES,
                           st.sampled_from("0123456789+ .-")), max_size=25).map("".join)
_PHONE = st.lists(st.sampled_from("0123456789+ .-\u00a0\n٣"), max_size=24).map("".join) | _TEXT
_FIELDS = [(t, rule) for t in RULES for rule in RULES[t]
           if rule.kind in ("text", "phone", "choices")]


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), ascii_only=st.booleans())
def test_text_phone_and_choice_columns_match_the_old_checks(data, ascii_only):
    from tests.test_typed_records import OTHER, body_of, clean
    record_type, rule = data.draw(st.sampled_from(_FIELDS))
    raw = clean(record_type)
    if rule.kind == "choices":
        value = data.draw(st.lists(st.sampled_from(list(CHOICES[rule.choices])), max_size=6))
    else:
        value = data.draw(_PHONE if rule.kind == "phone" else _TEXT)
    raw["data"][rule.name] = value
    body = body_of([clean("visit", OTHER), raw], ascii_only)
    from tests.test_rules_fastpath import NOW as now
    before = old_typed().clean_versions(body, now)
    assert clean_versions(body, now) == before
    assert clean_versions(body, now, ["thon-3"]) == before
    assert clean_versions(body, now, ["thon-4"]) is None


@pytest.mark.parametrize("phone, clean_as_is", [
    ("0912345678", True), ("+84912345678", True), ("0912 345 678", True),
    ("1234567", False), ("12345678", True), ("1" * 20, True), ("1" * 21, False),
    ("", True), (" 0912345678", False), ("0912345678\u00a0", False), ("٠٩١٢٣٤٥٦٧٨", False),
])
def test_phones_taken_as_is_exactly_when_clean(phone, clean_as_is):
    from tests.test_rules_fastpath import NOW as now
    from tests.test_typed_records import body_of, clean
    raw = clean("household")
    raw["data"]["phone"] = phone
    body = body_of([raw])
    got = clean_versions(body, now, ["thon-3"])
    assert (got is not None) == clean_as_is
    assert got == old_typed().clean_versions(body, now)


# -- the hashing thread -------------------------------------------------------------------

def _hash_threads():
    return [t for t in threading.enumerate() if t.name == "fieldapp-batch-hash"]


def test_hash_thread_is_joined_whatever_the_decoder_does(sites):
    body = batch_bytes(sites["batches"]["a"])
    read = read_batch(body, lambda records, header: None)
    assert read.body_sha256 == sites["batches"]["a"]["records_sha256"] and not read.decoded

    def failing(records, header):
        raise KeyError("boom")
    with pytest.raises(KeyError):
        read_batch(body, failing)
    assert _hash_threads() == []


# -- imports of batches with one record changed, signed again --------------------------------

def _record_changes():
    from tests.test_rules_fastpath import ENVELOPE_VALUES, NEAR, VALUES
    changes = [("envelope", key, value) for key, values in ENVELOPE_VALUES.items()
               for value in values]
    for kind, values in NEAR.items():
        changes += [(kind, None, value) for value in values]
    changes += [("any", None, value) for value in VALUES]
    return changes


def _changed(batch, index, change):
    batch = copy.deepcopy(batch)
    record = batch["records"][index % len(batch["records"])]
    where, key, value = change
    if where == "envelope":
        record[key] = copy.deepcopy(value)
        return batch
    rules = [r for r in RULES[record["type"]] if where == "any" or r.kind == where]
    if not rules:
        return None
    record["data"][rules[index % len(rules)].name] = copy.deepcopy(value)
    return batch


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(index=st.integers(0, 100), change=st.sampled_from(_record_changes()),
       as_bytes=st.booleans(), second=st.booleans())
def test_one_changed_record_is_judged_and_stored_as_before(sites, index, change, as_bytes,
                                                           second):
    base = sites["batches"]["a2" if second else "a"]
    batch = _changed(base, index, change)
    if batch is None:
        return
    try:
        batch = resign(batch, sites["village"].data_dir, records=batch["records"])
        data = batch_bytes(batch) if as_bytes else batch
    except (TypeError, ValueError):         # not JSON as fieldapp writes it
        return
    first = [batch_bytes(sites["batches"]["a"])] if second else []
    old = import_sequence(sites["commune"], first + [data], "old")
    new = import_sequence(sites["commune"], first + [data], "new")
    assert new == old


# -- findings -----------------------------------------------------------------------------

def test_a_header_with_a_huge_village_list_is_refused_cheaply(sites, tmp_path):
    """Found in review: a decoder (village_id a Literal of the header's list) was made and
    cached before the header was checked, for 300,000 ids: seconds, and memory kept."""
    import tracemalloc
    batch = copy.deepcopy(sites["batches"]["a"])
    batch["site"]["village_ids"] = ["thon-3"] + [f"x{n}" for n in range(300_000)]
    data = batch_bytes(batch)                 # 2.8 MB, far less gzipped; no valid signature
    kept, problems = {}, {}
    for label, importer in (("old", old_transfer().import_batch), ("new", import_batch)):
        target = str(tmp_path / label)
        shutil.copytree(sites["commune"], target)
        site = opened(target, label)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            try:
                importer(site, data, now=NOW)
            except BatchRejected as refusal:
                problems[label] = refusal.problem
            gc.collect()
            kept[label] = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
    assert problems == {"old": "format", "new": "format"}
    # a refused header leaves nothing behind (the old code kept well under 1 MB)
    assert kept["new"] < 5_000_000, kept


def test_partition_of_anything_not_stored_is_none(tmp_path):
    """Found in review: a dict with an unhashable id raised TypeError."""
    store = new_store.RecordStore(str(tmp_path))
    store.submit([_version(0, 1, 0, 0, "thon-3", False)], "site-a")
    old = old_store().RecordStore(str(tmp_path))
    for thing in ({"id": []}, {"id": {"x": 1}}, {"id": IDS[0]}, {}, "x", None):
        assert old.partition_of(thing) is None
        assert store.partition_of(thing) is None, thing
