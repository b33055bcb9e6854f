"""Cluster benchmark: two gateway nodes on one PostgreSQL primary, behind nginx.

Starts on loopback a PostgreSQL primary (and, for the second run, a synchronous streaming standby
made with pg_basebackup), a sandbox provider server, two gateway nodes (separate granian processes,
each with its own local-memory cache) whose DATABASE_URL names both database servers so that libpq
picks the writable one, and nginx as the reverse proxy in front of the two nodes. wrk drives nginx
at one client and at 16 concurrent clients; every exchange must be journaled and the journal must
verify. The same pieces serve tests/deploy/test_failover.py.

    .venv/bin/python bench/cluster_bench.py [--seconds 10] [--json FILE]

Needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin), nginx (Debian « nginx-light »,
installed when missing and run as root) and wrk.
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(ROOT))

from bench.gateway_bench import (  # noqa: E402
    DATASET,
    RECIPIENT,
    SCOPES,
    WRK_SCRIPT,
    _warm_up,
    _wrk,
)
from bench.postgres import as_postgres, postgres_bin_dir  # noqa: E402
from bench.servers import (  # noqa: E402
    PYTHON,
    free_port,
    granian_server,
    manage_checked,
    nginx_config,
    nginx_running,
)

DATABASE_NAME = "dlnuf"
# The standby's name as the primary's synchronous_standby_names sees it (its cluster_name, which
# its WAL receiver reports as application_name).
STANDBY_NAME = "standby1"


class PostgresPair:
    """A primary and, optionally, a synchronous streaming standby, in one temporary directory."""

    def __init__(self, bin_dir: str, root: Path, *, fsync: bool) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.fsync = fsync
        self.primary_dir = root / "primary"
        self.standby_dir = root / "standby"
        self.primary_port = free_port()
        self.standby_port = free_port()

    def _run(self, *command: str) -> None:
        result = subprocess.run(as_postgres(list(command)), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def _start(self, data_dir: Path, port: int, *settings: str) -> None:
        options = [f"-p {port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1"]
        options += ["-c max_connections=200", f"-c fsync={'on' if self.fsync else 'off'}"]
        options += [f"-c {setting}" for setting in settings]
        self._run(
            f"{self.bin_dir}/pg_ctl", "-D", str(data_dir), "-l", f"{data_dir}.log", "-w",
            "-o", " ".join(options), "start",
        )  # fmt: skip

    def start(self) -> None:
        self._run(
            f"{self.bin_dir}/initdb", "-D", str(self.primary_dir), "-A", "trust", "-U", "postgres",
            "--no-sync",
        )  # fmt: skip
        self._start(self.primary_dir, self.primary_port)
        self._run(
            f"{self.bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(self.primary_port),
            "-U", "postgres", DATABASE_NAME,
        )  # fmt: skip

    def standby_attach(self) -> None:
        """Copy the primary with pg_basebackup, start the copy as a streaming standby and make
        it synchronous: from then on a commit returns once the standby has its WAL."""
        self._run(
            f"{self.bin_dir}/pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port),
            "-U", "postgres", "-D", str(self.standby_dir), "-R", "-X", "stream", "--no-sync",
            "--checkpoint=fast",
        )  # fmt: skip
        self._start(self.standby_dir, self.standby_port, f"cluster_name={STANDBY_NAME}")
        # Set on the primary only once the copy is taken: the promoted standby must not wait for a
        # standby of its own, and nothing can commit while the named standby is not connected.
        with psycopg.connect(self.server_url(self.primary_port), autocommit=True) as connection:
            connection.execute(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
            connection.execute("ALTER SYSTEM SET synchronous_commit = 'on'")
            connection.execute("SELECT pg_reload_conf()")
        self._wait_synchronous()

    def _wait_synchronous(self) -> None:
        deadline = time.monotonic() + 30
        with psycopg.connect(self.server_url(self.primary_port), autocommit=True) as connection:
            while time.monotonic() < deadline:
                row = connection.execute(
                    "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s",
                    [STANDBY_NAME],
                ).fetchone()
                if row is not None and row[0] == "sync":
                    return
                time.sleep(0.1)
        raise RuntimeError("the standby did not become synchronous within 30 s")

    def server_url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DATABASE_NAME}"

    def cluster_url(self) -> str:
        """Both servers in one URL: libpq tries them in turn and keeps the one taking writes."""
        hosts = f"127.0.0.1:{self.primary_port},127.0.0.1:{self.standby_port}"
        query = "target_session_attrs=read-write&connect_timeout=2"
        return f"postgres://postgres@{hosts}/{DATABASE_NAME}?{query}"

    def primary_crash(self) -> None:
        """Stop the primary as a power cut would: no checkpoint, connections cut."""
        self._run(f"{self.bin_dir}/pg_ctl", "-D", str(self.primary_dir), "-m", "immediate", "stop")

    def standby_promote(self) -> None:
        self._run(f"{self.bin_dir}/pg_ctl", "-D", str(self.standby_dir), "-w", "promote")

    def stop(self) -> None:
        for data_dir in (self.standby_dir, self.primary_dir):
            if (data_dir / "postmaster.pid").exists():
                subprocess.run(
                    as_postgres(
                        [f"{self.bin_dir}/pg_ctl", "-D", str(data_dir), "-m", "immediate", "stop"]
                    ),
                    capture_output=True,
                    check=False,
                )


@contextmanager
def postgres_pair(*, fsync: bool = True) -> Iterator[PostgresPair]:
    """A running primary holding an empty database; ``standby_attach`` adds the standby."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix="dlnuf-pg-pair-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    pair = PostgresPair(bin_dir, root, fsync=fsync)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
        shutil.rmtree(root, ignore_errors=True)


