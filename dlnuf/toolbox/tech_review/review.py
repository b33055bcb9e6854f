"""The technology review: for each declared component, its release cycle and end of life, whether
it is behind the latest release of its cycle, whether it is on the SILL, its licence when known;
then the choices worth questioning, each with its reason in French.

Pure computation on the components and the reference data: no HTTP, no database. ``today`` is
always passed in, so that a report can be reproduced and tests do not depend on the calendar.
"""

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from packaging.version import InvalidVersion, Version

from dlnuf.toolbox.tech_review.catalogues import Catalogues
from dlnuf.toolbox.tech_review.manifests import Component

SOON = timedelta(days=365)

MATCHING_RULE = (
    "Le cycle retenu est celui dont le numéro est le plus long préfixe de la version résolue, "
    "composante par composante : 5.2.1 relève du cycle 5.2 de Django, 20.11.0 du cycle 20 de "
    "Node.js, 3.12-slim du cycle 3.12 de Python. La version résolue est la version épinglée, "
    "sinon la plus basse que la contrainte autorise. Une version trop courte pour désigner un "
    "seul cycle (Django « 5 ») ou une version sans cycle connu dans le relevé donne un statut "
    "inconnu."
)

DISTRIBUTIONS = {
    "libre": "publié sous licence libre",
    "proprietary": "diffusé sous licence propriétaire",
    "service": "service en ligne, non diffusé",
}
COPYLEFT = re.compile(r"^(A?GPL|LGPL|MPL|EUPL|OSL|CECILL(?!-[BC]))", re.IGNORECASE)
NETWORK_COPYLEFT = re.compile(r"^AGPL", re.IGNORECASE)
UNPINNED_SPECS = {"", "*", "latest", "x", "any", "next"}
_EXACT = re.compile(r"^(?:===?|=)?\s*v?\d+(?:\.\d+)*(?:[-+.]?[0-9A-Za-z][0-9A-Za-z.]*)?$")

# What a stored review keeps of its detail: every page view loads the stored JSON and every PDF
# parses it, and a project may declare thousands of components. Totals, counts and findings are
# computed on everything first; only the lists are cut, each with a count of what it left out.
MAX_STORED_COMPONENTS = 500
MAX_STORED_FINDING_ITEMS = 100
MAX_STORED_MANIFESTS = 100
MAX_STORED_WARNINGS = 100
MAX_STORED_TEXT = 200  # a name, a version, a manifest path
MAX_STORED_LINE = 800  # a sentence quoting a component: its label and a remark

FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def french_date(value: date) -> str:
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {FRENCH_MONTHS[value.month - 1]} {value.year}"


def _parse_date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class CycleMatch:
    cycle: dict[str, Any] | None
    note: str


def match_cycle(resolved: str, cycles: list[dict[str, Any]], *, tag: str = "") -> CycleMatch:
    """The release cycle of a version (see MATCHING_RULE); ``tag`` lets a Docker tag such as
    ``bookworm-slim`` match a cycle by its code name."""
    if not resolved:
        named = [
            c
            for c in cycles
            if c.get("codename") and tag.lower().startswith(str(c["codename"]).lower())
        ]
        if named:
            return CycleMatch(named[0], f"cycle reconnu par son nom de code « {tag} »")
        return CycleMatch(None, "version non précisée : cycle indéterminé")
    matching = [
        c
        for c in cycles
        if resolved == str(c.get("cycle")) or resolved.startswith(f"{c.get('cycle')}.")
    ]
    if matching:
        best = max(matching, key=lambda c: len(str(c.get("cycle"))))
        return CycleMatch(best, f"cycle {best.get('cycle')}")
    if any(str(c.get("cycle", "")).startswith(f"{resolved}.") for c in cycles):
        return CycleMatch(
            None, f"la version {resolved} correspond à plusieurs cycles : cycle indéterminé"
        )
    return CycleMatch(None, f"aucun cycle {resolved} dans le relevé")


@dataclass(frozen=True)
class EolStatus:
    status: str  # "eol", "soon", "ok", "unknown"
    message: str
    eol_date: str = ""


