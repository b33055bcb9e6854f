"""PERT, Monte Carlo, COCOMO II.2000 and IFPUG, checked against hand computations."""

import math

import pytest

from dlnuf.toolbox.costing import cocomo, ifpug, pert
from dlnuf.toolbox.costing.reference import percentile_rank


def test_pert_mean_and_sigma_per_package_and_total() -> None:
    first = pert.Package("Lot 1", 10, 20, 40)
    second = pert.Package("Lot 2", 5, 8, 17)
    # (10 + 80 + 40) / 6 = 21.6667, σ = 30 / 6 = 5; (5 + 32 + 17) / 6 = 9, σ = 12 / 6 = 2.
    assert first.mean == pytest.approx(21.6667, abs=1e-4)
    assert first.sigma == 5
    assert second.mean == 9
    assert second.sigma == 2
    total = pert.pert_total([first, second])
    # Mean 30.6667; σ = sqrt(25 + 4) = 5.3852; P80 = 30.6667 + 0.8416 × 5.3852 = 35.1988.
    assert total.mean == pytest.approx(30.6667, abs=1e-4)
    assert total.sigma == pytest.approx(math.sqrt(29))
    assert total.p50 == total.mean
    assert total.p80 == pytest.approx(35.1988, abs=1e-4)
    # The mean sits at P50; one σ above at 84.13 %.
    assert total.percentile_of(total.mean) == pytest.approx(50)
    assert total.percentile_of(total.mean + total.sigma) == pytest.approx(84.13, abs=0.01)


@pytest.mark.parametrize("distribution", ["beta_pert", "triangular"])
def test_monte_carlo_is_reproducible_and_close_to_the_analytic_figures(
    distribution: str,
) -> None:
    packages = [pert.Package("a", 10, 20, 40), pert.Package("b", 5, 8, 17)]
    first = pert.monte_carlo_totals(packages, distribution=distribution, seed=7)
    again = pert.monte_carlo_totals(packages, distribution=distribution, seed=7)
    assert (first == again).all()
    if distribution == "beta_pert":
        # The beta-PERT mean is the PERT mean, 30.6667.
        assert first.mean() == pytest.approx(30.6667, abs=0.15)
    else:
        # A triangle's mean is (O + M + P) / 3: 23.3333 + 10 = 33.3333.
        assert first.mean() == pytest.approx(33.3333, abs=0.15)
    assert (first >= 15).all()
    assert (first <= 57).all()


def test_cocomo_scale_factors_sum_to_the_published_nominal() -> None:
    nominal = sum(values["values"]["N"] for values in cocomo.tables()["scale_factors"].values())
    assert nominal == pytest.approx(18.97)
    assert len(cocomo.effort_multiplier_names()) == 17
    assert all(
        table["values"]["N"] == 1.0 for table in cocomo.tables()["effort_multipliers"].values()
    )


def test_cocomo_all_nominal() -> None:
    result = cocomo.estimate(10)
    # E = 0.91 + 0.01 × 18.97 = 1.0997 (≈ 1.1); PM = 2.94 × 10^1.0997 = 2.94 × 12.5808 = 36.99.
    assert result.exponent == pytest.approx(1.0997)
    assert result.effort_pm == pytest.approx(2.94 * 10**1.0997)
    assert result.effort_pm == pytest.approx(36.987, abs=1e-3)
    # F = 0.28 + 0.2 × 0.1897 = 0.31794; TDEV = 3.67 × 36.987^0.31794 = 3.67 × 3.1517 = 11.567.
    assert result.schedule_months == pytest.approx(11.567, abs=1e-3)


def test_cocomo_one_case_off_nominal() -> None:
    result = cocomo.estimate(10, {"PREC": "L", "CPLX": "H"})
    # ΣSF = 18.97 − 3.72 + 4.96 = 20.21 → E = 1.1121; 10^1.1121 = 12.945;
    # PM = 2.94 × 12.945 × 1.17 = 44.528.
    assert result.sum_sf == pytest.approx(20.21)
    assert result.product_em == pytest.approx(1.17)
    assert result.effort_pm == pytest.approx(44.528, abs=1e-3)
    # F = 0.28 + 0.2 × 0.2021 = 0.32042; 44.528^0.32042 = 3.3749; × 3.67 = 12.386.
    assert result.schedule_months == pytest.approx(12.386, abs=1e-3)


def test_cocomo_schedule_constraint_shortens_the_schedule_not_the_base_effort() -> None:
    result = cocomo.estimate(10, {"SCED": "VL"})
    # Effort × 1.43; schedule computed on the nominal effort then × 75 %: 11.567 × 0.75.
    assert result.effort_pm == pytest.approx(36.987 * 1.43, abs=1e-2)
    assert result.schedule_months == pytest.approx(11.567 * 0.75, abs=1e-3)


def test_cocomo_refuses_an_undefined_rating() -> None:
    with pytest.raises(cocomo.CocomoRatingError):
        cocomo.estimate(10, {"TIME": "VL"})


def test_ifpug_unadjusted_points_and_value_adjustment() -> None:
    counts = {"EI": {"low": 2, "avg": 1}, "EO": {"high": 1}, "ILF": {"avg": 2}, "EIF": {"low": 1}}
    # 2×3 + 1×4 + 1×7 + 2×10 + 1×5 = 6 + 4 + 7 + 20 + 5 = 42.
    assert ifpug.unadjusted(counts) == 42
    # TDI = 14 × 3 = 42 → VAF = 0.65 + 0.42 = 1.07.
    assert ifpug.value_adjustment_factor([3] * 14) == pytest.approx(1.07)
    assert ifpug.value_adjustment_factor([0] * 14) == pytest.approx(0.65)
    assert ifpug.value_adjustment_factor([5] * 14) == pytest.approx(1.35)
    with pytest.raises(ValueError, match="14 caractéristiques"):
        ifpug.value_adjustment_factor([3] * 13)
    # 100 points × 53 lines per point (Java) = 5.3 KSLOC.
    assert ifpug.ksloc_from_function_points(100, "java") == pytest.approx(5.3)


def test_percentile_rank_counts_ties_as_half() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    # Below 3: two values; equal: one → (2 + 0.5) / 4 = 62.5 %.
    assert percentile_rank(values, 3.0) == 62.5
    assert percentile_rank(values, 10.0) == 100
    assert percentile_rank(values, 0.5) == 0
