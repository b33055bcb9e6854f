"""Review of a team's cost estimate: three methods side by side, where the estimate sits in
each, and a verdict in plain French.

1. Three-point estimates (PERT, and a Monte Carlo draw of the same packages), when given.
2. COCOMO II.2000 post-architecture, when a size is given (KSLOC, or function points converted).
3. Reference classes: published overruns of large IT projects, and the Panorama of the State's
   large IT projects (which publishes estimated costs and planned durations, not actual overruns).

The verdict keeps the most cautious method: the lowest percentile at which the estimate sits.
"""

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np

from dlnuf.toolbox.costing import cocomo, ifpug, pert
from dlnuf.toolbox.costing.reference import (
    PHASES,
    cost_uplift_model,
    overrun_facts,
    panorama_placement,
    schedule_uplift_model,
)

DEFAULT_DAILY_RATE = 650.0
DEFAULT_HOURS_PER_PM = 152.0  # COCOMO II's person-month
DEFAULT_HOURS_PER_DAY = 7.6
# COCOMO's P80 as its estimate plus this margin (log-normal spread around the estimate): an
# assumption, editable; the published model is within ±30 % of actuals for most of its
# calibration projects once locally calibrated.
DEFAULT_COCOMO_P80_MARGIN = 0.3
REFERENCE_DRAWS = 50_000
HISTOGRAM_BINS = 24

# Verdict by the percentile at which the estimate sits (most cautious method).
CREDIBLE_FROM = 80.0
OPTIMISTIC_FROM = 50.0
VERDICTS = {
    "credible": "crédible",
    "optimistic": "optimiste",
    "very_optimistic": "très optimiste",
}
UNITS = {"days": "jours-personne", "eur": "euros"}
SIZE_MODES = {
    "none": "Pas de mesure de taille",
    "ksloc": "Milliers de lignes de code (KSLOC)",
    "fp": "Points de fonction (total déjà calculé)",
    "ifpug": "Comptage IFPUG détaillé",
}


class CostingInputError(ValueError):
    """Inputs the review refuses; the message is for the person."""


def verdict_for(percentile: float) -> str:
    if percentile >= CREDIBLE_FROM:
        return "credible"
    if percentile >= OPTIMISTIC_FROM:
        return "optimistic"
    return "very_optimistic"


def _days_per_pm(inputs: Mapping[str, Any]) -> float:
    return float(inputs["hours_per_pm"]) / float(inputs["hours_per_day"])


def _histogram(values: np.ndarray, marker: float) -> dict[str, Any]:
    low, high = np.percentile(values, [1, 99])
    low, high = float(min(low, marker)), float(max(high, marker))
    counts, edges = np.histogram(np.clip(values, low, high), bins=HISTOGRAM_BINS, range=(low, high))
    return {"counts": [int(count) for count in counts], "edges": [float(edge) for edge in edges]}


def size_in_ksloc(size: Mapping[str, Any]) -> dict[str, Any] | None:
    mode = size.get("mode", "none")
    if mode == "none":
        return None
    if mode == "ksloc":
        return {"mode": mode, "ksloc": float(size["ksloc"])}
    language = str(size["language"])
    factor = ifpug.backfiring()["sloc_per_function_point"][language]
    if mode == "fp":
        points = float(size["function_points"])
        detail: dict[str, Any] = {}
    else:
        counts = size["ifpug"]["counts"]
        ufp = ifpug.unadjusted(counts)
        vaf = ifpug.value_adjustment_factor(size["ifpug"]["gsc"])
        points = ufp * vaf
        detail = {"ufp": ufp, "tdi": sum(size["ifpug"]["gsc"]), "vaf": vaf}
    return {
        "mode": mode,
        "function_points": points,
        "language": factor["label"],
        "sloc_per_fp": factor["value"],
        "ksloc": ifpug.ksloc_from_function_points(points, language),
        **detail,
    }


def _method(
    key: str,
    label: str,
    *,
    cost_p50: float,
    cost_p80: float,
    percentile: float,
    months_p50: float | None = None,
    months_p80: float | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "cost_p50": cost_p50,
        "cost_p80": cost_p80,
        "months_p50": months_p50,
        "months_p80": months_p80,
        "percentile": percentile,
        "verdict": VERDICTS[verdict_for(percentile)],
    }


