"""The witness follows the journal served by a real HTTP server and raises an alarm on a fork or
a rollback, keeping its last cosigned state untouched."""

import base64
import hashlib
import json
import logging
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.journal.factories import append

WITNESS_KEY = "33" * 32
WITNESS_NAME = "temoin.example.org/w1"


@pytest.fixture
def witness(live_server, tmp_path, monkeypatch):
    monkeypatch.setenv("DLNUF_WITNESS_KEY", WITNESS_KEY)
    state = tmp_path / "witness.json"

    def run() -> str:
        out = StringIO()
        call_command(
            "journal_witness",
            live_server.url,
            "--once",
            "--state",
            str(state),
            "--name",
            WITNESS_NAME,
            stdout=out,
        )
        return out.getvalue()

    run.state = state  # type: ignore[attr-defined]
    return run


def cosignature_checks(note: str) -> int:
    """Check the witness's line from the C2SP tlog-cosignature text; returns its time."""
    text, signatures = note.rsplit("\n\n", 1)
    lines = signatures.removesuffix("\n").split("\n")
    assert len(lines) == 2  # the log's signature, then the witness's
    dash, name, encoded = lines[1].split(" ")
    assert (dash, name) == ("\u2014", WITNESS_NAME)
    raw = base64.b64decode(encoded, validate=True)
    private_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(WITNESS_KEY))
    public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert raw[:4] == hashlib.sha256(WITNESS_NAME.encode() + b"\n\x04" + public_key).digest()[:4]
    timestamp = int.from_bytes(raw[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{text}\n".encode()
    private_key.public_key().verify(raw[12:], message)
    return timestamp


def rewrite_state(path: Path, **changes: object) -> dict[str, object]:
    state = json.loads(path.read_text())
    state.update(changes)
    path.write_text(json.dumps(state))
    return state


@pytest.mark.django_db(transaction=True)
def test_the_witness_cosigns_a_growing_journal(witness):
    append(5, 0)
    first = witness()
    assert "Clé du témoin : temoin.example.org/w1+" in first
    assert cosignature_checks(first[first.index("\n") + 1 :]) > 0
    assert json.loads(witness.state.read_text())["size"] == 5

    append(300, 5)
    second = witness()
    cosignature_checks(second[second.index("\n") + 1 :])
    assert json.loads(witness.state.read_text())["size"] == 305


@pytest.mark.django_db(transaction=True)
def test_a_fork_raises_the_alarm_and_keeps_the_state(witness, caplog):
    append(5, 0)
    witness()
    # The witness had cosigned another tree of 5 entries than the one now served.
    other_root = base64.b64encode(hashlib.sha256(b"autre histoire").digest()).decode()
    seen = rewrite_state(witness.state, root_hash=other_root)
    append(3, 5)

    with (
        caplog.at_level(logging.CRITICAL, logger="dlnuf.journal.witness"),
        pytest.raises(CommandError, match="Fourche") as raised,
    ):
        witness()
    assert raised.value.returncode == 3
    assert any(record.levelno == logging.CRITICAL for record in caplog.records)
    assert json.loads(witness.state.read_text()) == seen


@pytest.mark.django_db(transaction=True)
def test_two_roots_for_one_size_raise_the_alarm(witness):
    append(5, 0)
    witness()
    rewrite_state(witness.state, root_hash=base64.b64encode(b"\x07" * 32).decode())
    with pytest.raises(CommandError, match="deux racines"):
        witness()


@pytest.mark.django_db(transaction=True)
def test_a_rollback_raises_the_alarm(witness):
    append(5, 0)
    witness()
    rewrite_state(witness.state, size=6)
    with pytest.raises(CommandError, match="Retour en arrière"):
        witness()


@pytest.mark.django_db(transaction=True)
def test_a_checkpoint_signed_by_another_key_raises_the_alarm(witness, settings):
    append(2, 0)
    witness()
    settings.DLNUF_JOURNAL_SIGNING_KEY = "44" * 32
    with pytest.raises(CommandError, match="pas signée par la clé"):
        witness()


def test_a_malformed_witness_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("DLNUF_WITNESS_KEY", "abc")
    with pytest.raises(CommandError, match="DLNUF_WITNESS_KEY"):
        call_command("journal_witness", "http://127.0.0.1:9", "--once")