def node_environment(*, database_url: str, var_dir: Path, sandbox_port: int) -> dict[str, str]:
    """What every node of one deployment shares: database, secrets and journal keys.

    The keys must be the same on every node: each signs tree heads of the one journal and derives
    the same subject keys.
    """
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DLNUF_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": secrets.token_hex(32),
        "DLNUF_JOURNAL_SIGNING_KEY": secrets.token_hex(32),
        "DLNUF_JOURNAL_SUBJECT_SECRET": secrets.token_hex(32),
        "DLNUF_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}/sandbox",
        "DLNUF_RATE_LIMIT_PER_MINUTE": "100000000",
        "DLNUF_JOURNAL_BATCHING": "true",
    }
    for name in ("DLNUF_API_PARTICULIER_URL", "REDIS_URL", "DLNUF_ENVIRONMENT"):
        environment.pop(name, None)
    return environment


_PREPARE = f"""
import io, django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("load_catalogue", stdout=io.StringIO())
issued = io.StringIO()
call_command(
    "issue_credential", siret="{RECIPIENT}", dataset="{DATASET}", scopes="{SCOPES}",
    environment="production", stdout=issued,
)
print(issued.getvalue().strip().splitlines()[-1])
"""


def database_prepare(environment: dict[str, str]) -> str:
    """Migrate, load the catalogue and issue a production credential; return its secret.

    One process for the three steps: each start of Django costs seconds on a busy machine.
    """
    result = subprocess.run(
        [PYTHON, "-c", _PREPARE], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"preparing the database failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def gateway_query() -> str:
    """Subject and trace parameters of a call that finds its person in the sandbox."""
    from bench.cases import found_case_query

    trace = urllib.parse.urlencode(
        {"recipient": RECIPIENT, "context": "Banc d'essai", "object": "grappe-1"}
    )
    return f"{found_case_query(DATASET)}&{trace}"


NGINX_PROXY = """
    upstream gateway_nodes {{
        least_conn;
        {servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gateway_nodes;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
"""


@contextmanager
def nginx_proxy(workdir: Path, port: int, node_ports: list[int]) -> Iterator[None]:
    config = workdir / "nginx.conf"
    servers = "\n        ".join(f"server 127.0.0.1:{node};" for node in node_ports)
    config.write_text(nginx_config(workdir, NGINX_PROXY.format(servers=servers, port=port)))
    with nginx_running(config, workdir, port):
        yield


def _journal_size(database_url: str) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM journal_journalentry").fetchone()
    assert row is not None
    return int(row[0])


def _journal_bytes_per_entry(database_url: str) -> int:
    """Disk taken by the journal (entries, tree nodes, their indexes) per entry."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT (pg_total_relation_size('journal_journalentry')"
            " + pg_total_relation_size('journal_merklenode'))"
            " / greatest(count(*), 1) FROM journal_journalentry"
        ).fetchone()
    assert row is not None
    return int(row[0])


def _cluster_run(seconds: int, *, with_standby: bool, threads: int) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-bench-cluster-"))
    try:
        with ExitStack() as stack:
            pair = stack.enter_context(postgres_pair())
            sandbox_port, proxy_port = free_port(), free_port()
            node_ports = [free_port(), free_port()]
            environment = node_environment(
                database_url=pair.cluster_url(), var_dir=workdir, sandbox_port=sandbox_port
            )
            token = database_prepare(environment)
            if with_standby:
                pair.standby_attach()
            # The sandbox never touches the database: give it one nobody else uses.
            sandbox_environment = {
                **environment,
                "DATABASE_URL": f"sqlite:///{workdir / 'sandbox.sqlite3'}",
            }
            stack.enter_context(
                granian_server(sandbox_environment, sandbox_port, workers=1, threads=2)
            )
            for node_port in node_ports:
                stack.enter_context(
                    granian_server(
                        environment, node_port, workers=1, threads=threads, gateway_only=True
                    )
                )
            stack.enter_context(nginx_proxy(workdir, proxy_port, node_ports))
            script = workdir / "report.lua"
            script.write_text(WRK_SCRIPT)
            url = f"http://127.0.0.1:{proxy_port}/api/v1/data/{DATASET}?{gateway_query()}"
            _warm_up(url, token)
            before = _journal_size(pair.server_url(pair.primary_port))
            runs = {
                "c1": _wrk(url, token, 1, seconds, script),
                "c16": _wrk(url, token, 16, seconds, script),
            }
            answered = sum(int(run["requests"] - run["errors"]) for run in runs.values())
            figures: dict[str, object] = dict(runs)
            journaled = _journal_size(pair.server_url(pair.primary_port)) - before
            figures["exchanges_answered"] = answered
            figures["journal_entries_added"] = journaled
            figures["journal_bytes_per_entry"] = _journal_bytes_per_entry(
                pair.server_url(pair.primary_port)
            )
            verify = manage_checked(environment, "journal_verify")
            figures["journal_verify"] = verify.strip().splitlines()[-1] if verify.strip() else ""
            return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(seconds: int) -> dict[str, object]:
    """Two gateway nodes behind nginx on PostgreSQL: primary alone, then with a synchronous
    standby. Each run's figures: c1 and c16 (wrk: throughput, p50/p95/p99, errors), exchanges
    answered against journal entries added, and journal_verify's verdict."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the cluster benchmark (Debian package « wrk »).")
    if postgres_bin_dir() is None:
        raise SystemExit("The cluster benchmark needs the PostgreSQL server binaries.")
    threads = int(os.environ.get("DLNUF_BENCH_GATEWAY_THREADS", "8"))
    return {
        "topology": "nginx → 2 gateway nodes (granian, 1 worker each) → PostgreSQL",
        "primary_only": _cluster_run(seconds, with_standby=False, threads=threads),
        "synchronous_standby": _cluster_run(seconds, with_standby=True, threads=threads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures = run(args.seconds)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
