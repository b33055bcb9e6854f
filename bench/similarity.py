"""Experience sharing: quality of the similarity on the labelled set, and its speed.

    .venv/bin/python bench/similarity.py [--tune] [--json FILE]

Loads tests/support/similarity_pairs.yaml (past cases and new requests labelled with the cases an
expert would want first) into a throw-away SQLite database holding the catalogue, then prints, for
the model alone, the lexical path (what runs without the model) and the blend, the top-1 accuracy,
the recall at 3 and the mean reciprocal rank on the tuning and held-out halves; then the time to
load the model and to encode one request. With --tune it also searches the blend's weights on
the tuning half (the grid that chose ``BLEND`` in dlnuf/support/similarity.py).

The tests (tests/support/test_similarity.py) import the loading and scoring helpers from here.
"""

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
PAIRS_FILE = ROOT / "tests" / "support" / "similarity_pairs.yaml"
SPLITS = ("tuning", "heldout")


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


def collect(queries: Sequence[Query], model: Any | None) -> list[list[Any]]:
    """The evidence of every entry for each query (computed once, weighted many times)."""
    from dlnuf.support.models import KnowledgeEntry
    from dlnuf.support.similarity import Case, dataset_detector, gather

    entries = list(KnowledgeEntry.objects.order_by("pk"))
    detector = dataset_detector()
    return [
        gather(Case(text=query.text), entries, model=model, detector=detector) for query in queries
    ]


def measure(
    queries: Sequence[Query], evidence: Sequence[Sequence[Any]], keys: dict[int, str], weights: Any
) -> Metrics:
    top1 = recall = reciprocal = 0.0
    for query, items in zip(queries, evidence, strict=True):
        ranked = sorted(items, key=lambda item: (-item.score(weights), item.entry.pk))
        order = [keys[item.entry.pk] for item in ranked]
        top1 += order[0] in query.relevant
        recall += len(set(order[:3]) & set(query.relevant)) / len(query.relevant)
        first = min(order.index(key) for key in query.relevant)
        reciprocal += 1 / (first + 1)
    count = len(queries)
    return Metrics(
        round(top1 / count, 3), round(recall / count, 3), round(reciprocal / count, 3), count
    )


def _setup_django(directory: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DLNUF_VAR_DIR"] = directory
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/similarity.sqlite3"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from dlnuf.catalogue.services import catalogue_load

    catalogue_load()


def _tune(queries: Sequence[Query], evidence: Any, keys: dict[int, str]) -> list[dict[str, Any]]:
    """Every blend on the grid, best first: the model's share from 0 to 1 by 0.05 (the lexical
    share is the rest, so that scores stay between 0 and 1), the dataset bonus from 0 to 0.3."""
    from dlnuf.support.similarity import Weights

    tried = []
    for share, bonus in itertools.product(range(21), range(7)):
        weights = Weights(round(share / 20, 2), round(1 - share / 20, 2), round(bonus / 20, 2))
        metrics = measure(queries, evidence, keys, weights)
        tried.append({"weights": asdict(weights), **asdict(metrics)})
    tried.sort(key=lambda row: (-row["mrr"], -row["top1"], -row["recall_at_3"]))
    return tried


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--json")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        _setup_django(directory)
        from dlnuf.support import similarity

        started = time.perf_counter()
        model = similarity.embedding_model()
        load_seconds = time.perf_counter() - started
        if model is None:
            raise SystemExit("The similarity model did not load.")
        entries, queries = load_pairs()
        keys = create_entries(entries)
        request = queries[0].text
        started = time.perf_counter()
        rounds = 20
        for _ in range(rounds):
            similarity.encode(model, [request])
        encode_ms = (time.perf_counter() - started) / rounds * 1000

        figures: dict[str, Any] = {
            "model_load_seconds": round(load_seconds, 2),
            "encode_one_request_ms": round(encode_ms, 1),
            "entries": len(entries),
            "quality": {},
        }
        methods = {
            "model": similarity.Weights(1.0, 0.0, 0.0),
            "lexical": similarity.LEXICAL,
            "blend": similarity.BLEND,
        }
        print("| split | method | top-1 | recall@3 | MRR | queries |")
        print("|---|---|---|---|---|---|")
        for split in SPLITS:
            chosen = [query for query in queries if query.split == split]
            evidence = collect(chosen, model)
            for name, weights in methods.items():
                metrics = measure(chosen, evidence, keys, weights)
                figures["quality"][f"{split}/{name}"] = asdict(metrics)
                print(
                    f"| {split} | {name} | {metrics.top1:.3f} | {metrics.recall_at_3:.3f} "
                    f"| {metrics.mrr:.3f} | {metrics.queries} |"
                )
            if arguments.tune and split == "tuning":
                figures["tuning"] = _tune(chosen, evidence, keys)
        print(
            f"\nModel load (first use in a process, torch import included): "
            f"{figures['model_load_seconds']} s; encoding one request: "
            f"{figures['encode_one_request_ms']} ms ({len(entries)} cases)."
        )
        if arguments.tune:
            print("\nBest weights on the tuning half:")
            for row in figures["tuning"][:20]:
                print(
                    f"  {row['weights']} top-1 {row['top1']:.3f} recall@3 "
                    f"{row['recall_at_3']:.3f} MRR {row['mrr']:.3f}"
                )
        if arguments.json:
            Path(arguments.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
