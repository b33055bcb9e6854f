"""Requests started from a dataset's use-case template, and what the applicant changed since."""

from dataclasses import dataclass
from typing import Any

from dlnuf.catalogue.models import Scope, UseCaseTemplate
from dlnuf.habilitations.models import AuthorizationRequest, LegalBasisNature

# The request fields a template fills in, with the label the instructor reads.
PREFILLED_FIELDS = {
    "title": "Intitulé de la demande",
    "purpose": "Description du projet et finalité",
    "scopes": "Données demandées",
    "legal_basis_nature": "Nature du texte",
    "legal_basis_article": "Article",
    "legal_basis_url": "Adresse du texte",
    "retention_months": "Durée de conservation",
}


def use_case_values(use_case: UseCaseTemplate) -> dict[str, Any]:
    """The values a template proposes, keyed like ``PREFILLED_FIELDS`` (scopes as slugs)."""
    return {
        "title": use_case.request_title,
        "purpose": use_case.purpose,
        "scopes": sorted(use_case.scope_slugs),
        "legal_basis_nature": use_case.legal_basis_nature,
        "legal_basis_article": use_case.legal_basis.reference,
        "legal_basis_url": use_case.legal_basis.url,
        "retention_months": use_case.retention_months,
    }


def use_case_prefill(*, request: AuthorizationRequest, use_case: UseCaseTemplate) -> None:
    """Fill a new draft from the template and keep a copy of what was proposed."""
    values = use_case_values(use_case)
    for name, value in values.items():
        if name != "scopes":
            setattr(request, name, value)
    request.use_case = use_case
    request.use_case_name = use_case.name
    request.use_case_values = values
    request.save()
    request.requested_scopes.set(
        Scope.objects.filter(dataset=request.dataset, slug__in=values["scopes"])
    )


@dataclass(frozen=True)
class UseCaseChange:
    label: str
    proposed: str
    submitted: str


def _submitted_values(request: AuthorizationRequest) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: getattr(request, name) for name in PREFILLED_FIELDS if name != "scopes"
    }
    values["scopes"] = sorted(request.requested_scopes.values_list("slug", flat=True))
    return values


def _shown(request: AuthorizationRequest, name: str, value: Any) -> str:
    if value in (None, "", []):
        return "(vide)"
    if name == "scopes":
        labels = dict(request.dataset.scopes.values_list("slug", "label"))
        return ", ".join(labels.get(slug, slug) for slug in value)
    if name == "legal_basis_nature":
        return str(LegalBasisNature(value).label) if value in LegalBasisNature.values else value
    if name == "retention_months":
        return f"{value} mois"
    return str(value)


def use_case_changes(request: AuthorizationRequest) -> list[UseCaseChange]:
    """The prefilled fields whose value differs from the template's, in form order."""
    if not request.use_case_values:
        return []
    submitted = _submitted_values(request)
    changes = []
    for name, label in PREFILLED_FIELDS.items():
        proposed = request.use_case_values.get(name)
        if isinstance(proposed, str) and isinstance(submitted[name], str):
            # Browsers send a textarea's line breaks as CRLF: spacing alone is no change.
            same = proposed.split() == submitted[name].split()
        else:
            same = proposed == submitted[name]
        if not same:
            changes.append(
                UseCaseChange(
                    label=label,
                    proposed=_shown(request, name, proposed),
                    submitted=_shown(request, name, submitted[name]),
                )
            )
    return changes
