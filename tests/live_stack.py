"""The application as it runs in production, on loopback: a real redis-server, a database of its
own and granian with two worker processes, so that tests see what one worker's state hides from
the other.

redis-server is a Debian package: without it the tests that need it are skipped, unless
DLNUF_REQUIRE_REDIS is set (CI sets it), where they fail instead. The database is a fresh SQLite
file, or a fresh database on the PostgreSQL server of DATABASE_URL when the suite runs there.
"""

import atexit
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GRANIAN = str(Path(PYTHON).with_name("granian"))
WORKERS = 2
# A gateway call waits for the sandbox served by the same workers: enough threads that tests
# sending up to PARALLEL_CALLS at once never leave the sandbox without one.
PARALLEL_CALLS = 8
THREADS_PER_WORKER = 2 * PARALLEL_CALLS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped at start-up (exit code {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within 30 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def redis_binary() -> str:
    """Path of redis-server, or skip (fail when DLNUF_REQUIRE_REDIS is set) when it is missing."""
    found = shutil.which("redis-server") or next(
        (
            path
            for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server")
            if os.access(path, os.X_OK)
        ),
        None,
    )
    if found is None:
        message = "redis-server is not installed (Debian package « redis-server »)"
        if os.environ.get("DLNUF_REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server on a free loopback port, without persistence; yields its URL."""
    binary = redis_binary()
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="dlnuf-redis-")
    arguments = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(  # noqa: S603 - the installed redis-server, fixed arguments
        [binary, *arguments, "--dir", workdir, "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def _base_environment(workdir: Path) -> dict[str, str]:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DLNUF_", "DJANGO_", "REDIS_")) and key != "DATABASE_URL"
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DLNUF_VAR_DIR": str(workdir),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: Mapping[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - this interpreter with the test's own arguments
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@functools.cache
def _migrated_sqlite_template() -> Path:
    """A migrated SQLite database with the catalogue, made once and copied for each stack."""
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-stack-template-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    database = workdir / "template.sqlite3"
    env = {**_base_environment(workdir), "DATABASE_URL": f"sqlite:///{database}"}
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "load_catalogue")
    return database


def _postgres_server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _postgres_database_url(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def _drop_postgres_database(server_url: str, name: str) -> None:
    import psycopg

    try:
        connection = psycopg.connect(server_url, autocommit=True)
    except psycopg.OperationalError:
        # The test run's own server stopped before this process ended: the database went with it.
        return
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def _migrated_postgres_template(server_url: str) -> str:
    """A migrated PostgreSQL database with the catalogue, made once per test process: each
    stack's database is a server-side copy of it, far quicker than migrating again."""
    import psycopg

    name = f"dlnuf_stack_template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_drop_postgres_database, server_url, name)
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-stack-template-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    env = {
        **_base_environment(workdir),
        "DATABASE_URL": _postgres_database_url(server_url, name),
    }
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "load_catalogue")
    return name


@contextmanager
def _database(workdir: Path) -> Iterator[str]:
    server_url = _postgres_server_url()
    if server_url is None:
        database = workdir / "stack.sqlite3"
        shutil.copyfile(_migrated_sqlite_template(), database)
        yield f"sqlite:///{database}"
        return
    import psycopg

    template = _migrated_postgres_template(server_url)
    name = f"dlnuf_stack_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _postgres_database_url(server_url, name)
    finally:
        _drop_postgres_database(server_url, name)


@dataclass
class Stack:
    """A running application: its URL, and the environment its management commands need."""

    url: str
    env: dict[str, str]
    server: subprocess.Popen[bytes]
    redis_url: str | None

    def manage(self, *args: str, stdin: str | None = None) -> str:
        return manage(self.env, *args, stdin=stdin)

    def assert_both_workers_use_redis(self) -> None:
        """Each of the two workers holds its own connection to Redis: both served a request
        that went through the shared cache."""
        assert self.redis_url is not None
        workers = descendants(self.server.pid)
        assert len(workers) == WORKERS, workers
        redis_port = urlsplit(self.redis_url).port or 6379
        assert pids_connected_to(workers, redis_port) == set(workers)


def descendants(pid: int) -> list[int]:
    """Every process started, directly or not, by ``pid`` (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: the parent follows the last ")".
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found.extend(children)
        frontier.extend(children)
    return found


@contextmanager
def running_stack(
    *, redis_url: str | None, settings: Mapping[str, str] | None = None
) -> Iterator[Stack]:
    """The application served by granian with two worker processes, the sandbox included
    (DLNUF_SANDBOX_URL is the same server's /sandbox), with Redis as the cache when given."""
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-stack-"))
    port = free_port()
    try:
        with _database(workdir) as database_url:
            env = {
                **_base_environment(workdir),
                "DATABASE_URL": database_url,
                "DLNUF_SANDBOX_URL": f"http://127.0.0.1:{port}/sandbox",
                **(settings or {}),
            }
            if redis_url:
                env["REDIS_URL"] = redis_url
            log = (workdir / "server.log").open("wb")
            arguments = [
                *("--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)),
                *("--workers", str(WORKERS), "--blocking-threads", str(THREADS_PER_WORKER)),
                *("--log-level", "warning", "config.wsgi:application"),
            ]
            server = subprocess.Popen(  # noqa: S603 - the project's own server, fixed arguments
                [GRANIAN, *arguments],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                try:
                    _wait_for_port(port, server, "granian")
                except RuntimeError as failure:
                    log.flush()
                    raise RuntimeError(f"{failure}:\n{_log_tail(workdir)}") from None
                yield Stack(f"http://127.0.0.1:{port}", env, server, redis_url)
            finally:
                _stop(server)
                log.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _log_tail(workdir: Path) -> str:
    return (workdir / "server.log").read_text(errors="replace")[-4000:]


@dataclass(frozen=True)
class Answer:
    status: int
    # Names in lower case: HTTP header names are case-insensitive.
    headers: dict[str, str]
    body: bytes


def fetch(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    timeout: float = 30,
) -> Answer:
    """One request on a connection of its own (urllib opens one per request), so that the
    server's workers share the calls as they would share independent clients."""
    # Only the tests' own loopback servers are called.
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status, _lowered(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lowered(error.headers.items()), error.read())


def _lowered(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def _socket_inodes_connected_to(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            columns = line.split()
            remote_port = int(columns[2].rsplit(":", 1)[1], 16)
            if remote_port == port:
                inodes.add(columns[9])
    return inodes


def pids_connected_to(pids: list[int], port: int) -> set[int]:
    """Which of these processes hold a TCP connection to ``port`` on this machine (Linux)."""
    wanted = {f"socket:[{inode}]" for inode in _socket_inodes_connected_to(port)}
    connected = set()
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            links = {os.readlink(fd_dir / fd) for fd in os.listdir(fd_dir)}
        except OSError:
            continue
        if links & wanted:
            connected.add(pid)
    return connected


class _ClosablePool(redis.ConnectionPool):
    """Django keeps one connection pool per thread and never closes them: remember each, so
    that the test closes them all (pytest turns unclosed sockets into errors)."""

    opened: ClassVar[list["_ClosablePool"]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _ClosablePool.opened.append(self)


@contextmanager
def redis_as_cache(settings: Any, redis_url: str) -> Iterator[redis.Redis]:
    """Django's default cache on this Redis, emptied first; yields a client to look inside."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"pool_class": _ClosablePool},
        }
    }
    try:
        yield client
    finally:
        client.close()
        while _ClosablePool.opened:
            _ClosablePool.opened.pop().disconnect()
