"""TinyDB storage that survives a crash at any moment, and a lock between processes.

TinyDB's own JSONStorage rewrites its file in place, so a crash can leave half a file.
AtomicJSONStorage writes a temporary file in the same directory, fsyncs it, renames it
over the old one and fsyncs the directory. It also keeps the last state in memory, so
reads never re-parse the file unless another process has replaced it.
"""
import fcntl
import json
import os
import re
import threading
import time

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

__all__ = ["AtomicJSONStorage", "FileLock", "open_tinydb", "atomic_write_bytes",
           "atomic_write_many", "create_once",
           "file_signature", "remove_stray_temp_files"]

_TEMP = re.compile(r"^.+\.tmp-(\d+)-\d+\Z")
STRAY_SECONDS = 3600      # no write keeps its temporary file this long


def file_signature(path):
    """Return what identifies one written state of a file (inode, size, mtime), or None."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def atomic_write_bytes(path, payload):
    """Replace `path` with `payload` so that a crash leaves the old or the new file, whole."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_write_many(contents, threads=8):
    """Replace each file of `contents` ({path: payload}, in one directory) as
    atomic_write_bytes does, each whole or not at all (not all together): every
    temporary file is written, then they are fsynced by `threads` at once (the journal
    commits them together), renamed, and the directory fsynced once."""
    from concurrent.futures import ThreadPoolExecutor
    if not contents:
        return
    temps = {}
    try:
        for path, payload in contents.items():
            tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
            temps[path] = tmp
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
                handle.write(payload)

        def flush(tmp):
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        with ThreadPoolExecutor(max_workers=min(threads, len(temps))) as pool:
            list(pool.map(flush, temps.values()))
        for path in list(temps):
            os.replace(temps.pop(path), path)
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
    directories = {os.path.dirname(os.path.abspath(path)) for path in contents}
    for directory in directories:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def create_once(path, payload):
    """Write `path` unless it exists (a key made once for life); whole or not at all.

    The payload is written and fsynced under a temporary name, then linked to `path`,
    which fails if another process made it meanwhile: theirs is kept. Return whether
    this call made it.
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def remove_stray_temp_files(directory):
    """Delete the temporary files atomic_write_bytes left in `directory` when a process
    died in the middle of a write: those of a process that is gone, or older than
    STRAY_SECONDS. Another process's write in progress keeps its file. Return the names."""
    removed = []
    for name in sorted(os.listdir(directory)):
        match = _TEMP.match(name)
        path = os.path.join(directory, name)
        if match is None or not os.path.isfile(path):
            continue
        try:
            stray = not _process_alive(int(match.group(1))) or \
                time.time() - os.stat(path).st_mtime > STRAY_SECONDS
            if stray:
                os.unlink(path)
                removed.append(name)
        except FileNotFoundError:      # its write finished meanwhile
            continue
    return removed


def _process_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)             # signal 0: only asks whether the process exists
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:         # another user's process
        return True
    return True


class AtomicJSONStorage(Storage):
    """A TinyDB Storage: atomic, fsynced writes; reads served from memory."""

    def __init__(self, path, create_dirs=True):
        if create_dirs:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._data = None
        self._signature = None

    def read(self):
        """Return the stored tables (a fresh top-level dict), or None for a new file."""
        signature = file_signature(self.path)
        if signature is None:
            return None
        if signature != self._signature:
            with open(self.path, "rb") as handle:
                self._data = json.loads(handle.read() or b"{}")
            self._signature = signature
        # TinyDB replaces whole tables in what read() returns; copy so a failed write
        # cannot leave the cache changed.
        return {name: dict(table) for name, table in self._data.items()}

    def write(self, data):
        """Write all tables atomically and remember them as the cached state."""
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        atomic_write_bytes(self.path, payload)
        self._data = data
        self._signature = file_signature(self.path)

    def close(self):
        """Nothing to release: files are only open while read or written."""


class SharedFileTable(Table):
    """A TinyDB table whose file other processes write too (a CLI beside the server).

    TinyDB remembers the next document id and caches query results per process; either
    goes stale when another process inserts, so neither is kept here.
    """

    def insert(self, document):
        self._next_id = None          # recounted from the file, once per write
        return super().insert(document)

    def insert_multiple(self, documents):
        self._next_id = None
        return super().insert_multiple(documents)

    def upsert(self, document, cond=None):
        self._next_id = None
        return super().upsert(document, cond)

    def search(self, cond):
        self.clear_cache()
        return super().search(cond)


class SharedFileTinyDB(TinyDB):
    """TinyDB with tables that tolerate writes from other processes."""
    table_class = SharedFileTable


def open_tinydb(path):
    """Open a TinyDB database on `path` with atomic storage."""
    return SharedFileTinyDB(path, storage=AtomicJSONStorage)


class FileLock:
    """An exclusive lock on a data directory, shared by threads and processes.

    Threads of one process queue on a threading lock; processes on flock(2). It is
    re-entrant within a thread so a commit may take it while a command already holds it.
    """

    def __init__(self, path):
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd = None

    def __enter__(self):
        self._thread_lock.acquire()
        if self._depth == 0:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        if self._depth == 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._thread_lock.release()
        return False
