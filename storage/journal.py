"""An append-only journal: one JSON object per line, written whole or not at all.

Each entry is appended with O_APPEND and fsync'd under an flock, so entries from two
processes never interleave and a crash loses at most the entry being written; a torn last
line (power cut) is skipped when read.
"""
import fcntl
import json
import os

__all__ = ["append_entry", "read_entries"]


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
