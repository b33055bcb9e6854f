"""Reference classes for a cost estimate: published overruns of large IT projects and the
Panorama of the State's large IT projects.

Overruns of IT projects are fat-tailed (a power law whose tail exponent α ≤ 1, per Flyvbjerg and
Budzier): the mean of such a distribution is unstable (a few disasters move it), so what a budget
should hold is a percentile (P80), with the tail stated apart. The uplift model below is a
mixture calibrated on the published facts only:

* five projects in six are "ordinary": a normal overrun whose mean and spread make the whole
  mixture match the published mean (27 %) and the share above +50 % (18 %);
* one in six is a "black swan": a Pareto overrun above +50 % whose mean is the published
  +200 %, hence α = 200 / (200 − 50) = 4/3. A Pareto with α = 4/3 has no finite variance; the
  published tail (α ≤ 1) is fatter still, so the model understates the extreme tail.

Schedule overruns use the same shape: mean at the middle of the Panorama's published range
(19–43 %), black swans averaging +70 %, ordinary spread assumed at 20 points.
"""

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
PANORAMA_FILE = DATA_DIR / "panorama.csv"
PANORAMA_FIELDS = (
    "edition",
    "ministry",
    "ministry_name",
    "project",
    "interministerial",
    "start",
    "planned_duration_years",
    "phase",
    "cost_meur",
)
# Below this many comparable projects, a comparison group is widened.
MIN_GROUP = 5
# Projects of "similar size": estimated cost within a factor of 3 either way.
SIZE_BAND = 3.0
SCHEDULE_ORDINARY_SIGMA = 0.2
# An overrun cannot take a cost below 10 % of the estimate.
FLOOR_UPLIFT = -0.9

# The phases of the form, mapped on the Panorama's phases.
PHASES = {
    "idea": ("Idée, opportunité", "Cadrage"),
    "framing": ("Cadrage", "Cadrage"),
    "design": ("Conception", "Conception / Réalisation"),
    "build": ("Réalisation", "Conception / Réalisation"),
    "run": ("Déploiement, exploitation", "Déploiement"),
}


@cache
def overrun_facts() -> dict[str, Any]:
    with (DATA_DIR / "overruns.json").open(encoding="utf-8") as handle:
        facts: dict[str, Any] = json.load(handle)
    return facts


def observed_cost_overruns() -> list[dict[str, Any]]:
    return list(overrun_facts()["observed_cost_overruns"])


@dataclass(frozen=True)
class UpliftModel:
    black_swan_share: float
    ordinary_mean: float
    ordinary_sigma: float
    swan_floor: float
    swan_alpha: float

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        ordinary = rng.normal(self.ordinary_mean, self.ordinary_sigma, count)
        # Pareto (Lomax + 1) scaled so that every black swan starts at swan_floor.
        swans = self.swan_floor * (1 + rng.pareto(self.swan_alpha, count))
        is_swan = rng.random(count) < self.black_swan_share
        return np.maximum(np.where(is_swan, swans, ordinary), FLOOR_UPLIFT)


def cost_uplift_model() -> UpliftModel:
    facts = overrun_facts()["flyvbjerg"]
    share = float(facts["black_swan_share"])
    swan_mean = float(facts["black_swan_mean_cost_overrun"])
    floor = 0.5
    ordinary_mean = (float(facts["mean_cost_overrun"]) - share * swan_mean) / (1 - share)
    # Ordinary projects above +50 % make up what black swans leave of the published 18 %.
    ordinary_above = (float(facts["share_above_50pct"]) - share) / (1 - share)
    z = NormalDist().inv_cdf(1 - ordinary_above)
    return UpliftModel(
        black_swan_share=share,
        ordinary_mean=ordinary_mean,
        ordinary_sigma=(floor - ordinary_mean) / z,
        swan_floor=floor,
        swan_alpha=swan_mean / (swan_mean - floor),
    )


