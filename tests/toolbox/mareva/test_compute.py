"""The value calculator's formulas, checked against figures computed by hand."""

from typing import Any

import pytest

from dlnuf.toolbox.mareva.compute import (
    CRITERION_KEYS,
    DEFAULT_WEIGHTS,
    YEAR_ROW_KEYS,
    MarevaInputError,
    discount_factors,
    evaluate,
    grade,
    payback_years,
    present_value,
    profitability_index,
    profitability_score,
    quadrant,
    value_index,
)


def small_project(**assumptions: Any) -> dict[str, Any]:
    """Three years: 100 € of external build in year 1, then 60 € of gains each later year."""
    years = {key: [0.0, 0.0, 0.0] for key in YEAR_ROW_KEYS}
    years["build_external"] = [100.0, 0.0, 0.0]
    years["gain_state"] = [0.0, 60.0, 60.0]
    return {
        "assumptions": {
            "horizon": 3,
            "discount_rate": 0.04,
            "year_zero": "start",
            "build_etpt_cost": 90_000,
            "agent_etpt_cost": 60_000,
            "weights": dict(DEFAULT_WEIGHTS),
            **assumptions,
        },
        "years": years,
        "scores": dict.fromkeys(CRITERION_KEYS, 2),
    }


def test_discount_factors_follow_the_first_year_convention() -> None:
    # start: 1, 1/1.04, 1/1.04² = 1, 0.961538, 0.924556; end: shifted by one year.
    assert discount_factors(3, 0.04, "start") == pytest.approx([1, 0.961538, 0.924556], abs=1e-6)
    assert discount_factors(2, 0.04, "end") == pytest.approx([0.961538, 0.924556], abs=1e-6)


def test_npv_payback_and_profitability_index_of_a_small_cash_flow() -> None:
    results = evaluate(small_project())
    # Net flows −100, 60, 60 at 4 %, year 1 undiscounted:
    # −100 + 60/1.04 + 60/1.0816 = −100 + 57.6923 + 55.4734 = 13.1657.
    assert results["npv"] == pytest.approx(13.1657, abs=1e-4)
    # Cumulated: −100, −42.3077, 13.1657 → year 3 reached, 42.3077 / 55.4734 = 0.7627 of it:
    # 2 full years + 0.7627 = 2.7627 years.
    assert results["payback_years"] == pytest.approx(2.7627, abs=1e-4)
    # PV(gains) = 113.1657, PV(costs) = 100 → 1.131657.
    assert results["profitability_index"] == pytest.approx(1.131657, abs=1e-6)
    assert results["pv_costs"] == pytest.approx(100)


def test_end_of_year_convention_discounts_the_first_year() -> None:
    results = evaluate(small_project(year_zero="end"))
    # Every flow one more year away: 13.1657 / 1.04 = 12.6593.
    assert results["npv"] == pytest.approx(12.6593, abs=1e-4)


def test_payback_is_none_when_the_horizon_ends_first_and_zero_without_investment() -> None:
    assert payback_years([-100, 10, 10]) is None
    assert payback_years([5, 5]) == 0


def test_present_value_and_index_helpers() -> None:
    assert present_value([100, 100], [1, 0.5]) == 150
    assert profitability_index(120, 100) == pytest.approx(1.2)
    assert profitability_index(120, 0) is None


def test_full_cost_counts_internal_staff_and_two_years_of_run() -> None:
    inputs = small_project(horizon=4)
    years = {key: [0.0] * 4 for key in YEAR_ROW_KEYS}
    years["build_etpt"] = [2.0, 1.0, 0.0, 0.0]  # 3 ETPT × 90 000 € = 270 000 €
    years["build_licences"] = [10_000.0, 0.0, 0.0, 0.0]
    years["run"] = [0.0, 20_000.0, 30_000.0, 40_000.0]  # first two years with a run: 50 000 €
    inputs["years"] = years
    results = evaluate(inputs)
    # 270 000 + 10 000 + 20 000 + 30 000 = 330 000.
    assert results["full_cost"] == pytest.approx(330_000)
    assert results["total_run"] == pytest.approx(90_000)


