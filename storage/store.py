"""The record store: every version of every record, durable, with a change sequence.

Versions live in TinyDB files under `records/`, as table `versions` keyed by the site's
change sequence number. Each partition (the local site, or at the commune one per sending
site) is a series of segment files `<partition>.<n>.json`; a commit rewrites only the open
segment, and a new segment starts when it would grow past SEGMENT_SIZE, so the cost of a
write does not grow with the village. One submission always lands in one file, so a batch
is stored with one atomic write. Everything is indexed in memory; a file replaced by
another process is noticed by its signature and reloaded. Writers are grouped: while one
thread commits, the others queue, and the next commit writes all of their versions with
one rewrite and one fsync per touched partition (group commit).

Its read side is in storage.reading, its rewrite (an erasure) in storage.rewriting, the
files' names and bytes in storage.segments, the order of versions in storage.ordering.
"""
import itertools
import json
import operator
import os
import threading
from dataclasses import dataclass

from storage.canonical import canonical_json, sha256_hex
from storage.durable import FileLock, atomic_write_bytes, file_signature, remove_stray_temp_files
from storage.ordering import _Digest, _place, version_key
from storage.outcomes import Refused, Result, StorageError
from storage.reading import Reading
from storage.rewriting import Rewriting
from storage.segments import _PARTITION, _SEGMENT, _segment, _segment_bytes

__all__ = ["RecordStore"]

SEGMENT_SIZE = 1000


def _stored_already(version, stored, staged):
    """Whether a version with the same identity (id, updated_at, device_id) and content is
    among the `stored` or `staged` versions of the same record (lists or None)."""
    stamp, device = version["updated_at"], version["device_id"]
    same = [v for others in (stored, staged) if others for v in others
            if v["updated_at"] == stamp and v["device_id"] == device]
    return bool(same) and any(canonical_json(v) == canonical_json(version) for v in same)


def _needing_a_look(histories, ids, staged=None):
    """The ids among `ids` with other versions stored, staged, or also elsewhere in `ids`."""
    last = dict(zip(ids, range(len(ids))))      # each id's last place in `ids`
    look = histories.keys() & last.keys()
    if staged:
        look |= staged.keys() & last.keys()
    if len(last) != len(ids):   # an id found before its last place is there twice or more
        look.update(itertools.compress(ids, map(operator.ne, map(last.__getitem__, ids),
                                                itertools.count())))
    return look


_SEQ, _PARTITION_OF, _VERSION = (operator.itemgetter(n) for n in range(3))  # of an entry
_ID = operator.itemgetter("id")
_STAMP = operator.itemgetter("updated_at")
_STATUS = operator.attrgetter("status")


@dataclass
class _Request:
    versions: list
    partition: str
    done: bool = False
    results: list | None = None
    block: tuple | None = None     # (ids, seqs) when every version was accepted
    error: BaseException | None = None


