"""The cost review's figures against references computed independently of the code: PERT by
the textbook formulas, COCOMO II.2000 from the model definition manual's constants, and the
percentiles by the standard library with the same interpolation rule."""

import math
import statistics
from typing import Any

import numpy as np
import pytest

from dlnuf.toolbox.costing import cocomo, pert
from dlnuf.toolbox.costing.reference import percentile_rank
from dlnuf.toolbox.costing.review import evaluate
from dlnuf.toolbox.demo import COSTING_INPUTS

# COCOMO II.2000 model definition manual: A = 2.94, B = 0.91, C = 3.67, D = 0.28; nominal
# scale factors PREC 3.72, FLEX 3.04, RESL 4.24, TEAM 3.29, PMAT 4.68.
MANUAL_A, MANUAL_B, MANUAL_C, MANUAL_D = 2.94, 0.91, 3.67, 0.28
MANUAL_NOMINAL_SF = (3.72, 3.04, 4.24, 3.29, 4.68)


def methods_of(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {method["key"]: method for method in results["methods"]}


def test_pert_against_the_textbook_formula() -> None:
    # (a + 4m + b) / 6 and σ = (b − a) / 6 for the demonstration's three packages (days):
    # (120 + 720 + 320) / 6 = 193.3333, σ = 200 / 6 = 33.3333
    # (60 + 360 + 200) / 6 = 103.3333,  σ = 140 / 6 = 23.3333
    # (150 + 880 + 400) / 6 = 238.3333, σ = 250 / 6 = 41.6667
    # Total 535; σ = √(1111.11 + 544.44 + 1736.11) = √3391.67 = 58.2381.
    # P80 = 535 + 0.8416 × 58.2381 = 584.0132 days, × 650 €/day = 379 608.6 €.
    results = evaluate(COSTING_INPUTS)
    section = results["three_point"]
    means = [package["mean"] for package in section["packages"]]
    sigmas = [package["sigma"] for package in section["packages"]]
    assert means == pytest.approx([193.3333, 103.3333, 238.3333], abs=1e-4)
    assert sigmas == pytest.approx([33.3333, 23.3333, 41.6667], abs=1e-4)
    assert section["mean"] == pytest.approx(535)
    assert section["sigma"] == pytest.approx(58.2381, abs=1e-4)
    assert section["p80"] == pytest.approx(584.0132, abs=1e-4)
    pert_method = methods_of(results)["pert"]
    assert pert_method["cost_p50"] == pytest.approx(535 * 650)
    assert pert_method["cost_p80"] == pytest.approx(379_608.6, abs=0.1)
    # The team's 420 000 € are 646.15 days: z = (646.15 − 535) / 58.2381 = 1.9086 → 97.18 %.
    assert pert_method["percentile"] == pytest.approx(97.18, abs=0.01)


def manual_cocomo(ksloc: float, sum_sf: float, product_em: float) -> tuple[float, float]:
    exponent = MANUAL_B + 0.01 * sum_sf
    effort = MANUAL_A * math.exp(exponent * math.log(ksloc)) * product_em
    schedule = MANUAL_C * math.exp((MANUAL_D + 0.2 * (exponent - MANUAL_B)) * math.log(effort))
    return effort, schedule


def test_cocomo_nominal_100_ksloc_against_the_manual() -> None:
    # ΣSF = 18.97, E = 0.91 + 0.1897 = 1.0997; PM = 2.94 × 100^1.0997 = 2.94 × 158.27 = 465.3.
    # TDEV = 3.67 × 465.3^(0.28 + 0.2 × 0.1897) = 3.67 × 465.3^0.31794 = 25.9 months.
    assert sum(MANUAL_NOMINAL_SF) == pytest.approx(18.97)
    result = cocomo.estimate(100)
    effort, schedule = manual_cocomo(100, sum(MANUAL_NOMINAL_SF), 1.0)
    assert result.sum_sf == pytest.approx(18.97)
    assert result.exponent == pytest.approx(1.0997)
    assert result.effort_pm == pytest.approx(effort)
    assert result.effort_pm == pytest.approx(465.3, abs=0.1)
    assert result.schedule_months == pytest.approx(schedule)
    assert result.schedule_months == pytest.approx(25.9, abs=0.05)


@pytest.mark.parametrize(
    ("ratings", "sum_sf", "product_em"),
    [
        # PMAT high (3.12 instead of 4.68), RELY very high (1.26), ACAP high (0.85).
        ({"PMAT": "H", "RELY": "VH", "ACAP": "H"}, 18.97 - 4.68 + 3.12, 1.26 * 0.85),
        # Every scale factor extra high (0), CPLX extra high (1.74).
        (
            dict.fromkeys(("PREC", "FLEX", "RESL", "TEAM", "PMAT"), "XH") | {"CPLX": "XH"},
            0,
            1.74,
        ),
    ],
)
def test_cocomo_off_nominal_against_the_manual(
    ratings: dict[str, str], sum_sf: float, product_em: float
) -> None:
    result = cocomo.estimate(50, ratings)
    effort, schedule = manual_cocomo(50, sum_sf, product_em)
    assert result.sum_sf == pytest.approx(sum_sf)
    assert result.product_em == pytest.approx(product_em)
    assert result.effort_pm == pytest.approx(effort)
    assert result.schedule_months == pytest.approx(schedule)


def test_cocomo_cost_in_the_review() -> None:
    # 40 KSLOC nominal: 40^1.0997 = e^(1.0997 × 3.68888) = e^4.05666 = 57.781, PM = 2.94 × 57.781
    # = 169.88; one person-month = 152 h / 7.6 h = 20 days at 650 € = 13 000 €;
    # P50 = 2 208 391 €, P80 = P50 × 1.3.
    results = evaluate(COSTING_INPUTS)
    effort, _ = manual_cocomo(40, 18.97, 1.0)
    assert effort == pytest.approx(169.876, abs=1e-3)
    method = methods_of(results)["cocomo"]
    assert method["cost_p50"] == pytest.approx(effort * 20 * 650)
    assert method["cost_p80"] == pytest.approx(effort * 20 * 650 * 1.3)
    # Lognormal with P80 = 1.3 × P50: σ = ln 1.3 / 0.8416; the team's 420 000 € sit at
    # Φ(ln(420 000 / 2 208 391) / σ) = Φ(−5.33) ≈ 0 %.
    sigma = math.log(1.3) / 0.8416
    expected = 100 * statistics.NormalDist().cdf(math.log(420_000 / (effort * 13_000)) / sigma)
    assert method["percentile"] == pytest.approx(expected)
    assert method["cost_p50"] == pytest.approx(2_208_391, abs=1)


def test_monte_carlo_percentiles_against_the_standard_library() -> None:
    # numpy's default percentile is the linear interpolation between order statistics, the
    # rule statistics.quantiles calls "inclusive": same draws, same P50 and P80.
    results = evaluate(COSTING_INPUTS)
    packages = [pert.Package(**package) for package in COSTING_INPUTS["three_point"]["packages"]]
    draws = pert.monte_carlo_totals(packages, seed=COSTING_INPUTS["seed"])
    cut_points = statistics.quantiles(draws.tolist(), n=100, method="inclusive")
    monte_carlo = results["three_point"]["monte_carlo"]
    assert monte_carlo["p50"] == pytest.approx(cut_points[49], rel=1e-12)
    assert monte_carlo["p80"] == pytest.approx(cut_points[79], rel=1e-12)
    # The estimate's percentile is the share of draws at or below it.
    in_days = 420_000 / 650
    share = 100 * sum(1 for draw in draws.tolist() if draw <= in_days) / len(draws)
    assert methods_of(results)["monte_carlo"]["percentile"] == pytest.approx(share)


def test_percentile_rank_against_a_hand_count() -> None:
    values = [10.0, 20, 20, 30, 40, 50, 60, 70]
    # 20: one value below, two equal → (1 + 0.5 × 2) / 8 = 25 %.
    assert percentile_rank(values, 20) == pytest.approx(25)
    # 45: five values below, none equal → 5 / 8 = 62.5 %.
    assert percentile_rank(values, 45) == pytest.approx(62.5)
    assert percentile_rank(values, 5) == 0
    assert percentile_rank(values, 99) == 100
    # The mid-rank rule is the mean of the "strict" and "weak" ranks.
    for probe in (20.0, 33.0, 70.0):
        strict = sum(value < probe for value in values) / len(values)
        weak = sum(value <= probe for value in values) / len(values)
        assert percentile_rank(values, probe) == pytest.approx(100 * (strict + weak) / 2)


def test_panorama_placement_median_against_the_standard_library() -> None:
    results = evaluate(
        {**COSTING_INPUTS, "estimate": {**COSTING_INPUTS["estimate"], "phase": "build"}}
    )
    panorama = results["reference"].get("panorama")
    if panorama is None:
        pytest.skip("the Panorama file is not shipped")
    costs = panorama["cost_values"]
    assert panorama["cost_median"] == pytest.approx(statistics.median(costs))
    assert panorama["cost_median"] == pytest.approx(float(np.median(costs)))
    assert panorama["cost_percentile"] == pytest.approx(percentile_rank(costs, 420_000))