def schedule_uplift_model() -> UpliftModel:
    facts = overrun_facts()
    share = float(facts["flyvbjerg"]["black_swan_share"])
    low, high = facts["schedule_overrun_mean_range"]
    mean = (float(low) + float(high)) / 2
    swan_mean = float(facts["flyvbjerg"]["black_swan_mean_schedule_overrun"])
    alpha = cost_uplift_model().swan_alpha
    return UpliftModel(
        black_swan_share=share,
        ordinary_mean=(mean - share * swan_mean) / (1 - share),
        ordinary_sigma=SCHEDULE_ORDINARY_SIGMA,
        swan_floor=swan_mean * (alpha - 1) / alpha,
        swan_alpha=alpha,
    )


def percentile_rank(values: Sequence[float], value: float) -> float:
    """Share (in %) of values below ``value``, ties counting half (mid-rank)."""
    if not values:
        raise ValueError("no values")
    below = sum(1 for item in values if item < value)
    equal = sum(1 for item in values if item == value)
    return 100 * (below + 0.5 * equal) / len(values)


# The Panorama file ---------------------------------------------------------------------------


def panorama_projects(path: Path = PANORAMA_FILE) -> list[dict[str, Any]]:
    """Projects of the Panorama file, latest edition of each project only."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda item: item["edition"]):
        latest[(row["ministry"], row["project"].strip().upper())] = {
            "edition": row["edition"],
            "ministry": row["ministry"],
            "ministry_name": row["ministry_name"],
            "project": row["project"],
            "phase": row["phase"],
            "cost_meur": float(row["cost_meur"]) if row["cost_meur"] else None,
            "planned_duration_years": (
                float(row["planned_duration_years"]) if row["planned_duration_years"] else None
            ),
        }
    return list(latest.values())


def panorama_ministries() -> list[tuple[str, str]]:
    names: dict[str, str] = {}
    for project in panorama_projects():
        names.setdefault(project["ministry"], project["ministry_name"])
    return sorted(names.items(), key=lambda item: item[1])


def panorama_placement(
    *, cost_eur: float, months: float, phase: str, ministry: str = ""
) -> dict[str, Any] | None:
    """Where the team's cost and duration sit among comparable Panorama projects.

    Cost: among projects of the same phase and ministry, widened to the same phase, then to all
    projects, until the group holds at least MIN_GROUP projects. Duration: among projects of
    similar cost (within a factor of SIZE_BAND), or all projects when too few.
    """
    projects = [item for item in panorama_projects() if item["cost_meur"] is not None]
    if not projects:
        return None
    panorama_phase = PHASES[phase][1]
    groups = [
        (
            "même phase et même ministère",
            [p for p in projects if p["phase"] == panorama_phase and p["ministry"] == ministry],
        ),
        ("même phase", [p for p in projects if p["phase"] == panorama_phase]),
        ("tous les projets", projects),
    ]
    group_label, group = next((label, g) for label, g in groups if len(g) >= MIN_GROUP or not g)
    if not group:
        group_label, group = groups[-1]
    costs = sorted(p["cost_meur"] * 1_000_000 for p in group)
    cost_meur = cost_eur / 1_000_000
    similar = [
        p
        for p in projects
        if p["planned_duration_years"] is not None
        and cost_meur / SIZE_BAND <= p["cost_meur"] <= cost_meur * SIZE_BAND
    ]
    # Labels read after a count or "des": "parmi 12 projets du Panorama de coût comparable".
    duration_label = "projets du Panorama de coût comparable (à un facteur 3 près)"
    if len(similar) < MIN_GROUP:
        similar = [p for p in projects if p["planned_duration_years"] is not None]
        duration_label = "projets du Panorama, toutes tailles confondues"
    durations = sorted(p["planned_duration_years"] * 12 for p in similar)
    return {
        "cost_group": group_label,
        "cost_count": len(costs),
        "cost_percentile": percentile_rank(costs, cost_eur),
        "cost_median": float(np.median(costs)),
        "cost_values": costs,
        "duration_group": duration_label,
        "duration_count": len(durations),
        "duration_percentile": percentile_rank(durations, months),
        "duration_median_months": float(np.median(durations)),
        "smaller_than_all": cost_eur < costs[0],
    }
