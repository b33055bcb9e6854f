"""A throw-away PostgreSQL cluster on loopback for the benchmarks.

Uses DLNUF_BENCH_POSTGRES_URL when given; otherwise, when the server binaries are installed,
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)]
    return command


@contextlib.contextmanager
def postgres_url() -> Iterator[str | None]:
    """Yield a database URL, or None when PostgreSQL is not available here."""
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
        subprocess.run(
            _as_postgres(
                [f"{bin_dir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
                + ["dlnuf_bench"]
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/dlnuf_bench"
    finally:
        subprocess.run(
            _as_postgres([f"{bin_dir}/pg_ctl", "-D", data_dir, "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)
