"""`make bench`: every benchmark of the product in one run, on SQLite and on PostgreSQL.

1. The gateway (bench/gateway_bench.py): calls straight to the sandbox provider and to a static
   upstream (nginx serving the sandbox's answer), then the same calls through the gateway to each
   (authentication, minimisation, durable journal), at 1 and 16 clients.
2. Two gateway nodes behind nginx on PostgreSQL (bench/cluster_bench.py), on a primary alone and
   with a synchronous standby.
3. The journal (bench/journal_bench.py): append rate, `journal_verify` rate and subject lookup time
   with a journal of DLNUF_BENCH_JOURNAL_ENTRIES entries (default 1,000,000).
4. The journal's hash tiles (bench/tiles_bench.py): requests per second for full and partial tiles
   from a gateway node alone and through nginx caching by Cache-Control, on a journal of
   DLNUF_BENCH_TILES_ENTRIES entries (default 1,000,000), SQLite.
5. « Mes données » (bench/my_data_bench.py): server time of a person's page with 1,000 accesses
   among DLNUF_BENCH_MY_DATA_ENTRIES journal entries (default 10,000,000, built once and kept
   under var/bench/), and of its query alone with its plan, SQLite.
6. The toolbox's code quality analysis (bench/code_quality.py): lines of code analysed per second
   on the installed Django package.
7. Experience sharing (bench/similarity.py): quality on the labelled requests (words, model,
   fusion; MRR, top-1, recall@3), model load time and memory, first search page of a fresh web
   process, and rank() per request at 1,024 and 10,000 cases (saved under "similarity").

Figures are printed as a Markdown table (the one in the README) and saved to var/bench.json.
Environment: DLNUF_BENCH_SECONDS (wrk duration per run, default 10), DLNUF_BENCH_POSTGRES_URL (use
this database instead of starting a throw-away cluster), DLNUF_BENCH_JOURNAL_ENTRIES,
DLNUF_BENCH_TILES_ENTRIES, DLNUF_BENCH_MY_DATA_ENTRIES.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.postgres import fresh_database, postgres_server  # noqa: E402


def _run_script(script: str, *args: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / script), *args, "--json", output.name],
            cwd=ROOT,
            check=True,
        )
        return dict(json.loads(Path(output.name).read_text()))


def _gateway_rows(figures: dict[str, Any]) -> list[str]:
    rows = []
    for key, label in (
        ("direct_c1", "sandbox direct, 1 client"),
        ("static_c1", "static upstream direct, 1 client"),
        ("gateway_c1", "gateway → sandbox, 1 client"),
        ("gateway_static_c1", "gateway → static upstream, 1 client"),
        ("direct_c16", "sandbox direct, 16 clients"),
        ("static_c16", "static upstream direct, 16 clients"),
        ("gateway_c16", "gateway → sandbox, 16 clients"),
        ("gateway_static_c16", "gateway → static upstream, 16 clients"),
    ):
        run = figures[key]
        rows.append(
            f"| {figures['database']} | {label} | {run['throughput_per_s']:.0f} | {run['p50_ms']} "
            f"| {run['p95_ms']} | {run['p99_ms']} | {run['errors']} |"
        )
    return rows


def main() -> None:
    seconds = os.environ.get("DLNUF_BENCH_SECONDS", "10")
    entries = os.environ.get("DLNUF_BENCH_JOURNAL_ENTRIES", "1000000")
    results: dict[str, Any] = {"gateway": [], "journal": []}
    with postgres_server() as pg_server:
        # Each benchmark gets its own empty database: SQLite files under a temporary directory
        # (made by the scripts), PostgreSQL databases on the throw-away server.
        results["gateway"].append(_run_script("gateway_bench.py", "--seconds", seconds))
        results["journal"].append(_run_script("journal_bench.py", "--entries", entries))
        if pg_server:
            gateway_db = fresh_database(pg_server, "dlnuf_bench_gateway")
            results["gateway"].append(
                _run_script("gateway_bench.py", "--seconds", seconds, "--database-url", gateway_db)
            )
            # The two-node cluster starts its own primary and standby.
            results["cluster"] = _run_script("cluster_bench.py", "--seconds", seconds)
            journal_db = fresh_database(pg_server, "dlnuf_bench_journal")
            results["journal"].append(
                _run_script("journal_bench.py", "--entries", entries, "--database-url", journal_db)
            )

    print("\n| database | calls | exchanges/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for figures in results["gateway"]:
        print("\n".join(_gateway_rows(figures)))
    for figures in results["gateway"]:
        print(
            f"\n{figures['database']}: added latency at p50, one client "
            f"{figures['added_latency_p50_ms']} ms (static upstream: "
            f"{figures['gateway_static_added_latency_p50_ms']} ms); 16 clients / 1 client "
            f"{figures['gateway_c16_over_c1']} (static: {figures['gateway_static_c16_over_c1']}); "
            f"p99 / p50 at 16 clients {figures['gateway_c16_p99_over_p50']} "
            f"(static: {figures['gateway_static_c16_p99_over_p50']}); "
            f"{figures['journaled']} entries for {figures['answered_with_data']} answers — "
            f"{figures['journal_verify']}"
        )
    if "cluster" in results:
        print("\nTwo gateway nodes behind nginx, PostgreSQL:")
        print("\n| database | clients | exchanges/s | p50 ms | p95 ms | p99 ms | errors |")
        print("|---|---|---|---|---|---|---|")
        for setup, label in (
            ("primary_only", "primary alone"),
            ("synchronous_standby", "primary + synchronous standby"),
        ):
            for clients in ("c1", "c16"):
                run = results["cluster"][setup][clients]
                print(
                    f"| {label} | {clients[1:]} | {run['throughput_per_s']:.0f} | {run['p50_ms']} "
                    f"| {run['p95_ms']} | {run['p99_ms']} | {run['errors']} |"
                )
    print("\nJournal:")
    for figures in results["journal"]:
        print(json.dumps(figures, ensure_ascii=False))
    results["tiles"] = _run_script(
        "tiles_bench.py",
        "--entries",
        os.environ.get("DLNUF_BENCH_TILES_ENTRIES", "1000000"),
        "--seconds",
        seconds,
    )
    results["my_data"] = _run_script(
        "my_data_bench.py", "--entries", os.environ.get("DLNUF_BENCH_MY_DATA_ENTRIES", "10000000")
    )
    print("\ncode_quality.py:", flush=True)
    subprocess.run([sys.executable, str(ROOT / "bench" / "code_quality.py")], cwd=ROOT, check=True)
    print("\nsimilarity.py:", flush=True)
    results["similarity"] = _run_script("similarity.py", "--cases", "1024,10000")
    out = ROOT / "var" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nFigures saved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
