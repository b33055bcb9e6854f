"""Gateway benchmark: the same calls straight to the upstream, then through the gateway.

Starts on loopback, for one database: a sandbox provider server (granian, WSGI), a static upstream
(nginx serving the sandbox's answer for the benchmark's case as a file, so that an upstream costing
next to nothing shows what the gateway itself costs), and two gateway servers (granian, WSGI,
production-like settings: DEBUG off, journal batching on), one calling the sandbox and one calling
the static upstream. wrk drives each of the four at one client and at 16 concurrent clients.
Prints throughput and p50/p95/p99 latency, and checks that every exchange answered was journaled
and that the journal verifies.

    .venv/bin/python bench/gateway_bench.py [--database-url URL] [--seconds 10] [--json FILE]

DLNUF_BENCH_GATEWAY_WORKERS and DLNUF_BENCH_GATEWAY_THREADS change the gateway's processes and
threads per process (defaults: the production defaults below), for comparisons.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import (  # noqa: E402
    free_port,
    granian_server,
    manage_checked,
    nginx_config,
    nginx_running,
)

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

# The gateway's production shape (DLNUF_WEB_WORKERS × DLNUF_WEB_THREADS on two cores).
GATEWAY_WORKERS = 2
GATEWAY_THREADS = 8

NGINX_SERVER = """
  server {{
    listen 127.0.0.1:{port};
    location = {path} {{
      default_type {content_type};
      alias {prefix}/answer;
    }}
  }}
"""


@contextmanager
def _static_upstream(answer_url: str, port: int) -> Iterator[None]:
    """nginx on loopback answering the sandbox's answer to ``answer_url`` for that path."""
    request = urllib.request.Request(answer_url, headers={"Authorization": "Bearer sandbox"})
    with urllib.request.urlopen(request, timeout=15) as response:
        body = response.read()
        content_type = response.headers.get("Content-Type", "application/json")
    # nginx's workers drop root for « nobody », who must be able to read the answer.
    prefix = Path(tempfile.mkdtemp(prefix="dlnuf-bench-nginx-"))
    prefix.chmod(0o755)
    (prefix / "answer").write_bytes(body)
    (prefix / "answer").chmod(0o644)
    conf = prefix / "nginx.conf"
    server = NGINX_SERVER.format(
        prefix=prefix,
        port=port,
        path=urllib.parse.urlsplit(answer_url).path,
        content_type=content_type.split(";")[0],
    )
    conf.write_text(nginx_config(prefix, server))
    try:
        with nginx_running(conf, prefix, port):
            yield
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


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


def _journal_size(env: dict[str, str]) -> int:
    output = manage_checked(
        env,
        "shell",
        "-c",
        "from dlnuf.journal.selectors import tree_head_current; print(tree_head_current().size)",
    )
    return int(output.strip().splitlines()[-1])


def run(database_url: str | None, seconds: int) -> dict[str, object]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the gateway benchmark (Debian package « wrk »).")
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-bench-gw-"))
    sandbox_port, static_port = free_port(), free_port()
    gateway_port, gateway_static_port = free_port(), free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DLNUF_VAR_DIR": str(workdir),
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DLNUF_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}/sandbox",
        "DLNUF_RATE_LIMIT_PER_MINUTE": "100000000",
        "DLNUF_JOURNAL_BATCHING": os.environ.get("DLNUF_JOURNAL_BATCHING", "true"),
    }
    env.pop("DLNUF_API_PARTICULIER_URL", None)
    # The same gateway, with the static copy of the sandbox's answer as its provider.
    static_env = {**env, "DLNUF_SANDBOX_URL": f"http://127.0.0.1:{static_port}/sandbox"}
    workers = int(os.environ.get("DLNUF_BENCH_GATEWAY_WORKERS", str(GATEWAY_WORKERS)))
    threads = int(os.environ.get("DLNUF_BENCH_GATEWAY_THREADS", str(GATEWAY_THREADS)))
    try:
        manage_checked(env, "migrate", "--no-input", "-v", "0")
        manage_checked(env, "load_catalogue")
        token = (
            manage_checked(
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
        from bench.cases import found_case_query

        query = found_case_query(DATASET)
        trace = urllib.parse.urlencode(
            {"recipient": RECIPIENT, "context": "Banc d'essai", "object": "bench-1"}
        )
        script = workdir / "report.lua"
        script.write_text(WRK_SCRIPT)
        upstream_path = "/sandbox/api-particulier/v3/dss/quotient_familial/identite"
        direct_url = f"http://127.0.0.1:{sandbox_port}{upstream_path}?{query}&{trace}"
        static_url = f"http://127.0.0.1:{static_port}{upstream_path}?{query}&{trace}"
        gateway_path = f"/api/v1/data/{DATASET}?{query}&{trace}"
        gateway_url = f"http://127.0.0.1:{gateway_port}{gateway_path}"
        gateway_static_url = f"http://127.0.0.1:{gateway_static_port}{gateway_path}"
        figures: dict[str, object] = {
            "database": "postgresql" if database_url else "sqlite",
            "gateway_workers": workers,
            "gateway_threads": threads,
        }
        journaled_before = _journal_size(env)
        answered = 0
        # The sandbox is pure CPU work: few threads keep the interpreter lock from convoying.
        with (
            granian_server(env, sandbox_port, workers=1, threads=2),
            _static_upstream(direct_url, static_port),
            granian_server(env, gateway_port, workers=workers, threads=threads, gateway_only=True),
            granian_server(
                static_env, gateway_static_port, workers=workers, threads=threads, gateway_only=True
            ),
        ):
            for name, url, token_used in (
                ("direct", direct_url, "sandbox"),
                ("static", static_url, "sandbox"),
                ("gateway", gateway_url, token),
                ("gateway_static", gateway_static_url, token),
            ):
                _warm_up(url, token_used)
                for clients in (1, 16):
                    result = _wrk(url, token_used, clients, seconds, script)
                    figures[f"{name}_c{clients}"] = result
                    if name.startswith("gateway"):
                        answered += int(result["requests"]) - int(result["errors"])
                if name.startswith("gateway"):
                    answered += 50
        for name, upstream in (("gateway", "direct"), ("gateway_static", "static")):
            gateway_c1, upstream_c1 = figures[f"{name}_c1"], figures[f"{upstream}_c1"]
            gateway_c16 = figures[f"{name}_c16"]
            assert isinstance(gateway_c1, dict)
            assert isinstance(upstream_c1, dict)
            assert isinstance(gateway_c16, dict)
            figures[f"{name}_added_latency_p50_ms"] = round(
                gateway_c1["p50_ms"] - upstream_c1["p50_ms"], 2
            )
            figures[f"{name}_c16_over_c1"] = round(
                gateway_c16["throughput_per_s"] / gateway_c1["throughput_per_s"], 2
            )
            figures[f"{name}_c16_p99_over_p50"] = round(
                gateway_c16["p99_ms"] / gateway_c16["p50_ms"], 1
            )
        figures["added_latency_p50_ms"] = figures["gateway_added_latency_p50_ms"]
        # wrk stops with calls in flight: those may be journaled without being counted as answered.
        journaled = _journal_size(env) - journaled_before
        figures["answered_with_data"] = answered
        figures["journaled"] = journaled
        figures["every_answer_journaled"] = journaled >= answered
        verify = manage_checked(env, "journal_verify")
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
