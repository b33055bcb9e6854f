"""The toolbox's worker is a real process on a SQLite file: it outlives a held write lock and
then runs the analysis that was waiting."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENQUEUE = """
from dlnuf.organisations.models import User
from dlnuf.toolbox.models import ToolKind
from dlnuf.toolbox.services import tool_report_create

agent = User.objects.create_user(username="agent", email="agent@example.org", password="x")
tool_report_create(
    kind=ToolKind.TECH_REVIEW,
    actor=agent,
    title="Revue",
    inputs={
        "source": "files",
        "files": [{"name": "requirements.txt", "text": "django==5.2.1\\n"}],
        "distribution": "libre",
        "long_lived": True,
    },
)
"""


def _manage(environment: dict[str, str], *arguments: str) -> None:
    subprocess.run(  # noqa: S603 - the project's own manage.py
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    )


def _report_status(database: Path) -> str:
    with sqlite3.connect(database) as reader:
        row = reader.execute("SELECT status FROM toolbox_toolreport").fetchone()
    return str(row[0])


@pytest.fixture
def worker_database(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    database = tmp_path / "worker.sqlite3"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.toolbox.worker_settings",
        "DLNUF_WORKER_TEST_DATABASE": str(database),
    }
    _manage(environment, "migrate", "--noinput")
    _manage(environment, "shell", "-c", ENQUEUE)
    assert _report_status(database) == "pending"
    return database, environment


def test_the_worker_survives_a_locked_database_and_runs_the_waiting_job(
    worker_database: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    database, environment = worker_database
    log = tmp_path / "worker.log"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.2",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        time.sleep(4)
        assert worker.poll() is None, log.read_text()
        text = log.read_text()
        assert "Database error in the toolbox worker (database is locked); retrying in" in text
        assert _report_status(database) == "pending"

        holder.execute("ROLLBACK")
        deadline = time.monotonic() + 60
        while _report_status(database) != "done" and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _report_status(database) == "done", log.read_text()
        assert worker.poll() is None
    finally:
        holder.close()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
