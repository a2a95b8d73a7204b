"""A backup encrypted with a passphrase, as a stream (issue #16: backups hold private keys).

The file is a header and then the archive in chunks, each sealed with AES-256-GCM:

    MAGIC (8 bytes) | header length (2 bytes, big-endian) | header (JSON, UTF-8)
    | chunk 0 | chunk 1 | ... | last chunk

The header names the format version, the KDF (scrypt) with its salt and parameters, the
cipher, the chunk size, a random nonce prefix, and a check value of the derived key, so
a wrong passphrase is told apart from a damaged file. Scrypt makes 64 bytes from the
passphrase: the first 32 are the AES key, the SHA-256 of the other 32 is the check value.
Chunk i is sealed under the nonce `prefix (7) | i (4, big-endian) | final flag (1)` with
the whole header as associated data, so a chunk moved, dropped, cut short or changed,
a file ended early (no chunk flagged final) or an altered header is refused. Every chunk
but the last is CHUNK bytes of plaintext; there is always a last one (maybe empty).

Every limit (header size, chunk size, scrypt parameters) is checked before any work, so
a crafted header cannot make a restore take a gigabyte of memory or an hour of scrypt.
"""
import base64
import hashlib
import hmac
import json
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = ["MAGIC", "BoxError", "WrongPassphrase", "EncryptingWriter", "DecryptingReader",
           "is_encrypted", "check_passphrase", "MIN_PASSPHRASE"]

MAGIC = b"FABKENC\x01"
FORMAT = "fieldapp-backup-encrypted"
VERSION = 1
CHUNK = 1024 * 1024
TAG = 16
# scrypt: 128 * r * n bytes of memory (128 MiB with these), under a second here
KDF_N, KDF_R, KDF_P = 2 ** 17, 8, 1
# what a header may ask of a restore, checked before scrypt runs
MAX_HEADER = 1024
MAX_N, MAX_R, MAX_P = 2 ** 18, 16, 4
MAX_SCRYPT_MEMORY = 256 * 1024 ** 2
MAX_CHUNK = 16 * 1024 ** 2
MIN_PASSPHRASE = 8


class BoxError(Exception):
    """A file that is no encrypted backup, or is damaged; the message is Vietnamese."""


class WrongPassphrase(BoxError):
    """The passphrase does not open this backup."""


def check_passphrase(passphrase):
    """Refuse a passphrase too short to protect private keys (Vietnamese message)."""
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise BoxError(f"Cụm mật khẩu cần ít nhất {MIN_PASSPHRASE} ký tự.")


def _derive(passphrase, salt, n, r, p):
    """(AES key, check value) from the passphrase."""
    derived = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return derived[:32], hashlib.sha256(derived[32:]).hexdigest()


def _nonce(prefix, index, final):
    return prefix + struct.pack(">I", index) + (b"\x01" if final else b"\x00")


def is_encrypted(head):
    """True when `head` (the first bytes of a file) starts an encrypted backup."""
    return head[:len(MAGIC)] == MAGIC


