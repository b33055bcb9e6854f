"""The value calculator's NPV, discounted payback and profitability index against two
independent references: closed-form annuity factors computed by hand, and a second
implementation written differently (Horner's scheme on the discount factor v = 1 / (1 + r))."""

import math
from collections.abc import Sequence
from typing import Any

import pytest

from dlnuf.toolbox.mareva.compute import (
    CRITERION_KEYS,
    DEFAULT_WEIGHTS,
    YEAR_ROW_KEYS,
    MarevaInputError,
    evaluate,
)


def project(
    *,
    build: Sequence[float],
    run: Sequence[float],
    gains: Sequence[float],
    rate: float,
    year_zero: str = "start",
) -> dict[str, Any]:
    horizon = len(build)
    years = {key: [0.0] * horizon for key in YEAR_ROW_KEYS}
    years["build_external"] = list(build)
    years["run"] = list(run)
    years["gain_state"] = list(gains)
    return {
        "assumptions": {
            "horizon": horizon,
            "discount_rate": rate,
            "year_zero": year_zero,
            "build_etpt_cost": 90_000,
            "agent_etpt_cost": 60_000,
            "weights": dict(DEFAULT_WEIGHTS),
        },
        "years": years,
        "scores": dict.fromkeys(CRITERION_KEYS, 2),
    }


def annuity_factor(years: int, rate: float) -> float:
    """Present value of 1 paid at the end of each of `years` years: (1 − (1 + r)^−n) / r."""
    return (1 - (1 + rate) ** -years) / rate


# Year 1 builds for 1 000 €; years 2 to 5 each bring 400 € of gains for 50 € of operation.
BUILD = [1000.0, 0, 0, 0, 0]
RUN = [0.0, 50, 50, 50, 50]
GAINS = [0.0, 400, 400, 400, 400]


def test_npv_matches_the_closed_form_annuity() -> None:
    results = evaluate(project(build=BUILD, run=RUN, gains=GAINS, rate=0.04))
    # Year 1 is year 0: NPV = −1000 + 350 × a(4 years, 4 %).
    # a = (1 − 1.04^−4) / 0.04 = (1 − 0.854804) / 0.04 = 3.629895; 350 × a = 1270.4633.
    assert annuity_factor(4, 0.04) == pytest.approx(3.629895, abs=1e-6)
    assert results["npv"] == pytest.approx(-1000 + 350 * annuity_factor(4, 0.04))
    assert results["npv"] == pytest.approx(270.4633, abs=1e-4)


def test_end_of_year_convention_discounts_every_flow_once_more() -> None:
    start = evaluate(project(build=BUILD, run=RUN, gains=GAINS, rate=0.04))
    end = evaluate(project(build=BUILD, run=RUN, gains=GAINS, rate=0.04, year_zero="end"))
    # 270.4633 / 1.04 = 260.0609.
    assert end["npv"] == pytest.approx(start["npv"] / 1.04)
    assert end["npv"] == pytest.approx(260.0609, abs=1e-4)


def test_profitability_index_matches_the_closed_form() -> None:
    results = evaluate(project(build=BUILD, run=RUN, gains=GAINS, rate=0.04))
    # PV(gains) = 400 × 3.629895 = 1451.958; PV(costs) = 1000 + 50 × 3.629895 = 1181.495;
    # PI = 1451.958 / 1181.495 = 1.228916.
    assert results["pv_gains"] == pytest.approx(400 * annuity_factor(4, 0.04))
    assert results["pv_costs"] == pytest.approx(1000 + 50 * annuity_factor(4, 0.04))
    assert results["profitability_index"] == pytest.approx(1.228916, abs=1e-6)


def test_discounted_payback_matches_the_closed_form_cumulative() -> None:
    results = evaluate(project(build=BUILD, run=RUN, gains=GAINS, rate=0.04))
    # Cumulated discounted net flow at the end of year k (k ≥ 1): −1000 + 350 × a(k − 1).
    # End of year 4: −1000 + 350 × 2.775091 = −28.718; year 5 brings 350 / 1.04⁴ = 299.182.
    # Payback = 4 years + 28.718 / 299.182 = 4.09599 years.
    before = -1000 + 350 * annuity_factor(3, 0.04)
    assert before == pytest.approx(-28.718, abs=1e-3)
    year_five = 350 / 1.04**4
    assert results["payback_years"] == pytest.approx(4 + -before / year_five)
    assert results["payback_years"] == pytest.approx(4.09599, abs=1e-5)


