"""Two child processes that live and stop together: the web server and the toolbox worker.

The web server (granian) restarts its own workers; if granian itself stops, serving is over and
the supervisor stops too, with a non-zero exit status, so that whatever started it (systemd, a
container runtime, a terminal) sees it. The toolbox worker is restarted after a short pause that
doubles while it keeps dying; after a few quick deaths in a row the supervisor gives up in the
same visible way rather than hide a crash loop.
"""

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import FrameType

logger = logging.getLogger(__name__)

# Pauses before restarting a worker that died; one more death in a row than there are pauses
# ends the supervision.
RESTART_DELAYS_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0)
# A worker that ran this long before dying was not crash-looping: its next restart is quick again.
STABLE_AFTER_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class ChildCommand:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]


def child_start(command: ChildCommand) -> subprocess.Popen[bytes]:
    # A process group of its own: stopping the child reaches the processes it started (granian's
    # workers), and a Ctrl-C in the terminal reaches only the supervisor, which stops the
    # children in order.
    process = subprocess.Popen(  # noqa: S603 - argv built by the serve command, no shell
        list(command.argv), env=dict(command.env), process_group=0
    )
    logger.info("%s démarré (pid %d).", command.name, process.pid)
    return process


def child_stop(process: subprocess.Popen[bytes], name: str) -> None:
    if process.poll() is None:
        # The leader first: granian stops its own workers in order before it exits.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            logger.warning("%s ne s'est pas arrêté en %.0f s : tué.", name, STOP_TIMEOUT_SECONDS)
    # What is left of the group goes too: all of it after the timeout, or the workers of a
    # granian that was killed and could not stop them.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class Supervisor:
    def __init__(self, *, server: ChildCommand, worker: ChildCommand | None) -> None:
        self.server = server
        self.worker = worker
        self._stop_requested = threading.Event()

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        # Nothing else here: a handler interrupts the loop anywhere, even inside a log call.
        self._stop_requested.set()

    def run(self) -> int:
        """Serve until a signal asks to stop (status 0) or serving fails (status 1)."""
        previous_handlers = {
            signum: signal.signal(signum, self._request_stop)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        server = child_start(self.server)
        worker = child_start(self.worker) if self.worker else None
        worker_started = time.monotonic()
        quick_deaths = 0
        try:
            while not self._stop_requested.wait(POLL_SECONDS):
                if server.poll() is not None:
                    logger.error(
                        "%s s'est arrêté (code de sortie %d) : le service s'arrête.",
                        self.server.name,
                        server.returncode,
                    )
                    return 1
                if worker is None or self.worker is None or worker.poll() is None:
                    continue
                if time.monotonic() - worker_started >= STABLE_AFTER_SECONDS:
                    quick_deaths = 0
                if quick_deaths == len(RESTART_DELAYS_SECONDS):
                    logger.error(
                        "%s s'est arrêté %d fois de suite (dernier code de sortie %d) : abandon.",
                        self.worker.name,
                        quick_deaths + 1,
                        worker.returncode,
                    )
                    return 1
                delay = RESTART_DELAYS_SECONDS[quick_deaths]
                quick_deaths += 1
                logger.warning(
                    "%s s'est arrêté (code de sortie %d) ; redémarrage dans %.0f s.",
                    self.worker.name,
                    worker.returncode,
                    delay,
                )
                if self._stop_requested.wait(delay):
                    break
                worker = child_start(self.worker)
                worker_started = time.monotonic()
            logger.info("Arrêt demandé : arrêt de %s.", self._children_names())
            return 0
        finally:
            if worker is not None and self.worker is not None:
                child_stop(worker, self.worker.name)
            child_stop(server, self.server.name)
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)

    def _children_names(self) -> str:
        return " et ".join(child.name for child in (self.worker, self.server) if child is not None)
