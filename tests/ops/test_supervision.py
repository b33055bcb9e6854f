"""The supervisor with real child processes: a worker that keeps crashing ends the supervision
instead of being restarted forever, and the server goes with it."""

import os
import sys
import time
from pathlib import Path

import pytest

from dlnuf.ops import supervision
from dlnuf.ops.supervision import ChildCommand, Supervisor
from tests.live_stack import descendants

PYTHON = sys.executable


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_worker_dying_again_and_again_ends_supervision(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(supervision, "RESTART_DELAYS_SECONDS", (0.05, 0.05))
    server = ChildCommand("server", [PYTHON, "-c", "import time; time.sleep(20)"], os.environ)
    crashing = ChildCommand("worker", [PYTHON, "-c", "raise SystemExit(3)"], os.environ)
    started = time.monotonic()

    status = Supervisor(server=server, worker=crashing).run()

    assert status == 1
    # Restarted after each of the first two deaths, then given up on.
    assert [record.getMessage() for record in caplog.records if record.levelname != "INFO"] == [
        "worker s'est arrêté (code de sortie 3) ; redémarrage dans 0 s.",
        "worker s'est arrêté (code de sortie 3) ; redémarrage dans 0 s.",
        "worker s'est arrêté 3 fois de suite (dernier code de sortie 3) : abandon.",
    ]
    # Gave up after the crashes, long before the server would have ended by itself.
    assert time.monotonic() - started < 15
    assert not [pid for pid in descendants(os.getpid()) if "time.sleep(20)" in _command_line(pid)]
