"""The processes the benchmarks (and the failover test) start on loopback: free ports, waiting for
a server to listen, granian serving the product, nginx, and manage.py in a given environment."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GRANIAN = str(Path(PYTHON).with_name("granian"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, what: str, process: subprocess.Popen[bytes] | None = None) -> None:
    """Return once something listens on ``port``; fail if ``process`` stops first or 30 s pass."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} stopped at start-up (exit code {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within 30 s")


def manage(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def manage_checked(environment: dict[str, str], *args: str) -> str:
    """``manage.py`` with these arguments; its output, or an error carrying what it printed."""
    result = manage(environment, *args)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextmanager
def granian_server(
    environment: dict[str, str],
    port: int,
    *,
    workers: int,
    threads: int,
    gateway_only: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """A granian server of the product; ``gateway_only`` runs it as the gateway nodes of a
    deployment do (config.settings_gateway: the exchange and the journal only)."""
    application = "config.wsgi_gateway:application" if gateway_only else "config.wsgi:application"
    if gateway_only:
        environment = {**environment, "DJANGO_SETTINGS_MODULE": "config.settings_gateway"}
    process = subprocess.Popen(
        [GRANIAN, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(workers), "--blocking-threads", str(threads)]
        + ["--log-level", "warning", application],
        cwd=ROOT,
        env=environment,
        start_new_session=True,
    )
    try:
        wait_for_port(port, f"granian on port {port}", process)
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def nginx_binary() -> str:
    """nginx, installed from Debian (« nginx-light ») when missing and running as root."""
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None
    )
    if found is None and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nginx-light"], check=True, capture_output=True
        )
        found = "/usr/sbin/nginx"
    if found is None:
        raise SystemExit("nginx is needed for the benchmarks (Debian package « nginx-light »).")
    return found


def nginx_config(prefix: Path, http: str) -> str:
    """A whole nginx configuration, in the foreground, keeping its pid, logs and temporary files
    under ``prefix``; ``http`` goes inside its http block (upstreams, caches, servers)."""
    return f"""daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  keepalive_requests 1000000;
{http}
}}
"""


@contextmanager
def nginx_running(config: Path, prefix: Path, port: int) -> Iterator[None]:
    """nginx with this configuration (``prefix`` holds its pid, logs and temporary files), until
    the block ends."""
    process = subprocess.Popen(
        [nginx_binary(), "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
        start_new_session=True,
    )
    try:
        wait_for_port(port, "nginx", process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
