"""An import's objects go straight to the collector's oldest generation; nothing is kept
from the collector for good."""
import gc
import weakref

from storage.collector import no_cycle_collection


class Node:
    pass


def test_promote_moves_what_was_made_to_the_oldest_generation_and_frees_cycles():
    enabled = gc.isenabled()
    try:
        gc.enable()
        with no_cycle_collection(promote=True):
            assert not gc.isenabled()
            kept = [{"id": n, "data": {"n": [n]}} for n in range(1000)]
            node = Node()
            node.me = node                       # cyclic garbage made meanwhile
            gone = weakref.ref(node)
            del node
        assert gc.isenabled() and gc.get_freeze_count() == 0
        oldest = {id(o) for o in gc.get_objects(generation=2)}
        assert all(id(version) in oldest for version in kept)
        assert not any(id(version) in {id(o) for o in gc.get_objects(generation=0)}
                       for version in kept[:10])
        gc.collect()
        assert gone() is None
    finally:
        if not enabled:
            gc.disable()


def test_what_someone_else_froze_stays_frozen():
    enabled = gc.isenabled()
    gc.freeze()                                  # as a process about to fork might
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with no_cycle_collection(promote=True):
            made = [{"n": [n]} for n in range(100)]
        assert gc.get_freeze_count() == frozen and made
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
