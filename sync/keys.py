"""The site's Ed25519 key: made at init, kept in DATA/site_key.pem (mode 0600)."""
import base64
import binascii
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from storage.durable import create_once

__all__ = ["KEY_FILE", "create_site_key", "load_site_key", "public_key_b64", "sign",
           "verify", "fingerprint"]

KEY_FILE = "site_key.pem"


def _path(data_dir):
    return os.path.join(data_dir, KEY_FILE)


def create_site_key(data_dir):
    """Make the site key unless it exists; return the public key (base64)."""
    if not os.path.exists(_path(data_dir)):       # (made meanwhile elsewhere: theirs is kept)
        create_once(_path(data_dir), Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    return public_key_b64(load_site_key(data_dir))


def load_site_key(data_dir):
    """The site's private key."""
    with open(_path(data_dir), "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


def public_key_b64(private_key):
    """The raw 32-byte public key, base64."""
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(private_key, payload):
    """The base64 Ed25519 signature of `payload` (bytes)."""
    return base64.b64encode(private_key.sign(payload)).decode("ascii")


def _b64(text, size):
    """Strictly decoded base64 of exactly `size` bytes, or None."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if len(raw) == size else None


def valid_public_key(text):
    """True when `text` is a base64 raw Ed25519 public key."""
    return _b64(text, 32) is not None


def verify(public_key, payload, signature):
    """True when `signature` (base64) is `public_key`'s (base64) signature of `payload`."""
    raw_key, raw_sig = _b64(public_key, 32), _b64(signature, 64)
    if raw_key is None or raw_sig is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_sig, payload)
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(public_key):
    """A short, readable fingerprint of a public key, for staff to compare."""
    import hashlib
    digest = hashlib.sha256(public_key.encode("ascii")).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))
