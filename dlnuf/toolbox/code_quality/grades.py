"""Grades A to E per axis, the places to fix first, and the comparison with the other projects.

Each axis has one key figure and fixed thresholds, written here and shown on the report, so that
two projects graded months apart are graded alike. Size is informative only: a big project is
not a bad one.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GRADES = "ABCDE"
# French groups thousands with a narrow no-break space.
THOUSANDS = "\u202f"


def counted(number: int, singular: str, plural: str) -> str:
    """``counted(1500, "ligne", "lignes")`` gives "1 500 lignes" (below two is singular)."""
    return f"{number:,}".replace(",", THOUSANDS) + " " + (singular if number < 2 else plural)


@dataclass(frozen=True)
class Axis:
    key: str
    label: str
    figure_label: str
    # Upper bounds of A, B, C, D (lower is better) or lower bounds (higher is better).
    bounds: tuple[float, float, float, float]
    lower_is_better: bool
    thresholds_text: str


AXES = (
    Axis(
        "complexity",
        "Complexité",
        "part des fonctions de complexité cyclomatique supérieure à 10 (%)",
        (2, 5, 10, 20),
        True,
        "A ≤ 2 %, B ≤ 5 %, C ≤ 10 %, D ≤ 20 %, E au-delà.",
    ),
    Axis(
        "duplication",
        "Duplication",
        "part du code dupliqué (%)",
        (3, 5, 10, 20),
        True,
        "A ≤ 3 %, B ≤ 5 %, C ≤ 10 %, D ≤ 20 %, E au-delà.",
    ),
    Axis(
        "lint",
        "Anomalies Python (ruff)",
        f"anomalies pour 1{THOUSANDS}000 lignes de Python",
        (2, 5, 10, 20),
        True,
        "A ≤ 2, B ≤ 5, C ≤ 10, D ≤ 20, E au-delà ; sans objet sans Python.",
    ),
    Axis(
        "tests",
        "Tests",
        "lignes de test pour 100 lignes de code",
        (50, 30, 15, 0.001),
        False,
        "A ≥ 50, B ≥ 30, C ≥ 15, D au-dessous, E sans aucun test.",
    ),
    Axis(
        "dependencies",
        "Dépendances",
        "part des composants sans version indiquée ou en fin de vie (%)",
        (5, 15, 30, 50),
        True,
        "A ≤ 5 %, B ≤ 15 %, C ≤ 30 %, D ≤ 50 %, E au-delà ; sans objet sans manifeste.",
    ),
    Axis(
        "licence",
        "Licence",
        "licence reconnue (1), fichier non reconnu (0,5), aucun (0)",
        (1, 1, 0.5, 0.5),
        False,
        "A : licence reconnue ; C : fichier de licence non reconnu ; E : aucun fichier de licence.",
    ),
    Axis(
        "secrets",
        "Secrets publiés",
        "secrets trouvés (clés, jetons, mots de passe)",
        (0, 0, 1, 2),
        True,
        "A : aucun ; C : un soupçon (mot de passe, fichier .env) ; D : deux ; E : davantage, ou "
        "une clé ou un jeton.",
    ),
    Axis(
        "activity",
        "Activité",
        "commits des 365 derniers jours (historique récupéré)",
        (50, 12, 4, 1),
        False,
        "A ≥ 50 commits en un an, B ≥ 12, C ≥ 4, D ≥ 1, E : aucun depuis un an ; sans objet "
        "hors Git.",
    ),
)
AXES_BY_KEY = {axis.key: axis for axis in AXES}


def grade_for(axis: Axis, figure: float) -> str:
    for grade, bound in zip(GRADES, axis.bounds, strict=False):
        if (figure <= bound) if axis.lower_is_better else (figure >= bound):
            return grade
    return "E"


def key_figures(results: Mapping[str, Any]) -> dict[str, float | None]:
    """One figure per axis (None when the axis does not apply to this project)."""
    tests = results["tests"]
    lint = results["lint"]
    dependencies = results["dependencies"]
    licence = results["licence"]
    secrets = results["secrets"]
    activity = results.get("activity")
    licence_figure = 1.0 if licence["licences"] else 0.5 if licence["files"] else 0.0
    return {
        "complexity": float(results["complexity"]["complex_share"]),
        "duplication": float(results["duplication"]["rate"]),
        "lint": float(lint["per_thousand_lines"])
        if lint.get("python_nloc") and lint.get("available")
        else None,
        "tests": round(100 * float(tests["ratio"]), 1) if tests["code_nloc"] else None,
        "dependencies": float(dependencies["at_risk_share"])
        if dependencies["components"]
        else None,
        "licence": licence_figure,
        "secrets": float(len(secrets["findings"]) + len(secrets["env_files"])),
        "activity": float(activity["commits_365_days"]) if activity else None,
    }


def grade_all(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    grades = {}
    for key, figure in key_figures(results).items():
        axis = AXES_BY_KEY[key]
        if figure is None:
            grade = ""
        elif key == "secrets" and results["secrets"]["high"]:
            grade = "E"  # one private key or token is enough to compromise the service
        else:
            grade = grade_for(axis, figure)
        grades[key] = {
            "label": axis.label,
            "grade": grade,
            "figure": figure,
            "figure_label": axis.figure_label,
            "thresholds": axis.thresholds_text,
        }
    return grades


def priorities(results: Mapping[str, Any], limit: int = 10) -> list[dict[str, Any]]:
    """The places to fix first, most urgent first: published secrets, then a missing licence or
    missing tests, then the most complex functions, the biggest duplicated blocks and the files
    with the most lint findings. Each has a one-line reason."""
    items: list[tuple[float, dict[str, Any]]] = []
    for finding in results["secrets"]["findings"]:
        weight = 1000 if finding["severity"] == "high" else 400
        items.append(
            (
                weight,
                {
                    "place": f"{finding['file']}:{finding['line']}",
                    "reason": f"{finding['kind']} publié dans le code : le révoquer, le retirer "
                    "de l'historique et le ranger dans un coffre à secrets.",
                },
            )
        )
    for path in results["secrets"]["env_files"]:
        items.append(
            (
                450,
                {
                    "place": path,
                    "reason": "Fichier .env versionné : il contient souvent des secrets ; le "
                    "retirer du dépôt et l'ajouter au .gitignore.",
                },
            )
        )
    if not results["licence"]["files"]:
        items.append(
            (
                300,
                {
                    "place": "racine du dépôt",
                    "reason": "Aucun fichier de licence : le code n'est pas réutilisable ; les "
                    "codes sources publics des administrations doivent porter une licence.",
                },
            )
        )
    if results["tests"]["code_nloc"] and not results["tests"]["test_files"]:
        items.append(
            (
                250,
                {
                    "place": "ensemble du projet",
                    "reason": "Aucun test automatisé trouvé : toute modification est risquée.",
                },
            )
        )
    for function in results["complexity"]["worst"]:
        if function["ccn"] <= 10:
            break
        items.append(
            (
                100 + function["ccn"],
                {
                    "place": f"{function['file']}:{function['line']}",
                    "reason": f"Fonction {function['name']} de complexité cyclomatique "
                    f"{function['ccn']} ({counted(function['nloc'], 'ligne', 'lignes')}) : à "
                    "découper.",
                },
            )
        )
    for block in results["duplication"]["largest"]:
        first = block["places"][0]
        items.append(
            (
                50 + block["lines"] / 2,
                {
                    "place": f"{first['file']}:{first['start']}",
                    "reason": f"Bloc de {counted(block['lines'], 'ligne', 'lignes')} présent "
                    f"{len(block['places'])} fois : à factoriser.",
                },
            )
        )
    for hotspot in results["lint"].get("hotspots", []):
        items.append(
            (
                20 + hotspot["count"] / 5,
                {
                    "place": hotspot["file"],
                    "reason": counted(hotspot["count"], "anomalie signalée", "anomalies signalées")
                    + " par ruff dans ce fichier.",
                },
            )
        )
    items.sort(key=lambda item: -item[0])
    return [item for _, item in items[:limit]]


def percentile_better_than(
    own: float, others: Sequence[float], *, lower_is_better: bool
) -> float | None:
    """Share (%) of the other projects this one does better than, ties counting half."""
    if not others:
        return None
    better = sum(1 for other in others if (own < other if lower_is_better else own > other))
    ties = sum(1 for other in others if other == own)
    return round(100 * (better + ties / 2) / len(others), 1)


def comparison(
    own: Mapping[str, float | None], others: Iterable[Mapping[str, float | None]]
) -> list[dict[str, Any]]:
    """For each axis: how many other analysed projects have its figure, and the share of them
    this project does better than."""
    others = list(others)
    rows = []
    for axis in AXES:
        figure = own.get(axis.key)
        values = [float(v) for other in others if (v := other.get(axis.key)) is not None]
        rows.append(
            {
                "key": axis.key,
                "label": axis.label,
                "figure": figure,
                "compared": len(values),
                "better_than": None
                if figure is None
                else percentile_better_than(figure, values, lower_is_better=axis.lower_is_better),
            }
        )
    return rows
