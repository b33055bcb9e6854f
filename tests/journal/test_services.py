import hashlib
from datetime import datetime

import orjson
import pytest
from django.db import connection

from dlnuf.journal import merkle
from dlnuf.journal.models import (
    JournalEntry,
    JournalWriteForbidden,
    MerkleNode,
    SignedTreeHead,
    TreeHead,
)
from dlnuf.journal.selectors import tree_head_current
from dlnuf.journal.services import (
    JournalUnavailable,
    journal_entries_append,
    journal_record,
    tree_head_sign,
)
from dlnuf.journal.signing import journal_key, verify_tree_head_signature
from dlnuf.journal.verification import verify_journal
from tests.journal.factories import ExchangeRecordFactory
from tests.journal.rfc9162 import rfc_mth

pytestmark = pytest.mark.django_db


def test_entries_get_gapless_indices_from_zero() -> None:
    assert [journal_record(ExchangeRecordFactory()) for _ in range(5)] == [0, 1, 2, 3, 4]
    assert journal_entries_append(records=ExchangeRecordFactory.build_batch(3)) == [5, 6, 7]
    assert list(JournalEntry.objects.order_by("index").values_list("index", flat=True)) == list(
        range(8)
    )


def test_an_entry_keeps_the_record_and_no_personal_value() -> None:
    record = ExchangeRecordFactory(latency_ms=12.3456, habilitation_id=None)
    index = journal_record(record)
    entry = JournalEntry.objects.get(index=index)
    assert entry.exchange_id == record.exchange_id
    assert entry.occurred_at == record.occurred_at
    assert entry.consumer_siret == record.consumer_siret
    assert entry.habilitation_id is None
    assert entry.credential_id == record.credential_id
    assert entry.dataset_slug == record.dataset_slug
    assert entry.scopes == record.scopes
    assert entry.fields_returned == record.fields_returned
    assert (entry.recipient, entry.context, entry.object) == (
        record.recipient,
        record.context,
        record.object,
    )
    assert (entry.provider, entry.status, entry.code) == (record.provider, 200, "ok")
    assert entry.latency_us == 12346
    assert entry.subject_key == record.subject_key


def test_the_leaf_hash_covers_the_documented_canonical_bytes() -> None:
    record = ExchangeRecordFactory(context='Cantine "été"\n', scopes=("a", "b"))
    index = journal_record(record)
    entry = JournalEntry.objects.get(index=index)
    canonical = entry.canonical_bytes()
    expected = [
        1,
        index,
        record.exchange_id.hex,
        int(record.occurred_at.timestamp()) * 1_000_000 + record.occurred_at.microsecond,
        record.consumer_siret,
        record.habilitation_id,
        record.credential_id,
        record.dataset_slug,
        ["a", "b"],
        list(record.fields_returned),
        record.recipient,
        'Cantine "été"\n',
        record.object,
        record.provider,
        200,
        "ok",
        round(record.latency_ms * 1000),
        record.subject_key,
    ]
    assert orjson.loads(canonical) == expected
    assert canonical == orjson.dumps(expected)
    assert bytes(entry.leaf_hash) == hashlib.sha256(b"\x00" + canonical).digest()


def test_head_frontier_and_nodes_are_those_of_the_rfc_tree() -> None:
    journal_entries_append(records=ExchangeRecordFactory.build_batch(13))
    for _ in range(6):
        journal_record(ExchangeRecordFactory())
    leaves = [
        bytes(h) for h in JournalEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    ]
    head = TreeHead.objects.get()
    assert head.size == 19
    assert bytes(head.root_hash) == rfc_mth(leaves)
    assert bytes(head.frontier) == b"".join(
        rfc_mth(leaves[i << level : (i + 1) << level]) for level, i in merkle.blocks_of_range(0, 19)
    )
    stored = {p: bytes(h) for p, h in MerkleNode.objects.values_list("position", "hash")}
    expected = {
        merkle.node_id(level, i): rfc_mth(leaves[i << level : (i + 1) << level])
        for level in range(1, 5)
        for i in range(19 >> level)
    }
    assert stored == expected


