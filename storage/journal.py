"""An append-only journal: one JSON object per line, written whole or not at all.

Each entry is appended with O_APPEND and fsync'd under an flock, so entries from two
processes never interleave and a crash loses at most the entry being written; a torn last
line (power cut) is skipped when read.
"""
import fcntl
import json
import os

__all__ = ["append_entry", "read_entries", "entries_newest_first"]


def append_entry(path, entry):
    """Append one JSON-serialisable dict as a line; return it."""
    line = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":    # after a torn line: start afresh
            line = "\n" + line
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read_entries(path):
    """Every whole entry of the journal, oldest first (none if it does not exist)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:      # a line torn by a crash: it was never a whole entry
            continue
    return entries


def entries_newest_first(path, block=64 * 1024):
    """Yield the journal's whole entries newest first, reading the file backwards a block
    at a time: a reader that stops early holds one block, not the whole journal."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return
    with handle:
        end = handle.seek(0, os.SEEK_END)
        tail = b""
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            chunk = handle.read(end - start) + tail
            end = start
            lines = chunk.split(b"\n")
            tail = lines.pop(0) if end > 0 else b""     # may be cut: joined to the next block
            for line in reversed(lines):
                entry = _entry(line)
                if entry is not None:
                    yield entry


def _entry(line):
    """The entry of one line, or None for a blank or torn one."""
    if not line.strip():
        return None
    try:
        return json.loads(line.decode("utf-8"))
    except ValueError:      # a line torn by a crash (UnicodeDecodeError is a ValueError)
        return None
