"""The record store's read side: current versions, histories, changes since a seq, conflicts."""
import bisect

from storage.canonical import canonical_json
from storage.collector import no_cycle_collection
from storage.durable import file_signature
from storage.outcomes import Conflict

__all__ = ["Reading"]


class Reading:
    """The read side of RecordStore (storage.store), which holds the state it reads."""

    def refresh(self):
        """Pick up changes another process wrote; a few stat calls when there are none."""
        names = self._partitions_on_disk()
        if {n: file_signature(self._path(n)) for n in names} == self._signatures:
            return
        with self.lock:
            self._refresh()

    def current(self, record_id):
        """Return the current version of a record (tombstones included), or None."""
        history = self._history.get(record_id)
        return history[-1] if history else None

    def state(self):
        """What identifies the data held in memory: (last_seq, number of versions, the
        signatures of the files it was read from or written to). Equal states, equal data."""
        with self._read_lock:
            return (self.last_seq, len(self._by_seq), tuple(sorted(self._signatures.items())))

    def history(self, record_id):
        """Return every version of a record, oldest first by the SPEC ordering."""
        return list(self._history.get(record_id, ()))

    def histories(self):
        """Return {id: versions oldest first}; a snapshot safe to iterate."""
        with self._read_lock, no_cycle_collection():
            return {rid: list(h) for rid, h in self._history.items()}

    def currents(self):
        """Yield the current version of every record (tombstones included)."""
        with self._read_lock:
            heads = [h[-1] for h in self._history.values()]
        return heads

    def versions_since(self, seq, limit=None, accept=None):
        """Return [(seq, version)] after `seq`, in order, filtered by `accept(version)`."""
        with self._read_lock:
            start = bisect.bisect(self._seqs, seq)
            seqs, tail = self._seqs[start:], self._by_seq[start:]
        out = []
        for entry in zip(seqs, tail):
            if accept is None or accept(entry[1]):
                out.append(entry)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def partition_of(self, version):
        """Return the partition a stored version was written to (None if not stored)."""
        with self._read_lock:
            found = self._away.get(id(version))
            if found is not None:
                return found
            record_id = version.get("id") if isinstance(version, dict) else None
            history = self._history.get(record_id) if isinstance(record_id, str) else None
            if history and any(stored is version for stored in history):
                return self._home[version["id"]]
            return None

    def conflicts(self, record_ids=None):
        """Records whose latest versions from different partitions differ (of `record_ids`
        only, when given, in their order)."""
        found = []
        with self._read_lock:
            mixed = self._mixed          # only records with versions from several partitions
            ids = [rid for rid in self._history if rid in mixed] if record_ids is None \
                else [rid for rid in record_ids if rid in mixed]
            for record_id in ids:
                history = self._history[record_id]
                heads, base, away = {}, self._home[record_id], self._away
                for version in history:
                    heads[away.get(id(version), base)] = version
                if len(heads) > 1 and len({canonical_json(v["data"]) + bytes([v["deleted"]])
                                           for v in heads.values()}) > 1:
                    found.append(Conflict(record_id, sorted(heads)))
        return found

    def __len__(self):
        return len(self._by_seq)
