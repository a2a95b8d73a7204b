"""What the record store answers: its errors, a Result per submitted version, a Conflict."""
from dataclasses import dataclass, field

__all__ = ["StorageError", "Refused", "Result", "Conflict"]


class StorageError(Exception):
    """Raised when the store cannot do what was asked (bad partition, disk failure)."""


class Refused(StorageError):
    """A submission changed a record's fixed fields; nothing of it was stored.

    `results` has a Result per submitted version: "refused" with the `changed` fields for
    the versions at fault, "not_stored" for the others.
    """

    def __init__(self, results):
        self.results = results
        bad = [r for r in results if r.status == "refused"]
        super().__init__(f"{len(bad)} version(s) change a record's fixed fields")


@dataclass(slots=True)
class Result:
    """What became of one submitted version."""
    id: str
    status: str            # accepted | duplicate (| refused | not_stored, in Refused)
    seq: int | None = None
    changed: tuple = ()    # the fixed fields a refused version changes


@dataclass
class Conflict:
    """A record with competing edits: current versions from more than one partition differ."""
    id: str
    partitions: list = field(default_factory=list)
