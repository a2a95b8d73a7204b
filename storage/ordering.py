"""The SPEC order of a record's versions: (updated_at, device_id, sha256), and placing one."""
import bisect

from storage.canonical import sha256_hex

__all__ = ["version_key"]


class _Digest:
    """Compares versions by the SHA-256 of their canonical JSON (or by what `tiebreak`
    makes of a version), computed only on a tie."""

    __slots__ = ("version", "_hex", "_of")

    def __init__(self, version, tiebreak=sha256_hex):
        self.version = version
        self._hex = None
        self._of = tiebreak

    @property
    def hex(self):
        if self._hex is None:
            self._hex = self._of(self.version)
        return self._hex

    def __eq__(self, other):
        return self.hex == other.hex

    def __lt__(self, other):
        return self.hex < other.hex


def version_key(version):
    """The SPEC ordering key of a version: (updated_at, device_id, sha256)."""
    return (version["updated_at"], version["device_id"], _Digest(version))


def _place(history, version, key=version_key):
    """Insert a version into a record's history, kept sorted by `key` (version_key)."""
    keys = [key(v) for v in history]
    history.insert(bisect.bisect(keys, key(version)), version)
