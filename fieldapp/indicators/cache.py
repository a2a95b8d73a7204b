"""Results computed from every stored version, kept while the stored data stays the same.

Pages and the API recompute indicators and volunteer statistics over all stored versions;
between two writes the answer cannot change, so it is kept, keyed by the state of the
record store (`RecordStore.state()`): its change sequence, its number of versions, and the
signatures of the files its data was read from (so that data replaced by another process,
even with the same sequence numbers, as after a restore, is never mistaken for what was
cached). The state is read
before the versions are, so a kept result holds at least everything its key says.

Each store has one small cache shared by the server's threads: a few entries, least
recently used out first, and entries of a lower change sequence out as soon as a result
of a higher one is stored. When several threads miss the same entry at once, one computes
and the others wait for it; a failed computation is not kept.
"""
import threading
import weakref
from collections import OrderedDict

__all__ = ["ResultCache", "data_state", "cached", "cache_of"]

MAX_ENTRIES = 16
_MISSING = object()


def data_state(store):
    """What identifies the stored data a result is computed from, for `store`: the state
    of what it holds in memory (no disk access; the app refreshes the store per request).

    Read before taking the versions: a write finishing in between only makes the result
    newer than its key, and the key of that write's state is a different one.
    """
    return store.state()


class ResultCache:
    """A bounded, thread-safe map of (data state, what) to a computed result."""

    def __init__(self, size=MAX_ENTRIES):
        self.size = size
        self._entries = OrderedDict()
        self._building = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, state, what, build):
        """The result stored for (state, what), or `build()` stored and returned."""
        key = (state, what)
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is not _MISSING:
                self._entries.move_to_end(key)
                self.hits += 1
                return value
            self.misses += 1
            event = self._building.get(key)
            owner = event is None
            if owner:
                event = self._building[key] = threading.Event()
        if not owner:           # another thread computes the same result: wait for it
            event.wait(60)
            with self._lock:
                value = self._entries.get(key, _MISSING)
            return build() if value is _MISSING else value
        try:
            value = build()
            with self._lock:
                for old in [k for k in self._entries if k[0][0] < state[0]]:
                    del self._entries[old]      # an older state is not asked for again
                self._entries[key] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        finally:
            with self._lock:
                del self._building[key]
            event.set()
        return value

    def __len__(self):
        return len(self._entries)


_caches = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_of(store):
    """The ResultCache of a record store (one per store object, gone with it)."""
    with _caches_lock:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = ResultCache()
        return cache


def cached(store, what, build):
    """`build()` for the store's current data, computed once per data state.

    `what` names the result and everything besides the stored data it depends on (a
    hashable tuple); `build` reads the store itself, only on a miss. The result is
    shared between threads: callers must not change it.
    """
    return cache_of(store).get(data_state(store), what, build)