class RecordStore(Reading, Rewriting):
    """All versions of all records in `directory`, with in-memory indexes.

    `fixed` names the fields every version of a record must share (a record never changes
    its type, say); a submission that changes one is refused whole, under the write lock,
    so two writers cannot race past the rule.

    `stable_under(version)`, when given (a de-identification), breaks the ties of versions
    of a record on (updated_at, device_id) by the SHA-256 of what it makes of each, then
    by their own: a `rewrite` by it then never reorders two versions that still differ
    (those that no longer do are equal), on this store and after a reload.
    """

    def __init__(self, directory, lock=None, fixed=(), stable_under=None):
        self.fixed = tuple(fixed)
        if stable_under is None:
            self._key = version_key
        else:
            def tiebreak(version):
                return sha256_hex(stable_under(version)) + sha256_hex(version)
            self._key = lambda v: (v["updated_at"], v["device_id"], _Digest(v, tiebreak))
        self.directory = os.path.join(directory, "records")
        os.makedirs(self.directory, exist_ok=True)
        remove_stray_temp_files(self.directory)
        self.lock = lock or FileLock(os.path.join(directory, ".lock"))
        self._commit_lock = threading.Lock()
        self._pending_lock = threading.Lock()
        self._pending = []
        self._read_lock = threading.RLock()
        self._signatures = {}
        # partition -> (stem, {seq: version}) of its last segment, the only one a
        # commit may rewrite (closed segments are read once, at loading)
        self._open = {}
        self._stems = {}         # partition -> [(first seq, stem)] of its segments, in order
        self._reset_indexes()
        with self.lock:
            self._refresh(force=True)

    # -- loading ---------------------------------------------------------------

    def _reset_indexes(self):
        self._history = {}       # id -> versions sorted by version_key
        self._home = {}          # id -> the partition of the record's first version indexed
        self._away = {}          # id(version) -> partition, of versions not from their home
        self._mixed = set()      # ids of the records with versions away (several partitions)
        self._seqs = []          # every seq, ascending
        self._by_seq = []        # the versions in the order of _seqs
        self.last_seq = 0

    def _path(self, stem):
        return os.path.join(self.directory, f"{stem}.json")

    def _partitions_on_disk(self):
        """The stems of every segment file, e.g. ['local.0001', 'local.0002']."""
        return sorted(name[:-5] for name in os.listdir(self.directory)
                      if name.endswith(".json") and _SEGMENT.match(name[:-5]))

    def _segment_for(self, partition, adding):
        """(stem, the table it holds) to write `adding` new versions of a partition to."""
        stem, table = self._open.get(partition, (None, {}))
        if stem is None:
            return f"{partition}.0001", {}
        if table and len(table) + adding > SEGMENT_SIZE:
            return f"{partition}.{_segment(stem)[1] + 1:04d}", {}
        return stem, table

    def _refresh(self, force=False):
        """Reload from disk if another process has replaced a partition file."""
        names = self._partitions_on_disk()
        signatures = {name: file_signature(self._path(name)) for name in names}
        if not force and signatures == self._signatures:
            return
        with self._read_lock:
            # until the reload is whole, no signature matches: an error below (memory, a
            # file changing meanwhile) leaves a store that reloads at its next use
            self._signatures = {}
            docs = {}
            for name in names:
                with open(self._path(name), "rb") as handle:
                    tables = json.loads(handle.read() or b"{}")
                table = tables.get("versions", {})
                docs[name] = dict(zip(map(int, table), table.values()))
            self._reset_indexes()
            entries = [(seq, _segment(name)[0], version)
                       for name, table in docs.items() for seq, version in table.items()]
            entries.sort(key=lambda entry: entry[0])
            self._index_all(entries)
            self._open, self._stems = {}, {}
            for name in sorted(docs, key=lambda stem: _segment(stem)[1]):
                self._open[_segment(name)[0]] = (name, docs[name])    # the last one stays
                if docs[name]:
                    self._stems.setdefault(_segment(name)[0], []).append(
                        (min(docs[name]), name))
            self._signatures = signatures

    def _index_all(self, entries, placed=None):
        """Add (seq, partition, version) entries, in ascending seq order, to the indexes.

        `placed`: {id: its versions among the entries, in seq order} for the ids whose
        versions must be placed among others (found when None); every other entry is of a
        record new to the store, whose history it starts.
        """
        histories, home, away, mixed = self._history, self._home, self._away, self._mixed
        versions = list(map(_VERSION, entries))
        ids = list(map(_ID, versions))
        if placed is None:
            look, placed = _needing_a_look(histories, ids), {}
            for record_id, version in zip(ids, versions) if look else ():
                if record_id in look:
                    placed.setdefault(record_id, []).append(version)
        # every new record takes its place in first-seq order, a placed one empty
        stored = histories.keys() & placed.keys()
        fresh = {record_id: [] if record_id in placed else [version]
                 for record_id, version in zip(ids, versions) if record_id not in stored}
        histories.update(fresh)
        partitions = list(map(_PARTITION_OF, entries))
        sole = partitions[0] if partitions and partitions.count(partitions[0]) == len(partitions) \
            else None
        if sole is not None:
            home.update(dict.fromkeys(fresh, sole))
            where = None
        else:                       # a new record's home is the partition of its first entry
            first = dict(zip(reversed(ids), reversed(partitions)))
            home.update((record_id, first[record_id]) for record_id in fresh)
            where = dict(zip(map(id, versions), partitions))
        for record_id, new in placed.items():
            base = home[record_id]
            if where is None:
                if sole != base:
                    mixed.add(record_id)
                    away.update(dict.fromkeys(map(id, new), sole))
            else:
                for version in new:
                    if where[id(version)] != base:
                        mixed.add(record_id)
                        away[id(version)] = where[id(version)]
            history = histories[record_id]
            for version in new:
                if not history:
                    history.append(version)
                    continue
                last, stamp = history[-1], version["updated_at"]
                if last["updated_at"] < stamp or (last["updated_at"] == stamp
                                                  and last["device_id"] < version["device_id"]):
                    history.append(version)          # the usual case: a later edit
                else:
                    _place(history, version, self._key)
        self._seqs.extend(map(_SEQ, entries))
        self._by_seq.extend(versions)
        if entries and entries[-1][0] > self.last_seq:
            self.last_seq = entries[-1][0]

    # -- writing ---------------------------------------------------------------

    def submit(self, versions, partition="local"):
        """Store versions (already validated); return a Result per version, in order.

        A version whose identity and content are already stored is a duplicate. The
        whole call is one unit: it is written with one rewrite of its partition, grouped
        with whatever other threads submit meanwhile, or, when a version changes a
        record's fixed fields, not at all (Refused).
        """
        request = self._submitted(versions, partition)
        if request.results is None:          # every one accepted, as a block
            ids, seqs = request.block
            return list(map(Result, ids, itertools.repeat("accepted"), seqs))
        return request.results

    def add(self, versions, partition="local"):
        """Store versions as `submit` does; return only (new, duplicate): how many were
        stored and how many were already (an import has no use for a Result each)."""
        request = self._submitted(versions, partition)
        if request.results is None:
            return len(request.versions), 0
        new = operator.countOf(map(_STATUS, request.results), "accepted")
        return new, len(request.results) - new

    def _submitted(self, versions, partition):
        """The request of `versions`, once committed (raise its error if it failed)."""
        if not _PARTITION.match(partition):
            raise StorageError(f"invalid partition name: {partition!r}")
        request = _Request(list(versions), partition)
        with self._pending_lock:
            self._pending.append(request)
        with self._commit_lock:
            if not request.done:
                with self._pending_lock:
                    group, self._pending = self._pending, []
                self._commit(group)
        if request.error is not None:
            raise request.error
        return request

    def _commit(self, group):
        """Write every request of the group: one rewrite and fsync per touched partition."""
        try:
            with self.lock:
                self._refresh()
                staged, touched, placed = self._stage(group)
                for partition in touched:
                    mine = staged if len(touched) == 1 else [e for e in staged if e[1] == partition]
                    new = dict(zip(map(_SEQ, mine), map(_VERSION, mine)))
                    stem, table = self._segment_for(partition, len(new))
                    table = {**table, **new} if table else new
                    atomic_write_bytes(self._path(stem), _segment_bytes(table))
                    with self._read_lock:
                        stems = self._stems.setdefault(partition, [])
                        if not stems or stems[-1][1] != stem:
                            stems.append((min(new), stem))
                        self._open[partition] = (stem, table)
                        self._signatures[stem] = file_signature(self._path(stem))
                with self._read_lock:
                    self._index_all(staged, placed)
        except BaseException as error:  # every waiter learns of the failure
            with self.lock:
                self._refresh(force=True)
            for request in group:
                request.error, request.done = StorageError(f"storage write failed: {error}"), True
            return
        for request in group:
            request.done = True

    def _stage(self, group):
        """Decide, without changing anything, what becomes of every version of the group:
        ([(seq, partition, version)] to write, partitions touched, {id: its staged
        versions} of the records whose versions must be placed among others). A request
        that changes a record's fixed fields gets a Refused error and stages nothing.

        Most versions are of records new to the store and to the group: they are accepted
        as a block; only the others get a look, in order.
        """
        seq = self.last_seq
        staged, touched, placed = [], [], set()     # placed: ids a look accepted
        staged_of = {}           # id -> its versions staged so far, where a look may need them
        last = len(group) - 1
        for position, request in enumerate(group):
            versions, partition = request.versions, request.partition
            ids = list(map(_ID, versions))
            look = _needing_a_look(self._history, ids, staged_of)
            fates, mine = self._looked_at(look, ids, versions, staged_of) if look else ({}, {})
            if any(fate.status == "refused" for fate in fates.values()):
                request.error = Refused([
                    fates[n] if n in fates and fates[n].status == "refused"
                    else Result(record_id, "not_stored") for n, record_id in enumerate(ids)])
                continue
            if staged_of:
                for record_id, accepted in mine.items():
                    earlier = staged_of.get(record_id)
                    if earlier is None:
                        staged_of[record_id] = accepted
                    else:
                        earlier.extend(accepted)
            else:
                staged_of.update(mine)
            if position < last:          # a later request of the group may repeat an id
                staged_of.update((record_id, [version]) for record_id, version
                                 in zip(ids, versions) if record_id not in look)
            placed.update(mine)
            start = len(staged)
            if not fates:
                seqs = range(seq + 1, seq + 1 + len(versions))
                staged.extend(zip(seqs, itertools.repeat(partition), versions))
                request.block = (ids, seqs)   # its Results are made only if asked for
                seq += len(versions)
            else:
                results = []
                for n, (record_id, version) in enumerate(zip(ids, versions)):
                    fate = fates.get(n)
                    if fate is None:
                        seq += 1
                        staged.append((seq, partition, version))
                        fate = Result(record_id, "accepted", seq)
                    results.append(fate)
                request.results = results
            if len(staged) > start and partition not in touched:
                touched.append(partition)
        return staged, touched, {record_id: staged_of[record_id] for record_id in placed}

    def _looked_at(self, look, ids, versions, staged_of):
        """The versions of one request whose ids are in `look`, in order: ({index: Result}
        of those refused or duplicate, {id: [versions accepted]})."""
        histories, fixed = self._history, self.fixed
        fixed_of = operator.itemgetter(*fixed) if fixed else None
        fates, mine = {}, {}
        for n in itertools.compress(itertools.count(), map(look.__contains__, ids)):
            record_id, version = ids[n], versions[n]
            stored, new = histories.get(record_id), staged_of.get(record_id)
            ours = mine.get(record_id)
            if ours is not None:
                new = new + ours if new else ours
            if stored or new:
                known = stored[-1] if stored else new[0]
                if fixed_of is not None and fixed_of(known) != fixed_of(version):
                    fates[n] = Result(record_id, "refused", changed=tuple(
                        name for name in fixed if known[name] != version[name]))
                    continue
                # later than every version stored and staged: not stored already
                stamp = version["updated_at"]
                if ((stored and stored[-1]["updated_at"] >= stamp)
                        or (new and max(map(_STAMP, new)) >= stamp)) \
                        and _stored_already(version, stored, new):
                    fates[n] = Result(record_id, "duplicate")
                    continue
            if ours is None:
                mine[record_id] = [version]
            else:
                ours.append(version)
        return fates, mine
