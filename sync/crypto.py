"""Batch files sealed for the commune, so a lost USB stick gives away no personal data.

The commune has an X25519 key pair (DATA/commune_box.pem, mode 0600, made by `fieldapp init
--site commune`, or by the first `fieldapp commune-key` on a site that predates that; never
replaced, and carried by `fieldapp backup`). Its public key is shown by `fieldapp
commune-key` and given to each village laptop (`fieldapp commune-key KEY` there, kept in
settings as `commune_public_key`), which then seals USB files and pushes for it.

A sealed file is, in the manner of HPKE base mode:

    MAGIC (8 bytes) | recipient public key (32) | ephemeral public key (32) | nonce (12)
    | ChaCha20-Poly1305 ciphertext of the gzip batch (with its 16-byte tag)

The key is HKDF-SHA256 of the X25519 shared secret with the two public keys as salt;
everything before the ciphertext is authenticated as associated data. A new ephemeral key
is made for every file. Any change to any byte makes opening fail, and nothing is stored.
The batch inside stays signed by the village's Ed25519 key, so sealing adds secrecy to the
existing proof of origin.

A province has the same kind of key (the same file, made by `init --site province` or the
first `fieldapp province-key`), which its communes store with `fieldapp province-key KEY`
(`province_public_key`): their roll-ups are sealed for it exactly as batches are for the
commune (`at="province"` words the messages for that tier).
"""
import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.durable import create_once
from sync.errors import BatchRejected
from sync.keys import fingerprint

__all__ = ["BOX_KEY_FILE", "MAGIC", "KEY_SETTINGS", "create_box_key", "box_public_key",
           "parse_public_key", "sealing_key", "seal", "is_sealed", "open_sealed", "fingerprint"]

BOX_KEY_FILE = "commune_box.pem"
MAGIC = b"FABOX1\n\0"
INFO = b"fieldapp sealed batch v1"
HEADER = len(MAGIC) + 32 + 32 + 12


def _path(data_dir):
    return os.path.join(data_dir, BOX_KEY_FILE)


def _raw_public(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)


def create_box_key(data_dir):
    """Make the commune's X25519 key unless it exists; return its public key (base64)."""
    if not os.path.exists(_path(data_dir)):       # (made meanwhile elsewhere: theirs is kept)
        create_once(_path(data_dir), X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    return box_public_key(data_dir)


def _load(data_dir):
    with open(_path(data_dir), "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


def box_public_key(data_dir):
    """The commune's public key (base64 of the raw 32 bytes)."""
    return base64.b64encode(_raw_public(_load(data_dir))).decode("ascii")


# (whose key, the command that prints it, who sent the file) at each receiving tier
_WORDS = {"commune": ("của xã", "fieldapp commune-key", "máy của thôn"),
          "province": ("của tỉnh", "fieldapp province-key", "máy của xã")}


def parse_public_key(text, at="commune"):
    """The raw 32 bytes of a base64 X25519 public key that a file can be sealed for (the
    key of the commune, or with `at="province"` of the province); raise ValueError with a
    Vietnamese message (also for a point of small order, such as 32 zero bytes, with which
    no shared secret can be made)."""
    try:
        raw = base64.b64decode(str(text).strip().encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) == 32:
        try:
            X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
        except ValueError:
            raw = b""
    if len(raw) != 32:
        whose, command, _ = _WORDS[at]
        raise ValueError(f"Khóa công khai {whose} không hợp lệ: cần 44 ký tự base64 "
                         f"như `{command}` in ra ở máy {whose}.")
    return raw


KEY_SETTINGS = {"commune": "commune_public_key", "province": "province_public_key"}


def sealing_key(settings, given=None, at="commune"):
    """The public key to seal for: `given`, else the one this site stored for the tier
    above (`at`: a village's `fieldapp commune-key KEY`, a commune's `fieldapp
    province-key KEY`), stripped; None when there is none. Raise ValueError (Vietnamese)
    when it is no usable key: a file is never sent plain for a typo."""
    key = given or settings.get(KEY_SETTINGS[at])
    if key is None or key == "":
        return None
    parse_public_key(key, at)
    return key.strip()


def _key(shared, ephemeral, recipient):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=INFO).derive(shared)


def seal(payload, public_key):
    """Encrypt bytes for the commune's public key (base64); return the sealed file bytes."""
    recipient = parse_public_key(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw_public(ephemeral)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(12)
    header = MAGIC + recipient + ephemeral_raw + nonce
    return header + ChaCha20Poly1305(_key(shared, ephemeral_raw, recipient)).encrypt(
        nonce, bytes(payload), header)


def is_sealed(data):
    """True when `data` (bytes) is a sealed batch file."""
    return isinstance(data, (bytes, bytearray, memoryview)) and bytes(data[:len(MAGIC)]) == MAGIC


def open_sealed(data_dir, data, at="commune"):
    """The plaintext of a sealed file, with the key of this site (`at`: the commune, or
    the province for a commune's roll-up); raise BatchRejected."""
    whose, command, sender = _WORDS[at]
    data = bytes(data)
    if len(data) < HEADER + 16:
        raise BatchRejected("encrypted", "Tệp mã hóa bị cắt cụt (chép chưa hết?).")
    if not os.path.exists(_path(data_dir)):
        raise BatchRejected("encrypted", "Tệp này đã được mã hóa nhưng máy này chưa có khóa "
                                         f"giải mã {whose} (`{command}`).")
    private = _load(data_dir)
    ours = _raw_public(private)
    start = len(MAGIC)
    recipient, ephemeral = data[start:start + 32], data[start + 32:start + 64]
    nonce, header = data[start + 64:HEADER], data[:HEADER]
    if recipient != ours:
        theirs = base64.b64encode(recipient).decode("ascii")
        raise BatchRejected(
            "encrypted", "Tệp được mã hóa cho một khóa khác (dấu vân tay "
                         f"{fingerprint(theirs)}), không phải khóa của máy này "
                         f"({fingerprint(base64.b64encode(ours).decode('ascii'))}). "
                         "Không giải mã được; không có gì được lưu.")
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        return ChaCha20Poly1305(_key(shared, ephemeral, recipient)).decrypt(
            nonce, data[HEADER:], header)
    except (InvalidTag, ValueError):
        raise BatchRejected("encrypted", "Tệp mã hóa đã bị sửa hoặc bị hỏng: không giải mã "
                                         "được. Không có gì được lưu; hãy chép lại tệp từ "
                                         f"{sender}.") from None
