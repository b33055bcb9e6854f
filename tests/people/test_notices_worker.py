"""The daily digest run for real: the command queues the job, a real worker process on a SQLite
file sends it, and running the command again sends nothing twice while a new consultation still
comes in the next run."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = """
from django.utils import timezone
from dlnuf.catalogue.services import catalogue_load
from dlnuf.people.notices import notice_subscription_confirm, notice_subscription_request
from tests.people.access_world import MARIE, habilitation, organisations, person, record

catalogue_load()
lyon, _ = organisations()
grant = habilitation(lyon)
subscription = notice_subscription_request(viewer=person(MARIE), email="marie@exemple.fr")
notice_subscription_confirm(subscription=subscription)
record(MARIE, occurred_at=timezone.now(), grant=grant)
"""
ANOTHER_CONSULTATION = """
from django.utils import timezone
from dlnuf.habilitations.models import Habilitation
from tests.people.access_world import MARIE, record

record(MARIE, occurred_at=timezone.now(), grant=Habilitation.objects.get())
"""
TASK = "dlnuf.people.notices.notices_send_task"


def _manage(environment: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(  # noqa: S603 - the project's own manage.py
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.stdout


def _query(database: Path, sql: str, *parameters: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as reader:
        return list(reader.execute(sql, parameters).fetchall())


def _digests(database: Path) -> list[str]:
    rows = _query(
        database, "SELECT body FROM outbox_outgoingemail WHERE subject LIKE 'Vos données :%'"
    )
    return [str(body) for (body,) in rows]


def _wait_for_jobs(database: Path, expected: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        statuses = [
            status
            for (status,) in _query(
                database,
                "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = ?",
                TASK,
            )
        ]
        if len(statuses) == expected and set(statuses) == {"SUCCESSFUL"}:
            return
        assert "FAILED" not in statuses
        time.sleep(0.3)
    raise AssertionError(f"the worker did not finish the {expected} digest jobs")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    database = tmp_path / "notices.sqlite3"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.toolbox.worker_settings",
        "DLNUF_WORKER_TEST_DATABASE": str(database),
    }
    _manage(environment, "migrate", "--noinput")
    _manage(environment, "shell", "-c", SETUP)
    with (tmp_path / "worker.log").open("wb") as output:
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
        yield database, environment
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


def test_the_worker_sends_each_consultation_once_and_the_next_one_the_next_run(stack):
    database, environment = stack
    assert "confié au travailleur" in _manage(environment, "send_my_data_notices")
    _wait_for_jobs(database, 1)
    (first,) = _digests(database)
    assert "1 consultation de vos données" in first

    _manage(environment, "send_my_data_notices")
    _wait_for_jobs(database, 2)
    assert len(_digests(database)) == 1

    _manage(environment, "shell", "-c", ANOTHER_CONSULTATION)
    _manage(environment, "send_my_data_notices")
    _wait_for_jobs(database, 3)
    assert len(_digests(database)) == 2
    # The outbox delivered them through the same worker.
    statuses = _query(
        database, "SELECT status FROM outbox_outgoingemail WHERE subject LIKE 'Vos données :%'"
    )
    deadline = time.monotonic() + 30
    while {status for (status,) in statuses} != {"sent"} and time.monotonic() < deadline:
        time.sleep(0.3)
        statuses = _query(
            database,
            "SELECT status FROM outbox_outgoingemail WHERE subject LIKE 'Vos données :%'",
        )
    assert {status for (status,) in statuses} == {"sent"}
