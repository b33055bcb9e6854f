"""Failover of the database under load: a synchronous standby takes over and no exchange that was
answered with data loses its journal entry.

On loopback: a PostgreSQL primary and a synchronous streaming standby, a sandbox provider, two
gateway-only nodes (config.settings_gateway; separate granian processes, each with its own
local-memory cache) whose DATABASE_URL names both servers with ``target_session_attrs=read-write``,
and several clients.
The primary is stopped abruptly mid-load; while no server can commit, the nodes must answer only
503 ``journal_unavailable``; once the standby is promoted, libpq finds it on its own.

Needs the PostgreSQL server binaries: skipped without them, unless
DLNUF_REQUIRE_POSTGRES_BINARIES is set (CI sets it), where it fails instead. It builds its own
servers, so it runs in the SQLite pass of ``make test`` only.
"""

import os
import pwd
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from bench.cluster_bench import (
    DATASET,
    PostgresPair,
    database_prepare,
    gateway_query,
    node_environment,
    postgres_pair,
)
from bench.postgres import postgres_bin_dir
from bench.servers import free_port, granian_server, manage

pytestmark = pytest.mark.failover

CLIENTS = 6
NODE_THREADS = 8
HEALTHY_SECONDS = 3.0
OUTAGE_SECONDS = 3.0
RECOVERED_SECONDS = 3.0


@dataclass(frozen=True)
class Answer:
    node: int
    sent_at: float
    answered_at: float
    status: int
    code: str
    exchange_id: str
    journal_index: int


def _require_binaries() -> None:
    if postgres_bin_dir() is not None and (os.geteuid() != 0 or _postgres_user_exists()):
        return
    message = "PostgreSQL server binaries are not installed (Debian package « postgresql »)"
    if os.environ.get("DLNUF_REQUIRE_POSTGRES_BINARIES"):
        pytest.fail(message + " and DLNUF_REQUIRE_POSTGRES_BINARIES is set")
    pytest.skip(message)


def _postgres_user_exists() -> bool:
    # As root the servers run as the postgres user: initdb refuses root.
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


@pytest.fixture
def pair() -> Iterator[PostgresPair]:
    _require_binaries()
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("builds its own PostgreSQL servers: run once, in the SQLite pass")
    # fsync off: the servers are stopped, never the machine, so the operating system keeps
    # every write; synchronous replication still holds each commit until the standby has it.
    with postgres_pair(fsync=False) as started:
        yield started


def _load(url: str, token: str, node: int, stop: threading.Event, out: list[Answer]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=30.0) as client:
        while not stop.is_set():
            sent_at = time.monotonic()
            try:
                response = client.get(url, headers=headers)
            except httpx.TransportError as error:
                out.append(Answer(node, sent_at, time.monotonic(), 0, repr(error), "", -1))
                continue
            answered_at = time.monotonic()
            try:
                body = response.json()
            except ValueError:
                body = {"code": f"not JSON: {response.text[:80]!r}"}
            meta = body.get("meta") or {}
            out.append(
                Answer(
                    node=node,
                    sent_at=sent_at,
                    answered_at=answered_at,
                    status=response.status_code,
                    code=str(body.get("code", "ok" if response.status_code == 200 else "")),
                    exchange_id=str(meta.get("exchange_id", "")),
                    journal_index=int(meta.get("journal_index", -1)),
                )
            )
            if response.status_code != 200:
                # A refused client retries as a real one would, without spinning on the CPU.
                time.sleep(0.02)


