"""Gateway benchmark: the same calls straight to the sandbox provider, then through the gateway.

Starts on loopback, for one database: a sandbox provider server and a gateway server (granian,
WSGI, production-like settings: DEBUG off, journal batching on), then drives both with wrk at one
client and at 16 concurrent clients. Prints throughput and p50/p95/p99 latency and checks that
every exchange was journaled and that the journal verifies.

    .venv/bin/python bench/gateway_bench.py [--database-url URL] [--seconds 10] [--json FILE]
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GRANIAN = str(Path(PYTHON).with_name("granian"))

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "socket_errors": %d, "non_2xx": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""

# A sandbox identity that is found, for a dataset holding personal data (the common case).
DATASET = "quotient-familial"
SCOPES = "cnaf_quotient_familial,cnaf_allocataires"
RECIPIENT = "13002526500013"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextmanager
def _server(env: dict[str, str], port: int, workers: int, threads: int) -> Iterator[None]:
    process = subprocess.Popen(
        [GRANIAN, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(workers), "--blocking-threads", str(threads)]
        + ["--log-level", "warning", "config.wsgi:application"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"server on port {port} did not start")
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wrk(url: str, token: str, connections: int, seconds: int, script: Path) -> dict[str, float]:
    result = subprocess.run(
        ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s"]
        + ["--timeout", "15s", "-s", str(script), "-H", f"Authorization: Bearer {token}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(row for row in result.stdout.splitlines() if row.startswith("WRK "))
    raw = json.loads(line[4:])
    seconds_taken = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "errors": raw["socket_errors"] + raw["non_2xx"],
        "throughput_per_s": round(raw["requests"] / seconds_taken, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
    }


def _warm_up(url: str, token: str, count: int = 50) -> None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    for _ in range(count):
        with urllib.request.urlopen(request, timeout=15) as response:
            response.read()


def run(database_url: str | None, seconds: int) -> dict[str, object]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the gateway benchmark (Debian package « wrk »).")
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-bench-gw-"))
    sandbox_port, gateway_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DLNUF_VAR_DIR": str(workdir),
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DLNUF_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}/sandbox",
        "DLNUF_RATE_LIMIT_PER_MINUTE": "100000000",
        "DLNUF_JOURNAL_BATCHING": "true",
    }
    env.pop("DLNUF_API_PARTICULIER_URL", None)
    try:
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "load_catalogue")
        token = (
            _manage(
                env,
                "issue_credential",
                "--siret",
                RECIPIENT,
                "--dataset",
                DATASET,
                "--scopes",
                SCOPES,
                "--environment",
                "production",
            )
            .strip()
            .splitlines()[-1]
        )
        sys.path.insert(0, str(ROOT))
        from bench.cases import found_case_query

        query = found_case_query(DATASET)
        trace = urllib.parse.urlencode(
            {"recipient": RECIPIENT, "context": "Banc d'essai", "object": "bench-1"}
        )
        script = workdir / "report.lua"
        script.write_text(WRK_SCRIPT)
        direct_url = (
            f"http://127.0.0.1:{sandbox_port}/sandbox/api-particulier"
            f"/v3/dss/quotient_familial/identite?{query}&{trace}"
        )
        gateway_url = f"http://127.0.0.1:{gateway_port}/api/v1/data/{DATASET}?{query}&{trace}"
        figures: dict[str, object] = {"database": "postgresql" if database_url else "sqlite"}
        # The sandbox is pure CPU work: few threads keep the interpreter lock from convoying.
        with _server(env, sandbox_port, workers=1, threads=2):
            _warm_up(direct_url, "sandbox")
            figures["direct_c1"] = _wrk(direct_url, "sandbox", 1, seconds, script)
            figures["direct_c16"] = _wrk(direct_url, "sandbox", 16, seconds, script)
            # Gateway threads mostly wait (provider, journal commit), so each worker has many.
            threads = int(os.environ.get("DLNUF_BENCH_GATEWAY_THREADS", "8"))
            with _server(env, gateway_port, workers=2, threads=threads):
                _warm_up(gateway_url, token)
                figures["gateway_c1"] = _wrk(gateway_url, token, 1, seconds, script)
                figures["gateway_c16"] = _wrk(gateway_url, token, 16, seconds, script)
        gateway_c1 = figures["gateway_c1"]
        direct_c1 = figures["direct_c1"]
        assert isinstance(gateway_c1, dict)
        assert isinstance(direct_c1, dict)
        figures["added_latency_p50_ms"] = round(gateway_c1["p50_ms"] - direct_c1["p50_ms"], 2)
        verify = _manage(env, "journal_verify")
        figures["journal_verify"] = verify.strip().splitlines()[-1] if verify.strip() else ""
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures = run(args.database_url, args.seconds)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