def test_agents_gains_are_etpt_times_the_cost_of_an_etpt() -> None:
    inputs = small_project()
    inputs["years"]["gain_agents_etpt"] = [0.0, 0.5, 0.0]
    results = evaluate(inputs)
    assert results["years"][1]["gains"] == pytest.approx(60 + 0.5 * 60_000)


def test_axes_value_index_grades_and_quadrant() -> None:
    inputs = small_project()
    inputs["scores"].update(regulatory=4, obsolescence=4, alignment=4)  # necessity 4
    inputs["scores"].update(size=4, complexity=4, technology=4)  # risk (4+4+4+2+2+2)/6 = 3
    results = evaluate(inputs)
    axes = {axis["key"]: axis for axis in results["axes"]}
    assert axes["necessity"]["score"] == 4
    assert axes["necessity"]["grade"] == "A"
    assert axes["strategic"]["score"] == 2
    assert axes["strategic"]["grade"] == "B"
    # PI 1.131657 → 4 × (1.131657 − 0.5) / 1.5 = 1.6844.
    assert axes["profitability"]["score"] == pytest.approx(1.6844, abs=1e-4)
    assert axes["profitability"]["grade"] == "C"
    assert axes["risk_control"]["score"] == pytest.approx(1.0)
    assert results["risk_score"] == pytest.approx(3.0)
    # 0.3 × 4 + 0.3 × 2 + 0.4 × 1.6844 = 2.4738.
    assert results["value_index"] == pytest.approx(2.4738, abs=1e-4)
    assert results["quadrant"].startswith("Valeur élevée, risque élevé")


def test_helpers_of_the_scores() -> None:
    assert value_index(
        {"necessity": 4, "strategic": 0, "profitability": 2},
        {"necessity": 1, "strategic": 1, "profitability": 2},
    ) == pytest.approx((4 + 0 + 4) / 4)
    assert profitability_score(None) == 0
    assert profitability_score(3.0) == 4
    assert [grade(value) for value in (3, 2.5, 1, 0.99)] == ["A", "B", "C", "D"]
    assert quadrant(1.0, 1.0).startswith("Valeur modeste, risque maîtrisé")


def test_sensitivity_raises_build_costs_by_each_observed_overrun() -> None:
    rows = {row["key"]: row for row in evaluate(small_project())["sensitivity"]}
    assert len(rows) == 7
    # Build +32 %: −132 + 57.6923 + 55.4734 = −18.8343; the horizon ends before payback.
    assert rows["panorama_2016"]["npv"] == pytest.approx(-18.8343, abs=1e-4)
    assert rows["panorama_2016"]["payback_years"] is None
    # Build +10.8 %: cumulated −110.8, −53.1077, 2.3657 → 2 + 53.1077 / 55.4734 = 2.9574.
    assert rows["panorama_2023_12"]["payback_years"] == pytest.approx(2.9574, abs=1e-4)
    # Black swan +200 %: −300 + 113.1657 = −186.8343.
    assert rows["black_swan"]["npv"] == pytest.approx(-186.8343, abs=1e-4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"assumptions": {"horizon": 2}}, "entre 3 et 15 ans"),
        ({"assumptions": {"horizon": 16}}, "entre 3 et 15 ans"),
        ({"years": {"build_external": [-1.0, 0.0, 0.0]}}, "ne peut pas être négatif"),
        ({"scores": {"size": 5}}, "de 0 à 4"),
        (
            {"assumptions": {"weights": {"necessity": 0, "strategic": 0, "profitability": 0}}},
            "pas toutes nulles",
        ),
    ],
)
def test_bad_inputs_are_refused_in_french(change: dict[str, Any], message: str) -> None:
    inputs = small_project()
    for section, values in change.items():
        inputs[section].update(values)
    with pytest.raises(MarevaInputError, match=message):
        evaluate(inputs)
