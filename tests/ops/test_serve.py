"""`manage.py serve` run for real: granian and the toolbox worker started, supervised and stopped
together, static files answered by granian with a long cache."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live_stack import ROOT, _base_environment, _database, descendants, fetch, free_port

START_TIMEOUT_SECONDS = 120
PYTHON = sys.executable


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def child(self, marker: str) -> int:
        """The pid of serve's direct child whose command line holds ``marker``."""
        found = [pid for pid in descendants(self.process.pid) if marker in _command_line(pid)]
        direct = [pid for pid in found if _parent_of(pid) == self.process.pid]
        assert len(direct) == 1, (marker, found, self.log.read_text(errors="replace")[-3000:])
        return direct[0]

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    """Running, or exited but never reaped by its parent (a zombie is a leaked process too)."""
    try:
        Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return True


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        return fetch(url, timeout=5).status < 500
    except OSError:
        return False


@contextmanager
def serving(**settings: str) -> Iterator[Served]:
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-serve-"))
    port = free_port()
    with _database(workdir) as database_url:
        env = {**_base_environment(workdir), "DATABASE_URL": database_url, **settings}
        log = workdir / "serve.log"
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - this interpreter, the project's manage.py
                [PYTHON, "manage.py", "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        served = Served(f"http://127.0.0.1:{port}", process, log)
        started: list[int] = []
        try:
            _wait_until(
                lambda: process.poll() is not None or _answers(served.url + "/"),
                START_TIMEOUT_SECONDS,
                "serve answering",
            )
            assert process.poll() is None, served.output()
            started = descendants(process.pid)
            yield served
        finally:
            started += descendants(process.pid)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            for pid in started:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serving() as served:
        yield served


def test_serve_answers_pages_and_hashed_static_files_cached_for_a_year(served: Served) -> None:
    home = fetch(served.url + "/")
    assert home.status == 200
    stylesheets = re.findall(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', home.body.decode())
    assert stylesheets, home.body[:2000]

    stylesheet = fetch(served.url + stylesheets[0])
    assert stylesheet.status == 200
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert stylesheet.headers["cache-control"] == "max-age=31536000"
    # Answered by granian itself, not by a Django worker.
    assert "vary" not in stylesheet.headers

    # granian's own lines have the application's form: time, level, process.
    assert re.search(
        r"\n\S+ \S+ INFO granian\[\d+\]: Listening at: http://127\.0\.0\.1:\d+\n",
        served.output(),
    ), served.output()

    # One granian worker process per core, by default.
    granian = served.child("granian")
    assert len(descendants(granian)) == os.cpu_count()


def test_a_toolbox_worker_that_dies_is_started_again(served: Served) -> None:
    worker = served.child("db_worker")
    os.kill(worker, signal.SIGKILL)

    def restarted() -> bool:
        return any(
            "db_worker" in _command_line(pid) and pid != worker
            for pid in descendants(served.process.pid)
        )

    _wait_until(restarted, 10, "a new toolbox worker")
    assert served.process.poll() is None
    # One line per event, naming the process that wrote it.
    assert re.search(
        r"\n\S+ \S+ WARNING serve\[\d+\] dlnuf\.ops\.supervision: toolbox worker s'est arrêté "
        r"\(code de sortie -9\) ; redémarrage dans 1 s\.\n",
        served.output(),
    ), served.output()
    assert fetch(served.url + "/").status == 200


def test_sigterm_stops_serve_and_every_process_it_started() -> None:
    with serving(DLNUF_WEB_WORKERS="1") as served:
        started = descendants(served.process.pid)
        assert len(started) == 3, [_command_line(pid) for pid in started]
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0
        assert [pid for pid in started if _alive(pid)] == []


def test_serve_fails_when_granian_dies() -> None:
    with serving(DLNUF_WEB_WORKERS="1") as served:
        started = descendants(served.process.pid)
        os.kill(served.child("granian"), signal.SIGKILL)
        assert served.process.wait(timeout=30) == 1
        assert "granian s'est arrêté (code de sortie -9) : le service s'arrête." in served.output()
        # The toolbox worker and granian's own worker went with it.
        _wait_until(lambda: not any(_alive(pid) for pid in started), 10, "no process left")


def test_a_malformed_worker_count_is_refused_in_french(tmp_path: Path) -> None:
    env = {**_base_environment(tmp_path), "DLNUF_WEB_WORKERS": "deux"}
    result = subprocess.run(  # noqa: S603 - this interpreter, the project's manage.py
        [PYTHON, "manage.py", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert "DLNUF_WEB_WORKERS doit être un nombre entier positif, pas « deux »." in result.stderr