def _three_point(inputs: Mapping[str, Any], cost: float) -> tuple[dict[str, Any], list[Any]]:
    section = inputs.get("three_point") or {}
    packages = [
        pert.Package(
            name=str(item["name"]),
            optimistic=float(item["optimistic"]),
            most_likely=float(item["most_likely"]),
            pessimistic=float(item["pessimistic"]),
        )
        for item in section.get("packages", [])
    ]
    if not packages:
        return {}, []
    # Person-days are turned into euros at the daily rate; euros are taken as they are.
    to_eur = float(inputs["daily_rate"]) if section.get("unit") == "days" else 1.0
    total = pert.pert_total(packages)
    distribution = str(section.get("distribution", "beta_pert"))
    draws = pert.monte_carlo_totals(
        packages, distribution=distribution, seed=int(inputs.get("seed", pert.DEFAULT_SEED))
    )
    mc_p50, mc_p80 = (float(value) for value in np.percentile(draws, [50, 80]))
    in_unit = cost / to_eur
    mc_percentile = 100 * float(np.mean(draws <= in_unit))
    section_result = {
        "unit": UNITS[str(section.get("unit", "eur"))],
        "to_eur": to_eur,
        "packages": [
            {
                "name": package.name,
                "optimistic": package.optimistic,
                "most_likely": package.most_likely,
                "pessimistic": package.pessimistic,
                "mean": package.mean,
                "sigma": package.sigma,
            }
            for package in packages
        ],
        "mean": total.mean,
        "sigma": total.sigma,
        "p50": total.p50,
        "p80": total.p80,
        "monte_carlo": {
            "distribution": pert.DISTRIBUTIONS[distribution],
            "draws": len(draws),
            "p50": mc_p50,
            "p80": mc_p80,
            "histogram": _histogram(draws * to_eur, cost),
        },
    }
    methods = [
        _method(
            "pert",
            "Trois points (PERT, loi normale)",
            cost_p50=total.p50 * to_eur,
            cost_p80=total.p80 * to_eur,
            percentile=total.percentile_of(in_unit),
        ),
        _method(
            "monte_carlo",
            f"Trois points (Monte-Carlo, loi {pert.DISTRIBUTIONS[distribution]})",
            cost_p50=mc_p50 * to_eur,
            cost_p80=mc_p80 * to_eur,
            percentile=mc_percentile,
        ),
    ]
    return section_result, methods


def _cocomo(
    inputs: Mapping[str, Any], cost: float, months: float
) -> tuple[dict[str, Any], list[Any]]:
    size = size_in_ksloc(inputs.get("size") or {})
    if size is None or size["ksloc"] <= 0:
        return {}, []
    section = inputs.get("cocomo") or {}
    try:
        result = cocomo.estimate(size["ksloc"], section.get("ratings") or {})
    except cocomo.CocomoRatingError as error:
        raise CostingInputError(str(error)) from None
    pm_cost = _days_per_pm(inputs) * float(inputs["daily_rate"])
    margin = float(section.get("p80_margin", DEFAULT_COCOMO_P80_MARGIN))
    sigma_ln = math.log(1 + margin) / pert.Z_80
    cost_p50 = result.effort_pm * pm_cost
    percentile = 100 * NormalDist(0, sigma_ln).cdf(math.log(cost / cost_p50))
    section_result = {
        "size": size,
        "sum_sf": result.sum_sf,
        "exponent": result.exponent,
        "product_em": result.product_em,
        "effort_pm": result.effort_pm,
        "schedule_months": result.schedule_months,
        "pm_cost": pm_cost,
        "p80_margin": margin,
        "ratings": dict(section.get("ratings") or {}),
        "schedule_percentile": 100
        * NormalDist(0, sigma_ln).cdf(math.log(months / result.schedule_months)),
    }
    method = _method(
        "cocomo",
        "COCOMO II.2000",
        cost_p50=cost_p50,
        cost_p80=cost_p50 * (1 + margin),
        months_p50=result.schedule_months,
        months_p80=result.schedule_months * (1 + margin),
        percentile=percentile,
    )
    return section_result, [method]