class EncryptingWriter:
    """A write-only file object: what is written goes to `raw` encrypted, chunk by chunk.
    `close()` writes the last chunk (it does not close `raw`)."""

    def __init__(self, raw, passphrase):
        check_passphrase(passphrase)
        salt, self._prefix = os.urandom(16), os.urandom(7)
        self._key, check = _derive(passphrase, salt, KDF_N, KDF_R, KDF_P)
        header = {"format": FORMAT, "version": VERSION, "kdf": "scrypt",
                  "salt": base64.b64encode(salt).decode(), "n": KDF_N, "r": KDF_R, "p": KDF_P,
                  "cipher": "AES-256-GCM", "chunk": CHUNK,
                  "nonce_prefix": base64.b64encode(self._prefix).decode(), "check": check}
        self._header = json.dumps(header, sort_keys=True).encode("utf-8")
        self._raw, self._buffer, self._index, self._closed = raw, bytearray(), 0, False
        self._aead = AESGCM(self._key)
        raw.write(MAGIC + struct.pack(">H", len(self._header)) + self._header)

    def _seal(self, data, final):
        self._raw.write(self._aead.encrypt(_nonce(self._prefix, self._index, final),
                                           bytes(data), self._header))
        self._index += 1

    def write(self, data):
        self._buffer += data
        while len(self._buffer) > CHUNK:        # keep at least one byte for the last chunk
            self._seal(self._buffer[:CHUNK], final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def flush(self):
        pass

    def close(self):
        if not self._closed:
            self._seal(self._buffer, final=True)
            self._buffer, self._closed = bytearray(), True


def _read_header(raw):
    """The header's bytes and dict, every limit checked; BoxError otherwise."""
    head = raw.read(len(MAGIC) + 2)
    if len(head) < len(MAGIC) + 2 or not is_encrypted(head):
        raise BoxError("Đây không phải tệp sao lưu đã mã hóa của fieldapp.")
    (length,) = struct.unpack(">H", head[len(MAGIC):])
    if length > MAX_HEADER:
        raise BoxError("Phần đầu tệp sao lưu hỏng (quá dài).")
    header_bytes = raw.read(length)
    try:
        header = json.loads(header_bytes)
        salt = base64.b64decode(header["salt"], validate=True)
        prefix = base64.b64decode(header["nonce_prefix"], validate=True)
        n, r, p, chunk, version = (header[k] for k in ("n", "r", "p", "chunk", "version"))
        ok = (header["format"] == FORMAT and header["kdf"] == "scrypt"
              and header["cipher"] == "AES-256-GCM" and isinstance(header["check"], str)
              and len(header["check"]) == 64 and set(header["check"]) <= set("0123456789abcdef")
              and len(prefix) == 7 and 8 <= len(salt) <= 64
              and all(type(v) is int for v in (n, r, p, chunk)))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BoxError("Phần đầu tệp sao lưu hỏng: không đọc được.") from None
    if not ok:
        raise BoxError("Phần đầu tệp sao lưu hỏng: không đọc được.")
    if version != VERSION:
        raise BoxError(f"Tệp sao lưu có phiên bản {str(version)[:20]}, bản fieldapp này "
                       f"chỉ đọc phiên bản {VERSION}.")
    if not (2 <= n <= MAX_N and n & (n - 1) == 0 and 1 <= r <= MAX_R and 1 <= p <= MAX_P
            and 128 * r * n <= MAX_SCRYPT_MEMORY and 1 <= chunk <= MAX_CHUNK):
        raise BoxError("Phần đầu tệp sao lưu đòi tham số bất thường: không khôi phục gì.")
    return header_bytes, header, salt, prefix


class DecryptingReader:
    """A read-only file object of the plaintext of an encrypted backup.

    The passphrase is checked when it is made (WrongPassphrase); each chunk is
    authenticated before any byte of it is returned, and reading past the end of a file
    with no final chunk, or a chunk that does not open, raises BoxError."""

    def __init__(self, raw, passphrase):
        self._header, header, salt, self._prefix = _read_header(raw)
        key, check = _derive(passphrase, salt, header["n"], header["r"], header["p"])
        if not hmac.compare_digest(check, header["check"]):
            raise WrongPassphrase("Sai cụm mật khẩu (hoặc phần đầu tệp sao lưu đã bị sửa): "
                                  "không khôi phục gì.")
        self._aead, self._raw, self._size = AESGCM(key), raw, header["chunk"] + TAG
        self._index, self._plain, self._at, self._done = 0, b"", 0, False
        self._next = raw.read(self._size)

    def _open_next(self):
        current, self._next = self._next, self._raw.read(self._size)
        final = not self._next
        if not final and len(current) < self._size:
            raise BoxError("Tệp sao lưu hỏng hoặc đã bị sửa.")
        try:
            self._plain, self._at = self._aead.decrypt(_nonce(self._prefix, self._index, final),
                                             current, self._header), 0
        except InvalidTag:
            if final:
                raise BoxError("Tệp sao lưu bị cắt ngắn, hỏng hoặc đã bị sửa: "
                               "không khôi phục gì.") from None
            raise BoxError("Tệp sao lưu hỏng hoặc đã bị sửa: không khôi phục gì.") from None
        self._index += 1
        self._done = final

    def read(self, size=-1):
        out = bytearray()
        while size < 0 or len(out) < size:
            left = len(self._plain) - self._at
            if not left:
                if self._done:
                    break
                self._open_next()
                continue
            take = left if size < 0 else min(size - len(out), left)
            out += self._plain[self._at:self._at + take]
            self._at += take
        return bytes(out)

    def readable(self):
        return True
