"""Journal benchmark: append rate, `journal_verify` rate and subject lookup time at scale.

    .venv/bin/python bench/journal_bench.py [--entries N] [--database-url URL] [--json FILE]

1. Fills the journal up to N entries (default 1,000,000) through the bulk append service, which
   writes the same leaves, nodes and head as the exchanges do, signing a tree head every 100,000.
2. Appends through ``journal_record`` with the group-commit writer from several threads for a few
   seconds (the gateway's path), then from one thread with one commit per entry, for comparison.
3. Verifies the whole journal as ``manage.py journal_verify`` does, with 1 process, then with 2
   (the command's default on this machine).
4. Looks up the accesses about random subjects (p50/p95 over 200 lookups).

Without --database-url it works on a throw-away SQLite file in a temporary directory. With one
(PostgreSQL), the journal already there is kept and completed up to N entries.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILL_BATCH = 10_000
SIGN_EVERY = 100_000
SUBJECTS = 100_000
LOOKUPS = 200


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", default="", help="write the figures to this file")
    parser.add_argument("--append-seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=16)
    return parser.parse_args()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _record(subject: str, number: int) -> Any:
    from dlnuf.journal.services import ExchangeRecord

    return ExchangeRecord(
        exchange_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        consumer_siret="13002526500013",
        habilitation_id=1 + number % 50,
        credential_id=1 + number % 80,
        dataset_slug="quotient-familial",
        scopes=("quotient_familial", "allocataires"),
        fields_returned=("quotient_familial.valeur", "quotient_familial.annee"),
        recipient="13002526500013",
        context="Tarification de la restauration scolaire",
        object=f"Dossier {number}",
        provider="cnaf",
        status=200,
        code="ok",
        latency_ms=3.25,
        subject_key=subject,
    )


def _fill(target: int, subjects: list[str]) -> dict[str, Any]:
    from dlnuf.journal.selectors import tree_head_current
    from dlnuf.journal.services import journal_entries_append, tree_head_sign

    start_size = tree_head_current().size
    began = time.perf_counter()
    size = start_size
    while size < target:
        count = min(FILL_BATCH, target - size)
        records = [_record(subjects[(size + i) % len(subjects)], size + i) for i in range(count)]
        journal_entries_append(records=records)
        size += count
        if size // SIGN_EVERY != (size - count) // SIGN_EVERY:
            tree_head_sign()
        if size % 100_000 < count:
            print(f"  rempli : {size:,} entrées", flush=True)
    elapsed = time.perf_counter() - began
    tree_head_sign()
    added = size - start_size
    return {"fill_added": added, "fill_per_s": round(added / elapsed) if added else None}


def _append(seconds: float, threads: int, subjects: list[str], batching: bool) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connections

    from dlnuf.journal.services import journal_record, journal_writer_stop

    settings.DLNUF_JOURNAL_BATCHING = batching
    latencies: list[list[float]] = [[] for _ in range(threads)]
    deadline = time.perf_counter() + seconds
    failures = []

    def work(slot: int) -> None:
        rng = random.Random(slot)
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                journal_record(_record(rng.choice(subjects), slot))
                latencies[slot].append(time.perf_counter() - began)
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    began = time.perf_counter()
    workers = [threading.Thread(target=work, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    journal_writer_stop()
    if failures:
        raise failures[0]
    flat = [value * 1000 for per_thread in latencies for value in per_thread]
    return {
        "per_s": round(len(flat) / elapsed),
        "p50_ms": round(_percentile(flat, 0.50), 2),
        "p95_ms": round(_percentile(flat, 0.95), 2),
        "count": len(flat),
    }


def _verify(workers: int) -> dict[str, Any]:
    from dlnuf.journal.verification import verify_journal

    report = verify_journal(workers=workers)
    if not report.ok:
        raise SystemExit(f"journal_verify a trouvé des anomalies : {report.problems[:5]}")
    return {
        "entries": report.entries_checked,
        "seconds": round(report.seconds, 2),
        "per_s": round(report.entries_per_second),
    }


def _lookups(subjects: list[str]) -> dict[str, Any]:
    from dlnuf.journal.selectors import journal_entries_for_subject

    rng = random.Random(9162)
    timings, found = [], []
    for key in rng.sample(subjects, LOOKUPS):
        began = time.perf_counter()
        entries = list(journal_entries_for_subject(key))
        timings.append((time.perf_counter() - began) * 1000)
        found.append(len(entries))
    return {
        "p50_ms": round(_percentile(timings, 0.50), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
        "entries_per_subject": round(statistics.mean(found), 1),
    }


def main() -> None:
    arguments = _arguments()
    scratch = None
    if arguments.database_url:
        os.environ["DATABASE_URL"] = arguments.database_url
    else:
        scratch = tempfile.mkdtemp(prefix="dlnuf-journal-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/journal.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from dlnuf.journal.subjects import subject_key

        call_command("migrate", verbosity=0)
        database = connection.vendor
        print(f"Journal sur {database} : remplissage jusqu'à {arguments.entries:,} entrées")
        subjects = [subject_key({"siren": f"{number:09d}"}) for number in range(SUBJECTS)]
        figures: dict[str, Any] = {"database": database, "entries": arguments.entries}
        figures.update(_fill(arguments.entries, subjects))
        batched = _append(arguments.append_seconds, arguments.threads, subjects, batching=True)
        single = _append(arguments.append_seconds / 2, 1, subjects, batching=False)
        connection.close()
        verify_single = _verify(workers=1)
        verify_parallel = _verify(workers=2)
        lookups = _lookups(subjects)
        figures.update(
            {
                "append_threads": arguments.threads,
                "append_batched_per_s": batched["per_s"],
                "append_batched_p50_ms": batched["p50_ms"],
                "append_batched_p95_ms": batched["p95_ms"],
                "append_unbatched_per_s": single["per_s"],
                "append_unbatched_p50_ms": single["p50_ms"],
                "verify_entries": verify_parallel["entries"],
                "verify_per_s": verify_parallel["per_s"],
                "verify_seconds": verify_parallel["seconds"],
                "verify_single_process_per_s": verify_single["per_s"],
                "lookup_p50_ms": lookups["p50_ms"],
                "lookup_p95_ms": lookups["p95_ms"],
                "lookup_max_ms": lookups["max_ms"],
                "lookup_entries_per_subject": lookups["entries_per_subject"],
            }
        )
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"\nJournal ({database}, {figures['verify_entries']:,} entrées)\n"
        f"  remplissage en masse      : {figures['fill_per_s'] or '-'} entrées/s\n"
        f"  journal_record groupé     : {figures['append_batched_per_s']} entrées/s "
        f"({arguments.threads} fils, p50 {figures['append_batched_p50_ms']} ms, "
        f"p95 {figures['append_batched_p95_ms']} ms)\n"
        f"  journal_record un à un    : {figures['append_unbatched_per_s']} entrées/s "
        f"(1 fil, p50 {figures['append_unbatched_p50_ms']} ms)\n"
        f"  journal_verify            : {figures['verify_per_s']} entrées/s "
        f"({figures['verify_seconds']} s, 2 processus ; "
        f"{figures['verify_single_process_per_s']} entrées/s avec 1)\n"
        f"  recherche par usager      : p50 {figures['lookup_p50_ms']} ms, "
        f"p95 {figures['lookup_p95_ms']} ms, max {figures['lookup_max_ms']} ms "
        f"({figures['lookup_entries_per_subject']} entrées par usager)"
    )
    line = json.dumps(figures, ensure_ascii=False)
    if arguments.json:
        Path(arguments.json).write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
