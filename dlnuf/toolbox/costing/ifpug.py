"""IFPUG function points: unadjusted count, value adjustment factor, and the approximate
conversion to lines of code ("backfiring").

UFP = Σ count × weight over the five function types and three complexities; VAF = 0.65 + 0.01 ×
TDI, TDI being the sum of the 14 general system characteristics rated 0 to 5; AFP = UFP × VAF.
"""

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

FUNCTION_TYPES = {
    "EI": "Entrées externes",
    "EO": "Sorties externes",
    "EQ": "Interrogations externes",
    "ILF": "Fichiers logiques internes",
    "EIF": "Fichiers d'interface externes",
}
COMPLEXITIES = {"low": "faible", "avg": "moyenne", "high": "élevée"}
WEIGHTS = {
    "EI": {"low": 3, "avg": 4, "high": 6},
    "EO": {"low": 4, "avg": 5, "high": 7},
    "EQ": {"low": 3, "avg": 4, "high": 6},
    "ILF": {"low": 7, "avg": 10, "high": 15},
    "EIF": {"low": 5, "avg": 7, "high": 10},
}
GSC = (
    "Communications de données",
    "Traitement distribué",
    "Performances",
    "Configuration matérielle chargée",
    "Volume de transactions",
    "Saisie de données en ligne",
    "Efficacité pour l'utilisateur final",
    "Mise à jour en ligne",
    "Traitements complexes",
    "Réutilisabilité",
    "Facilité d'installation",
    "Facilité d'exploitation",
    "Sites multiples",
    "Facilité des évolutions",
)
GSC_MAX = 5


def unadjusted(counts: Mapping[str, Mapping[str, int]]) -> int:
    return sum(
        int(counts.get(kind, {}).get(level, 0)) * weight
        for kind, levels in WEIGHTS.items()
        for level, weight in levels.items()
    )


def value_adjustment_factor(characteristics: Sequence[int]) -> float:
    if len(characteristics) != len(GSC):
        raise ValueError("14 caractéristiques générales sont attendues.")
    return 0.65 + 0.01 * sum(characteristics)


@cache
def backfiring() -> dict[str, Any]:
    with (DATA_DIR / "backfiring.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def ksloc_from_function_points(points: float, language: str) -> float:
    factor = backfiring()["sloc_per_function_point"][language]["value"]
    return points * float(factor) / 1000
