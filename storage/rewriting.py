"""The record store's rewrite of stored versions in place, file by file (an erasure)."""
from storage.durable import atomic_write_many, file_signature
from storage.outcomes import StorageError
from storage.segments import _segment_bytes

__all__ = ["Rewriting"]


class Rewriting:
    """The rewrite side of RecordStore (storage.store), which holds the state it uses."""

    def rewrite(self, change, ids=None):
        """Replace stored versions (an erasure): `change(version)` answers the version
        itself to keep it, or a new dict of the same keys to take its place (any other
        object counts as a change).

        Only the versions of `ids` are offered (every version when None). Under the lock,
        each segment file holding a changed version is rewritten once, atomically; a
        version keeps its seq and its place in its history, and the dicts callers
        already hold are left as they were. Return how many changed.
        """
        with self._commit_lock:           # no group commit meanwhile
            try:
                with self.lock:
                    self._refresh()
                    return self._rewrite(change, ids)
            except BaseException as error:
                with self.lock:
                    self._refresh(force=True)
                if isinstance(error, StorageError):
                    raise
                raise StorageError(f"storage rewrite failed: {error}") from error

    def _rewrite(self, change, ids):
        """rewrite, under the locks, on a store that matches its files."""
        home, away = self._home, self._away
        with self._read_lock:
            seqs, versions = self._seqs, self._by_seq
            if ids is None:
                places = range(len(versions))
            else:
                wanted = frozenset(ids) & self._history.keys()
                places = [n for n, v in enumerate(versions) if v["id"] in wanted] if wanted else []
            changes = {}                 # place in _by_seq -> the version replacing it
            for n in places:
                version = versions[n]
                new = change(version)
                if new is not version:
                    if new.keys() != version.keys():
                        raise StorageError("a rewrite must keep a version's fields")
                    changes[n] = new
            if not changes:
                return 0
            touched = {away.get(id(versions[n])) or home[versions[n]["id"]] for n in changes}
            cursor = dict.fromkeys(touched, 0)
            held, dirty = {}, set()      # stem -> {seq: version} written; stems changed
            for n, (seq, version) in enumerate(zip(seqs, versions)):
                partition = away.get(id(version)) or home[version["id"]]
                if partition in cursor:   # segments hold ascending seq ranges
                    firsts, i = self._stems[partition], cursor[partition]
                    while i + 1 < len(firsts) and firsts[i + 1][0] <= seq:
                        i += 1
                    cursor[partition] = i
                    stem = firsts[i][1]
                    new = changes.get(n)
                    if new is not None:
                        dirty.add(stem)
                    held.setdefault(stem, {})[seq] = version if new is None else new
        contents = {self._path(stem): _segment_bytes(held[stem]) for stem in dirty}
        atomic_write_many(contents)
        written = {stem: file_signature(self._path(stem)) for stem in dirty}
        with self._read_lock:          # new objects: what a caller holds stays as it was
            for n, new in changes.items():
                version = versions[n]
                versions[n] = new
                history = self._history[version["id"]]
                history[next(k for k, v in enumerate(history) if v is version)] = new
                if id(version) in away:
                    away[id(new)] = away.pop(id(version))
            for partition, (stem, _) in list(self._open.items()):
                if stem in dirty:
                    self._open[partition] = (stem, held[stem])
            self._signatures.update(written)
        return len(changes)
