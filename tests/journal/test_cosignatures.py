"""Witnesses hand their cosigned checkpoints to the journal, which keeps only those of configured
witnesses, over checkpoints it really signed, and shows them on /journal/."""

import base64
import hashlib
import time
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from dlnuf.journal.cosignatures import WITNESS_LATE_AFTER_SECONDS, witness_parse
from dlnuf.journal.models import WitnessCosignature
from dlnuf.journal.notes import (
    Checkpoint,
    cosignature_line,
    note_sign,
    raw_public_key,
    verifier_key,
)
from dlnuf.journal.selectors import tree_head_current
from dlnuf.journal.signing import journal_key
from dlnuf.journal.tlog import checkpoint_current, journal_origin
from tests.journal.factories import append, private, witness_vkey

WITNESS_NAME = "cnil.example.org/temoin"
WITNESS_HEX = "55" * 32
STRANGER_HEX = "66" * 32


@pytest.fixture
def known_witness(settings):
    settings.DLNUF_JOURNAL_WITNESSES = [witness_vkey(WITNESS_NAME, WITNESS_HEX)]


def cosigned(note: str, *, name: str = WITNESS_NAME, hex_key: str = WITNESS_HEX) -> str:
    text = note[: note.rindex("\n\n") + 1]
    return note + cosignature_line(text, name, private(hex_key), int(time.time()))


def submit(client: Client, body: str | bytes) -> tuple[int, dict]:
    response = client.post("/journal/cosignatures", body, content_type="text/plain")
    if response["Content-Type"] == "application/problem+json":
        return response.status_code, response.json()
    return response.status_code, {}


@pytest.fixture
def witness_run(live_server, tmp_path, monkeypatch):
    def run(hex_key: str = WITNESS_HEX) -> str:
        monkeypatch.setenv("DLNUF_WITNESS_KEY", hex_key)
        out = StringIO()
        call_command(
            "journal_witness",
            live_server.url,
            "--once",
            "--submit",
            "--state",
            str(tmp_path / f"{hex_key[:4]}.json"),
            "--name",
            WITNESS_NAME,
            stdout=out,
        )
        return out.getvalue()

    return run


@pytest.mark.django_db(transaction=True)
def test_a_witness_run_submits_its_cosignature_and_the_page_shows_it(witness_run, known_witness):
    append(5, 0)
    assert "Cosignature remise au guichet (201)" in witness_run()
    (row,) = WitnessCosignature.objects.all()
    assert (row.witness_name, row.tree_size) == (WITNESS_NAME, 5)
    assert bytes(row.root_hash) == tree_head_current().root_hash
    assert abs(row.cosigned_at_s - time.time()) < 60

    append(300, 5)
    witness_run()
    page = Client().get("/journal/")
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert witness_vkey(WITNESS_NAME, WITNESS_HEX) in html
    assert "305 entrées" in html
    assert "à l'instant" in html
    assert "À jour" in html
    assert "En retard" not in html
    assert WitnessCosignature.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_witness_whose_key_is_not_configured_is_refused(witness_run, known_witness):
    append(5, 0)
    with pytest.raises(CommandError, match="cosignature_unverified") as raised:
        witness_run(STRANGER_HEX)
    assert raised.value.returncode == 4
    assert not WitnessCosignature.objects.exists()


@pytest.mark.django_db
def test_a_cosignature_by_an_unknown_key_stores_nothing(client, known_witness):
    append(3, 0)
    # Same name as the configured witness, another key: never trusted.
    status, problem = submit(client, cosigned(checkpoint_current(), hex_key=STRANGER_HEX))
    assert (status, problem["code"]) == (403, "cosignature_unverified")
    assert not WitnessCosignature.objects.exists()


@pytest.mark.django_db
def test_a_wrong_signature_by_the_known_key_is_refused(client, known_witness):
    append(3, 0)
    note = cosigned(checkpoint_current())
    name_and_signature = note.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(name_and_signature[1]))
    raw[-1] ^= 1
    forged = f"{name_and_signature[0]} {base64.b64encode(bytes(raw)).decode()}\n"
    status, problem = submit(client, forged)
    assert (status, problem["code"]) == (403, "cosignature_unverified")
    assert "fausse" in problem["detail"]
    assert not WitnessCosignature.objects.exists()


@pytest.mark.django_db
def test_a_forged_root_signed_with_the_log_key_is_refused(client, known_witness):
    append(3, 0)
    forged = Checkpoint(
        origin=journal_origin(), size=3, root_hash=hashlib.sha256(b"autre arbre").digest()
    )
    note = note_sign(forged.text, journal_origin(), journal_key().private_key)
    status, problem = submit(client, cosigned(note))
    assert (status, problem["code"]) == (409, "checkpoint_unknown")
    assert "racine" in problem["detail"]
    assert not WitnessCosignature.objects.exists()


