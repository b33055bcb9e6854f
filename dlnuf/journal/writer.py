"""Group commit: concurrent exchanges of one process share the journal's transactions.

Callers hand their prepared entry to a single background thread and wait. The thread takes every
pending entry (up to a maximum), appends them in one transaction, commits, then wakes each caller
with its index — or with the error when the transaction failed, in which case nothing of the batch
is kept. One commit per batch instead of one per exchange is what lets a busy gateway journal every
exchange durably. Across processes, the lock on the tree head row keeps indices gapless.

The thread owns its own database connection and keeps it open while entries keep coming (opening
one per commit would cost more than the commit): it closes it after a few idle seconds, after any
error (the next batch reconnects), and when it stops (at interpreter exit, or explicitly). A
connection that sat unused for a moment is checked before its next batch (with
CONN_HEALTH_CHECKS), so that a database restarted meanwhile costs no failed batch.
"""

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections

from dlnuf.journal.errors import JournalUnavailable

logger = logging.getLogger(__name__)

# A caller whose entry has not been taken by the writer after this long gives up (the writer is
# stuck on the database); an entry already taken is always waited for, its commit decides.
QUEUE_WAIT_SECONDS = 30.0
# Without work for this long the writer closes its connection rather than hold it open.
IDLE_SECONDS = 5.0
# After a pause this long the connection is health-checked before use; under steady load it is
# not, since a check costs a round trip per batch.
RECHECK_AFTER_SECONDS = 1.0

_WAITING, _TAKEN, _ABANDONED = range(3)


class _Pending:
    __slots__ = ("_lock", "_state", "done", "error", "index", "values")

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.index = -1
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._state = _WAITING

    def take(self) -> bool:
        with self._lock:
            if self._state == _WAITING:
                self._state = _TAKEN
                return True
            return False

    def abandon(self) -> bool:
        with self._lock:
            if self._state == _WAITING:
                self._state = _ABANDONED
                return True
            return False


_STOP = object()


class GroupCommitWriter:
    """One per process. ``append`` writes a batch in one transaction and returns the indices."""

    def __init__(
        self,
        *,
        append: Callable[[Sequence[tuple[Any, ...]]], list[int]],
        batch_max: int,
        after_commit: Callable[[], None],
    ) -> None:
        self.pid = os.getpid()
        self._append = append
        self._batch_max = max(1, batch_max)
        self._after_commit = after_commit
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[object] | None = None
        self._thread: threading.Thread | None = None

    def submit(self, values: tuple[Any, ...]) -> int:
        pending = _Pending(values)
        with self._lock:
            if self._queue is None or self._thread is None or not self._thread.is_alive():
                self._start()
            assert self._queue is not None
            self._queue.put(pending)
        if not pending.done.wait(QUEUE_WAIT_SECONDS):
            if pending.abandon():
                raise JournalUnavailable("Le journal ne répond pas.")
            pending.done.wait()
        if pending.error is not None:
            raise JournalUnavailable("L'entrée n'a pas pu être écrite.") from pending.error
        return pending.index

    def stop(self, timeout: float = 10.0) -> None:
        """Let the thread finish the entries already submitted, then end it."""
        with self._lock:
            thread, work = self._thread, self._queue
            self._thread = self._queue = None
            if work is not None:
                work.put(_STOP)
        if thread is not None:
            thread.join(timeout)

    def _start(self) -> None:
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._run, args=(self._queue,), name="journal-writer", daemon=True
        )
        self._thread.start()

    def _run(self, work: "queue.SimpleQueue[object]") -> None:
        last_write = time.monotonic()
        try:
            while True:
                try:
                    first = work.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    connections.close_all()
                    continue
                if first is _STOP:
                    return
                batch: list[_Pending] = [first]  # type: ignore[list-item]
                stopping = False
                while len(batch) < self._batch_max:
                    try:
                        item = work.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stopping = True
                        break
                    batch.append(item)  # type: ignore[arg-type]
                if time.monotonic() - last_write > RECHECK_AFTER_SECONDS:
                    for connection in connections.all(initialized_only=True):
                        connection.close_if_unusable_or_obsolete()
                self._write(batch)
                last_write = time.monotonic()
                if stopping:
                    return
        finally:
            connections.close_all()

    def _write(self, batch: list[_Pending]) -> None:
        taken = [pending for pending in batch if pending.take()]
        if not taken:
            return
        try:
            indices = self._append([pending.values for pending in taken])
        except Exception as error:
            # Whatever failed, every waiter must be released; the transaction kept nothing.
            logger.exception("Échec d'écriture de %d entrées du journal", len(taken))
            connections.close_all()
            for pending in taken:
                pending.error = error
                pending.done.set()
            return
        for pending, index in zip(taken, indices, strict=True):
            pending.index = index
            pending.done.set()
        try:
            self._after_commit()
        except Exception:
            logger.exception("Échec de la signature périodique de la tête du journal")