def test_primary_lost_mid_load_loses_no_journaled_exchange(pair: PostgresPair) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-failover-"))
    try:
        with ExitStack() as stack:
            sandbox_port = free_port()
            node_ports = [free_port(), free_port()]
            environment = node_environment(
                database_url=pair.cluster_url(), var_dir=workdir, sandbox_port=sandbox_port
            )
            token = database_prepare(environment)
            pair.standby_attach()
            sandbox_environment = {
                **environment,
                "DATABASE_URL": f"sqlite:///{workdir / 'sandbox.sqlite3'}",
            }
            stack.enter_context(
                granian_server(sandbox_environment, sandbox_port, workers=1, threads=2)
            )
            for port in node_ports:
                stack.enter_context(
                    granian_server(
                        environment, port, workers=1, threads=NODE_THREADS, gateway_only=True
                    )
                )
            query = gateway_query()
            urls = [f"http://127.0.0.1:{port}/api/v1/data/{DATASET}?{query}" for port in node_ports]

            for url in urls:
                _wait_for_data(url, token)

            answers: list[list[Answer]] = [[] for _ in range(CLIENTS)]
            stop = threading.Event()
            clients = [
                threading.Thread(
                    target=_load,
                    args=(urls[number % 2], token, number % 2, stop, answers[number]),
                    daemon=True,
                )
                for number in range(CLIENTS)
            ]
            for client in clients:
                client.start()
            try:
                time.sleep(HEALTHY_SECONDS)
                pair.primary_crash()
                crashed_at = time.monotonic()
                time.sleep(OUTAGE_SECONDS)
                promoting_at = time.monotonic()
                pair.standby_promote()
                recovered_at = _first_success_after(answers, promoting_at, deadline=30.0)
                time.sleep(RECOVERED_SECONDS)
            finally:
                stop.set()
                for client in clients:
                    client.join(timeout=60)
            everything = [answer for per_client in answers for answer in per_client]

        _check_answers(everything, crashed_at, promoting_at, recovered_at)
        _check_journal(pair, environment, everything)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_data(url: str, token: str) -> None:
    """A node's first exchange loads the application's code; it must not eat the load phase."""
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=30.0) as client:
        while time.monotonic() < deadline:
            response = client.get(url, headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 200:
                return
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer with data within 60 s: {response.text}")


def _first_success_after(answers: list[list[Answer]], since: float, deadline: float) -> float:
    """When both nodes have answered with data again after ``since`` (they find the promoted
    standby on their own, through the multi-host address)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        recovered = [
            min(
                (
                    a.answered_at
                    for per_client in answers
                    for a in per_client
                    if a.node == node and a.status == 200 and a.sent_at > since
                ),
                default=None,
            )
            for node in (0, 1)
        ]
        if all(moment is not None for moment in recovered):
            return max(moment for moment in recovered if moment is not None)
        time.sleep(0.1)
    pytest.fail(f"the nodes did not answer with data within {deadline} s of the promotion")


def _check_answers(
    answers: list[Answer], crashed_at: float, promoting_at: float, recovered_at: float
) -> None:
    outcomes = sorted({(a.status, a.code) for a in answers})
    assert outcomes == [(200, "ok"), (503, "journal_unavailable")], outcomes
    # While neither server could commit (primary gone, standby not yet promoted), no data.
    outage = [a for a in answers if a.sent_at > crashed_at and a.answered_at < promoting_at]
    assert outage, "no request fell inside the outage"
    assert {a.status for a in outage} == {503}, sorted({(a.status, a.code) for a in outage})
    before = [a for a in answers if a.answered_at < crashed_at and a.status == 200]
    after = [a for a in answers if a.sent_at > recovered_at and a.status == 200]
    assert len(before) >= 10, "too little load before the primary was lost"
    assert len(after) >= 10, "too little load after the standby took over"
    assert {a.node for a in before} == {0, 1}
    assert {a.node for a in after} == {0, 1}


def _check_journal(pair: PostgresPair, environment: dict[str, str], answers: list[Answer]) -> None:
    with psycopg.connect(pair.server_url(pair.standby_port)) as connection:
        assert connection.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        rows = connection.execute(
            'SELECT "index", exchange_id FROM journal_journalentry ORDER BY "index"'
        ).fetchall()
    journaled = {exchange_id: index for index, exchange_id in rows}
    assert [index for index, _ in rows] == list(range(len(rows))), "journal indices have a gap"
    served = [a for a in answers if a.status == 200]
    lost = [a for a in served if journaled.get(uuid.UUID(a.exchange_id)) != a.journal_index]
    assert not lost, f"{len(lost)} of {len(served)} answered exchanges have no entry: {lost[:3]}"
    on_new_primary = {**environment, "DATABASE_URL": pair.server_url(pair.standby_port)}
    verified = manage(on_new_primary, "journal_verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
