"""Value of a project in the spirit of MAREVA 2: full cost, net present value, payback,
profitability index, value index, risk score and grades.

The official MAREVA 2 workbook, its discount rate, horizon and risk grid are not public. This
calculator follows the method's published principles and states every assumption it makes (rate,
horizon, first-year convention, cost of a full-time equivalent, weights, grade thresholds), so a
reader can check or change each of them.

Inputs and results are plain JSON-ready dicts: they are stored as they are in a report.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlnuf.toolbox.costing.reference import observed_cost_overruns

MIN_HORIZON = 3
MAX_HORIZON = 15
DEFAULT_HORIZON = 5
DEFAULT_DISCOUNT_RATE = 0.04
# A yearly cost per full-time equivalent (salary, charges, workplace); an order of magnitude to
# be replaced by the administration's own figure.
DEFAULT_BUILD_ETPT_COST = 90_000.0
DEFAULT_AGENT_ETPT_COST = 60_000.0
SCORE_MAX = 4  # every criterion is scored from 0 (none) to 4 (very strong)

# Years of operation counted in the full cost, after the build (MAREVA 2 convention).
RUN_YEARS_IN_FULL_COST = 2

# "start": the first year's flows are not discounted (the decision year is year 0);
# "end": every flow is counted at the end of its year (year 1 is discounted once).
YEAR_ZERO_CHOICES = {
    "start": "La première année est l'année 0 (ses flux ne sont pas actualisés)",
    "end": "Les flux sont comptés en fin d'année (la première année est actualisée une fois)",
}
DEFAULT_YEAR_ZERO = "start"

# The rows of the year-by-year grid: key, label, unit, side.
YEAR_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("build_etpt", "Construction : agents internes", "ETPT", "build"),
    ("build_external", "Construction : prestations externes", "€", "build"),
    ("build_licences", "Construction : licences", "€", "build"),
    ("build_hardware", "Construction : matériel et hébergement", "€", "build"),
    ("run", "Fonctionnement (maintenance, exploitation, support)", "€", "run"),
    ("gain_users", "Gains pour les usagers", "€", "gain"),
    ("gain_agents_etpt", "Gains pour les agents (temps libéré)", "ETPT", "gain"),
    ("gain_state", "Gains pour l'État (recettes, économies)", "€", "gain"),
    ("gain_other", "Autres gains", "€", "gain"),
)
YEAR_ROW_KEYS = tuple(row[0] for row in YEAR_ROWS)

# The scored criteria, 0 to 4, by axis.
CRITERIA: dict[str, tuple[tuple[str, str], ...]] = {
    "necessity": (
        ("regulatory", "Obligation réglementaire ou légale"),
        ("obsolescence", "Obsolescence de l'existant"),
        ("alignment", "Alignement sur la stratégie de l'État"),
    ),
    "strategic": (
        ("user_service", "Qualité du service rendu aux usagers"),
        ("working_conditions", "Conditions de travail des agents"),
        ("transformation", "Transformation de l'action publique"),
    ),
    "risk": (
        ("size", "Taille du projet"),
        ("complexity", "Complexité fonctionnelle"),
        ("technology", "Nouveauté ou maturité des technologies"),
        ("organisation", "Organisation et gouvernance"),
        ("supplier", "Dépendance aux fournisseurs"),
        ("change", "Conduite du changement"),
    ),
}
CRITERION_KEYS = tuple(key for rows in CRITERIA.values() for key, _ in rows)
SCORE_LABELS = {
    0: "0 — nul",
    1: "1 — faible",
    2: "2 — moyen",
    3: "3 — fort",
    4: "4 — très fort",
}

AXES = {
    "necessity": "Nécessité",
    "strategic": "Valeur stratégique",
    "profitability": "Rentabilité",
    "risk_control": "Maîtrise des risques",
}
# Weights of the value index (necessity, strategic value, profitability); editable.
DEFAULT_WEIGHTS = {"necessity": 0.3, "strategic": 0.3, "profitability": 0.4}
# Weights typed in percent with two decimals, then divided by 100, may miss 1 by a rounding.
WEIGHTS_TOLERANCE = 1e-6

# Profitability axis: the profitability index mapped linearly from 0.5 (score 0) to 2 (score 4).
PI_FOR_ZERO = 0.5
PI_FOR_MAX = 2.0

# Grades per axis on the 0–4 scale: at least 3 → A, 2 → B, 1 → C, below → D.
GRADE_THRESHOLDS = (("A", 3.0), ("B", 2.0), ("C", 1.0))
# Value vs risk quadrant: both on 0–4, split at the middle.
QUADRANT_SPLIT = 2.0
QUADRANTS = {
    ("high", "low"): "Valeur élevée, risque maîtrisé : à engager",
    ("high", "high"): "Valeur élevée, risque élevé : à sécuriser avant d'engager",
    ("low", "low"): "Valeur modeste, risque maîtrisé : à réinterroger",
    ("low", "high"): "Valeur modeste, risque élevé : à reconfigurer ou abandonner",
}


class MarevaInputError(ValueError):
    """Inputs the calculator refuses; the message is for the person."""


@dataclass(frozen=True)
class Flows:
    build: tuple[float, ...]
    run: tuple[float, ...]
    gains: tuple[float, ...]

    @property
    def costs(self) -> tuple[float, ...]:
        return tuple(b + r for b, r in zip(self.build, self.run, strict=True))

    @property
    def net(self) -> tuple[float, ...]:
        return tuple(g - c for g, c in zip(self.gains, self.costs, strict=True))


def discount_factors(horizon: int, rate: float, year_zero: str) -> tuple[float, ...]:
    """1 / (1 + r)^t for each year; t = i − 1 with the "start" convention, t = i with "end"."""
    shift = 0 if year_zero == "start" else 1
    return tuple(1 / (1 + rate) ** (index + shift) for index in range(horizon))


def present_value(values: Sequence[float], factors: Sequence[float]) -> float:
    return sum(value * factor for value, factor in zip(values, factors, strict=True))


def payback_years(discounted_net: Sequence[float]) -> float | None:
    """Years from the start of year 1 until the cumulative discounted net flow reaches zero.

    The first year k whose cumulative flow is ≥ 0 is found; inside that year the flow is taken
    as spread evenly, so the fraction of year k is (− cumulative at the end of year k − 1) /
    (discounted net flow of year k). None when the horizon ends before.
    """
    cumulative = 0.0
    for index, flow in enumerate(discounted_net):
        before = cumulative
        cumulative += flow
        if cumulative >= 0:
            fraction = -before / flow if before < 0 else 0.0
            return index + fraction
    return None


def profitability_index(pv_gains: float, pv_costs: float) -> float | None:
    """PI = PV(gains) / PV(costs), costs being build and run over the horizon."""
    return pv_gains / pv_costs if pv_costs > 0 else None


def full_cost(flows: Flows) -> float:
    """Build (internal staff included) plus the first two years with an operating cost."""
    run_years = [value for value in flows.run if value > 0][:RUN_YEARS_IN_FULL_COST]
    return sum(flows.build) + sum(run_years)


def grade(score: float) -> str:
    for letter, floor in GRADE_THRESHOLDS:
        if score >= floor:
            return letter
    return "D"


def profitability_score(index: float | None) -> float:
    if index is None:
        return 0.0
    scaled = SCORE_MAX * (index - PI_FOR_ZERO) / (PI_FOR_MAX - PI_FOR_ZERO)
    return max(0.0, min(float(SCORE_MAX), scaled))


def _number(value: Any, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MarevaInputError(f"{label} : saisissez un nombre.") from None
    if not math.isfinite(number):
        raise MarevaInputError(f"{label} : saisissez un nombre.")
    return number


def check_inputs(inputs: Mapping[str, Any]) -> None:
    """Refuse what the formulas cannot use: a horizon out of bounds, negative amounts or
    scores out of the scale."""
    assumptions = inputs.get("assumptions", {})
    horizon = int(_number(assumptions.get("horizon"), "Horizon"))
    if not MIN_HORIZON <= horizon <= MAX_HORIZON:
        raise MarevaInputError(
            f"L'horizon doit être compris entre {MIN_HORIZON} et {MAX_HORIZON} ans."
        )
    rate = _number(assumptions.get("discount_rate"), "Taux d'actualisation")
    if not 0 <= rate <= 0.5:
        raise MarevaInputError("Le taux d'actualisation doit être compris entre 0 et 50 %.")
    if assumptions.get("year_zero") not in YEAR_ZERO_CHOICES:
        raise MarevaInputError("Choisissez une convention pour la première année.")
    for key in ("build_etpt_cost", "agent_etpt_cost"):
        if _number(assumptions.get(key), "Coût d'un ETPT") < 0:
            raise MarevaInputError("Le coût d'un ETPT ne peut pas être négatif.")
    weights = assumptions.get("weights", {})
    values = [_number(weights.get(axis), "Pondération") for axis in DEFAULT_WEIGHTS]
    if any(value < 0 for value in values) or sum(values) <= 0:
        raise MarevaInputError("Les pondérations doivent être positives, et pas toutes nulles.")
    if not math.isclose(sum(values), 1.0, abs_tol=WEIGHTS_TOLERANCE):
        total = f"{sum(values) * 100:.4g}".replace(".", ",")
        raise MarevaInputError(
            f"Les pondérations doivent totaliser 100 % ; elles totalisent {total} %."
        )
    years = inputs.get("years", {})
    for key, label, _, _ in YEAR_ROWS:
        row = years.get(key, [])
        if len(row) != horizon:
            raise MarevaInputError(f"{label} : une valeur par année de l'horizon est attendue.")
        for index, value in enumerate(row, start=1):
            if _number(value, label) < 0:
                raise MarevaInputError(
                    f"{label}, année {index} : un montant ne peut pas être négatif."
                )
    scores = inputs.get("scores", {})
    for key in CRITERION_KEYS:
        score = _number(scores.get(key), "Critère")
        if not 0 <= score <= SCORE_MAX:
            raise MarevaInputError(f"Chaque critère se note de 0 à {SCORE_MAX}.")


def flows_of(inputs: Mapping[str, Any], *, build_uplift: float = 0.0) -> Flows:
    assumptions = inputs["assumptions"]
    years = inputs["years"]
    build_etpt_cost = float(assumptions["build_etpt_cost"])
    agent_etpt_cost = float(assumptions["agent_etpt_cost"])
    horizon = int(assumptions["horizon"])
    build = []
    gains = []
    for index in range(horizon):

        def at(key: str, index: int = index) -> float:
            return float(years[key][index])

        year_build = (
            at("build_etpt") * build_etpt_cost
            + at("build_external")
            + at("build_licences")
            + at("build_hardware")
        )
        build.append(year_build * (1 + build_uplift))
        gains.append(
            at("gain_users")
            + at("gain_agents_etpt") * agent_etpt_cost
            + at("gain_state")
            + at("gain_other")
        )
    run = tuple(float(value) for value in years["run"])
    return Flows(build=tuple(build), run=run, gains=tuple(gains))


def financials(inputs: Mapping[str, Any], *, build_uplift: float = 0.0) -> dict[str, Any]:
    assumptions = inputs["assumptions"]
    flows = flows_of(inputs, build_uplift=build_uplift)
    factors = discount_factors(
        int(assumptions["horizon"]),
        float(assumptions["discount_rate"]),
        str(assumptions["year_zero"]),
    )
    discounted_net = [value * factor for value, factor in zip(flows.net, factors, strict=True)]
    pv_gains = present_value(flows.gains, factors)
    pv_costs = present_value(flows.costs, factors)
    cumulative = []
    running = 0.0
    for value in discounted_net:
        running += value
        cumulative.append(running)
    return {
        "flows": flows,
        "factors": factors,
        "discounted_net": discounted_net,
        "cumulative": cumulative,
        "full_cost": full_cost(flows),
        "npv": sum(discounted_net),
        "pv_gains": pv_gains,
        "pv_costs": pv_costs,
        "profitability_index": profitability_index(pv_gains, pv_costs),
        "payback_years": payback_years(discounted_net),
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def axes_scores(inputs: Mapping[str, Any], pi: float | None) -> dict[str, float]:
    scores = inputs["scores"]

    def axis(name: str) -> float:
        return _mean([float(scores[key]) for key, _ in CRITERIA[name]])

    return {
        "necessity": axis("necessity"),
        "strategic": axis("strategic"),
        "profitability": profitability_score(pi),
        "risk_control": SCORE_MAX - axis("risk"),
    }


def value_index(axes: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Σ wᵢ × scoreᵢ / Σ wᵢ over necessity, strategic value and profitability (0–4)."""
    total = sum(float(weights[axis]) for axis in DEFAULT_WEIGHTS)
    return sum(float(weights[axis]) * axes[axis] for axis in DEFAULT_WEIGHTS) / total


