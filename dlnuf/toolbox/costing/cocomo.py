"""COCOMO II.2000, post-architecture model (Boehm et al., model definition manual).

PM = A × KSLOC^E × ΠEM with E = B + 0.01 × ΣSF; TDEV = C × PM_NS^F × SCED% / 100 with
F = D + 0.2 × (E − B), PM_NS being the effort without the schedule multiplier (SCED). The rating
tables and constants are in ``data/cocomo_ii_2000.json``.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "cocomo_ii_2000.json"
NOMINAL = "N"


@cache
def tables() -> dict[str, Any]:
    with DATA_FILE.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def scale_factor_names() -> list[str]:
    return list(tables()["scale_factors"])


def effort_multiplier_names() -> list[str]:
    return list(tables()["effort_multipliers"])


@dataclass(frozen=True)
class CocomoResult:
    ksloc: float
    sum_sf: float
    exponent: float
    product_em: float
    effort_pm: float
    schedule_months: float


class CocomoRatingError(ValueError):
    pass


def _value(table: Mapping[str, Any], name: str, rating: str) -> float:
    values = table[name]["values"]
    if rating not in values:
        raise CocomoRatingError(f"{name} : niveau « {rating} » non défini par le modèle.")
    return float(values[rating])


def estimate(ksloc: float, ratings: Mapping[str, str] | None = None) -> CocomoResult:
    """Effort (person-months of 152 hours) and schedule (months); unrated drivers are nominal."""
    ratings = ratings or {}
    data = tables()
    constants = data["constants"]
    sum_sf = sum(
        _value(data["scale_factors"], name, ratings.get(name, NOMINAL))
        for name in data["scale_factors"]
    )
    exponent = constants["B"] + 0.01 * sum_sf
    product_em = math.prod(
        _value(data["effort_multipliers"], name, ratings.get(name, NOMINAL))
        for name in data["effort_multipliers"]
    )
    sced = ratings.get("SCED", NOMINAL)
    product_without_sced = product_em / _value(data["effort_multipliers"], "SCED", sced)
    effort = constants["A"] * ksloc**exponent * product_em
    effort_ns = constants["A"] * ksloc**exponent * product_without_sced
    schedule_exponent = constants["D"] + 0.2 * (exponent - constants["B"])
    schedule = (
        constants["C"] * effort_ns**schedule_exponent * data["sced_schedule_percent"][sced] / 100
    )
    return CocomoResult(
        ksloc=ksloc,
        sum_sf=sum_sf,
        exponent=exponent,
        product_em=product_em,
        effort_pm=effort,
        schedule_months=schedule,
    )
