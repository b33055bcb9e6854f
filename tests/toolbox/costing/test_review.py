"""The review of an estimate: methods side by side, placement, verdict, Panorama import."""

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from dlnuf.toolbox.costing.panorama import read_editions
from dlnuf.toolbox.costing.reference import (
    cost_uplift_model,
    panorama_placement,
    panorama_projects,
)
from dlnuf.toolbox.costing.review import CostingInputError, evaluate, verdict_for


def inputs(**estimate: Any) -> dict[str, Any]:
    return {
        "estimate": {"cost": 100_000, "months": 12, "phase": "build", "ministry": "", **estimate},
        "daily_rate": 500,
        "hours_per_pm": 152,
        "hours_per_day": 7.6,
        "size": {"mode": "none"},
        "three_point": {
            "unit": "days",
            "distribution": "beta_pert",
            "packages": [
                {"name": "Lot 1", "optimistic": 100, "most_likely": 160, "pessimistic": 280},
            ],
        },
        "cocomo": {"ratings": {}},
        "seed": 1,
    }


def test_uplift_model_is_calibrated_on_the_published_facts() -> None:
    model = cost_uplift_model()
    # Ordinary mean: (0.27 − 1/6 × 2) / (5/6) = −0.076; black swans α = 2 / 1.5 = 4/3.
    assert model.ordinary_mean == pytest.approx(-0.076, abs=1e-4)
    assert model.swan_alpha == pytest.approx(4 / 3)


def test_methods_percentiles_and_verdict() -> None:
    results = evaluate(inputs())
    methods = {method["key"]: method for method in results["methods"]}
    # PERT in days: E = (100 + 640 + 280) / 6 = 170, σ = 30; × 500 € = 85 000 €, σ 15 000 €.
    assert methods["pert"]["cost_p50"] == pytest.approx(85_000)
    # P80 = 85 000 + 0.8416 × 15 000 = 97 624.
    assert methods["pert"]["cost_p80"] == pytest.approx(97_624)
    # 100 000 € is (100 000 − 85 000) / 15 000 = 1 σ above: 84.13 %.
    assert methods["pert"]["percentile"] == pytest.approx(84.13, abs=0.01)
    assert methods["pert"]["verdict"] == "crédible"
    assert 80 < methods["monte_carlo"]["percentile"] < 90
    # Without contingency, the estimate sits near the median of the published overruns.
    assert 45 < methods["reference"]["percentile"] < 55
    assert "cocomo" not in methods
    assert results["verdict"]["label"] == "optimiste"
    assert results["verdict"]["method"].startswith("Classe de référence")
    assert any("Mesurer la taille" in line for line in results["advice"])


def test_cocomo_method_from_function_points() -> None:
    data = inputs()
    data["size"] = {"mode": "fp", "function_points": 100, "language": "java"}
    methods = {method["key"]: method for method in evaluate(data)["methods"]}
    # 100 FP × 53 = 5.3 KSLOC → PM = 2.94 × 5.3^1.0997 = 19.00; a person-month is
    # 152 / 7.6 = 20 days × 500 € = 10 000 € → about 190 000 €.
    assert methods["cocomo"]["cost_p50"] == pytest.approx(2.94 * 5.3**1.0997 * 10_000)
    assert methods["cocomo"]["cost_p80"] == pytest.approx(methods["cocomo"]["cost_p50"] * 1.3)


def test_contingency_moves_the_estimate_up_the_reference_distribution() -> None:
    bare = evaluate(inputs())["methods"][-1]["percentile"]
    covered = evaluate(inputs(contingency=30_000))["methods"][-1]["percentile"]
    assert covered > bare + 15


@pytest.mark.parametrize(
    ("percentile", "verdict"),
    [(80, "credible"), (79.9, "optimistic"), (50, "optimistic"), (49.9, "very_optimistic")],
)
def test_verdict_thresholds(percentile: float, verdict: str) -> None:
    assert verdict_for(percentile) == verdict


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cost": -5}, "supérieur à zéro"),
        ({"months": 0}, "supérieure à zéro"),
        ({"phase": "other"}, "phase"),
        ({"contingency": 200_000}, "provision"),
    ],
)
def test_bad_inputs_are_refused_in_french(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CostingInputError, match=message):
        evaluate(inputs(**change))


def test_packages_must_be_ordered() -> None:
    data = inputs()
    data["three_point"]["packages"][0]["most_likely"] = 500
    with pytest.raises(CostingInputError, match="optimiste ≤ probable ≤ pessimiste"):
        evaluate(data)


def test_panorama_placement_uses_the_shipped_file() -> None:
    projects = panorama_projects()
    assert len(projects) > 100
    placement = panorama_placement(cost_eur=12e6, months=36, phase="build", ministry="MEF")
    assert placement is not None
    assert placement["cost_count"] >= 5
    assert 0 <= placement["cost_percentile"] <= 100
    small = panorama_placement(cost_eur=10_000, months=6, phase="build")
    assert small is not None
    assert small["smaller_than_all"]


def test_import_panorama_reads_the_published_editions(reference_dir: Path, tmp_path: Path) -> None:
    source = reference_dir / "panorama-grands-projets"
    editions = read_editions(source)
    assert set(editions) == {"2016-2017", "2017-06", "2018-03"}
    assert len(editions["2017-06"]) == 61
    pnr = next(row for row in editions["2018-03"] if row["project"] == "PNR")
    # The workbook writes decimals with a comma: "53,02" M€, "6,8027…" years, "01/07/2011".
    assert pnr["cost_meur"] == "53.02"
    assert pnr["start"] == "2011-07-01"
    assert float(pnr["planned_duration_years"]) == pytest.approx(6.8027, abs=1e-4)
    target = tmp_path / "panorama.csv"
    out = StringIO()
    call_command("import_panorama", str(source), output=target, stdout=out)
    assert "lignes écrites" in out.getvalue()
    assert len(panorama_projects(target)) == len(panorama_projects())


def test_import_panorama_refuses_a_missing_folder(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="introuvable"):
        call_command("import_panorama", str(tmp_path / "absent"), stdout=StringIO())
