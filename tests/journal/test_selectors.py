import pytest

from dlnuf.journal import merkle
from dlnuf.journal.errors import ProofRequestError
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.selectors import (
    consistency_proof,
    inclusion_proof,
    journal_entries_for_subject,
    journal_entry_for_consumer,
    tree_head_current,
    tree_root_at,
)
from dlnuf.journal.services import journal_entries_append, journal_record
from dlnuf.journal.subjects import subject_key
from tests.journal.factories import ExchangeRecordFactory
from tests.journal.rfc9162 import rfc_mth, rfc_path, rfc_subproof

pytestmark = pytest.mark.django_db

SIZE = 37


@pytest.fixture
def leaves() -> list[bytes]:
    journal_entries_append(records=ExchangeRecordFactory.build_batch(20))
    for _ in range(SIZE - 20):
        journal_record(ExchangeRecordFactory())
    rows = JournalEntry.objects.order_by("index").values_list("leaf_hash", flat=True)
    return [bytes(digest) for digest in rows]


def test_the_root_of_every_past_size_is_served(leaves: list[bytes]) -> None:
    for size in range(SIZE + 1):
        assert tree_root_at(size) == rfc_mth(leaves[:size])
    assert tree_head_current().root_hash == rfc_mth(leaves)


def test_inclusion_proofs_for_every_entry_and_size(
    leaves: list[bytes], django_assert_max_num_queries
) -> None:
    for size in range(1, SIZE + 1):
        root = rfc_mth(leaves[:size])
        for index in range(size):
            proof = inclusion_proof(leaf_index=index, tree_size=size)
            assert proof.leaf_hash == leaves[index]
            assert proof.root_hash == root
            assert proof.audit_path == rfc_path(index, leaves[:size])
            assert merkle.verify_inclusion(proof.leaf_hash, index, size, proof.audit_path, root)
    with django_assert_max_num_queries(3):
        latest = inclusion_proof(leaf_index=5)
    assert latest.tree_size == SIZE


def test_consistency_proofs_for_every_pair_of_sizes(
    leaves: list[bytes], django_assert_max_num_queries
) -> None:
    for second in range(1, SIZE + 1):
        for first in range(1, second + 1):
            proof = consistency_proof(first=first, second=second)
            assert proof.path == rfc_subproof(first, leaves[:second], True)
            assert proof.first_root == rfc_mth(leaves[:first])
            assert proof.second_root == rfc_mth(leaves[:second])
            assert merkle.verify_consistency(
                first, second, proof.first_root, proof.second_root, proof.path
            )
    with django_assert_max_num_queries(3):
        assert consistency_proof(first=11).second == SIZE


@pytest.mark.parametrize(
    ("call", "parameter", "code"),
    [
        (lambda: inclusion_proof(leaf_index=-1), "leaf_index", "invalid_parameter"),
        (lambda: inclusion_proof(leaf_index=SIZE), "leaf_index", "invalid_parameter"),
        (lambda: inclusion_proof(leaf_index=3, tree_size=3), "leaf_index", "invalid_parameter"),
        (lambda: inclusion_proof(leaf_index=0, tree_size=0), "tree_size", "invalid_parameter"),
        (lambda: inclusion_proof(leaf_index=0, tree_size=-4), "tree_size", "invalid_parameter"),
        (
            lambda: inclusion_proof(leaf_index=0, tree_size=SIZE + 1),
            "tree_size",
            "tree_size_beyond_head",
        ),
        (lambda: consistency_proof(first=0), "first", "invalid_parameter"),
        (lambda: consistency_proof(first=-2, second=5), "first", "invalid_parameter"),
        (lambda: consistency_proof(first=6, second=5), "first", "invalid_parameter"),
        (lambda: consistency_proof(first=1, second=SIZE + 1), "second", "tree_size_beyond_head"),
        (lambda: consistency_proof(first=SIZE + 1), "first", "tree_size_beyond_head"),
        (lambda: tree_root_at(SIZE + 1), "tree_size", "tree_size_beyond_head"),
        (lambda: tree_root_at(-1), "tree_size", "invalid_parameter"),
    ],
)
def test_impossible_requests_say_which_parameter(
    leaves: list[bytes], call, parameter: str, code: str
) -> None:
    with pytest.raises(ProofRequestError) as raised:
        call()
    assert raised.value.parameter == parameter
    assert raised.value.code == code
    assert parameter in raised.value.detail


def test_accesses_about_a_subject_newest_first() -> None:
    person = {"nomNaissance": "Dupont", "prenoms": ["Jean"], "sexeEtatCivil": "M"}
    key = subject_key(person)
    other = subject_key({"nomNaissance": "Durand", "prenoms": ["Jean"], "sexeEtatCivil": "M"})
    indices = []
    for subject in (key, other, key, other, key):
        indices.append(journal_record(ExchangeRecordFactory(subject_key=subject)))
    expected = [indices[4], indices[2], indices[0]]
    by_key = journal_entries_for_subject(key)
    assert [entry.index for entry in by_key] == expected
    spelled = {"nomNaissance": "dupônt ", "prenoms": ["JEAN"], "sexeEtatCivil": "m"}
    assert [entry.index for entry in journal_entries_for_subject(spelled)] == expected
    with pytest.raises(ValueError, match="64"):
        journal_entries_for_subject("Dupont")


def test_a_consumer_sees_only_its_own_entries() -> None:
    mine = journal_record(ExchangeRecordFactory(consumer_siret="13002526500013"))
    theirs = journal_record(ExchangeRecordFactory(consumer_siret="11000201100044"))
    found = journal_entry_for_consumer(index=mine, consumer_siret="13002526500013")
    assert found is not None
    assert found.index == mine
    assert journal_entry_for_consumer(index=theirs, consumer_siret="13002526500013") is None
    assert journal_entry_for_consumer(index=99, consumer_siret="13002526500013") is None
