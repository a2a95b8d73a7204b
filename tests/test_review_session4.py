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
from sync import transfer
from sync.batch import batch_bytes, read_batch
from sync.errors import BatchRejected
from sync.transfer import export_batch, import_batch, partition_for
from tests import factories
from tests.sync_support import filled_village, resign, snapshot

BASE = "912b611"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = datetime.datetime(2025, 8, 10, 3, 0, tzinfo=datetime.timezone.utc)


def _old_module(name, path, replace=()):
    """The module at `path` as it was at BASE, loaded as `name` (imports rewritten)."""
    if name in sys.modules:
        return sys.modules[name]
    source = subprocess.check_output(["git", "show", f"{BASE}:{path}"], cwd=ROOT, text=True)
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
    _old_module("_review4_old_batch", "sync/batch.py")
    return _old_module("_review4_old_transfer", "sync/transfer.py", replace=(
        ("from fieldapp.typedrecords import clean_versions",
         "from _review4_old_typed import clean_versions"),
        ("from sync.batch import (", "from _review4_old_batch import (")))


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
    fields.pop("imported_at", None)
    return ("ok", fields)


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


def both_import(commune_dir, data, tmp, now=NOW):
    """Import `data` into two copies of a commune, with the code at BASE and now: their
    outcomes and the stored states (and the state after reopening, for the new one)."""
    answers = []
    for label, importer in (("old", old_transfer().import_batch), ("new", import_batch)):
        target = os.path.join(tmp, f"{label}-{len(os.listdir(tmp))}")
        shutil.copytree(commune_dir, target)
        site = Site(target)
        got = outcome_of(lambda: importer(site, copy.deepcopy(data) if isinstance(data, dict)
                                          else data, now=now))
        view = store_view(site.store)
        reopened = store_view(Site(target).store)
        answers.append((got, view, reopened))
    return answers


def assert_same_import(commune_dir, data, tmp, now=NOW):
    (old_got, old_view, _), (new_got, new_view, new_reopened) = both_import(
        commune_dir, data, tmp, now)
    assert new_got == old_got
    assert new_view == old_view
    assert new_reopened == new_view
    return new_got


def village_batch(tmp_path, village_id="thon-3", name="Thôn 3", households=2):
    village = filled_village(tmp_path / f"village-{village_id}-{households}", village_id, name,
                             households)
    return village, export_batch(village, all_versions=True)