def test_the_journal_is_append_only() -> None:
    journal_record(ExchangeRecordFactory())
    entry = JournalEntry.objects.get()
    entry.context = "réécrit"
    with pytest.raises(JournalWriteForbidden):
        entry.save()
    with pytest.raises(JournalWriteForbidden):
        entry.delete()
    with pytest.raises(JournalWriteForbidden):
        JournalEntry.objects.filter(index=0).update(context="réécrit")
    with pytest.raises(JournalWriteForbidden):
        JournalEntry.objects.all().delete()
    with pytest.raises(JournalWriteForbidden):
        MerkleNode.objects.all().delete()
    signed = tree_head_sign()
    with pytest.raises(JournalWriteForbidden):
        signed.save()
    with pytest.raises(JournalWriteForbidden):
        SignedTreeHead.objects.all().delete()
    assert JournalEntry.objects.get().context == ExchangeRecordFactory.context


def test_a_failed_write_raises_journal_unavailable_and_keeps_nothing() -> None:
    first = ExchangeRecordFactory()
    journal_record(first)
    head_before = tree_head_current()
    with pytest.raises(JournalUnavailable):
        journal_record(ExchangeRecordFactory(exchange_id=first.exchange_id))
    assert JournalEntry.objects.count() == 1
    assert not MerkleNode.objects.exists()
    assert tree_head_current() == head_before
    assert journal_record(ExchangeRecordFactory()) == 1


def test_an_inconsistent_head_stops_the_journal() -> None:
    journal_record(ExchangeRecordFactory())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE journal_treehead SET frontier = %s", [b"\x00" * 7])
    with pytest.raises(JournalUnavailable):
        journal_record(ExchangeRecordFactory())
    assert JournalEntry.objects.count() == 1


def test_a_naive_time_is_refused_before_anything_is_written() -> None:
    with pytest.raises(ValueError, match="fuseau"):
        journal_record(ExchangeRecordFactory(occurred_at=datetime(2026, 1, 1, 12, 0)))
    assert not JournalEntry.objects.exists()


def test_signing_the_head_archives_one_signature_per_head() -> None:
    journal_entries_append(records=ExchangeRecordFactory.build_batch(4))
    first = tree_head_sign()
    assert tree_head_sign().pk == first.pk
    journal_record(ExchangeRecordFactory())
    second = tree_head_sign()
    assert second.pk != first.pk
    assert (first.tree_size, second.tree_size) == (4, 5)
    assert second.timestamp_ms >= first.timestamp_ms
    assert bytes(second.root_hash) == tree_head_current().root_hash
    key = journal_key()
    assert second.key_id == key.key_id
    for signed in (first, second):
        assert verify_tree_head_signature(
            public_key=key.public_key,
            tree_size=signed.tree_size,
            timestamp_ms=signed.timestamp_ms,
            root_hash=bytes(signed.root_hash),
            signature=bytes(signed.signature),
        )


def test_the_empty_journal_has_the_empty_root() -> None:
    assert tree_head_current().size == 0
    assert tree_head_current().root_hash == hashlib.sha256(b"").digest()
    signed = tree_head_sign()
    assert signed.tree_size == 0
    assert bytes(signed.root_hash) == hashlib.sha256(b"").digest()


def test_characters_no_database_can_hold_are_replaced_not_refused() -> None:
    index = journal_record(
        ExchangeRecordFactory(object="Dossier\x00 42", context="cadre \ud800", scopes=("a\x00",))
    )
    entry = JournalEntry.objects.get(index=index)
    assert entry.object == "Dossier\ufffd 42"
    assert entry.context == "cadre \ufffd"
    assert entry.scopes == ("a\ufffd",)
    assert verify_journal().ok


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject_key": "x" * 65}, "trop long"),
        ({"consumer_siret": "130025265000139"}, "trop long"),
        ({"status": 42}, "Statut HTTP impossible"),
    ],
)
def test_a_record_the_database_would_refuse_fails_alone(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        journal_record(ExchangeRecordFactory(**change))
    assert not JournalEntry.objects.exists()
