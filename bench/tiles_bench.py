"""Tiles benchmark: the journal's hash tiles (C2SP tlog-tiles) served over HTTP, with wrk.

    .venv/bin/python bench/tiles_bench.py [--entries N] [--seconds 10] [--json FILE]

1. Fills a throw-away SQLite journal up to N entries (default 1,000,000) through the bulk append
   service, so that every tile holds the real leaf and node hashes.
2. Serves it with a gateway node (granian, config.settings_gateway, 2 processes × 8 threads) and,
   as a deployment does, with nginx in front caching what the node's ``Cache-Control`` allows
   (``NGINX_TILE_CACHE``: full tiles for a year, partial tiles and the checkpoint for 5 s).
3. wrk (32 connections, 2 threads) asks for random full tiles of every level, then for the
   partial tiles at the tree's right edge, first from the node alone, then through nginx (whose
   cache is filled beforehand with one request per full tile, as the first reader of each tile
   would). The caching headers nginx hands on are checked and recorded.

Figures are requests per second and latency percentiles; "node" figures are Django alone and
"nginx" figures the cached deployment. wrk, nginx and granian share the machine's cores.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gateway_bench import (  # noqa: E402
    GATEWAY_THREADS,
    GATEWAY_WORKERS,
    WRK_SCRIPT,
)
from bench.servers import free_port, granian_server, nginx_config, nginx_running  # noqa: E402

CONNECTIONS = 32
TILE_WIDTH = 256
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=5"

# What docs/deploiement.md recommends in front of the nodes for /journal/: nginx keeps what the
# node says may be kept (Cache-Control), one copy for everybody, and one request per tile
# reaches a node however many readers arrive together.
NGINX_TILE_CACHE = """
proxy_cache_path {prefix}/cache levels=1:2 keys_zone=dlnuf_journal:10m max_size=1g
                 inactive=30d use_temp_path=off;
"""
NGINX_TILE_LOCATION = """
    location /journal/ {{
      proxy_pass http://127.0.0.1:{node_port};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache dlnuf_journal;
      proxy_cache_lock on;
      proxy_cache_use_stale updating error timeout;
      proxy_cache_background_update on;
      add_header X-Cache-Status $upstream_cache_status always;
    }}
"""
NGINX_SERVER = """
  server {{
    listen 127.0.0.1:{port};
    {location}
  }}
