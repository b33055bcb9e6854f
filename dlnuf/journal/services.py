"""Writes to the journal: append entries (with the tree state) and sign tree heads."""

import atexit
import fcntl
import functools
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from dlnuf.journal.encoding import ENTRY_COLUMNS, entry_canonical_bytes, json_list
from dlnuf.journal.errors import JournalUnavailable
from dlnuf.journal.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    fold_blocks,
    frontier_append,
    leaf_hash,
)
from dlnuf.journal.models import (
    EPOCH,
    MICROSECOND,
    JournalEntry,
    MerkleNode,
    SignedTreeHead,
    TreeHead,
)
from dlnuf.journal.selectors import tree_head_current
from dlnuf.journal.signing import journal_key, sign_tree_head
from dlnuf.journal.writer import GroupCommitWriter
from dlnuf.prepared import prepared_cursor

__all__ = [
    "ExchangeRecord",
    "JournalUnavailable",
    "journal_entries_append",
    "journal_record",
    "journal_writer_stop",
    "tree_head_sign",
]

# The batching writer also signs the tree head on its own, at most this often per process, so
# that signed checkpoints exist even when nobody asks for one.
WRITER_SIGNING_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class ExchangeRecord:
    exchange_id: uuid.UUID
    occurred_at: datetime  # aware
    consumer_siret: str
    habilitation_id: int | None
    credential_id: int | None
    dataset_slug: str
    scopes: tuple[str, ...]  # scope slugs applied
    fields_returned: tuple[str, ...]  # names/paths of the fields returned, never values
    recipient: str
    context: str
    object: str
    provider: str  # provider slug
    status: int  # HTTP status answered to the consumer
    code: str  # "ok" or the problem code answered
    latency_ms: float
    subject_key: str  # from dlnuf.journal.subjects.subject_key()
    # The provider's answer held fields no rule expects; they were removed, never forwarded.
    unexpected_fields_removed: bool = False