def eol_status(eol: Any, *, today: date) -> EolStatus:
    if eol is True:
        return EolStatus("eol", "en fin de vie (date non publiée)")
    if eol is False:
        return EolStatus("ok", "maintenu (aucune fin de vie annoncée au relevé)")
    end = _parse_date(eol)
    if end is None:
        return EolStatus("unknown", "fin de vie inconnue")
    if end < today:
        return EolStatus("eol", f"en fin de vie depuis le {french_date(end)}", end.isoformat())
    if end <= today + SOON:
        return EolStatus("soon", f"fin de vie proche (le {french_date(end)})", end.isoformat())
    return EolStatus("ok", f"maintenu jusqu'au {french_date(end)}", end.isoformat())


def is_exact(spec: str) -> bool:
    return bool(_EXACT.match(spec.strip()))


def is_behind(resolved: str, latest: str) -> bool:
    """True when ``resolved`` names a release at the same precision as ``latest`` and older."""
    if not resolved or not latest or resolved.count(".") != latest.count("."):
        return False
    try:
        return Version(resolved) < Version(latest)
    except InvalidVersion:
        return False


def _is_lts(cycle: dict[str, Any], today: date) -> bool:
    lts = cycle.get("lts")
    if isinstance(lts, str):
        started = _parse_date(lts)
        return started is None or started <= today
    return bool(lts)


def _key(component: Component) -> str:
    return f"{component.ecosystem}:{component.name}"


def _label(component: Component) -> str:
    # Clipped here so that a finding quoting thousands of odd names stays readable and small.
    name = component.name[:MAX_STORED_TEXT]
    version = f" {component.version[:MAX_STORED_TEXT]}" if component.version else ""
    return f"{name}{version} ({component.manifest[:MAX_STORED_TEXT]})"