def quadrant(value: float, risk: float) -> str:
    value_side = "high" if value >= QUADRANT_SPLIT else "low"
    risk_side = "high" if risk >= QUADRANT_SPLIT else "low"
    return QUADRANTS[(value_side, risk_side)]


def sensitivity(inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """NPV, payback and profitability index when build costs rise by each observed overrun."""
    rows = []
    for overrun in observed_cost_overruns():
        result = financials(inputs, build_uplift=overrun["rate"])
        rows.append(
            {
                "key": overrun["key"],
                "label": overrun["label"],
                "rate": overrun["rate"],
                "full_cost": result["full_cost"],
                "npv": result["npv"],
                "payback_years": result["payback_years"],
                "profitability_index": result["profitability_index"],
            }
        )
    return rows


def evaluate(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure of the report, JSON-ready."""
    check_inputs(inputs)
    assumptions = inputs["assumptions"]
    base = financials(inputs)
    flows: Flows = base["flows"]
    axes = axes_scores(inputs, base["profitability_index"])
    risk_score = SCORE_MAX - axes["risk_control"]
    index = value_index(axes, assumptions["weights"])
    years = [
        {
            "year": number,
            "build": flows.build[number - 1],
            "run": flows.run[number - 1],
            "gains": flows.gains[number - 1],
            "net": flows.net[number - 1],
            "factor": base["factors"][number - 1],
            "discounted_net": base["discounted_net"][number - 1],
            "cumulative": base["cumulative"][number - 1],
        }
        for number in range(1, int(assumptions["horizon"]) + 1)
    ]
    return {
        "years": years,
        "total_build": sum(flows.build),
        "total_run": sum(flows.run),
        "total_gains": sum(flows.gains),
        "full_cost": base["full_cost"],
        "npv": base["npv"],
        "pv_gains": base["pv_gains"],
        "pv_costs": base["pv_costs"],
        "profitability_index": base["profitability_index"],
        "payback_years": base["payback_years"],
        "axes": [
            {"key": key, "label": label, "score": axes[key], "grade": grade(axes[key])}
            for key, label in AXES.items()
        ],
        "value_index": index,
        "value_grade": grade(index),
        "risk_score": risk_score,
        "quadrant": quadrant(index, risk_score),
        "sensitivity": sensitivity(inputs),
    }


def example_inputs() -> dict[str, Any]:
    """A filled-in example, for people who want to see the calculator at work first."""
    with (Path(__file__).resolve().parent / "data" / "example.json").open(encoding="utf-8") as f:
        example: dict[str, Any] = json.load(f)
    return example
