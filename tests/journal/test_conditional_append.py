"""On PostgreSQL an append by a writer that wrote last, alone, is one statement (one round trip,
commit included); a writer whose remembered head is out of date writes nothing that way and
takes the locking path, and the journal stays one gapless, verifiable tree."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from dlnuf.journal.models import JournalEntry, TreeHead
from dlnuf.journal.services import journal_entries_append
from dlnuf.journal.verification import verify_journal
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement append is PostgreSQL's")


def append(count: int = 1) -> list[int]:
    return journal_entries_append(records=ExchangeRecordFactory.build_batch(count))


def statements_of(count: int = 1) -> tuple[list[int], list[str]]:
    with CaptureQueriesContext(connection) as captured:
        indices = append(count)
    return indices, [query["sql"] for query in captured.captured_queries]


def append_from_another_thread(count: int) -> None:
    def work() -> None:
        try:
            append(count)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_a_writer_alone_appends_in_one_statement() -> None:
    assert append(3) == [0, 1, 2]  # reads and locks the head: nothing remembered yet
    assert append(2) == [3, 4]  # finds the head it left: may skip reading it next time
    indices, statements = statements_of(4)
    assert indices == [5, 6, 7, 8]
    assert len(statements) == 1
    assert statements[0].startswith("WITH moved AS (UPDATE")
    assert TreeHead.objects.get().size == 9
    report = verify_journal()
    assert report.ok, report.problems
    assert report.entries_checked == 9


def test_another_writer_in_between_sends_this_one_back_to_the_locking_path() -> None:
    append(2)
    append(1)
    assert len(statements_of()[1]) == 1
    append_from_another_thread(5)  # the head moved: 4 → 9
    indices, statements = statements_of(2)
    assert indices == [9, 10]
    # The conditional statement matched nothing and wrote nothing; the locking path appended.
    assert statements[0].startswith("WITH moved AS (UPDATE")
    assert any("FOR UPDATE" in sql for sql in statements[1:])
    assert sorted(JournalEntry.objects.values_list("index", flat=True)) == list(range(11))
    # Another writer just wrote: the next append reads the head again, and finds it as it left
    # it, so the one after is a single statement again.
    assert len(statements_of()[1]) > 1
    assert len(statements_of()[1]) == 1
    report = verify_journal()
    assert report.ok, report.problems


def test_a_remembered_head_of_the_same_size_but_another_root_is_not_extended() -> None:
    append(2)
    append(1)
    assert len(statements_of()[1]) == 1  # four entries, remembered
    # The database is replaced under the writer by one of the same size and another history (a
    # restored or failed-over database that lost this writer's last commits, then took others').
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {JournalEntry._meta.db_table}, journal_merklenode, {TreeHead._meta.db_table}"
        )
    append_from_another_thread(4)
    indices, statements = statements_of(1)
    assert indices == [4]
    assert any("FOR UPDATE" in sql for sql in statements[1:])
    report = verify_journal()
    assert report.ok, report.problems
    assert report.entries_checked == 5


def test_the_one_statement_append_is_planned_once_per_connection() -> None:
    def prepared_appends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["WITH moved AS (UPDATE%"],
            )
            (count,) = cursor.fetchone()
        return int(count)

    assert prepared_appends() == 0
    append(1)  # 0 → 1: adds a leaf and no inner node of the tree (an empty list of nodes)
    append(1)  # 1 → 2: adds a leaf and one inner node
    # The locking path writes with the same statement: prepared the first time for each kind
    # of parameters (an empty list is typed apart from a list of positions).
    assert prepared_appends() == 2
    for _ in range(8):
        _, statements = statements_of(1)
        assert len(statements) == 1  # prepared, it is still one round trip
    assert prepared_appends() == 2
    report = verify_journal()
    assert report.ok, report.problems
    assert report.entries_checked == 10