"""

PATHS_SCRIPT = """
local paths = {{{paths}}}
math.randomseed(6962)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def _index_path(index: int) -> str:
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def tile_paths(size: int) -> tuple[list[str], list[str]]:
    """The full tiles and the partial tiles a tree of ``size`` entries has, every level."""
    full, partial = [], []
    level, width = 0, size
    while width:
        for index in range(width // TILE_WIDTH):
            full.append(f"/journal/tile/{level}/{_index_path(index)}")
        if width % TILE_WIDTH:
            partial.append(
                f"/journal/tile/{level}/{_index_path(width // TILE_WIDTH)}.p/{width % TILE_WIDTH}"
            )
        level, width = level + 1, width // TILE_WIDTH
    return full, partial


def _fill(entries: int) -> int:
    from bench.journal_bench import _fill as journal_fill
    from dlnuf.journal.selectors import tree_head_current
    from dlnuf.journal.subjects import subject_key

    subjects = [subject_key({"siren": f"{number:09d}"}) for number in range(1000)]
    journal_fill(entries, subjects)
    return tree_head_current().size


@contextmanager
def _nginx(port: int, node_port: int) -> Iterator[None]:
    prefix = Path(tempfile.mkdtemp(prefix="dlnuf-bench-tiles-nginx-"))
    prefix.chmod(0o755)
    conf = prefix / "nginx.conf"
    server = NGINX_SERVER.format(
        port=port, location=NGINX_TILE_LOCATION.format(node_port=node_port)
    )
    conf.write_text(nginx_config(prefix, NGINX_TILE_CACHE.format(prefix=prefix) + server))
    try:
        with nginx_running(conf, prefix, port):
            yield
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def _get(url: str) -> tuple[bytes, Message]:
    with urllib.request.urlopen(url, timeout=15) as response:
        return response.read(), response.headers


def _wrk(base: str, paths: list[str], seconds: int, workdir: Path, name: str) -> dict[str, Any]:
    script = workdir / f"{name}.lua"
    quoted = ",".join(json.dumps(path) for path in paths)
    script.write_text(PATHS_SCRIPT.format(paths=quoted) + WRK_SCRIPT)
    result = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "15s"]
        + ["-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(row for row in result.stdout.splitlines() if row.startswith("WRK "))
    raw = json.loads(line[4:])
    return {
        "requests": raw["requests"],
        "errors": raw["socket_errors"] + raw["non_2xx"],
        "per_s": round(raw["requests"] / (raw["duration_us"] / 1e6)),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
    }


def _headers_checked(base: str, full: str, partial: str) -> dict[str, str]:
    """The Cache-Control each kind of resource arrives with; raises when one is wrong."""
    seen = {}
    for kind, path, expected in (
        ("full_tile", full, FULL_TILE_CACHE),
        ("partial_tile", partial, SHORT_CACHE),
        ("checkpoint", "/journal/checkpoint", SHORT_CACHE),
    ):
        _, headers = _get(base + path)
        if headers.get("Cache-Control") != expected:
            raise SystemExit(f"{path}: Cache-Control {headers.get('Cache-Control')!r}")
        seen[kind] = headers["Cache-Control"]
    return seen


def run(entries: int, seconds: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the tiles benchmark (Debian package « wrk »).")
    workdir = Path(tempfile.mkdtemp(prefix="dlnuf-bench-tiles-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DLNUF_VAR_DIR": str(workdir),
            "DATABASE_URL": f"sqlite:///{workdir / 'tiles.sqlite3'}",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        print(f"Journal de tuiles : remplissage jusqu'à {entries:,} entrées", flush=True)
        size = _fill(entries)
        connection.close()
        full, partial = tile_paths(size)
        figures: dict[str, Any] = {
            "entries": size,
            "full_tiles": len(full),
            "partial_tiles": len(partial),
            "node_workers": GATEWAY_WORKERS,
            "node_threads": GATEWAY_THREADS,
            "connections": CONNECTIONS,
        }
        node_port, nginx_port = free_port(), free_port()
        env = dict(os.environ)
        with (
            granian_server(
                env, node_port, workers=GATEWAY_WORKERS, threads=GATEWAY_THREADS, gateway_only=True
            ),
            _nginx(nginx_port, node_port),
        ):
            node = f"http://127.0.0.1:{node_port}"
            cached = f"http://127.0.0.1:{nginx_port}"
            figures["node_headers"] = _headers_checked(node, full[0], partial[0])
            figures["node_full"] = _wrk(node, full, seconds, workdir, "node_full")
            figures["node_partial"] = _wrk(node, partial, seconds, workdir, "node_partial")
            began = time.perf_counter()
            for path in full:
                _get(cached + path)
            figures["nginx_fill_seconds"] = round(time.perf_counter() - began, 1)
            figures["nginx_headers"] = _headers_checked(cached, full[0], partial[0])
            _, again = _get(cached + random.choice(full))
            figures["nginx_full_tile_cache_status"] = again.get("X-Cache-Status", "")
            figures["nginx_full"] = _wrk(cached, full, seconds, workdir, "nginx_full")
            figures["nginx_partial"] = _wrk(cached, partial, seconds, workdir, "nginx_partial")
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    figures = run(args.entries, args.seconds)
    print(
        f"\nTuiles ({figures['entries']:,} entrées, {figures['full_tiles']:,} tuiles complètes, "
        f"{figures['partial_tiles']} partielles ; {CONNECTIONS} connexions)\n"
        + "\n".join(
            f"  {label:<34}: {run['per_s']:>6} req/s, p50 {run['p50_ms']} ms, "
            f"p99 {run['p99_ms']} ms, {run['errors']} erreurs"
            for label, run in (
                ("nœud seul, tuiles complètes", figures["node_full"]),
                ("nœud seul, tuiles partielles", figures["node_partial"]),
                ("nginx (cache), tuiles complètes", figures["nginx_full"]),
                ("nginx (cache), tuiles partielles", figures["nginx_partial"]),
            )
        )
    )
    line = json.dumps(figures, ensure_ascii=False)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
