"""The draft accessibility statement ("déclaration d'accessibilité"), in the order the State's
model fixes: commitment, conformity status, test results, non-accessible content, how the
statement was established, feedback and contact, remedies.

It is a draft: what the audit cannot know (derogations, exempt content, the technologies of the
site) is marked "à compléter". It never declares more than the audit measured: a conformity level
only from a complete audit, « non conforme » (audit en cours) before, as RGAA's rules require; the
rate is given with its basis, the audit's dates, sample, criteria decided and tools.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import dateformat, timezone, translation

from dlnuf.toolbox.accessibility.criteria import GRID_LABELS
from dlnuf.toolbox.accessibility.scoring import (
    COMPLIANT,
    FULLY,
    NOT_APPLICABLE,
    NOT_AT_ALL,
    NOT_COMPLIANT,
    Assessment,
)

TO_COMPLETE = "[À compléter par l'organisation]"


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    subsections: tuple["Section", ...] = field(default=())


@dataclass(frozen=True)
class Statement:
    title: str
    sections: tuple[Section, ...]

    def as_text(self) -> str:
        lines = [self.title, "=" * len(self.title), ""]
        for section in self.sections:
            lines.extend(_section_text(section, "-"))
        return "\n".join(lines).rstrip() + "\n"


def _section_text(section: Section, underline: str) -> list[str]:
    lines = [section.title, underline * len(section.title), ""]
    for paragraph in section.paragraphs:
        lines.extend([paragraph, ""])
    if section.items:
        lines.extend(f"- {item}" for item in section.items)
        lines.append("")
    for subsection in section.subsections:
        lines.extend(_section_text(subsection, "~"))
    return lines


def french_date(day: date) -> str:
    """« 4 décembre 2026 », whatever language is active."""
    with translation.override("fr"):
        return dateformat.format(day, "j F Y")


def rate_text(rate: float) -> str:
    return f"{rate:.1f}\u00a0%".replace(".", ",")


def plural(count: int, singular: str, several: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return f"{count} {singular if count <= 1 else several}"


def coverage_text(assessment: Assessment) -> str:
    """« 3 critères sur 106 évalués, 103 restent à vérifier »."""
    evaluated, remaining = assessment.evaluated, assessment.remaining_count
    return (
        f"{plural(evaluated, 'critère', 'critères')} sur {assessment.total_criteria} "
        f"{'évalué' if evaluated <= 1 else 'évalués'}, {remaining} "
        f"{'reste' if remaining <= 1 else 'restent'} à vérifier"
    )


def audit_period(audited_on: date, results: Mapping[str, Any]) -> tuple[date, date]:
    """From the automated run to the last decision a person recorded."""
    decided_on = [
        timezone.localdate(datetime.fromisoformat(decision["at"]))
        for decision in results.get("decisions", {}).values()
        if decision.get("at")
    ]
    return audited_on, max([audited_on, *decided_on])


def period_text(first: date, last: date) -> str:
    if first == last:
        return f"le {french_date(first)}"
    return f"du {french_date(first)} au {french_date(last)}"


def _status_text(site: str, assessment: Assessment) -> str:
    reference = "le référentiel général d'amélioration de l'accessibilité (RGAA), version 4.1.2"
    if not assessment.complete:
        return (
            f"{site} est {NOT_AT_ALL} avec {reference} : audit en cours. Tant qu'aucun audit "
            f"complet (les {assessment.total_criteria} critères décidés sur tout l'échantillon) "
            "ne permet de mesurer le respect des critères, le RGAA impose la mention "
            f"« {NOT_AT_ALL} »."
        )
    if not assessment.level:
        return (
            f"{site} est {NOT_AT_ALL} avec {reference} : aucun critère applicable n'a pu être "
            "mesuré."
        )
    if assessment.level == FULLY:
        return f"{site} est {FULLY} avec {reference}."
    return (
        f"{site} est {assessment.level} avec {reference}, en raison des non-conformités "
        "énumérées ci-dessous."
    )


def _results_texts(assessment: Assessment, grid_label: str, period: str) -> tuple[str, ...]:
    compliant = assessment.counts[COMPLIANT]
    failing = assessment.counts[NOT_COMPLIANT]
    not_applicable = assessment.counts[NOT_APPLICABLE]
    if assessment.complete and assessment.rate is not None:
        return (
            f"L'audit de conformité réalisé {period} révèle que {rate_text(assessment.rate)} des "
            f"critères du RGAA version 4.1.2 sont respectés : "
            f"{plural(compliant, 'critère conforme', 'critères conformes')} sur "
            f"{plural(assessment.applicable_decided, 'critère applicable', 'critères applicables')}"
            f" ({plural(failing, 'non conforme', 'non conformes')}, "
            f"{plural(not_applicable, 'non applicable', 'non applicables')}).",
        )
    texts = [
        f"Audit en cours : {coverage_text(assessment)}. Grille utilisée : {grid_label.lower()}."
    ]
    decided = plural(
        assessment.applicable_decided, "critère applicable décidé", "critères applicables décidés"
    )
    if assessment.rate is None:
        texts.append("Aucun critère applicable n'est encore décidé : aucun taux, même provisoire.")
    else:
        texts.append(
            f"Taux provisoire : {rate_text(assessment.rate)} sur {decided} "
            f"({plural(compliant, 'conforme', 'conformes')}, "
            f"{plural(failing, 'non conforme', 'non conformes')}). Ce n'est pas un taux de "
            "conformité : il changera avec les critères qui restent à vérifier."
        )
    if len(assessment.rows) < assessment.total_criteria:
        texts.append(
            f"Cette grille ne couvre que {len(assessment.rows)} des "
            f"{assessment.total_criteria} critères : seul un audit complet donne un état de "
            "conformité."
        )
    return tuple(texts)


def _failures_intro(assessment: Assessment, any_failure: bool) -> tuple[str, ...]:
    if assessment.complete:
        if any_failure:
            return ("Les contenus suivants ne sont pas accessibles :",)
        return ("L'audit complet n'a relevé aucune non-conformité.",)
    if any_failure:
        return (
            "Les contenus suivants ne sont pas accessibles (liste provisoire : l'audit est en "
            "cours) :",
        )
    return (
        "Aucune non-conformité n'est relevée à ce stade ; l'audit est en cours et les critères "
        "qui restent à vérifier peuvent en révéler.",
    )


def build_statement(
    *,
    inputs: Mapping[str, Any],
    results: Mapping[str, Any],
    assessment: Assessment,
    audited_on: date,
) -> Statement:
    """``audited_on``: the day the automated checks ran."""
    organisation = inputs.get("organisation") or TO_COMPLETE
    site = inputs.get("site_name") or TO_COMPLETE
    email = inputs.get("contact_email") or TO_COMPLETE
    pages = results.get("pages", [])
    grid_label = GRID_LABELS.get(assessment.grid, assessment.grid)
    first, last = audit_period(audited_on, results)
    period = period_text(first, last)

    failures = tuple(f"Critère {row.id} — {row.title}" for row in assessment.not_compliant)
    sample = tuple(
        f"{page['label']} — {page['url']}"
        + (" (page non chargée par les contrôles automatiques)" if page.get("error") else "")
        for page in pages
    ) or (TO_COMPLETE,)
    evidence = (
        f"Audit réalisé {period} sur un échantillon de "
        f"{plural(len(pages), 'page', 'pages')}, grille « {grid_label.lower()} » : "
        f"{plural(assessment.evaluated, 'critère décidé', 'critères décidés')} sur "
        f"{assessment.total_criteria}. Les contrôles automatiques ne déclarent jamais un critère "
        "conforme : ils relèvent des erreurs, une personne décide le reste."
    )
    tools = []
    if results.get("axe_version"):
        tools.append(f"axe-core {results['axe_version']} (Deque Systems, licence MPL 2.0)")
    tools.append("Boîte à outils du guichet « Dites-le-nous une fois » (audit automatique RGAA)")
    if results.get("decisions"):
        tools.append("Vérifications manuelles enregistrées dans la boîte à outils du guichet")

    sections = (
        Section(
            "Engagement",
            (
                f"{organisation} s'engage à rendre ses sites internet, intranet, extranet et ses "
                "progiciels accessibles, conformément à l'article 47 de la loi n° 2005-102 du "
                "11 février 2005.",
                f"Cette déclaration d'accessibilité s'applique à {site}.",
            ),
        ),
        Section("État de conformité", (_status_text(site, assessment),)),
        Section("Résultats des tests", _results_texts(assessment, grid_label, period)),
        Section(
            "Contenus non accessibles",
            subsections=(
                Section(
                    "Non-conformités",
                    _failures_intro(assessment, bool(failures)),
                    failures,
                ),
                Section("Dérogations pour charge disproportionnée", (TO_COMPLETE,)),
                Section("Contenus non soumis à l'obligation d'accessibilité", (TO_COMPLETE,)),
            ),
        ),
        Section(
            "Établissement de cette déclaration d'accessibilité",
            (f"Cette déclaration a été établie le {french_date(last)}.", evidence),
            subsections=(
                Section("Technologies utilisées pour la réalisation du site", (TO_COMPLETE,)),
                Section(
                    "Environnement de test",
                    (
                        "Les vérifications automatiques ont été faites avec le navigateur "
                        f"{results.get('browser_version') or 'Chromium'} (sans interface "
                        "graphique) ; les vérifications manuelles : " + TO_COMPLETE,
                    ),
                ),
                Section("Outils pour évaluer l'accessibilité", items=tuple(tools)),
                Section(
                    "Pages du site ayant fait l'objet de la vérification de conformité",
                    items=sample,
                ),
            ),
        ),
        Section(
            "Retour d'information et contact",
            (
                "Si vous n'arrivez pas à accéder à un contenu ou à un service, vous pouvez "
                f"contacter le responsable de {site} pour être orienté vers une alternative "
                "accessible ou obtenir le contenu sous une autre forme.",
            ),
            (f"Envoyer un message : {email}",),
        ),
        Section(
            "Voies de recours",
            (
                "Si vous constatez un défaut d'accessibilité qui vous empêche d'accéder à un "
                "contenu ou à une fonctionnalité du site, que vous nous le signalez et que vous "
                "n'obtenez pas de réponse de notre part, vous pouvez adresser une réclamation ou "
                "une demande de saisine au Défenseur des droits :",
            ),
            (
                "écrire un message au Défenseur des droits : https://formulaire.defenseurdesdroits.fr/",
                "contacter le délégué du Défenseur des droits de votre région : "
                "https://www.defenseurdesdroits.fr/saisir/delegues",
                "envoyer un courrier par la poste (gratuit, ne pas mettre de timbre) : "
                "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07",
            ),
        ),
    )
    return Statement(title=f"Déclaration d'accessibilité — {site} (projet)", sections=sections)
