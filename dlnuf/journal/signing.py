"""Signed tree heads: Ed25519 over a fixed 58-byte message.

The signed message, version 1, is the concatenation of:

    bytes 0–8    the ASCII text ``DLNUF-STH`` (keeps these signatures apart from any other use of
                 the key)
    byte  9      the version, ``0x01``
    bytes 10–17  the tree size, unsigned 64-bit big-endian
    bytes 18–25  the timestamp, milliseconds since 1970-01-01T00:00:00Z, unsigned 64-bit big-endian
    bytes 26–57  the root hash (32 bytes, RFC 9162 MTH of the first ``tree size`` entries)

The signature is the 64-byte Ed25519 signature (RFC 8032) of that message. The key id is the
SHA-256 of the 32-byte raw public key, in hexadecimal.
"""

import functools
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MESSAGE_PREFIX = b"DLNUF-STH"
MESSAGE_VERSION = 1


@dataclass(frozen=True)
class JournalKey:
    private_key: Ed25519PrivateKey
    public_key: bytes
    key_id: str


def tree_head_message(*, tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    if len(root_hash) != 32:
        raise ValueError("root_hash must be 32 bytes")
    return (
        MESSAGE_PREFIX
        + bytes((MESSAGE_VERSION,))
        + tree_size.to_bytes(8, "big")
        + timestamp_ms.to_bytes(8, "big")
        + root_hash
    )


def key_id_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()


@functools.lru_cache(maxsize=4)
def _load_key(private_hex: str) -> JournalKey:
    try:
        raw = bytes.fromhex(private_hex)
        private_key = Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as error:
        raise ImproperlyConfigured(
            "DLNUF_JOURNAL_SIGNING_KEY doit être la forme hexadécimale de 32 octets."
        ) from error
    public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return JournalKey(private_key=private_key, public_key=public_key, key_id=key_id_of(public_key))


def journal_key() -> JournalKey:
    """The configured signing key (read from settings each time, parsed once per value)."""
    return _load_key(settings.DLNUF_JOURNAL_SIGNING_KEY)


def sign_tree_head(*, tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    message = tree_head_message(tree_size=tree_size, timestamp_ms=timestamp_ms, root_hash=root_hash)
    return journal_key().private_key.sign(message)


def verify_tree_head_signature(
    *, public_key: bytes, tree_size: int, timestamp_ms: int, root_hash: bytes, signature: bytes
) -> bool:
    """Pure check of a signed tree head, for auditors: no database, no settings."""
    try:
        message = tree_head_message(
            tree_size=tree_size, timestamp_ms=timestamp_ms, root_hash=root_hash
        )
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
