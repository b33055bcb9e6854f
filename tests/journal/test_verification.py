"""Every kind of tampering with the stored journal is found, and said where."""

import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dlnuf.journal import merkle, verification
from dlnuf.journal.encoding import ENTRY_COLUMNS
from dlnuf.journal.models import JournalEntry, SignedTreeHead
from dlnuf.journal.selectors import tree_head_current
from dlnuf.journal.services import journal_entries_append, journal_record, tree_head_sign
from dlnuf.journal.signing import journal_key, key_id_of, tree_head_message
from dlnuf.journal.verification import VerificationReport, verify_journal
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db

SIZE = 45
SIGNED_AT = (10, 25, SIZE)
# Chunks of four leaves: the tests cross chunk boundaries and the nodes above the chunks.
SMALL_CHUNKS = 2


@pytest.fixture
def journal() -> None:
    written = 0
    for size in SIGNED_AT:
        journal_entries_append(records=ExchangeRecordFactory.build_batch(size - written - 1))
        journal_record(ExchangeRecordFactory())
        written = size
        tree_head_sign()


def execute(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def entry_row(index: int) -> tuple[Any, ...]:
    columns = ", ".join(f'"{name}"' for name in (*ENTRY_COLUMNS, "leaf_hash"))
    sql = f'SELECT {columns} FROM journal_journalentry WHERE "index" = %s'  # noqa: S608
    return execute(sql, [index])[0]


def insert_row(row: tuple[Any, ...]) -> None:
    columns = ", ".join(f'"{name}"' for name in (*ENTRY_COLUMNS, "leaf_hash"))
    placeholders = ", ".join(["%s"] * len(row))
    execute(f"INSERT INTO journal_journalentry ({columns}) VALUES ({placeholders})", row)  # noqa: S608


def kinds(report: VerificationReport) -> dict[str, list[int | None]]:
    found: dict[str, list[int | None]] = {}
    for problem in report.problems:
        found.setdefault(problem.kind, []).append(problem.index)
    return found


def signed_sizes_failing(report: VerificationReport) -> list[str]:
    return [p.message for p in report.problems if p.kind == "signed_head_mismatch"]


@pytest.mark.parametrize("chunk_level", [SMALL_CHUNKS, 16])
def test_an_untouched_journal_verifies(journal: None, chunk_level: int) -> None:
    report = verify_journal(chunk_level=chunk_level)
    assert report.ok, report.problems
    assert report.entries_checked == SIZE
    assert report.nodes_checked == SIZE - SIZE.bit_count()
    assert report.signed_heads_checked == len(SIGNED_AT)
    assert report.tree_size == SIZE
    assert report.root_hash == tree_head_current().root_hash


def test_the_empty_journal_verifies() -> None:
    tree_head_sign()
    report = verify_journal()
    assert report.ok, report.problems
    assert report.entries_checked == 0
    assert report.root_hash == merkle.EMPTY_ROOT


def test_a_field_changed_by_sql_is_found(journal: None) -> None:
    execute("UPDATE journal_journalentry SET context = 'réécrit' WHERE \"index\" = 17")
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    found = kinds(report)
    assert found["entry_altered"] == [17]
    assert "Entrée 17 : contenu modifié" in report.problems[0].message
    assert "node_altered" not in found  # the nodes above entry 17 are not blamed for it
    assert len(signed_sizes_failing(report)) == 2  # heads signed at sizes 25 and 45
    assert "head_altered" in found


def test_a_change_with_its_leaf_hash_recomputed_is_found_by_the_nodes(journal: None) -> None:
    execute('UPDATE journal_journalentry SET status = 404 WHERE "index" = 17')
    forged = merkle.leaf_hash(JournalEntry.objects.get(index=17).canonical_bytes())
    execute('UPDATE journal_journalentry SET leaf_hash = %s WHERE "index" = 17', [forged])
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    found = kinds(report)
    assert "entry_altered" not in found
    assert found["node_altered"] == [16]
    assert "entrées 16 à 17" in report.problems[0].message
    assert len(signed_sizes_failing(report)) == 2


def rewrite_whole_tree() -> None:
    """What an attacker with write access could do: recompute every stored hash."""
    frontier: list[bytes] = []
    execute("DELETE FROM journal_merklenode")
    for index, entry in enumerate(JournalEntry.objects.order_by("index")):
        leaf = merkle.leaf_hash(entry.canonical_bytes())
        execute('UPDATE journal_journalentry SET leaf_hash = %s WHERE "index" = %s', [leaf, index])
        for position, digest in merkle.frontier_append(index, frontier, leaf):
            execute(
                "INSERT INTO journal_merklenode (position, hash) VALUES (%s, %s)",
                [position, digest],
            )
    execute(
        "UPDATE journal_treehead SET root_hash = %s, frontier = %s",
        [merkle.fold_blocks(frontier), b"".join(frontier)],
    )


def test_a_rewritten_history_is_found_by_the_signed_heads(journal: None) -> None:
    execute("UPDATE journal_journalentry SET recipient = '21750001600019' WHERE \"index\" = 17")
    rewrite_whole_tree()
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    assert set(kinds(report)) == {"signed_head_mismatch"}
    failing = signed_sizes_failing(report)
    assert len(failing) == 2
    assert "(taille 25)" in failing[0]
    assert "(taille 45)" in failing[1]


def test_a_deleted_entry_is_found(journal: None) -> None:
    execute('DELETE FROM journal_journalentry WHERE "index" = 17')
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    assert kinds(report)["entry_missing"] == [17]
    assert report.problems[0].message == "Entrée 17 : absente (supprimée)."
    assert not report.ok


def test_deleted_last_entries_are_found(journal: None) -> None:
    execute('DELETE FROM journal_journalentry WHERE "index" >= 41')
    report = verify_journal()
    assert kinds(report)["entry_missing"] == [41]
    assert report.problems[0].message == "Entrées 41 à 44 : absentes (supprimées)."


def test_two_swapped_entries_are_found(journal: None) -> None:
    fifth, ninth = entry_row(5), entry_row(9)
    execute('DELETE FROM journal_journalentry WHERE "index" IN (5, 9)')
    insert_row((5, *ninth[1:]))
    insert_row((9, *fifth[1:]))
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    assert kinds(report)["entry_moved"] == [5, 9]
    messages = [p.message for p in report.problems if p.kind == "entry_moved"]
    assert messages[0].startswith("Entrée 5 : contient l'entrée 9")
    assert messages[1].startswith("Entrée 9 : contient l'entrée 5")


def test_swapped_contents_under_their_stored_hashes_are_found(journal: None) -> None:
    fifth, ninth = entry_row(5), entry_row(9)
    execute('DELETE FROM journal_journalentry WHERE "index" IN (5, 9)')
    insert_row((5, *ninth[1:-1], fifth[-1]))
    insert_row((9, *fifth[1:-1], ninth[-1]))
    report = verify_journal()
    assert kinds(report)["entry_moved"] == [5, 9]


def test_a_changed_stored_hash_is_found(journal: None) -> None:
    execute('UPDATE journal_journalentry SET leaf_hash = %s WHERE "index" = 30', [bytes(32)])
    position = merkle.node_id(2, 3)
    execute("UPDATE journal_merklenode SET hash = %s WHERE position = %s", [bytes(32), position])
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    found = kinds(report)
    assert found["entry_altered"] == [30]
    assert found["node_altered"] == [12]
    assert "Nœud 27 (niveau 2, entrées 12 à 15) : empreinte modifiée." in [
        p.message for p in report.problems
    ]
    assert not signed_sizes_failing(report)  # the entries themselves are intact


def test_nodes_above_the_chunks_are_checked(journal: None) -> None:
    position = merkle.node_id(4, 1)  # entries 16 to 31, above chunks of four
    execute("UPDATE journal_merklenode SET hash = %s WHERE position = %s", [bytes(32), position])
    execute("DELETE FROM journal_merklenode WHERE position = %s", [merkle.node_id(1, 20)])
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    messages = [p.message for p in report.problems]
    assert f"Nœud {position} (niveau 4, entrées 16 à 31) : empreinte modifiée." in messages
    assert f"Nœud {merkle.node_id(1, 20)} (niveau 1, entrées 40 à 41) : absent." in messages


def test_a_changed_head_is_found(journal: None) -> None:
    execute("UPDATE journal_treehead SET root_hash = %s", [bytes(32)])
    report = verify_journal()
    assert set(kinds(report)) == {"head_altered"}


def test_a_forged_signature_is_found(journal: None) -> None:
    signed = SignedTreeHead.objects.get(tree_size=25)
    forged = bytearray(bytes(signed.signature))
    forged[0] ^= 1
    execute(
        "UPDATE journal_signedtreehead SET signature = %s WHERE id = %s", [bytes(forged), signed.pk]
    )
    report = verify_journal()
    assert set(kinds(report)) == {"signed_head_bad_signature"}
    assert (
        f"Tête signée n° {signed.pk} (taille 25) : signature invalide" in report.problems[0].message
    )


def test_a_head_signed_with_another_key_is_found(journal: None) -> None:
    root = merkle.fold_blocks([])
    other = Ed25519PrivateKey.generate()
    signature = other.sign(tree_head_message(tree_size=0, timestamp_ms=1, root_hash=root))
    SignedTreeHead.objects.create(
        tree_size=0,
        timestamp_ms=1,
        root_hash=root,
        key_id=journal_key().key_id,
        signature=signature,
    )
    public = other.public_key().public_bytes_raw()
    SignedTreeHead.objects.create(
        tree_size=0, timestamp_ms=1, root_hash=root, key_id=key_id_of(public), signature=signature
    )
    report = verify_journal()
    assert sorted(kinds(report)) == ["signed_head_bad_signature", "signed_head_unknown_key"]


def test_an_entry_inserted_behind_the_journal_is_found(journal: None) -> None:
    exchange_id = uuid.uuid4()
    stored_id = exchange_id if connection.features.has_native_uuid_field else exchange_id.hex
    insert_row((SIZE, stored_id, *entry_row(44)[2:]))
    report = verify_journal()
    assert kinds(report) == {"entry_unexpected": [SIZE]}


def test_the_command_reports_in_french_and_fails(journal: None, capsys) -> None:
    call_command("journal_verify")
    out = capsys.readouterr().out
    assert f"Entrées vérifiées : {SIZE}" in out
    assert "entrées/s" in out
    assert "Journal intègre" in out

    execute("UPDATE journal_journalentry SET object = 'autre dossier' WHERE \"index\" = 3")
    with pytest.raises(CommandError, match="Journal altéré"):
        call_command("journal_verify")
    assert "Entrée 3 : contenu modifié" in capsys.readouterr().err


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_several_processes_find_the_same_problems() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory test database of SQLite is not shared between processes")
    journal_entries_append(records=ExchangeRecordFactory.build_batch(70))
    tree_head_sign()
    assert verify_journal(workers=2, chunk_level=SMALL_CHUNKS).ok
    execute("UPDATE journal_journalentry SET code = 'falsifié' WHERE \"index\" = 66")
    execute('DELETE FROM journal_journalentry WHERE "index" = 7')
    alone = verify_journal(workers=1, chunk_level=SMALL_CHUNKS)
    shared = verify_journal(workers=2, chunk_level=SMALL_CHUNKS)
    assert shared.problems == alone.problems
    assert kinds(shared)["entry_missing"] == [7]
    assert kinds(shared)["entry_altered"] == [66]


def test_a_stray_node_is_found(journal: None) -> None:
    execute("INSERT INTO journal_merklenode (position, hash) VALUES (%s, %s)", [10**9, bytes(32)])
    report = verify_journal()
    assert kinds(report) == {"node_unexpected": [None]}
    assert report.problems[0].message == "1 nœud en trop dans l'arbre."


def test_entries_appended_during_the_verification_are_not_forgeries(
    journal: None, monkeypatch
) -> None:
    run_chunks = verification._run_chunks

    def grow_meanwhile(*args: Any) -> Any:
        journal_entries_append(records=ExchangeRecordFactory.build_batch(7))
        return run_chunks(*args)

    monkeypatch.setattr(verification, "_run_chunks", grow_meanwhile)
    report = verify_journal(chunk_level=SMALL_CHUNKS)
    assert report.ok, report.problems
    assert report.tree_size == SIZE
    assert report.entries_checked == SIZE


@pytest.fixture
def journal_with_flagged_entries() -> None:
    records = ExchangeRecordFactory.build_batch(12)
    for position in (3, 8):
        records[position] = ExchangeRecordFactory.build(unexpected_fields_removed=True)
    journal_entries_append(records=records)
    tree_head_sign()


@pytest.mark.usefixtures("journal_with_flagged_entries")
@pytest.mark.parametrize("chunk_level", [SMALL_CHUNKS, 16])
def test_entries_flagged_for_unexpected_fields_verify(chunk_level: int) -> None:
    report = verify_journal(chunk_level=chunk_level)

    assert report.ok, report.problems
    assert report.entries_checked == 12
    flagged = JournalEntry.objects.get(index=3)
    assert flagged.unexpected_fields_removed
    assert flagged.canonical_bytes().startswith(b"[2,3,")
    assert flagged.canonical_bytes().endswith(b",true]")


@pytest.mark.usefixtures("journal_with_flagged_entries")
def test_an_unflagged_entry_keeps_the_version_1_bytes() -> None:
    entry = JournalEntry.objects.get(index=4)

    assert entry.canonical_bytes().startswith(b"[1,4,")
    assert entry.canonical_bytes().endswith(f',"{entry.subject_key}"]'.encode())


@pytest.mark.usefixtures("journal_with_flagged_entries")
@pytest.mark.parametrize(("index", "flag"), [(3, False), (4, True)])
def test_clearing_or_setting_the_flag_is_found(index: int, flag: bool) -> None:
    execute(
        'UPDATE journal_journalentry SET unexpected_fields_removed = %s WHERE "index" = %s',
        [flag, index],
    )

    assert kinds(verify_journal(chunk_level=SMALL_CHUNKS))["entry_altered"] == [index]
