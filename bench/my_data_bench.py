"""« Mes données » benchmark: one person's page among a journal of millions of entries.

    .venv/bin/python bench/my_data_bench.py [--entries N] [--accesses 1000] [--renders 30]
                                             [--json FILE]

1. Builds (once) a SQLite journal of N entries (default 10,000,000) with plain SQL inserts of
   plausible rows: catalogue datasets with their real scopes and fields, twelve consumer
   administrations, subjects spread over millions of keys, and one person whose ``--accesses``
   entries are spread evenly over the whole journal (each on its own pages of the table, the
   worst case for the index). The rows are not chained by a Merkle tree (zero leaf hashes, a
   tree head without nodes): the page does not check proofs, and the tree is not what is
   measured here. The file is kept under var/bench/ and rebuilt when the migrations change.
2. Signs the person in through ``dlnuf.people.viewers.person_sign_in`` and renders
   ``/mes-donnees/`` with Django's test client ``--renders`` times (after three unmeasured
   renders): the server time of the whole request, middleware and template included.
3. Times the page's query alone (the person's visible entries, newest first, one page) and shows
   its plan (EXPLAIN QUERY PLAN), where the subject index must appear.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CACHE_DIR = ROOT / "var" / "bench"
# The person whose page is measured; any 64-hex key does, the page never recomputes it.
PERSON_KEY = hashlib.sha256(b"Camille Martin, 1984-03-12, Lyon").hexdigest()
OTHER_SUBJECTS = 4_000_037
CONSUMERS = (
    "21690123100011",
    "21750001600019",
    "13002526500013",
    "21130055300016",
    "21310555400017",
    "21330063500017",
    "21440109300015",
    "21670482500019",
    "21590350100017",
    "21060088800015",
    "20005372300018",
    "18004623700011",
)
CONTEXTS = (
    "Tarification de la restauration scolaire",
    "Aide au logement étudiant",
    "Inscription en crèche",
    "Bourse communale",
    "Carte de stationnement résident",
)
FIRST_DAY_US = 1_704_067_200_000_000  # 1 January 2024, UTC
SPAN_US = 2 * 365 * 86_400 * 1_000_000
RENDERS_UNMEASURED = 3
QUERY_RUNS = 50
PAGE_ROWS = 50


def _schema_fingerprint() -> str:
    digest = hashlib.sha256()
    for migration in sorted(ROOT.glob("dlnuf/*/migrations/*.py")):
        digest.update(str(migration.relative_to(ROOT)).encode())
        digest.update(migration.read_bytes())
    return digest.hexdigest()[:12]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _setup(database: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{database}",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "DLNUF_SSL_REDIRECT": "false",
        }
    )
    import django

    django.setup()


def build(database: Path, entries: int, accesses: int) -> None:
    """Fill ``database`` (a new file) with the benchmark's journal; run in its own process."""
    _setup(database)
    from django.core.management import call_command
    from django.db import connection, transaction

    from dlnuf.catalogue.models import Dataset

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
    datasets = []
    for dataset in Dataset.objects.filter(holds_personal_data=True).select_related("provider"):
        scopes = list(dataset.scopes.order_by("position"))
        if scopes:
            fields = [field for scope in scopes for field in scope.fields]
            datasets.append(
                (
                    dataset.slug,
                    json.dumps([scope.slug for scope in scopes], separators=(",", ":")),
                    json.dumps(fields, separators=(",", ":")),
                    dataset.provider.slug,
                )
            )
    spacing = max(1, entries // accesses)
    with connection.cursor() as cursor:
        # A throw-away file written once: no rollback journal (in WAL mode the whole fill would
        # be written twice), no waiting for the disk.
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.execute("PRAGMA synchronous = OFF")
    with connection.cursor() as cursor, transaction.atomic():
        secondary = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'journal_journalentry' AND sql IS NOT NULL"
        ).fetchall()
        # Rows in key order into a table without its secondary indexes, which are then built
        # once each by sorting: far quicker than keeping them up to date row by row.
        for name, _ in secondary:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("CREATE TEMP TABLE bench_datasets (n, slug, scopes, fields, provider)")
        cursor.executemany(
            "INSERT INTO bench_datasets VALUES (%s, %s, %s, %s, %s)",
            [(number, *dataset) for number, dataset in enumerate(datasets)],
        )
        cursor.execute("CREATE TEMP TABLE bench_consumers (n, siret)")
        cursor.executemany(
            "INSERT INTO bench_consumers VALUES (%s, %s)", list(enumerate(CONSUMERS))
        )
        cursor.execute("CREATE TEMP TABLE bench_contexts (n, context)")
        cursor.executemany("INSERT INTO bench_contexts VALUES (%s, %s)", list(enumerate(CONTEXTS)))
        cursor.execute(
            """
            WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < %s)
            INSERT INTO journal_journalentry (
                "index", exchange_id, occurred_at_us, consumer_siret, habilitation_id,
                credential_id, dataset_slug, scopes_json, fields_returned_json, recipient,
                context, object, provider, status, code, latency_us, subject_key, leaf_hash,
                unexpected_fields_removed)
            SELECT i, printf('%%032x', i), %s + i * (%s / %s), c.siret,
                NULL, 1 + i %% 40, d.slug, d.scopes, d.fields, c.siret, x.context,
                'Dossier ' || i, d.provider,
                CASE WHEN i %% 23 = 0 THEN 404 ELSE 200 END,
                CASE WHEN i %% 23 = 0 THEN 'subject_not_found' ELSE 'ok' END,
                2000 + i %% 5000,
                CASE WHEN i %% %s = %s AND i / %s < %s THEN %s
                     ELSE printf('%%064x', (i * 2654435761) %% %s) END,
                zeroblob(32), 0
            FROM seq
            JOIN bench_datasets d ON d.n = i %% %s
            JOIN bench_consumers c ON c.n = (i / 7) %% %s
            JOIN bench_contexts x ON x.n = (i / 3) %% %s
            """,
            [
                entries - 1,
                FIRST_DAY_US,
                SPAN_US,
                entries,
                spacing,
                spacing // 2,
                spacing,
                accesses,
                PERSON_KEY,
                OTHER_SUBJECTS,
                len(datasets),
                len(CONSUMERS),
                len(CONTEXTS),
            ],
        )
        for _, sql in secondary:
            cursor.execute(sql)
        cursor.execute(
            "INSERT INTO journal_treehead (id, size, root_hash, frontier, updated_at) "
            "VALUES (1, %s, zeroblob(32), x'', datetime('now'))",
            [entries],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()


def _journal(entries: int, accesses: int) -> tuple[Path, float | None]:
    """The cached journal file, built first when missing; the seconds the build took."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    database = CACHE_DIR / f"my_data-{entries}-{accesses}-{_schema_fingerprint()}.sqlite3"
    if database.exists():
        return database, None
    for stale in CACHE_DIR.glob(f"my_data-{entries}-{accesses}-*.sqlite3*"):
        stale.unlink()
    partial = database.with_name(database.name + ".partial")
    partial.unlink(missing_ok=True)
    print(f"Construction d'un journal de {entries:,} entrées dans {database} …", flush=True)
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--build", str(partial)]
        + ["--entries", str(entries), "--accesses", str(accesses)],
        cwd=ROOT,
        check=True,
    )
    os.replace(partial, database)
    return database, round(time.perf_counter() - began, 1)


def _signed_in_client() -> Any:
    from importlib import import_module

    from django.conf import settings
    from django.test import Client, RequestFactory

    from dlnuf.people.viewers import person_sign_in

    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    person_sign_in(
        request,
        display_name="Camille Martin",
        subject_keys=(PERSON_KEY,),
        signed_in_with="demo",
    )
    request.session.save()
    session_key = request.session.session_key
    assert session_key is not None
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def _renders(count: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _signed_in_client()
    timings, cpu_timings = [], []
    for number in range(RENDERS_UNMEASURED + count):
        began, cpu_began = time.perf_counter(), time.process_time()
        response = client.get("/mes-donnees/")
        elapsed = (time.perf_counter() - began) * 1000
        cpu = (time.process_time() - cpu_began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"/mes-donnees/ answered {response.status_code}")
        if number >= RENDERS_UNMEASURED:
            timings.append(elapsed)
            cpu_timings.append(cpu)
    with CaptureQueriesContext(connection) as queries:
        client.get("/mes-donnees/")
    return {
        "renders": count,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(_percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        # This process's own CPU time: what other programs on a shared machine do not inflate.
        "cpu_p50_ms": round(statistics.median(cpu_timings), 1),
        "queries": len(queries.captured_queries),
        "bytes": len(response.content),
    }


def _query() -> dict[str, Any]:
    from django.utils import timezone

    from dlnuf.people.accesses import accesses_visible
    from dlnuf.people.viewers import Viewer

    viewer = Viewer(
        kind="person", display_name="", subject_keys=(PERSON_KEY,), signed_in_with="demo"
    )
    entries = accesses_visible(viewer, now=timezone.now())
    timings, counts = [], []
    for _ in range(QUERY_RUNS):
        began = time.perf_counter()
        # A new queryset each time: an evaluated one would answer from its own cache.
        rows = list(entries[:PAGE_ROWS])
        count = entries.count()
        timings.append((time.perf_counter() - began) * 1000)
        counts.append((len(rows), count))
    return {
        "runs": QUERY_RUNS,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        "rows_and_count": counts[0],
        "plan": entries[:PAGE_ROWS].explain(),
        "count_plan": entries.order_by().values("index").explain(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--accesses", type=int, default=1000)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--build", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build, args.entries, args.accesses)
        return
    database, build_seconds = _journal(args.entries, args.accesses)
    _setup(database)
    figures: dict[str, Any] = {
        "database": "sqlite",
        "entries": args.entries,
        "person_accesses": args.accesses,
        "build_seconds": build_seconds,
        "page": _renders(args.renders),
        "query": _query(),
    }
    page, query = figures["page"], figures["query"]
    print(
        f"\n« Mes données » : {args.accesses:,} accès d'une personne parmi {args.entries:,} "
        f"entrées (SQLite)\n"
        f"  page /mes-donnees/ : médiane {page['p50_ms']} ms, p95 {page['p95_ms']} ms, "
        f"max {page['max_ms']} ms sur {page['renders']} rendus ({page['bytes']:,} octets, "
        f"{page['queries']} requêtes SQL ; temps processeur médian {page['cpu_p50_ms']} ms)\n"
        f"  requête seule (50 premières lignes + total) : médiane {query['p50_ms']} ms, "
        f"p95 {query['p95_ms']} ms, {query['rows_and_count']}\n"
        f"  plan : {query['plan']}\n"
        f"  plan du total : {query['count_plan']}"
    )
    line = json.dumps(figures, ensure_ascii=False)
    if args.json:
        args.json.write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
