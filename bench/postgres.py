"""A throw-away PostgreSQL cluster on loopback for the benchmarks.

Uses the server of DLNUF_BENCH_POSTGRES_URL when given (its role must be allowed to create
databases); otherwise, when the server binaries are installed,
starts a cluster in a temporary directory (as the ``postgres`` user when run as root, since
initdb refuses root) and removes it afterwards.
"""

import contextlib
import glob
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

from bench.servers import free_port


def postgres_bin_dir() -> str | None:
    """The newest installed PostgreSQL server binaries, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return found[-1] if found else None


def as_postgres(command: list[str]) -> list[str]:
    # initdb and the server refuse to run as root.
    if os.geteuid() == 0:
        return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
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
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        yield None
        return
    data_dir = tempfile.mkdtemp(prefix="dlnuf-bench-pg-")
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres")
    port = free_port()
    subprocess.run(
        as_postgres([f"{bin_dir}/initdb", "-D", data_dir, "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(
        as_postgres(
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
            as_postgres([f"{bin_dir}/pg_ctl", "-D", data_dir, "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)
