"""The group-commit writer: concurrent exchanges share commits, and the journal stays gapless."""

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from dlnuf.journal.models import JournalEntry
from dlnuf.journal.services import (
    JournalUnavailable,
    _append_prepared,
    _entry_values,
    journal_record,
    journal_writer_stop,
)
from dlnuf.journal.verification import verify_journal
from dlnuf.journal.writer import GroupCommitWriter
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def batching(settings) -> Iterator[None]:
    settings.DLNUF_JOURNAL_BATCHING = True
    settings.DLNUF_JOURNAL_BATCH_MAX = 64
    journal_writer_stop()
    yield
    journal_writer_stop()


def record_many(count: int) -> list[tuple[int, uuid.UUID]]:
    recorded = []
    for _ in range(count):
        record = ExchangeRecordFactory()
        recorded.append((journal_record(record), record.exchange_id))
    return recorded


def assert_gapless_and_verifiable(recorded: list[tuple[int, uuid.UUID]]) -> None:
    indices = sorted(index for index, _ in recorded)
    assert indices == list(range(len(recorded)))
    stored = dict(JournalEntry.objects.values_list("index", "exchange_id"))
    assert stored == dict(recorded)
    report = verify_journal()
    assert report.ok, report.problems
    assert report.entries_checked == len(recorded)


def test_concurrent_callers_get_gapless_indices(batching: None) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(record_many, 25) for _ in range(16)]
        recorded = [pair for future in futures for pair in future.result(timeout=60)]
    assert_gapless_and_verifiable(recorded)


class GatedAppend:
    """The real append, held back on demand so that the test decides what forms a batch."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[int] = []

    def __call__(self, prepared: Sequence[tuple[Any, ...]]) -> list[int]:
        self.entered.set()
        assert self.gate.wait(30)
        self.batches.append(len(prepared))
        return _append_prepared(prepared)


def submit_in_thread(writer: GroupCommitWriter, record: Any) -> Callable[[], Any]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["index"] = writer.submit(_entry_values(record))
        except JournalUnavailable as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()

    def result() -> Any:
        thread.join(30)
        assert not thread.is_alive()
        return outcome

    return result


def wait_for_queue(writer: GroupCommitWriter, length: int) -> None:
    waited = threading.Event()
    for _ in range(3000):
        if writer._queue is not None and writer._queue.qsize() >= length:
            return
        waited.wait(0.01)
    raise AssertionError("the entries never reached the writer")


def test_waiting_entries_share_one_commit() -> None:
    append = GatedAppend()
    writer = GroupCommitWriter(append=append, batch_max=100, after_commit=lambda: None)
    try:
        first = submit_in_thread(writer, ExchangeRecordFactory())
        assert append.entered.wait(30)
        others = [submit_in_thread(writer, ExchangeRecordFactory()) for _ in range(10)]
        wait_for_queue(writer, 10)
        append.gate.set()
        assert first()["index"] == 0
        assert sorted(result()["index"] for result in others) == list(range(1, 11))
    finally:
        writer.stop()
    assert append.batches == [1, 10]
    assert verify_journal().ok


def test_a_failed_batch_fails_every_waiter_and_keeps_nothing() -> None:
    existing = ExchangeRecordFactory()
    journal_record(existing)
    append = GatedAppend()
    writer = GroupCommitWriter(append=append, batch_max=100, after_commit=lambda: None)
    try:
        first = submit_in_thread(writer, ExchangeRecordFactory())
        assert append.entered.wait(30)
        doomed = [
            submit_in_thread(writer, ExchangeRecordFactory()),
            submit_in_thread(writer, ExchangeRecordFactory(exchange_id=existing.exchange_id)),
            submit_in_thread(writer, ExchangeRecordFactory()),
        ]
        wait_for_queue(writer, 3)
        append.gate.set()
        assert first()["index"] == 1
        outcomes = [result() for result in doomed]
        assert all(isinstance(outcome.get("error"), JournalUnavailable) for outcome in outcomes)
        later = submit_in_thread(writer, ExchangeRecordFactory())
        assert later()["index"] == 2
    finally:
        writer.stop()
    assert append.batches == [1, 3, 1]
    assert JournalEntry.objects.count() == 3
    assert verify_journal().ok


def backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        return {pid for (pid,) in cursor.fetchall()}


def test_the_writer_closes_its_connection_when_it_stops(batching: None) -> None:
    postgres = connection.vendor == "postgresql"
    # Earlier tests' threads may still hold connections to this database: only the backends
    # that appear while the writer runs are its own.
    before = backends() if postgres else set()
    record_many(3)
    assert any(thread.name == "journal-writer" for thread in threading.enumerate())
    if postgres:
        assert backends() - before, "the writer opened no connection of its own"
    journal_writer_stop()
    assert not any(thread.name == "journal-writer" for thread in threading.enumerate())
    if postgres:
        # The server ends a closed connection's backend a moment after the client closes it: a
        # leaked connection stays listed, a closed one leaves the list within the second.
        deadline = time.monotonic() + 5
        while (left := backends() - before) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left
    assert journal_record(ExchangeRecordFactory()) == 3  # a new writer starts on demand


def append_from_process(results: Any, count: int) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(record_many, count) for _ in range(4)]
        recorded = [(index, exchange.hex) for f in futures for index, exchange in f.result()]
    journal_writer_stop()
    connections.close_all()
    results.put(recorded)


@pytest.mark.postgres
def test_several_processes_share_one_gapless_journal(batching: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory test database of SQLite is not shared between processes")
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [context.Process(target=append_from_process, args=(results, 20)) for _ in range(3)]
    for process in processes:
        process.start()
    recorded = [pair for _ in processes for pair in results.get(timeout=120)]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    assert_gapless_and_verifiable([(index, uuid.UUID(hex=hexa)) for index, hexa in recorded])
