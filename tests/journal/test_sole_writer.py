"""On SQLite, the journal's appending transactions of every process of the machine take turns on a
file lock, instead of meeting on SQLite's write lock, whose busy handler sleeps in growing steps.
"""

import fcntl
import select
import shutil
import subprocess
import sys
from pathlib import Path

from tests.live_stack import ROOT, _base_environment, _migrated_sqlite_template

APPEND_ONE = """
import uuid
from django.utils import timezone
from dlnuf.journal.services import ExchangeRecord, journal_entries_append

record = ExchangeRecord(
    exchange_id=uuid.uuid4(), occurred_at=timezone.now(), consumer_siret="13002526500013",
    habilitation_id=None, credential_id=None, dataset_slug="quotient-familial", scopes=(),
    fields_returned=(), recipient="13002526500013", context="Cantine", object="d-1",
    provider="cnaf", status=200, code="ok", latency_ms=1.0, subject_key="",
)
print("ready", flush=True)
print("appended", journal_entries_append(records=[record]), flush=True)
"""


def _line_within(process: subprocess.Popen[str], seconds: float) -> str | None:
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], seconds)
    return process.stdout.readline().strip() if readable else None


def test_an_append_waits_for_the_machine_wide_writer_lock(tmp_path: Path) -> None:
    database = tmp_path / "journal.sqlite3"
    shutil.copyfile(_migrated_sqlite_template(), database)
    env = {**_base_environment(tmp_path), "DATABASE_URL": f"sqlite:///{database}"}
    with open(f"{database}-journal.lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-v", "0"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        with process:
            try:
                assert process.stdin is not None
                process.stdin.write(APPEND_ONE)
                process.stdin.close()
                assert _line_within(process, 60) == "ready"
                # Another process holds the writer lock: the append must not start meanwhile.
                assert _line_within(process, 1.5) is None
                fcntl.flock(lock, fcntl.LOCK_UN)
                assert _line_within(process, 30) == "appended [0]"
            finally:
                # A process still waiting for the lock held here would never end.
                if process.poll() is None:
                    process.kill()