@pytest.mark.django_db
def test_a_size_the_log_never_reached_is_refused(client, known_witness):
    append(3, 0)
    future = Checkpoint(origin=journal_origin(), size=4, root_hash=b"\x00" * 32)
    note = note_sign(future.text, journal_origin(), journal_key().private_key)
    status, problem = submit(client, cosigned(note))
    assert (status, problem["code"]) == (409, "checkpoint_unknown")
    assert not WitnessCosignature.objects.exists()


@pytest.mark.django_db
def test_a_checkpoint_signed_by_another_key_is_refused(client, known_witness):
    append(3, 0)
    head = tree_head_current()
    genuine = Checkpoint(origin=journal_origin(), size=head.size, root_hash=head.root_hash)
    note = note_sign(genuine.text, journal_origin(), private("77" * 32))
    status, problem = submit(client, cosigned(note))
    assert (status, problem["code"]) == (409, "checkpoint_unknown")
    assert not WitnessCosignature.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "pas une note",
        "origine\n3\nracine\n\n\u2014 nom pasdubase64!\n",
        b"\xff\xfe",
        "x" * 20_000,
    ],
    ids=["no-signature-block", "bad-base64", "not-utf8", "too-large"],
)
def test_a_malformed_note_is_refused(client, known_witness, body):
    status, problem = submit(client, body)
    assert (status, problem["code"]) == (400, "cosignature_malformed")
    assert problem["type"].endswith("/cosignature_malformed")
    assert not WitnessCosignature.objects.exists()


@pytest.mark.django_db
def test_the_same_cosignature_twice_is_stored_once(client, known_witness):
    append(3, 0)
    note = cosigned(checkpoint_current())
    assert submit(client, note)[0] == 201
    assert submit(client, note)[0] == 200
    assert WitnessCosignature.objects.count() == 1
    assert client.get("/journal/cosignatures").status_code == 405


@pytest.mark.django_db
def test_a_witness_silent_for_too_long_is_shown_late(client, known_witness):
    append(3, 0)
    text = checkpoint_current()
    old = int(time.time()) - WITNESS_LATE_AFTER_SECONDS - 60
    note = text + cosignature_line(
        text[: text.rindex("\n\n") + 1], WITNESS_NAME, private(WITNESS_HEX), old
    )
    assert submit(client, note)[0] == 201
    append(2, 3)
    html = unescape(client.get("/journal/").content.decode())
    assert "En retard" in html
    assert "2 entrées ajoutées depuis" in html
    assert "il y a 16\xa0minutes" in html


@pytest.mark.django_db
def test_a_configured_witness_that_never_cosigned_is_shown_late(client, known_witness):
    html = unescape(client.get("/journal/").content.decode())
    assert WITNESS_NAME in html
    assert "aucune cosignature reçue" in html
    assert "En retard" in html


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="config.urls_gateway")
def test_a_gateway_node_serves_the_log_files_but_not_the_page(client, known_witness):
    append(3, 0)
    page = client.get("/journal/")
    assert page.status_code == 404
    assert page["Content-Type"] == "application/problem+json"
    assert client.get("/journal/checkpoint").status_code == 200
    assert submit(client, cosigned(checkpoint_current()))[0] == 201


@pytest.mark.django_db
def test_keys_whose_base64_holds_a_plus_sign_are_read(client, settings):
    # Both verifier keys contain « + » in their base64 part, which only splits twice.
    settings.DLNUF_JOURNAL_SIGNING_KEY = "12" * 32
    settings.DLNUF_JOURNAL_WITNESSES = [witness_vkey("jamais.example.org/temoin", "57" * 32)]
    assert "+" in settings.DLNUF_JOURNAL_WITNESSES[0].split("+", 2)[2]
    append(3, 0)
    note = cosigned(checkpoint_current(), name="jamais.example.org/temoin", hex_key="57" * 32)
    assert submit(client, note)[0] == 201


def test_a_witness_key_is_read_only_with_the_cosignature_type_and_its_own_id() -> None:
    vkey = witness_vkey(WITNESS_NAME, WITNESS_HEX)
    witness = witness_parse(vkey + "\n")
    assert (witness.name, witness.vkey) == (WITNESS_NAME, vkey)
    assert witness.public_key == raw_public_key(private(WITNESS_HEX))
    assert (
        witness.key_id
        == hashlib.sha256(WITNESS_NAME.encode() + b"\n\x04" + witness.public_key).digest()[:4]
    )
    # A note signer's key (type 0x01) is not a witness's, even with a matching id.
    signer_vkey = verifier_key(WITNESS_NAME, raw_public_key(private(WITNESS_HEX)))
    with pytest.raises(ValueError, match="type 0x04"):
        witness_parse(signer_vkey)
    # An id that is not the one the name and key give.
    name, _, encoded = vkey.split("+", 2)
    with pytest.raises(ValueError, match="identifiant ne correspond pas"):
        witness_parse(f"{name}+00000000+{encoded}")
    with pytest.raises(ValueError, match="nom\\+identifiant\\+clé"):
        witness_parse("sans-separateur")