def keep_first(items: list[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` items, and how many were left out."""
    return items[:limit], max(len(items) - limit, 0)


def _stored_row(row: dict[str, Any]) -> dict[str, Any]:
    # Name, version, resolved version and manifest come from the uploaded text, and a cycle's
    # note quotes the version: none may grow a stored row without bound.
    return {
        key: value[:MAX_STORED_TEXT] if isinstance(value, str) else value
        for key, value in row.items()
    }


def _stored_finding(finding: dict[str, Any]) -> dict[str, Any]:
    items, left_out = keep_first(finding["components"], MAX_STORED_FINDING_ITEMS)
    return {
        **finding,
        "components": [item[:MAX_STORED_LINE] for item in items],
        "components_left_out": left_out,
    }


def review_component(
    component: Component, *, catalogues: Catalogues, today: date
) -> dict[str, Any]:
    key = _key(component)
    product = catalogues.product_for(key)
    row: dict[str, Any] = asdict(component)
    row.update(
        product=product or "",
        cycle="",
        lts=False,
        match_note="produit sans relevé de cycles de vie" if not product else "",
        eol_status="unknown",
        eol_message="inconnue",
        eol_date="",
        latest="",
        outdated=False,
        product_lts=False,
    )
    if product:
        cycles = catalogues.cycles(product)
        tag = component.version if component.ecosystem == "docker" else ""
        match = match_cycle(component.resolved, cycles, tag=tag)
        row["match_note"] = match.note if cycles else "produit absent du relevé"
        row["product_lts"] = any(_is_lts(c, today) for c in cycles)
        if match.cycle is not None:
            status = eol_status(match.cycle.get("eol"), today=today)
            latest = str(match.cycle.get("latest") or "")
            row.update(
                cycle=str(match.cycle.get("cycle")),
                lts=_is_lts(match.cycle, today),
                eol_status=status.status,
                eol_message=status.message,
                eol_date=status.eol_date,
                latest=latest,
                outdated=(is_exact(component.version) or component.ecosystem == "docker")
                and is_behind(component.resolved, latest),
            )
    sill = catalogues.sill_entry_for(key)
    row["sill"] = (
        {"name": str(sill.get("name")), "id": sill.get("id"), "licence": sill.get("licence")}
        if sill
        else None
    )
    licence = catalogues.licence_for(key) or (sill.get("licence") if sill else None)
    row["licence"] = str(licence) if licence else ""
    return row


def _finding(
    rule: str, severity: str, title: str, detail: str, components: list[str]
) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "title": title,
        "detail": detail,
        "components": components,
    }


def _is_unpinned(component: Component) -> bool:
    if component.ecosystem == "runtime":
        return False
    if component.ecosystem == "maven" and not component.version:
        # A Maven dependency without version takes the one its parent or BOM manages.
        return False
    if component.ecosystem == "docker":
        return False  # the "latest" tag has a rule of its own
    spec = component.version.strip().lower()
    return spec in UNPINNED_SPECS or (not component.resolved and spec.startswith("<"))


def choices_to_question(
    components: list[Component],
    rows: list[dict[str, Any]],
    *,
    catalogues: Catalogues,
    distribution: str,
    long_lived: bool,
) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    labelled = list(zip(components, rows, strict=True))

    ended = [_label(c) for c, r in labelled if r["eol_status"] == "eol"]
    if ended:
        findings.append(
            _finding(
                "eol",
                "alerte",
                "Composants en fin de vie",
                "Ces environnements d'exécution ou cadriciels ne reçoivent plus de correctifs de "
                "sécurité : une faille découverte demain ne sera pas corrigée. Prévoir la montée "
                "de version avant toute mise en production ou nouvelle phase du projet.",
                ended,
            )
        )
    ending = [f"{_label(c)} — {r['eol_message']}" for c, r in labelled if r["eol_status"] == "soon"]
    if ending:
        findings.append(
            _finding(
                "eol_soon",
                "attention",
                "Fin de vie dans les douze mois",
                "La fin du support approche : la montée de version doit figurer dans le plan de "
                "charge et le budget de l'année.",
                ending,
            )
        )
    unpinned = [_label(c) for c in components if _is_unpinned(c)]
    if unpinned:
        findings.append(
            _finding(
                "unpinned",
                "attention",
                "Versions non fixées",
                "Sans version (ou avec « * », « latest »), chaque installation peut prendre une "
                "version différente : les constructions ne sont pas reproductibles et une version "
                "majeure incompatible peut arriver sans prévenir. Fixer une contrainte, et "
                "conserver le fichier de verrouillage.",
                unpinned,
            )
        )
    latest_images = [
        _label(c) for c in components if c.ecosystem == "docker" and c.version in {"", "latest"}
    ]
    if latest_images:
        findings.append(
            _finding(
                "docker_latest",
                "attention",
                "Images Docker sans version (étiquette « latest »)",
                "L'étiquette « latest » (implicite quand aucune n'est donnée) change à chaque "
                "publication : l'image construite demain ne sera pas celle testée aujourd'hui. "
                "Indiquer une version, voire une empreinte (@sha256:…).",
                latest_images,
            )
        )
    if long_lived:
        short = [
            f"{_label(c)} — cycle {r['cycle']}"
            for c, r in labelled
            if r["cycle"] and r["product_lts"] and not r["lts"] and r["eol_status"] != "eol"
        ]
        if short:
            findings.append(
                _finding(
                    "non_lts",
                    "attention",
                    "Cycles sans support long (non LTS)",
                    "Pour un service public appelé à durer, une version à support long (LTS) "
                    "espace les montées de version obligatoires ; un cycle court impose de suivre "
                    "chaque nouvelle version pour rester maintenu.",
                    short,
                )
            )
    findings.extend(_overlaps(components, catalogues))
    findings.extend(_sill_alternatives(components, catalogues))
    findings.extend(_copyleft(components, rows, distribution))
    behind = [
        f"{_label(c)} — dernière version du cycle : {r['latest']}"
        for c, r in labelled
        if r["outdated"]
    ]
    if behind:
        findings.append(
            _finding(
                "outdated",
                "information",
                "Versions en retard sur leur cycle",
                "Une version corrective plus récente existe dans le même cycle ; elle apporte "
                "en général des correctifs de sécurité sans rupture de compatibilité.",
                behind,
            )
        )
    return findings


def _overlaps(components: list[Component], catalogues: Catalogues) -> list[dict[str, Any]]:
    findings = []
    present = {_key(c) for c in components if not c.dev}
    for group in catalogues.rules.get("overlaps", []):
        members = sorted({m for m in group.get("members", []) if m in present})
        if len(members) >= 2:
            names = [m.split(":", 1)[1] for m in members]
            findings.append(
                _finding(
                    "overlap",
                    "attention",
                    f"Plusieurs outils pour le même rôle : {group['role']}",
                    "Deux outils qui font le même travail doublent l'effort de maintenance, de "
                    "montée de version et de formation, et grossissent ce qui est livré. "
                    "Vérifier si l'un des deux est un reliquat ou une migration inachevée.",
                    names,
                )
            )
    return findings


def _sill_alternatives(components: list[Component], catalogues: Catalogues) -> list[dict[str, Any]]:
    findings = []
    for role in catalogues.rules.get("roles", []):
        members = set(role.get("members", []))
        found = sorted({_label(c) for c in components if _key(c) in members and not c.dev})
        alternatives = [
            name for name in role.get("alternatives", []) if catalogues.sill_by_name(name)
        ]
        if found and alternatives:
            findings.append(
                _finding(
                    "sill_alternative",
                    "attention",
                    f"Hors SILL alors qu'une solution du SILL existe : {role['role']}",
                    "Le socle interministériel de logiciels libres recommande pour ce rôle : "
                    f"{', '.join(alternatives)}. Le choix d'un autre outil mérite d'être "
                    "justifié (besoin particulier, coût de sortie, licence, support).",
                    found,
                )
            )
    return findings


def _copyleft(
    components: list[Component], rows: list[dict[str, Any]], distribution: str
) -> list[dict[str, Any]]:
    if distribution == "proprietary":
        pattern, why = (
            COPYLEFT,
            "Le logiciel est diffusé sous licence propriétaire : une licence à réciprocité "
            "(GPL, LGPL, MPL, EUPL…) impose, selon sa portée, de publier les sources des "
            "parties dérivées ou de permettre le remplacement du composant. À vérifier avec "
            "le conseil juridique ; il ne s'agit pas d'un interdit.",
        )
    elif distribution == "service":
        pattern, why = (
            NETWORK_COPYLEFT,
            "Service en ligne : la licence AGPL étend la réciprocité à la mise à disposition "
            "par le réseau ; les sources modifiées doivent être proposées aux usagers du "
            "service. Rien à craindre si le projet publie déjà son code.",
        )
    else:
        return []
    hits = [
        f"{_label(c)} — {r['licence']}"
        for c, r in zip(components, rows, strict=True)
        if r["licence"] and pattern.match(r["licence"]) and not c.dev
    ]
    if not hits:
        return []
    return [_finding("copyleft", "information", "Licences à réciprocité", why, hits)]


def review_components(
    components: list[Component],
    *,
    catalogues: Catalogues,
    today: date,
    distribution: str = "libre",
    long_lived: bool = True,
) -> dict[str, Any]:
    """The whole review as JSON-ready data, fit to be stored: the summary counts every
    component, the lists keep their first items (MAX_STORED_*) and count the others in
    ``components_left_out``."""
    rows = [review_component(c, catalogues=catalogues, today=today) for c in components]
    findings = choices_to_question(
        components,
        rows,
        catalogues=catalogues,
        distribution=distribution,
        long_lived=long_lived,
    )
    statuses = [r["eol_status"] for r in rows]
    stored_rows, rows_left_out = keep_first(rows, MAX_STORED_COMPONENTS)
    return {
        "today": today.isoformat(),
        "distribution": distribution,
        "long_lived": long_lived,
        "components": [_stored_row(row) for row in stored_rows],
        "components_left_out": rows_left_out,
        "findings": [_stored_finding(finding) for finding in findings],
        "summary": {
            "components": len(rows),
            "eol": statuses.count("eol"),
            "soon": statuses.count("soon"),
            "ok": statuses.count("ok"),
            "unknown": statuses.count("unknown"),
            "on_sill": sum(1 for r in rows if r["sill"]),
            "outdated": sum(1 for r in rows if r["outdated"]),
            "licence_known": sum(1 for r in rows if r["licence"]),
            "findings": len(findings),
        },
        "snapshots": {
            "eol_date": catalogues.eol_date,
            "sill_date": catalogues.sill_date,
            "sill_partial": catalogues.sill_partial,
            "products": {
                r["product"]: catalogues.product_date(r["product"]) for r in rows if r["product"]
            },
        },
        "matching_rule": MATCHING_RULE,
    }
