"""A throw-away PostgreSQL cluster on loopback for the benchmarks.

Uses the server of DLNUF_BENCH_POSTGRES_URL when given (its role must be allowed to create
databases); otherwise, when the server binaries are installed,
starts a cluster in a temporary directory (as the ``postgres`` user when run as root, since
initdb refuses root) and removes it afterwards.
"""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)]
    return command


def fresh_database(server_url: str, name: str) -> str:
    """Create (or re-create) an empty database ``name`` on that server; return its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield the URL of a PostgreSQL server to create databases on, or None when there is none."""
    given = os.environ.get("DLNUF_BENCH_POSTGRES_URL")
    if given:
        yield given
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        yield None
        return
    bin_dir = bins[-1]
    data_dir = tempfile.mkdtemp(prefix="dlnuf-bench-pg-")
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([f"{bin_dir}/initdb", "-D", data_dir, "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"'-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c max_connections=200'"
    subprocess.run(
        _as_postgres(
            [f"{bin_dir}/pg_ctl", "-D", data_dir, "-l", f"{data_dir}/log", "-w", "-o", options]
            + ["start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([f"{bin_dir}/pg_ctl", "-D", data_dir, "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)
