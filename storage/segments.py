"""The on-disk format of the record store: partition and segment file names, segment bytes."""
import json
import re

import msgspec

_PARTITION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}\Z")
_SEGMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]{0,79})\.(\d{4,})\Z")

_ENCODER = msgspec.json.Encoder()


def _segment_bytes(table):
    """A segment file's content: compact UTF-8 JSON of {"versions": table} ({seq: version},
    seqs written as the object's keys).

    Stored versions are validated, so hold only str, int, bool, None, lists and dicts
    (no floats, so no NaN that msgspec would write as null); what msgspec refuses goes to
    json, which writes or fails as before.
    """
    try:
        return _ENCODER.encode({"versions": table})
    except (TypeError, ValueError):
        return json.dumps({"versions": table}, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")


def _segment(stem):
    """(partition, number) of a segment file stem such as 'local.0002'."""
    partition, number = stem.rsplit(".", 1)
    return partition, int(number)
