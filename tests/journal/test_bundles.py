"""Inclusion-proof bundles: every part checked with the journal's own primitives and the RFC."""

import base64
import hashlib

import orjson
import pytest

from dlnuf.journal import merkle
from dlnuf.journal.bundles import BUNDLE_FORMAT, inclusion_bundle, inclusion_bundle_bytes
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.notes import checkpoint_parse, note_verify, verifier_parse
from dlnuf.journal.services import journal_entries_append
from dlnuf.journal.tlog import journal_verifier_key
from tests.journal.factories import ExchangeRecordFactory
from tests.journal.rfc9162 import rfc_mth

pytestmark = pytest.mark.django_db

SIZE = 11
PROVEN = 6


@pytest.fixture
def entry() -> JournalEntry:
    journal_entries_append(records=ExchangeRecordFactory.build_batch(SIZE))
    return JournalEntry.objects.get(index=PROVEN)


def test_a_bundle_holds_everything_to_prove_the_entry(entry: JournalEntry) -> None:
    bundle = inclusion_bundle(entry, withhold_case_reference=False)

    assert (bundle["format"], bundle["version"]) == (BUNDLE_FORMAT, 1)
    canonical = base64.b64decode(bundle["entry"]["canonical_bytes"])
    assert canonical == entry.canonical_bytes()
    leaf = hashlib.sha256(b"\x00" + canonical).digest()
    assert leaf == bytes(entry.leaf_hash)
    # The signed checkpoint, checked with the published verifier key.
    assert bundle["verifier_key"] == journal_verifier_key()
    text = note_verify(bundle["checkpoint"], verifier_parse(bundle["verifier_key"]))
    checkpoint = checkpoint_parse(text)
    leaves = [
        bytes(h) for h in JournalEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    assert (bundle["tree_size"], checkpoint.size) == (SIZE, SIZE)
    assert checkpoint.root_hash == rfc_mth(leaves)
    path = [base64.b64decode(sibling) for sibling in bundle["inclusion_proof"]]
    assert bundle["leaf_index"] == PROVEN
    assert merkle.verify_inclusion(leaf, PROVEN, SIZE, path, checkpoint.root_hash)


def test_the_readable_copy_says_what_the_bytes_hold(entry: JournalEntry) -> None:
    fields = inclusion_bundle(entry, withhold_case_reference=False)["entry"]["fields"]

    assert fields["index"] == PROVEN
    assert fields["exchange_id"] == entry.exchange_id.hex
    assert fields["occurred_at"] == entry.occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert fields["occurred_at_us"] == entry.occurred_at_us
    assert fields["scopes"] == ["quotient_familial", "allocataires"]
    assert fields["fields_returned"] == list(entry.fields_returned)
    assert fields["object"] == entry.object
    # The leaf hash covers the subject key: it stays, as the HMAC it is.
    assert fields["subject_key"] == entry.subject_key


def test_a_case_reference_the_person_may_not_see_is_nowhere_in_the_bundle(
    entry: JournalEntry,
) -> None:
    body = inclusion_bundle_bytes(entry, withhold_case_reference=True)
    bundle = orjson.loads(body)

    assert entry.object.encode() not in body
    assert "canonical_bytes" not in bundle["entry"]
    assert "object" not in bundle["entry"]["fields"]
    assert bundle["entry"]["withheld_fields"] == ["object"]
    leaf = base64.b64decode(bundle["entry"]["leaf_hash"])
    assert leaf == bytes(entry.leaf_hash)
    root = checkpoint_parse(
        note_verify(bundle["checkpoint"], verifier_parse(bundle["verifier_key"]))
    ).root_hash
    path = [base64.b64decode(sibling) for sibling in bundle["inclusion_proof"]]
    assert merkle.verify_inclusion(leaf, PROVEN, SIZE, path, root)


def test_a_later_entry_moves_the_bundle_to_the_new_signed_size(entry: JournalEntry) -> None:
    first = inclusion_bundle(entry, withhold_case_reference=False)
    journal_entries_append(records=ExchangeRecordFactory.build_batch(5))
    second = inclusion_bundle(entry, withhold_case_reference=False)

    assert (first["tree_size"], second["tree_size"]) == (SIZE, SIZE + 5)
    assert second["checkpoint"].split("\n")[1] == str(SIZE + 5)
    assert first["entry"] == second["entry"]
