from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dlnuf.toolbox.accessibility.scoring import assess
from dlnuf.toolbox.accessibility.services import accessibility_decision_record
from dlnuf.toolbox.accessibility.statement import TO_COMPLETE, build_statement
from tests.support.factories import ExpertUserFactory, UserFactory
from tests.toolbox.accessibility.factories import INPUTS, audit_results, finished_report

SECTIONS = [
    "Engagement",
    "État de conformité",
    "Résultats des tests",
    "Contenus non accessibles",
    "Établissement de cette déclaration d'accessibilité",
    "Retour d'information et contact",
    "Voies de recours",
]


def test_the_statement_has_the_standard_sections_prefilled_from_the_audit() -> None:
    results = audit_results()
    statement = build_statement(
        inputs=INPUTS,
        results=results,
        assessment=assess(results),
        established_on=date(2026, 3, 2),
    )
    text = statement.as_text()

    assert [section.title for section in statement.sections] == SECTIONS
    # Full grid: 8.3 and 8.5 compliant (presence, passed everywhere), 1.1 and 11.1 not:
    # 2 / (2 + 2) = 50 % → "partiellement conforme".
    assert "Cantine en ligne est partiellement conforme" in text
    assert "50,0 %" in text
    assert "Mairie de Testville s'engage" in text
    assert "Critère 1.1 — Chaque image porteuse" in text
    assert "Critère 11.1 — Chaque champ de formulaire a-t-il une étiquette ?" in text
    assert "axe-core 4.14.1" in text
    assert "Chromium 150.0" in text
    assert "établie le 02/03/2026" in text
    assert "accessibilite@testville.fr" in text
    assert "Défenseur des droits" in text
    assert "Accueil — https://www.testville.fr/" in text
    assert TO_COMPLETE in text  # derogations and exempt content are the organisation's to write
    assert "restent à vérifier" in text


@pytest.mark.django_db
def test_a_decision_changes_the_rate_and_can_be_withdrawn() -> None:
    owner = UserFactory()
    report = finished_report(owner, grid="quick")
    # Quick grid holds 1.1, 8.3, 8.5 and 11.1 (not 2.1): 2 C, 2 NC → 50 %.
    assert report.results["summary"]["rate"] == 50.0

    report = accessibility_decision_record(
        report=report, actor=owner, criterion="6.1", status="c", note="Liens explicites."
    )
    # 3 C, 2 NC → 60 %.
    assert report.results["summary"]["rate"] == 60.0
    assert report.results["decisions"]["6.1"]["note"] == "Liens explicites."

    report = accessibility_decision_record(
        report=report, actor=ExpertUserFactory(), criterion="11.1", status="c"
    )
    # 4 C, 1 NC → 80 %.
    assert report.results["summary"]["rate"] == 80.0

    report = accessibility_decision_record(report=report, actor=owner, criterion="6.1", status="")
    # 3 C, 1 NC → 75 %.
    assert report.results["summary"]["rate"] == 75.0
    assert "6.1" not in report.results["decisions"]


@pytest.mark.django_db
def test_decisions_outside_the_grid_or_unknown_are_refused() -> None:
    owner = UserFactory()
    report = finished_report(owner, grid="quick")

    with pytest.raises(ValidationError, match="ne fait pas partie de la grille"):
        accessibility_decision_record(report=report, actor=owner, criterion="2.1", status="c")
    with pytest.raises(ValidationError, match="Choisissez"):
        accessibility_decision_record(report=report, actor=owner, criterion="1.1", status="x")
