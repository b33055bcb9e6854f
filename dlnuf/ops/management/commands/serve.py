"""`manage.py serve`: the product as it runs in production, on one machine.

granian serves the WSGI application with one worker process per core, answers the static files
itself (collected first, under names that carry their content's hash, cached for a year), and
restarts a worker that dies; the toolbox worker runs beside it, restarted when it dies. Both stop
with this command (Ctrl-C, SIGTERM). Logs go to the console, one line per event, each line naming
its process (« web », « worker », « serve »).
"""

import os
import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dlnuf.ops.supervision import ChildCommand, Supervisor

# Hashed names change with the content, so a browser may keep a file as long as HTTP allows.
STATIC_MAX_AGE_SECONDS = 365 * 24 * 3600
# Gateway calls wait on providers (and, on a single machine, on the sandbox served by the same
# workers), so each worker needs threads to spare while calls wait; more than this, granian warns
# that the threads would mostly fight for the interpreter.
DEFAULT_THREADS = 2 * (os.cpu_count() or 1) + 1


def _positive_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise CommandError(f"{name} doit être un nombre entier positif, pas « {raw} ».")
    return int(raw)


class Command(BaseCommand):
    help = (
        "Sert le produit comme en production : granian (un processus par cœur), les fichiers "
        "statiques, et le travailleur de la boîte à outils, redémarré s'il s'arrête."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Adresse d'écoute.")
        parser.add_argument("--port", type=int, default=8000, help="Port d'écoute.")
        parser.add_argument(
            "--without-worker",
            action="store_true",
            help="Ne pas lancer le travailleur de la boîte à outils (il tourne ailleurs).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = _positive_setting("DLNUF_WEB_WORKERS", os.cpu_count() or 1)
        threads = _positive_setting("DLNUF_WEB_THREADS", DEFAULT_THREADS)
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            # Production form: error pages without internals, and the hashed static names
            # (under DEBUG, Django would link the unhashed names that are cached for a year).
            "DEBUG": "false",
            "DLNUF_HASHED_STATIC_FILES": "true",
        }
        module, _, attribute = settings.WSGI_APPLICATION.rpartition(".")
        server = ChildCommand(
            name="granian",
            argv=[
                *(sys.executable, "-m", "granian", "--interface", "wsgi"),
                *("--host", options["host"], "--port", str(options["port"])),
                *("--workers", str(workers), "--blocking-threads", str(threads)),
                "--respawn-failed-workers",
                # granian's own lines in the same form as the application's.
                *("--log-config", str(Path(__file__).parents[2] / "granian_logging.json")),
                *self._static_files(manage, env),
                f"{module}:{attribute}",
            ],
            env={**env, "DLNUF_PROCESS_NAME": "web"},
        )
        worker = None
        if apps.is_installed("django_tasks_db") and not options["without_worker"]:
            worker = ChildCommand(
                name="toolbox worker",
                argv=[*manage, "db_worker"],
                env={**env, "DLNUF_PROCESS_NAME": "worker"},
            )
        status = Supervisor(server=server, worker=worker).run()
        if status != 0:
            sys.exit(status)

    def _static_files(self, manage: list[str], env: dict[str, str]) -> list[str]:
        """Collect the static files and return granian's options to serve them; none on nodes
        without static files (the gateway's)."""
        if not apps.is_installed("django.contrib.staticfiles"):
            return []
        collected = subprocess.run(  # noqa: S603 - this interpreter and the project's manage.py
            [*manage, "collectstatic", "--no-input", "--verbosity", "0"], env=env, check=False
        )
        if collected.returncode != 0:
            raise CommandError("La collecte des fichiers statiques a échoué (voir ci-dessus).")
        return [
            *("--static-path-route", "/" + urlsplit(settings.STATIC_URL).path.strip("/")),
            *("--static-path-mount", str(settings.STATIC_ROOT)),
            *("--static-path-expires", str(STATIC_MAX_AGE_SECONDS)),
        ]