def _reference(
    inputs: Mapping[str, Any], cost: float, months: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    estimate = inputs["estimate"]
    contingency = float(estimate.get("contingency", 0))
    base = cost - contingency
    rng = np.random.default_rng(int(inputs.get("seed", pert.DEFAULT_SEED)))
    cost_uplift = cost_uplift_model().draw(rng, REFERENCE_DRAWS)
    schedule_uplift = schedule_uplift_model().draw(rng, REFERENCE_DRAWS)
    outcomes = base * (1 + cost_uplift)
    u50, u80, u95, u99 = (float(v) for v in np.percentile(cost_uplift, [50, 80, 95, 99]))
    s50, s80 = (float(v) for v in np.percentile(schedule_uplift, [50, 80]))
    facts = overrun_facts()["flyvbjerg"]
    section = {
        "base": base,
        "contingency": contingency,
        "cost_uplift": {"p50": u50, "p80": u80, "p95": u95, "p99": u99},
        "schedule_uplift": {"p50": s50, "p80": s80},
        "sample_mean_uplift": float(np.mean(cost_uplift)),
        "share_above_50": float(np.mean(cost_uplift > 0.5)),
        "published": facts,
        "histogram": _histogram(outcomes, cost),
        "panorama": panorama_placement(
            cost_eur=cost,
            months=months,
            phase=str(estimate["phase"]),
            ministry=str(estimate.get("ministry", "")),
        ),
    }
    method = _method(
        "reference",
        "Classe de référence (dépassements publiés)",
        cost_p50=base * (1 + u50),
        cost_p80=base * (1 + u80),
        months_p50=months * (1 + s50),
        months_p80=months * (1 + s80),
        percentile=100 * float(np.mean(outcomes <= cost)),
    )
    return section, method


def check_inputs(inputs: Mapping[str, Any]) -> None:
    estimate = inputs.get("estimate") or {}
    if float(estimate.get("cost", 0)) <= 0:
        raise CostingInputError("Le coût estimé doit être supérieur à zéro.")
    if float(estimate.get("months", 0)) <= 0:
        raise CostingInputError("La durée estimée doit être supérieure à zéro.")
    if estimate.get("phase") not in PHASES:
        raise CostingInputError("Choisissez la phase du projet.")
    if not 0 <= float(estimate.get("contingency", 0)) < float(estimate["cost"]):
        raise CostingInputError("La provision doit être positive et inférieure au coût estimé.")
    for key in ("daily_rate", "hours_per_pm", "hours_per_day"):
        if float(inputs.get(key, 0)) <= 0:
            raise CostingInputError("Le taux journalier et les heures doivent être positifs.")
    for item in (inputs.get("three_point") or {}).get("packages", []):
        low, mode, high = (
            float(item["optimistic"]),
            float(item["most_likely"]),
            float(item["pessimistic"]),
        )
        if low < 0:
            raise CostingInputError(f"Lot « {item['name']} » : une valeur ne peut être négative.")
        if not low <= mode <= high:
            raise CostingInputError(
                f"Lot « {item['name']} » : il faut optimiste ≤ probable ≤ pessimiste."
            )


def _advice(
    inputs: Mapping[str, Any], cost: float, methods: list[dict[str, Any]], reference: dict
) -> list[str]:
    advice = []
    cautious_p80 = max(methods, key=lambda method: method["cost_p80"])
    missing = cautious_p80["cost_p80"] - cost
    if missing > 0:
        advice.append(
            f"Prévoir une provision d'environ {_euros(missing)} ({100 * missing / cost:.0f} % du "
            f"chiffrage) pour atteindre le P80 de la méthode la plus prudente "
            f"({cautious_p80['label']})."
        )
    if not (inputs.get("three_point") or {}).get("packages"):
        advice.append(
            "Décomposer le projet en lots et donner pour chacun trois estimations (optimiste, "
            "probable, pessimiste) : l'incertitude devient mesurable."
        )
    if (inputs.get("size") or {}).get("mode", "none") == "none":
        advice.append(
            "Mesurer la taille du logiciel (points de fonction IFPUG ou milliers de lignes de "
            "code) pour confronter le chiffrage à un modèle paramétrique (COCOMO II)."
        )
    if inputs["estimate"]["phase"] in {"idea", "framing"}:
        advice.append(
            "À ce stade, l'incertitude est la plus large : réviser le chiffrage à la fin du "
            "cadrage puis de la conception."
        )
    panorama = reference.get("panorama")
    if panorama and panorama["duration_percentile"] < 20:
        advice.append(
            "La durée prévue est plus courte que celle de "
            f"{100 - panorama['duration_percentile']:.0f}\u202f% des "
            f"{panorama['duration_group']} : vérifier le calendrier."
        )
    threshold = float(overrun_facts()["dinum_opinion_threshold_eur"])
    if max(cost, cautious_p80["cost_p80"]) >= threshold:
        advice.append(
            "Au-delà de 9 M€, un projet informatique de l'État doit recueillir l'avis de la "
            "DINUM : le P80 est à prendre en compte dans ce seuil."
        )
    advice.append(
        "Budgéter le P80, pas la moyenne : les dépassements des projets informatiques ont une "
        "queue épaisse (un projet sur six dépasse de plus de 50 %, de 200 % en moyenne), que "
        "le P80 ne couvre pas."
    )
    return advice


def _euros(value: float) -> str:
    return f"{value:,.0f} €".replace(",", "\u202f")


def evaluate(inputs: Mapping[str, Any]) -> dict[str, Any]:
    check_inputs(inputs)
    estimate = inputs["estimate"]
    cost = float(estimate["cost"])
    months = float(estimate["months"])
    three_point, methods = _three_point(inputs, cost)
    cocomo_result, cocomo_methods = _cocomo(inputs, cost, months)
    reference, reference_method = _reference(inputs, cost, months)
    methods = [*methods, *cocomo_methods, reference_method]
    retained = min(methods, key=lambda method: method["percentile"])
    key = verdict_for(retained["percentile"])
    return {
        "estimate": {"cost": cost, "months": months, "phase": PHASES[estimate["phase"]][0]},
        "methods": methods,
        "three_point": three_point,
        "cocomo": cocomo_result,
        "reference": reference,
        "verdict": {
            "key": key,
            "label": VERDICTS[key],
            "percentile": retained["percentile"],
            "method": retained["label"],
            "credible_from": CREDIBLE_FROM,
            "optimistic_from": OPTIMISTIC_FROM,
        },
        "advice": _advice(inputs, cost, methods, reference),
    }
