"""The draft accessibility statement ("déclaration d'accessibilité"), in the order the State's
model fixes: commitment, conformity status, test results, non-accessible content, how the
statement was established, feedback and contact, remedies.

It is a draft: what the audit cannot know (derogations, exempt content, the technologies of the
site) is marked "à compléter", and the conformity status only counts decided criteria.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dlnuf.toolbox.accessibility.criteria import GRID_LABELS
from dlnuf.toolbox.accessibility.scoring import Assessment

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


def _rate_text(rate: float | None) -> str:
    return f"{rate:.1f} %".replace(".", ",") if rate is not None else ""


def build_statement(
    *,
    inputs: Mapping[str, Any],
    results: Mapping[str, Any],
    assessment: Assessment,
    established_on: date,
) -> Statement:
    organisation = inputs.get("organisation") or TO_COMPLETE
    site = inputs.get("site_name") or TO_COMPLETE
    email = inputs.get("contact_email") or TO_COMPLETE
    pages = results.get("pages", [])
    grid_label = GRID_LABELS.get(assessment.grid, assessment.grid)

    if assessment.rate is None:
        status = (
            f"L'état de conformité de {site} ne peut pas encore être établi : aucun critère du "
            "RGAA n'est encore décidé conforme ou non conforme."
        )
        results_text = (
            "Aucun critère n'est encore décidé : le taux de conformité sera calculé quand les "
            "critères à vérifier l'auront été."
        )
    else:
        status = (
            f"{site} est {assessment.level} avec le référentiel général d'amélioration de "
            "l'accessibilité (RGAA), version 4.1.2."
        )
        results_text = (
            f"L'audit de conformité ({grid_label.lower()}) révèle que {_rate_text(assessment.rate)}"
            f" des critères décidés du RGAA version 4.1.2 sont respectés "
            f"({assessment.counts.get('c', 0)} conformes, {assessment.counts.get('nc', 0)} non "
            f"conformes, {assessment.counts.get('na', 0)} non applicables)."
        )
    caveat = (
        f"{assessment.to_verify} critère(s) de la grille restent à vérifier par une personne : ils "
        "ne comptent pas dans le taux tant qu'ils ne sont pas décidés, et le taux peut donc "
        "évoluer."
        if assessment.to_verify
        else ""
    )
    failures = tuple(f"Critère {row.id} — {row.title}" for row in assessment.not_compliant)
    audited = tuple(
        f"{page['label']} — {page['url']}" for page in pages if not page.get("error")
    ) or (TO_COMPLETE,)
    tools = []
    if results.get("axe_version"):
        tools.append(f"axe-core {results['axe_version']} (Deque Systems, licence MPL 2.0)")
    tools.append("Boîte à outils du guichet « Dites-le-nous une fois » (audit automatique RGAA)")

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
        Section("État de conformité", (status,)),
        Section("Résultats des tests", tuple(text for text in (results_text, caveat) if text)),
        Section(
            "Contenus non accessibles",
            subsections=(
                Section(
                    "Non-conformités",
                    ("Les contenus suivants ne sont pas accessibles :",)
                    if failures
                    else ("Aucune non-conformité n'est relevée à ce stade de l'audit.",),
                    failures,
                ),
                Section("Dérogations pour charge disproportionnée", (TO_COMPLETE,)),
                Section("Contenus non soumis à l'obligation d'accessibilité", (TO_COMPLETE,)),
            ),
        ),
        Section(
            "Établissement de cette déclaration d'accessibilité",
            (f"Cette déclaration a été établie le {established_on:%d/%m/%Y}.",),
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
                    items=audited,
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
