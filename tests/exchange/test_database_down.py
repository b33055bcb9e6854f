"""The database goes away under the gateway, then comes back.

The exchange reads the credential and writes the journal in the database. While the database is
down every call must be answered 503 ``journal_unavailable`` (problem+json, no data), never an
error page; once it is back, both workers serve again within seconds, without being restarted.

A PostgreSQL cluster of the test's own (stopped and started like a failover would) is started
on loopback; the test is skipped when the PostgreSQL server binaries are not installed.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from dlnuf.sandbox.cases import sandbox_identities
from tests.live_stack import WORKERS, Answer, Stack, fetch, free_port, running_stack

DATASET = "quotient-familial"
SCOPES = "cnaf_quotient_familial"
RECIPIENT = "13002526500013"
# More calls than the two workers have threads in flight at once, so that both workers answer.
CALLS_PER_PHASE = 12
# How long the workers may take to serve again once the database is back.
RECOVERY_SECONDS = 10


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and the server refuse to run as root.
    if os.geteuid() == 0:
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)]
    return command


@dataclass
class Cluster:
    bin_dir: str
    data_dir: str
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        options = f"'-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1'"
        subprocess.run(  # noqa: S603 - the installed PostgreSQL, fixed arguments
            _as_postgres(
                [
                    *(f"{self.bin_dir}/pg_ctl", "-D", self.data_dir),
                    *("-l", f"{self.data_dir}/log", "-w", "-o", options, *args),
                ]
            ),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        pytest.skip("PostgreSQL server binaries are not installed")
    data_dir = tempfile.mkdtemp(prefix="dlnuf-test-pg-")
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres")
    cluster = Cluster(bin_dir=bins[-1], data_dir=data_dir, port=free_port())
    subprocess.run(  # noqa: S603 - the installed PostgreSQL, fixed arguments
        _as_postgres(
            [f"{cluster.bin_dir}/initdb", "-D", data_dir, "-A", "trust", "-U", "postgres"]
        ),
        check=True,
        capture_output=True,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(  # noqa: S603 - the installed PostgreSQL, fixed arguments
            _as_postgres([f"{cluster.bin_dir}/pg_ctl", "-D", data_dir, "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def stack(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    # The stack creates its database on the server DATABASE_URL names.
    monkeypatch.setenv("DATABASE_URL", cluster.url)
    with running_stack(redis_url=None, settings={"DLNUF_JOURNAL_BATCHING": "true"}) as stack:
        yield stack


def _call(stack: Stack, secret: str) -> Answer:
    identity = next(i for i in sandbox_identities(DATASET) if i.outcome == "found")
    query = urllib.parse.urlencode(
        {**identity.params, "recipient": RECIPIENT, "context": "Cantine", "object": "d-1"},
        doseq=True,
    )
    return fetch(
        f"{stack.url}/api/v1/data/{DATASET}?{query}",
        headers={"Authorization": f"Bearer {secret}"},
    )


def _journal_size(stack: Stack) -> int:
    output = stack.manage(
        "shell",
        "-c",
        "from dlnuf.journal.selectors import tree_head_current; print(tree_head_current().size)",
    )
    return int(output.strip().splitlines()[-1])


def test_database_down_gives_503_without_data_then_the_gateway_recovers(
    cluster: Cluster, stack: Stack
) -> None:
    secret = (
        stack.manage(
            "issue_credential",
            *("--siret", RECIPIENT, "--dataset", DATASET, "--scopes", SCOPES),
            *("--environment", "production"),
        )
        .strip()
        .splitlines()[-1]
    )
    before = [_call(stack, secret) for _ in range(CALLS_PER_PHASE)]
    assert [answer.status for answer in before] == [200] * CALLS_PER_PHASE

    cluster.stop()
    try:
        during = [_call(stack, secret) for _ in range(CALLS_PER_PHASE)]
    finally:
        cluster.start()
    for answer in during:
        _assert_journal_unavailable(answer)

    # Every worker reconnects on its own, without a restart. A worker's first write after the
    # database is back may still meet a connection that died with it: that call is a 503 without
    # data (never an error page, never data without its entry), then the worker serves again.
    deadline = time.monotonic() + RECOVERY_SECONDS
    served: list[Answer] = []
    refused = 0
    while len(served) < CALLS_PER_PHASE and time.monotonic() < deadline:
        answer = _call(stack, secret)
        if answer.status == 200:
            served.append(answer)
        else:
            _assert_journal_unavailable(answer)
            refused += 1
    assert len(served) == CALLS_PER_PHASE, f"not served again within {RECOVERY_SECONDS} s"
    # At most one refusal per worker: the connection that died, never a lasting failure.
    assert refused <= WORKERS, refused
    # Exactly the answers with data were journaled: none of the 503s left an entry.
    assert _journal_size(stack) == 2 * CALLS_PER_PHASE
    assert "Journal intègre" in stack.manage("journal_verify")


def _assert_journal_unavailable(answer: Answer) -> None:
    assert answer.status == 503, answer
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = json.loads(answer.body)
    assert problem["code"] == "journal_unavailable", problem
    assert "data" not in problem
