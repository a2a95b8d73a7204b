"""What a data directory holds, byte for byte: the search behind the erasure tests."""
import json
import os

__all__ = ["texts_on_disk"]


def texts_on_disk(path, texts):
    """The texts found in the bytes of the file `path`, or of any file under the directory
    `path`, as written or JSON-escaped."""
    if os.path.isfile(path):
        files = [path]
    else:
        files = [os.path.join(root, name) for root, _, names in os.walk(path) for name in names]
    found = set()
    for name in files:
        with open(name, "rb") as handle:
            content = handle.read()
        found |= {t for t in texts if t.encode() in content or json.dumps(t).encode() in content}
    return found
