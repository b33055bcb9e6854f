import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from dlnuf.journal.signing import (
    journal_key,
    sign_tree_head,
    tree_head_message,
    verify_tree_head_signature,
)

ROOT = hashlib.sha256(b"racine").digest()


def test_the_signed_message_has_the_documented_layout() -> None:
    message = tree_head_message(tree_size=1_000_001, timestamp_ms=1_767_225_600_123, root_hash=ROOT)
    assert len(message) == 58
    assert message[:9] == b"DLNUF-STH"
    assert message[9] == 1
    assert int.from_bytes(message[10:18], "big") == 1_000_001
    assert int.from_bytes(message[18:26], "big") == 1_767_225_600_123
    assert message[26:] == ROOT


def test_the_key_comes_from_the_settings() -> None:
    # Test settings: DLNUF_JOURNAL_SIGNING_KEY = "11" * 32.
    expected = Ed25519PrivateKey.from_private_bytes(bytes.fromhex("11" * 32)).public_key()
    raw = expected.public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = journal_key()
    assert key.public_key == raw
    assert key.key_id == hashlib.sha256(raw).hexdigest()


def test_a_signature_verifies_only_for_what_was_signed() -> None:
    signature = sign_tree_head(tree_size=42, timestamp_ms=1000, root_hash=ROOT)
    public_key = journal_key().public_key
    fields = {"tree_size": 42, "timestamp_ms": 1000, "root_hash": ROOT}
    assert verify_tree_head_signature(public_key=public_key, signature=signature, **fields)
    for change in ({"tree_size": 43}, {"timestamp_ms": 1001}, {"root_hash": bytes(32)}):
        assert not verify_tree_head_signature(
            public_key=public_key, signature=signature, **{**fields, **change}
        )
    forged = Ed25519PrivateKey.generate().sign(tree_head_message(**fields))
    assert not verify_tree_head_signature(public_key=public_key, signature=forged, **fields)
    assert not verify_tree_head_signature(public_key=public_key, signature=b"court", **fields)
