from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dlnuf.toolbox.accessibility.scoring import assess
from dlnuf.toolbox.accessibility.services import accessibility_decision_record
from dlnuf.toolbox.accessibility.statement import TO_COMPLETE, build_statement
from tests.support.factories import ExpertUserFactory, UserFactory
from tests.toolbox.accessibility.factories import (
    INPUTS,
    audit_results,
    complete_audit_results,
    finished_report,
    quick_audit_results,
)

SECTIONS = [
    "Engagement",
    "État de conformité",
    "Résultats des tests",
    "Contenus non accessibles",
    "Établissement de cette déclaration d'accessibilité",
    "Retour d'information et contact",
    "Voies de recours",
]


def _statement_text(results: dict[str, object], audited_on: date) -> str:
    statement = build_statement(
        inputs=INPUTS, results=results, assessment=assess(results), audited_on=audited_on
    )
    assert [section.title for section in statement.sections] == SECTIONS
    return statement.as_text()


def test_the_quick_audit_of_the_defect_drafts_non_conforme_audit_en_cours() -> None:
    text = _statement_text(quick_audit_results(), date(2026, 12, 4))

    assert "conforme avec" in text
    assert "totalement conforme" not in text
    assert "partiellement conforme" not in text
    assert "Cantine en ligne est non conforme avec le référentiel général" in text
    assert "audit en cours" in text
    assert "3 critères sur 106 évalués, 103 restent à vérifier" in text
    assert "Taux provisoire : 100,0\u00a0% sur 3 critères applicables décidés" in text
    assert "Cette grille ne couvre que 25 des 106 critères" in text
    # The evidence: the audit's date, its sample, the criteria decided, the tools.
    assert "Audit réalisé le 4 décembre 2026 sur un échantillon de 1 page" in text
    assert "3 critères décidés sur 106" in text
    assert "établie le 4 décembre 2026" in text
    assert "Accueil — https://www.testville.fr/" in text
    assert "axe-core 4.14.1" in text
    assert "Vérifications manuelles" in text
    assert "(s)" not in text
    assert "2026-12" not in text
    assert "/12/2026" not in text


def test_a_complete_audit_drafts_its_level_with_the_hand_computed_rate() -> None:
    text = _statement_text(complete_audit_results(), date(2026, 12, 4))

    # 88 conforming of 92 applicable (see test_scoring): 95,7 % → partiellement conforme.
    assert "Cantine en ligne est partiellement conforme avec le référentiel général" in text
    assert "en raison des non-conformités énumérées ci-dessous" in text
    assert (
        "L'audit de conformité réalisé du 4 décembre 2026 au 9 décembre 2026 révèle que "
        "95,7\u00a0% des critères du RGAA version 4.1.2 sont respectés : 88 critères conformes "
        "sur 92 critères applicables (4 non conformes, 14 non applicables)."
    ) in text
    assert "audit en cours" not in text
    assert "Critère 4.1 — " in text
    assert "Critère 1.1 — " not in text
    assert "106 critères décidés sur 106" in text
    assert "établie le 9 décembre 2026" in text
    assert "Formulaire — https://www.testville.fr/inscription" in text


def test_a_complete_audit_with_every_criterion_met_is_totalement_conforme() -> None:
    results = complete_audit_results()
    for decision in results["decisions"].values():
        decision["pages"] = {
            url: "na" if v == "na" else "c" for url, v in decision["pages"].items()
        }
    text = _statement_text(results, date(2026, 12, 4))

    # 4.1 is now N/A on one page and C on the other: 92 / 92.
    assert "Cantine en ligne est totalement conforme avec le référentiel général" in text
    assert "100,0\u00a0% des critères" in text
    assert "L'audit complet n'a relevé aucune non-conformité." in text


def test_the_statement_keeps_the_standard_sections_and_what_only_the_organisation_knows() -> None:
    text = _statement_text(audit_results(), date(2026, 3, 2))

    assert "Mairie de Testville s'engage" in text
    assert "Critère 1.1 — Chaque image porteuse" in text
    assert "Critère 11.1 — Chaque champ de formulaire a-t-il une étiquette ?" in text
    assert "liste provisoire : l'audit est en cours" in text
    assert "Chromium 150.0" in text
    assert "établie le 2 mars 2026" in text
    assert "accessibilite@testville.fr" in text
    assert "Défenseur des droits" in text
    assert TO_COMPLETE in text  # derogations and exempt content are the organisation's to write


@pytest.mark.django_db
def test_decisions_change_the_provisional_rate_and_can_be_withdrawn() -> None:
    owner = UserFactory()
    report = finished_report(owner, grid="quick")
    # Quick grid: axe failed 1.1 (home page) and 11.1 (form); nothing is conforming yet.
    assert report.results["summary"]["rate"] == 0.0
    assert report.results["summary"]["provisional"] is True

    report = accessibility_decision_record(
        report=report, actor=owner, criterion="6.1", status="c", note="Liens explicites."
    )
    # 1 C, 2 NC → 33.3 %.
    assert report.results["summary"]["rate"] == 33.3
    assert report.results["decisions"]["6.1"]["note"] == "Liens explicites."

    report = accessibility_decision_record(
        report=report, actor=ExpertUserFactory(), criterion="11.1", status="c"
    )
    # The expert overrides axe on every page: 2 C, 1 NC → 66.7 %.
    assert report.results["summary"]["rate"] == 66.7

    report = accessibility_decision_record(report=report, actor=owner, criterion="6.1", status="")
    # 1 C, 1 NC → 50 %.
    assert report.results["summary"]["rate"] == 50.0
    assert "6.1" not in report.results["decisions"]
    assert report.results["summary"]["level"] == ""


@pytest.mark.django_db
def test_a_criterion_is_decided_once_every_page_of_the_sample_is() -> None:
    owner = UserFactory()
    report = finished_report(owner, grid="quick")
    home, form = (page["url"] for page in report.results["pages"])

    report = accessibility_decision_record(
        report=report, actor=owner, criterion="8.5", status="c", page=home
    )
    assert report.results["summary"]["evaluated"] == 2  # 1.1 and 11.1, failed by axe
    assert report.results["decisions"]["8.5"]["pages"] == {home: "c"}

    report = accessibility_decision_record(
        report=report, actor=owner, criterion="8.5", status="na", page=form
    )
    # Conforme on one page, non applicable on the other: conforme. 1 / 3 = 33.3 %.
    assert report.results["summary"]["evaluated"] == 3
    assert report.results["summary"]["rate"] == 33.3

    report = accessibility_decision_record(
        report=report, actor=owner, criterion="8.5", status="", page=home
    )
    assert report.results["decisions"]["8.5"]["pages"] == {form: "na"}
    assert report.results["summary"]["evaluated"] == 2


@pytest.mark.django_db
def test_decisions_outside_the_grid_the_sample_or_the_choices_are_refused() -> None:
    owner = UserFactory()
    report = finished_report(owner, grid="quick")

    with pytest.raises(ValidationError, match="ne fait pas partie de la grille"):
        accessibility_decision_record(report=report, actor=owner, criterion="2.1", status="c")
    with pytest.raises(ValidationError, match="Choisissez"):
        accessibility_decision_record(report=report, actor=owner, criterion="1.1", status="x")
    with pytest.raises(ValidationError, match="ne fait pas partie de l'échantillon"):
        accessibility_decision_record(
            report=report, actor=owner, criterion="1.1", status="c", page="https://ailleurs.fr/"
        )
    report.refresh_from_db()
    assert report.results["decisions"] == {}
