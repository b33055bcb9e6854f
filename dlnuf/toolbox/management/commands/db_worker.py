"""The toolbox's background worker: django-tasks' database worker, kept alive through database
errors.

The worker of ``django_tasks_db`` opens its claiming transaction outside its own error handling:
with SQLite's ``IMMEDIATE`` transactions one "database is locked" ends the process for good, and
every analysis then waits forever. This command (it replaces the package's ``db_worker``, as
``dlnuf.toolbox`` comes first in ``INSTALLED_APPS``) takes the same options and runs the same loop;
when the database fails (locked, connection lost) it logs a line, waits — twice as long each
time in a row, a minute at most — and polls again.
"""

import contextlib
import logging
import time
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("django_tasks_db")

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0


class ResilientWorker(db_worker.Worker):
    def run(self) -> None:
        wait = FIRST_RETRY_SECONDS
        while True:
            started = time.monotonic()
            try:
                super().run()
            except (OperationalError, InterfaceError) as error:
                # A worker that ran well for longer than the longest wait starts over from the
                # shortest one: only failures in a row make it wait longer.
                if time.monotonic() - started > MAX_RETRY_SECONDS:
                    wait = FIRST_RETRY_SECONDS
                logger.warning(
                    "Database error in the toolbox worker (%s); retrying in %.0f s.",
                    str(error).strip() or type(error).__name__,
                    wait,
                )
                with contextlib.suppress(DatabaseError):
                    connections.close_all()
                time.sleep(wait)
                wait = min(2 * wait, MAX_RETRY_SECONDS)
                # The random delay spreads workers that start together; a restart needs none.
                self.startup_delay = False
                continue
            return


class Command(db_worker.Command):
    help = (
        "Run the database background worker of the toolbox; database errors are logged and "
        "retried instead of stopping it"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # The package's command builds the worker it names ``Worker``: handing it this one keeps
        # every option, check and signal handling of the package as they are.
        original = db_worker.Worker
        db_worker.Worker = ResilientWorker  # type: ignore[misc]
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original  # type: ignore[misc]