def test_payback_is_not_reached_when_the_horizon_ends_first() -> None:
    results = evaluate(project(build=BUILD, run=RUN, gains=[0.0, 100, 100, 100, 100], rate=0.04))
    assert results["payback_years"] is None
    assert results["npv"] == pytest.approx(-1000 + 50 * annuity_factor(4, 0.04))


def horner_npv(net: Sequence[float], rate: float, shift: int) -> float:
    """Σ netₜ vᵗ evaluated from the last year back: ((n₅ v + n₄) v + …) v + n₁, times v^shift."""
    v = 1 / (1 + rate)
    total = 0.0
    for flow in reversed(net):
        total = total * v + flow
    return total * v**shift


def bisected_payback(net: Sequence[float], rate: float, shift: int) -> float | None:
    """The time at which the cumulative discounted flow, spread evenly inside each year,
    first reaches zero, found by bisection on that piecewise linear curve."""
    v = 1 / (1 + rate)

    def cumulative(time: float) -> float:
        whole = min(int(time), len(net))
        done = sum(net[index] * v ** (index + shift) for index in range(whole))
        if whole < len(net):
            done += (time - whole) * net[whole] * v ** (whole + shift)
        return done

    crossing = next(
        (year for year in range(len(net) + 1) if cumulative(year) >= 0 and year > 0), None
    )
    if crossing is None:
        return None
    low, high = crossing - 1.0, float(crossing)
    if cumulative(low) >= 0:
        return low
    for _ in range(80):
        middle = (low + high) / 2
        low, high = (low, middle) if cumulative(middle) >= 0 else (middle, high)
    return high


CASH_FLOWS = [
    ([1000.0, 200, 0, 0, 0, 0], [0.0, 30, 30, 60, 60, 60], [0.0, 100, 450, 450, 500, 520], 0.04),
    ([500.0, 500, 100], [0.0, 0, 40], [0.0, 300, 1200], 0.025),
    ([80_000.0, 0, 0, 0, 0, 0, 0], [0.0] + [5_000.0] * 6, [0.0] + [19_000.0] * 6, 0.08),
    ([10.0, 0, 0], [0.0, 0, 0], [0.0, 20, 20], 0.0),
    ([300.0, 100, 0, 0], [0.0, 0, 10, 10], [0.0, 0, 0, 40], 0.12),
]


@pytest.mark.parametrize(("build", "run", "gains", "rate"), CASH_FLOWS)
@pytest.mark.parametrize("year_zero", ["start", "end"])
def test_npv_pi_and_payback_agree_with_a_second_implementation(
    build: list[float], run: list[float], gains: list[float], rate: float, year_zero: str
) -> None:
    results = evaluate(project(build=build, run=run, gains=gains, rate=rate, year_zero=year_zero))
    shift = 0 if year_zero == "start" else 1
    net = [g - b - r for b, r, g in zip(build, run, gains, strict=True)]
    costs = [b + r for b, r in zip(build, run, strict=True)]
    assert results["npv"] == pytest.approx(horner_npv(net, rate, shift), abs=1e-6)
    expected_pi = horner_npv(gains, rate, shift) / horner_npv(costs, rate, shift)
    assert results["profitability_index"] == pytest.approx(expected_pi, rel=1e-9)
    expected_payback = bisected_payback(net, rate, shift)
    if expected_payback is None:
        assert results["payback_years"] is None
    else:
        assert results["payback_years"] == pytest.approx(expected_payback, abs=1e-9)


def test_weights_must_total_one_hundred_percent() -> None:
    inputs = project(build=BUILD, run=RUN, gains=GAINS, rate=0.04)
    inputs["assumptions"]["weights"] = {"necessity": 0.5, "strategic": 0.3, "profitability": 0.4}
    with pytest.raises(MarevaInputError, match="totaliser 100 % ; elles totalisent 120 %"):
        evaluate(inputs)
    inputs["assumptions"]["weights"] = {
        "necessity": 1 / 3,
        "strategic": 1 / 3,
        "profitability": 1 / 3,
    }
    assert math.isfinite(evaluate(inputs)["value_index"])
