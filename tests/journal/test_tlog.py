"""The journal read as a standard tiled transparency log, over HTTP only.

The client below is written from the C2SP texts (signed-note, tlog-checkpoint, tlog-tiles) and
RFC 6962 hashing, with ``hashlib`` and ``cryptography`` only: it shares no code with
``dlnuf.journal``. It fetches the checkpoint, the verifier key and every tile a tree of the
checkpoint's size needs, recomputes the root from the tiles and checks the signature.
"""

import base64
import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import connection
from django.test import Client

from dlnuf.journal.models import MerkleNode, SignedTreeHead
from dlnuf.journal.notes import (
    NoteError,
    note_sign,
    note_verify,
    raw_public_key,
    verifier_key,
    verifier_parse,
)
from dlnuf.journal.tlog import tile_index_parse, tile_index_path
from tests.journal.factories import append

pytestmark = pytest.mark.django_db

ORIGIN = "127.0.0.1:8000/journal"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


# --- an independent client -------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 Merkle Tree Hash, from leaf hashes, as the RFC writes it."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return node(mth(leaves[:split]), mth(leaves[split:]))


def index_path(index: int) -> str:
    digits = f"{index:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{group}" for group in groups[:-1]] + groups[-1:])


@dataclass
class Verified:
    size: int
    root: bytes
    levels: list[list[bytes]]


def fetch_vkey(client: Client) -> tuple[str, bytes, bytes]:
    response = client.get("/journal/vkey")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    name, key_hash, typed_key = response.content.decode().removesuffix("\n").split("+")
    raw = base64.b64decode(typed_key, validate=True)
    assert raw[0] == 0x01
    assert len(raw) == 33
    public_key = raw[1:]
    key_id = sha256(name.encode() + b"\n\x01" + public_key)[:4]
    assert key_hash == key_id.hex()
    return name, key_id, public_key


