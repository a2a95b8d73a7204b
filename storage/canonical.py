"""Canonical JSON (SPEC §3): keys sorted, no spaces, UTF-8, strings NFC."""
import hashlib
import json
import unicodedata

__all__ = ["nfc", "canonical_json", "sha256_hex"]


def nfc(value):
    """Return `value` with every string in it (keys too) normalised to NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfc(v) for v in value]
    return value


def canonical_json(value):
    """Return the canonical UTF-8 bytes of a JSON value."""
    return json.dumps(nfc(value), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), allow_nan=False).encode("utf-8")


def sha256_hex(value):
    """Return the hex SHA-256 of a value's canonical JSON."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