def _storable(text: str) -> str:
    """The text as the database can hold it: PostgreSQL refuses NUL characters and no database
    takes lone surrogates; both become U+FFFD. Trace parameters come from the consumer's
    request and an exchange refused for bad input is journaled too."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode()
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(char) <= 0xDFFF else char for char in text)
    return text


def _entry_values(record: ExchangeRecord) -> tuple[Any, ...]:
    """The entry's columns after ``index``, in canonical order.

    Runs in the caller's thread, so that a record the database could not take fails alone
    instead of failing the whole batch it would have joined.
    """
    if record.occurred_at.tzinfo is None:
        raise ValueError("occurred_at doit être une date avec fuseau horaire.")
    if len(record.consumer_siret) > 14 or len(record.subject_key) > 64:
        raise ValueError("consumer_siret (14 caractères) ou subject_key (64) trop long.")
    if not 100 <= record.status <= 599:
        raise ValueError(f"Statut HTTP impossible : {record.status}.")
    return (
        record.exchange_id.hex,
        (record.occurred_at - EPOCH) // MICROSECOND,
        record.consumer_siret,
        record.habilitation_id,
        record.credential_id,
        _storable(record.dataset_slug),
        json_list([_storable(scope) for scope in record.scopes]),
        json_list([_storable(name) for name in record.fields_returned]),
        _storable(record.recipient),
        _storable(record.context),
        _storable(record.object),
        _storable(record.provider),
        int(record.status),
        _storable(record.code),
        round(record.latency_ms * 1000),
        record.subject_key,
        bool(record.unexpected_fields_removed),
    )


def _head_sql() -> tuple[str, str]:
    """SELECT (locking) and UPDATE of the head row, as raw SQL: they run once per commit."""
    quote = connection.ops.quote_name
    table = quote(TreeHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = f"SELECT {quote('size')}, {quote('frontier')} FROM {table} WHERE id = %s{lock}"  # noqa: S608
    assignments = ", ".join(
        f"{quote(name)} = %s" for name in ("size", "root_hash", "frontier", "updated_at")
    )
    return select, f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608


def _lock_head(cursor: CursorWrapper, select: str) -> tuple[int, list[bytes]]:
    """Lock the head row (creating it for an empty journal) and return size and frontier.

    PostgreSQL takes a row lock (SELECT … FOR UPDATE); SQLite already holds the database's
    write lock since BEGIN IMMEDIATE.
    """
    cursor.execute(select, [TreeHead.SINGLETON_ID])
    row = cursor.fetchone()
    if row is None:
        TreeHead.objects.bulk_create(
            [TreeHead(size=0, root_hash=EMPTY_ROOT, frontier=b"", updated_at=timezone.now())],
            ignore_conflicts=True,
        )
        cursor.execute(select, [TreeHead.SINGLETON_ID])
        row = cursor.fetchone()
    size, stored_frontier = row
    frontier = bytes(stored_frontier)
    if len(frontier) != HASH_SIZE * size.bit_count():
        raise JournalUnavailable("La tête de l'arbre est incohérente ; lancez journal_verify.")
    return size, [frontier[i : i + HASH_SIZE] for i in range(0, len(frontier), HASH_SIZE)]


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(columns))
    names = ", ".join(map(quote, columns))
    # Quoted model identifiers only; the values are bound parameters.
    return f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})"  # noqa: S608


_ENTRY_DB_COLUMNS = (*ENTRY_COLUMNS, "leaf_hash")
_EXCHANGE_ID_POSITION = ENTRY_COLUMNS.index("exchange_id")


@contextmanager
def _sole_sqlite_writer() -> Iterator[None]:
    """On SQLite, one appending transaction at a time across the machine's processes.

    Two workers' writers would otherwise meet on SQLite's write lock, whose busy handler retries
    after sleeps growing to 100 ms: a commit of a few milliseconds then costs the other writer
    tens of them, the tail of a loaded gateway. A waiter on this file lock is woken the moment
    the lock is released. Inside an outer transaction the database lock is already decided.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    name = str(connection.settings_dict["NAME"])
    if connection.creation.is_in_memory_db(name):  # type: ignore[attr-defined]
        yield
        return
    # Opened per transaction: a lock held by one thread of this process must exclude the others.
    with open(f"{name}-journal.lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@dataclass(frozen=True)
class _Head:
    size: int
    root: bytes
    frontier: tuple[bytes, ...]


@dataclass(frozen=True)
class _Extension:
    """A batch placed after a known head: its rows, its new tree nodes, and the new head."""

    entry_rows: list[tuple[Any, ...]]
    node_rows: list[tuple[int, bytes]]
    head: _Head


def _extension(head: _Head, prepared: Sequence[tuple[Any, ...]]) -> _Extension:
    native_uuid = connection.features.has_native_uuid_field
    frontier = list(head.frontier)
    entry_rows: list[tuple[Any, ...]] = []
    node_rows: list[tuple[int, bytes]] = []
    for index, values in enumerate(prepared, start=head.size):
        row = (index, *values)
        leaf = leaf_hash(entry_canonical_bytes(row))
        if native_uuid:
            row = (
                *row[:_EXCHANGE_ID_POSITION],
                uuid.UUID(hex=row[_EXCHANGE_ID_POSITION]),
                *row[_EXCHANGE_ID_POSITION + 1 :],
            )
        entry_rows.append((*row, leaf))
        node_rows.extend(frontier_append(index, frontier, leaf))
    new_head = _Head(head.size + len(prepared), fold_blocks(frontier), tuple(frontier))
    return _Extension(entry_rows, node_rows, new_head)


@dataclass(frozen=True)
class _LastAppend:
    head: _Head
    # Nobody else appended between this thread's previous append and this one: worth trying to
    # append next time without reading the head first.
    alone: bool


# What this thread last appended, per database: on PostgreSQL the next append starts from it
# without reading the head (see _append_if_head_unchanged).
_last_append = threading.local()


def _remember(last: _LastAppend | None) -> None:
    _last_append.by_database = {
        **getattr(_last_append, "by_database", {}),
        connection.settings_dict["NAME"]: last,
    }


def _remembered() -> _LastAppend | None:
    by_database: dict[str, _LastAppend | None] = getattr(_last_append, "by_database", {})
    return by_database.get(connection.settings_dict["NAME"])


def _append_prepared(prepared: Sequence[tuple[Any, ...]]) -> list[int]:
    if not prepared:
        return []
    if connection.vendor == "postgresql":
        indices = _append_if_head_unchanged(prepared)
        if indices is not None:
            return indices
    with _sole_sqlite_writer():
        return _append_in_transaction(prepared)


@transaction.atomic
def _append_in_transaction(prepared: Sequence[tuple[Any, ...]]) -> list[int]:
    select_head, update_head = _head_sql()
    with connection.cursor() as cursor:
        size, frontier = _lock_head(cursor, select_head)
        found = _Head(size, fold_blocks(frontier), tuple(frontier))
        previous = _remembered()
        alone = previous is not None and previous.head == found
        extension = _extension(found, prepared)
        if connection.vendor == "postgresql":
            # The head is locked: the one statement writes the whole batch in one round trip
            # (where inserting entries, nodes and updating the head take three), so the lock is
            # held for less time while other writers queue on it.
            if not _extend_if_head_is(found, extension):
                raise JournalUnavailable("La tête du journal a changé sous son verrou.")
        else:
            cursor.executemany(
                _insert_sql(JournalEntry._meta.db_table, _ENTRY_DB_COLUMNS),
                extension.entry_rows,
            )
            if extension.node_rows:
                cursor.executemany(
                    _insert_sql(MerkleNode._meta.db_table, ("position", "hash")),
                    extension.node_rows,
                )
            updated_at = connection.ops.adapt_datetimefield_value(timezone.now())
            cursor.execute(
                update_head,
                [
                    extension.head.size,
                    extension.head.root,
                    b"".join(extension.head.frontier),
                    updated_at,
                    TreeHead.SINGLETON_ID,
                ],
            )
    # Forgotten unless the transaction commits: an outer transaction may still roll it back, and
    # the remembered head is only ever a guess that the database confirms (by size and root).
    transaction.on_commit(lambda: _remember(_LastAppend(extension.head, alone)))
    return list(range(size, extension.head.size))


@functools.cache
def _conditional_append_sql() -> str:
    """One PostgreSQL statement that appends a batch only if the head is still the one given.

    The head row is updated only where its size AND root are the expected ones (the root at a
    size fixes the whole frontier); the entries and nodes are inserted only if that update
    matched. One statement is one transaction in autocommit mode: the whole append, commit
    included, is a single round trip, where reading and locking the head first takes four. The
    locking path writes with it too, its conditions then met by the head it holds.
    """
    quote = connection.ops.quote_name
    entry_fields = {field.column: field for field in JournalEntry._meta.concrete_fields}
    entry_types = [entry_fields[column].db_type(connection) for column in _ENTRY_DB_COLUMNS]
    entry_arrays = ", ".join(f"%s::{db_type}[]" for db_type in entry_types)
    entry_names = ", ".join(map(quote, _ENTRY_DB_COLUMNS))
    head, entries, nodes = (
        quote(model._meta.db_table) for model in (TreeHead, JournalEntry, MerkleNode)
    )
    size, root, frontier, updated_at = map(quote, ("size", "root_hash", "frontier", "updated_at"))
    # Quoted model identifiers only; every value is a bound parameter.
    return (
        f"WITH moved AS (UPDATE {head} SET {size} = %s, {root} = %s, {frontier} = %s,"  # noqa: S608
        f" {updated_at} = %s WHERE id = %s AND {size} = %s AND {root} = %s RETURNING 1),"
        f" added AS (INSERT INTO {entries} ({entry_names}) SELECT * FROM unnest({entry_arrays})"
        f" WHERE EXISTS (SELECT FROM moved) RETURNING 1),"
        f" grown AS (INSERT INTO {nodes} ({quote('position')}, {quote('hash')})"
        f" SELECT * FROM unnest(%s::bigint[], %s::bytea[]) WHERE EXISTS (SELECT FROM moved)"
        f" RETURNING 1)"
        f" SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM added),"
        f" (SELECT count(*) FROM grown)"
    )


def _append_if_head_unchanged(prepared: Sequence[tuple[Any, ...]]) -> list[int] | None:
    """Append in one round trip when the head is still the one this thread last committed.

    None when this thread has not appended alone lately, or another writer moved the head since:
    nothing was written, and the caller takes the locking path. That path tells, by comparing
    the head it finds with the one this thread left, whether the next append may skip it again.
    """
    last = _remembered()
    if connection.in_atomic_block or last is None or not last.alone:
        return None
    head = last.head
    extension = _extension(head, prepared)
    if not _extend_if_head_is(head, extension):
        _remember(_LastAppend(head, alone=False))
        return None
    _remember(_LastAppend(extension.head, alone=True))
    return list(range(head.size, extension.head.size))


def _extend_if_head_is(head: _Head, extension: _Extension) -> bool:
    """Write ``extension`` in one statement if the head is still ``head``; False, with nothing
    written, when it is not (PostgreSQL only)."""
    entry_columns = [list(column) for column in zip(*extension.entry_rows, strict=True)]
    node_columns: list[list[Any]] = [
        [position for position, _ in extension.node_rows],
        [node for _, node in extension.node_rows],
    ]
    with prepared_cursor() as cursor:
        cursor.execute(
            _conditional_append_sql(),
            [
                extension.head.size,
                extension.head.root,
                b"".join(extension.head.frontier),
                connection.ops.adapt_datetimefield_value(timezone.now()),
                TreeHead.SINGLETON_ID,
                head.size,
                head.root,
                *entry_columns,
                *node_columns,
            ],
        )
        moved, added, grown = cursor.fetchone()
    if not moved:
        return False
    if (added, grown) != (len(extension.entry_rows), len(extension.node_rows)):
        # Cannot happen inside one statement; if it ever did, the journal must stop, not guess.
        raise JournalUnavailable("L'ajout au journal est incomplet ; lancez journal_verify.")
    return True


def journal_entries_append(*, records: Sequence[ExchangeRecord]) -> list[int]:
    """Append ``records`` in one transaction, in order; returns their indices.

    The same path as the exchanges' entries (leaves, nodes and head written together); used
    directly to load many entries at once.
    """
    return _append_prepared([_entry_values(record) for record in records])


def journal_record(record: ExchangeRecord) -> int:
    """Append one entry durably and return its leaf index (0-based). Blocks until the entry is
    committed (batched with concurrent entries when DLNUF_JOURNAL_BATCHING). Raises
    JournalUnavailable when it cannot be written."""
    values = _entry_values(record)
    if settings.DLNUF_JOURNAL_BATCHING:
        return _process_writer().submit(values)
    try:
        return _append_prepared([values])[0]
    except (DatabaseError, OSError) as error:  # OSError: the SQLite writer lock file
        raise JournalUnavailable("L'entrée n'a pas pu être écrite.") from error


def tree_head_sign() -> SignedTreeHead:
    """Sign the current tree head and archive the signature.

    When the latest archived signature already covers the current head with the current key, it
    is returned as it is: asking for the tree head again and again adds no rows, and takes no
    write lock.
    """
    head = tree_head_current()
    key = journal_key()
    latest = SignedTreeHead.objects.order_by("-id").first()
    if (
        latest is not None
        and latest.tree_size == head.size
        and bytes(latest.root_hash) == head.root_hash
        and latest.key_id == key.key_id
    ):
        return latest
    timestamp_ms = int(time.time() * 1000)
    if latest is not None:
        timestamp_ms = max(timestamp_ms, latest.timestamp_ms)
    signature = sign_tree_head(
        tree_size=head.size, timestamp_ms=timestamp_ms, root_hash=head.root_hash
    )
    with transaction.atomic():
        return SignedTreeHead.objects.create(
            tree_size=head.size,
            timestamp_ms=timestamp_ms,
            root_hash=head.root_hash,
            key_id=key.key_id,
            signature=signature,
        )


class _PeriodicSigner:
    def __init__(self) -> None:
        self._last = float("-inf")

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= WRITER_SIGNING_INTERVAL_SECONDS:
            self._last = now
            tree_head_sign()


_writer: GroupCommitWriter | None = None
_writer_lock = threading.Lock()


def _process_writer() -> GroupCommitWriter:
    global _writer
    writer = _writer
    if writer is not None and writer.pid == os.getpid():
        return writer
    with _writer_lock:
        if _writer is None or _writer.pid != os.getpid():
            _writer = GroupCommitWriter(
                append=_append_prepared,
                batch_max=settings.DLNUF_JOURNAL_BATCH_MAX,
                after_commit=_PeriodicSigner(),
            )
        return _writer


def journal_writer_stop() -> None:
    """Finish the pending entries and stop this process's writer thread (it restarts on demand)."""
    global _writer
    with _writer_lock:
        writer, _writer = _writer, None
    if writer is not None and writer.pid == os.getpid():
        writer.stop()


def _forget_writer_in_child() -> None:
    # A forked child has none of the parent's threads; its first entry starts its own writer.
    global _writer, _writer_lock
    _writer = None
    _writer_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_writer_in_child)
atexit.register(journal_writer_stop)