def fetch_checkpoint(client: Client) -> tuple[str, int, bytes]:
    name, key_id, public_key = fetch_vkey(client)
    response = client.get("/journal/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=5"
    note = response.content.decode()
    text, signatures = note.rsplit("\n\n", 1)
    text += "\n"
    origin, size, root = text.removesuffix("\n").split("\n")
    assert re.fullmatch(r"0|[1-9][0-9]*", size)
    (line,) = signatures.removesuffix("\n").split("\n")
    dash, signer, encoded = line.split(" ")
    assert (dash, signer) == ("\u2014", name)
    signature = base64.b64decode(encoded, validate=True)
    assert len(signature) == 4 + 64
    assert signature[:4] == key_id
    # Raises InvalidSignature when the note was not signed by this key.
    Ed25519PublicKey.from_public_bytes(public_key).verify(signature[4:], text.encode())
    assert origin == name
    return origin, int(size), base64.b64decode(root, validate=True)


def fetch_tile(client: Client, level: int, index: int, width: int) -> list[bytes]:
    suffix = "" if width == 256 else f".p/{width}"
    response = client.get(f"/journal/tile/{level}/{index_path(index)}{suffix}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/octet-stream"
    expected_cache = "public, max-age=31536000, immutable" if width == 256 else "public, max-age=5"
    assert response["Cache-Control"] == expected_cache
    # Public and the same for everybody: a shared cache keeps a single copy.
    assert "Cookie" not in response.get("Vary", "")
    body = response.content
    assert len(body) == 32 * width
    return [body[i : i + 32] for i in range(0, len(body), 32)]


def verify_log(client: Client) -> Verified:
    """Checkpoint, key and tiles from HTTP; the root recomputed from the tiles must match."""
    _, size, root = fetch_checkpoint(client)
    levels: list[list[bytes]] = []
    level = 0
    while size >> (8 * level):
        count = size >> (8 * level)
        hashes: list[bytes] = []
        for index in range(count // 256):
            hashes += fetch_tile(client, level, index, 256)
        if count % 256:
            hashes += fetch_tile(client, level, count // 256, count % 256)
        levels.append(hashes)
        level += 1
    # The tree is the perfect subtrees named by the set bits of its size, largest first; one of
    # height 8·L + r is rebuilt from 2^r consecutive hashes of level L.
    subtrees: list[bytes] = []
    start = 0
    for height in range(size.bit_length() - 1, -1, -1):
        if not size >> height & 1:
            continue
        level, rest = divmod(height, 8)
        first = start >> (8 * level)
        subtrees.append(mth(levels[level][first : first + (1 << rest)]))
        start += 1 << height
    recomputed = sha256(b"") if not subtrees else subtrees[-1]
    for left in reversed(subtrees[:-1]):
        recomputed = node(left, recomputed)
    assert recomputed == root
    return Verified(size=size, root=root, levels=levels)


# --- journal content --------------------------------------------------------------------------


def grow(client: Client, sizes: list[int]) -> list[Verified]:
    results = []
    size = 0
    for target in sizes:
        append(target - size, size)
        size = target
        results.append(verify_log(client))
        assert results[-1].size == size
    return results


# --- tests ------------------------------------------------------------------------------------


def test_an_empty_journal_is_a_signed_empty_log(client):
    verified = verify_log(client)
    assert (verified.size, verified.root) == (0, sha256(b""))
    assert client.get("/journal/tile/0/000.p/1").status_code == 404


def test_tiles_rebuild_the_signed_root_at_every_size(client):
    # 1,300 leaves: five full level-0 tiles and a partial one, and a partial level-1 tile of 5.
    sizes = [1, 255, 256, 257, 1_300]
    for verified in grow(client, sizes):
        leaves = verified.levels[0]
        assert mth(leaves) == verified.root
        # A level-1 hash is the tree hash of its 256 leaves.
        for index, digest in enumerate(verified.levels[1] if len(verified.levels) > 1 else []):
            assert digest == mth(leaves[index * 256 : (index + 1) * 256])
    assert [len(level) for level in verified.levels] == [1_300, 5]
    # Every published size was archived as a signed tree head, re-checked by journal_verify.
    assert set(SignedTreeHead.objects.values_list("tree_size", flat=True)) == set(sizes)


def test_a_journal_of_65537_entries_needs_a_level_2_tile(client):
    (verified,) = grow(client, [65_537])
    assert [len(level) for level in verified.levels] == [65_537, 256, 1]
    assert mth(verified.levels[0]) == verified.root
    assert verified.levels[2][0] == mth(verified.levels[0][:65_536])


def test_the_origin_names_the_log_and_its_key(client, settings):
    settings.DLNUF_JOURNAL_ORIGIN = "guichet.example.gouv.fr/journal"
    append(3, 0)
    origin, size, _ = fetch_checkpoint(client)
    assert (origin, size) == ("guichet.example.gouv.fr/journal", 3)
    assert (
        client.get("/journal/vkey").content.decode().startswith("guichet.example.gouv.fr/journal+")
    )


def test_the_default_origin_is_the_site_address_without_scheme(client):
    assert fetch_checkpoint(client)[0] == ORIGIN


def test_tiles_beyond_the_tree_are_not_found(client):
    append(300, 0)
    missing = [
        "/journal/tile/0/001",  # only 44 leaves in the second tile
        "/journal/tile/0/001.p/45",
        "/journal/tile/0/002.p/1",
        "/journal/tile/1/000",
        "/journal/tile/1/000.p/2",
        "/journal/tile/2/000.p/1",
        "/journal/tile/63/000.p/1",
        "/journal/tile/0/x001/x234/067",
    ]
    for url in missing:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "text/plain; charset=utf-8", url
        assert response["Cache-Control"] == "public, max-age=5", url
    assert client.get("/journal/tile/0/001.p/44").status_code == 200
    assert client.get("/journal/tile/1/000.p/1").status_code == 200


def test_only_the_canonical_tile_address_is_served(client):
    append(300, 0)
    for url in [
        "/journal/tile/0/0",
        "/journal/tile/0/x000/000",
        "/journal/tile/00/000",
        "/journal/tile/64/000",
        "/journal/tile/0/001.p/044",
        "/journal/tile/0/000.p/256",
        "/journal/tile/0/000.p/0",
        "/journal/tile/entries/000",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        # Not the tile view's answer: no route matches such an address.
        assert response["Content-Type"].startswith("text/html"), url


def test_a_tile_costs_two_queries(client, django_assert_num_queries):
    append(600, 0)
    for url in ["/journal/tile/0/001", "/journal/tile/1/000.p/2", "/journal/tile/0/002.p/88"]:
        with django_assert_num_queries(2):
            assert client.get(url).status_code == 200


def test_a_missing_stored_node_is_an_unavailable_log_not_a_wrong_tile(client):
    append(512, 0)
    # Level-1 tiles read the stored blocks of 256 leaves; remove one behind the product's back.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {MerkleNode._meta.db_table} WHERE position = %s",  # noqa: S608
            [255],
        )
    response = client.get("/journal/tile/1/000.p/2")
    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"


def test_writing_to_the_log_files_is_refused(client):
    assert client.post("/journal/checkpoint").status_code == 405
    assert client.post("/journal/tile/0/000.p/1").status_code == 405


@pytest.mark.parametrize(
    ("index", "path"),
    [(0, "000"), (67, "067"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_tile_index_paths_follow_the_format(index, path):
    assert tile_index_path(index) == path == index_path(index)
    assert tile_index_parse(path) == index


@pytest.mark.parametrize("path", ["0", "0000", "x000/001", "x001", "001/x234", "x01/000"])
def test_other_spellings_of_a_tile_index_are_refused(path):
    with pytest.raises(ValueError, match=re.escape(path)):
        tile_index_parse(path)


def _origin_at_startup(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DLNUF_")}
    clean.update(env, DLNUF_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.DLNUF_JOURNAL_ORIGIN)"
    return subprocess.run(  # noqa: S603 - this interpreter with the test's own arguments
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_origin_follows_the_site_address(tmp_path):
    started = _origin_at_startup(tmp_path, DLNUF_SITE_URL="https://guichet.example.gouv.fr/")
    assert started.stdout == "guichet.example.gouv.fr/journal\n"


@pytest.mark.parametrize("origin", ["guichet example/journal", "guichet+1/journal"])
def test_an_origin_no_key_name_can_carry_refuses_to_start(tmp_path, origin):
    refused = _origin_at_startup(tmp_path, DLNUF_JOURNAL_ORIGIN=origin)
    assert refused.returncode != 0
    assert "DLNUF_JOURNAL_ORIGIN must be a non-empty name without spaces or '+'" in refused.stderr


# The example key and note of the Go reference implementation of signed notes
# (golang.org/x/mod/sumdb/note): what the standard tools read must come out byte for byte.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)


def test_notes_match_the_reference_implementation_byte_for_byte():
    key = Ed25519PrivateKey.from_private_bytes(GO_SEED)
    assert verifier_key("PeterNeumann", raw_public_key(key)) == GO_VKEY
    assert note_sign(GO_TEXT, "PeterNeumann", key) == GO_TEXT + "\n" + GO_SIGNATURE
    assert note_verify(GO_TEXT + "\n" + GO_SIGNATURE, verifier_parse(GO_VKEY)) == GO_TEXT


def test_a_note_signed_by_another_key_or_altered_is_refused():
    verifier = verifier_parse(GO_VKEY)
    with pytest.raises(NoteError, match="fausse"):
        note_verify(GO_TEXT.replace("answer", "question") + "\n" + GO_SIGNATURE, verifier)
    other = Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)
    with pytest.raises(NoteError, match="pas signée"):
        note_verify(note_sign(GO_TEXT, "PeterNeumann", other), verifier)
