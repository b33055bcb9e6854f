"""The software vendor (éditeur) path: a vendor's solution is habilitated once for a use case,
then each client organisation joins it with a lighter request.

The solution's own request and every joining request are ``AuthorizationRequest`` rows: they
follow the common workflow table and are decided by the dataset provider's instructors. A joining
request inherits the solution's scopes, purpose, personal data block and security approval; the
client adds its legal basis (its deliberation), its contacts and its volume. Validating it gives
the client its own habilitation and credentials: exchanges are journaled under the client's SIRET,
and the habilitation names the vendor as the operator of the software that calls.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from dlnuf.catalogue.models import Dataset, Scope, TermsVersion
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    RequestState,
    Solution,
    SolutionAdhesion,
)
from dlnuf.habilitations.selectors import requests_to_decide
from dlnuf.habilitations.services import (
    ActionForbidden,
    TransitionRefused,
    authorization_request_accept_terms,
    authorization_request_create,
    authorization_request_revoke,
    authorization_request_submit,
    authorization_request_update,
)
from dlnuf.habilitations.transitions import OPEN_STATES
from dlnuf.organisations.models import Organisation, User
from dlnuf.organisations.perms import (
    AnyUser,
    can_read_provider,
    is_administrator,
    is_applicant_for,
    organisations_of,
    providers_reported_to,
    sees_everything,
)

APPROVED_STATES = (RequestState.VALIDATED, RequestState.SUPERSEDED)
# Joining requests whose habilitation is in force, or may still be: one per client and solution.
_JOINED_STATES = frozenset({*OPEN_STATES, RequestState.SANDBOX_VALIDATED, RequestState.VALIDATED})

# What the vendor describes beyond the common request blocks.
SOLUTION_FIELDS = ("name", "version", "use_case", "security_description", "hosting")
_SOLUTION_LABELS = {
    "name": "Donnez le nom de la solution.",
    "version": "Indiquez la version de la solution.",
    "use_case": "Décrivez le cas d'usage de la solution.",
    "security_description": "Décrivez les mesures de sécurité de la solution.",
    "hosting": "Indiquez où et par qui la solution est hébergée.",
}
# What a client adds when it joins; everything else comes from the solution's request.
JOIN_FIELDS = (
    "legal_basis_nature",
    "legal_basis_article",
    "legal_basis_url",
    "dpo_name",
    "dpo_email",
    "technical_contact_name",
    "technical_contact_email",
    "controller_name",
    "controller_email",
    "expected_calls_per_minute",
    "volume_justification",
    "go_live_date",
)
INHERITED_FIELDS = (
    "purpose",
    "data_recipients",
    "retention_months",
    "retention_justification",
    "security_approval_date",
)


# --- Permissions ---------------------------------------------------------------------------------


def can_manage_solution(user: AnyUser, solution: Solution) -> bool:
    """Only the vendor's members (and administrators) change or submit a solution."""
    return is_administrator(user) or is_applicant_for(user, solution.vendor)


def can_read_solution(user: AnyUser, solution: Solution) -> bool:
    return (
        can_manage_solution(user, solution)
        or sees_everything(user)
        or (
            solution.request.state != RequestState.DRAFT
            and can_read_provider(user, solution.request.dataset.provider)
        )
    )


def can_read_adhesion(user: AnyUser, request: AuthorizationRequest) -> bool:
    """Everything of a joining request: the client, the provider's side, the guichet."""
    return (
        sees_everything(user)
        or is_applicant_for(user, request.organisation)
        or (
            request.state != RequestState.DRAFT
            and can_read_provider(user, request.dataset.provider)
        )
    )


def can_follow_adhesion(user: AnyUser, adhesion: SolutionAdhesion) -> bool:
    """The vendor follows its clients' requests, their state only (not their contacts)."""
    return can_read_adhesion(user, adhesion.request) or is_applicant_for(
        user, adhesion.solution.vendor
    )


# --- Selectors -----------------------------------------------------------------------------------


def _with_request(solutions: QuerySet[Solution]) -> QuerySet[Solution]:
    return solutions.select_related(
        "vendor", "request__dataset__provider", "request__habilitation"
    ).order_by("name", "version", "pk")


def solutions_managed_by(user: AnyUser) -> QuerySet[Solution]:
    return _with_request(Solution.objects.filter(vendor__in=organisations_of(user)))


def solutions_visible_to(user: AnyUser) -> QuerySet[Solution]:
    solutions = Solution.objects.all()
    if not sees_everything(user):
        solutions = solutions.filter(
            Q(vendor__in=organisations_of(user))
            | (
                Q(request__dataset__provider__in=providers_reported_to(user))
                & ~Q(request__state=RequestState.DRAFT)
            )
        )
    return _with_request(solutions)


def approved_solutions(
    *, dataset: Dataset | None = None, at: datetime | None = None
) -> QuerySet[Solution]:
    """Solutions clients may join now: validated, with their habilitation in force."""
    now = at or timezone.now()
    solutions = Solution.objects.filter(
        request__state__in=APPROVED_STATES,
        request__habilitation__revoked_at__isnull=True,
        request__habilitation__granted_at__lte=now,
        request__habilitation__expires_at__gt=now,
    )
    if dataset is not None:
        solutions = solutions.filter(request__dataset=dataset)
    return _with_request(solutions)


def solution_scopes(solution: Solution) -> QuerySet[Scope]:
    """The scopes the solution was approved for (those asked for until it is)."""
    habilitation = solution.request.habilitation
    scopes = habilitation.scopes.all() if habilitation else solution.request.requested_scopes.all()
    return scopes.order_by("position", "slug")


def solution_adhesions(solution: Solution) -> QuerySet[SolutionAdhesion]:
    return solution.adhesions.select_related("request__organisation").order_by(
        "request__organisation__name", "-pk"
    )


def adhesions_of_organisations(user: AnyUser) -> QuerySet[SolutionAdhesion]:
    """The joining requests of the organisations the user acts for."""
    return SolutionAdhesion.objects.filter(
        request__organisation__in=organisations_of(user)
    ).select_related("solution__vendor", "request__organisation", "request__dataset")


def adhesions_to_decide(user: AnyUser) -> QuerySet[SolutionAdhesion]:
    """Submitted joining requests for the datasets of the providers the user instructs."""
    return (
        SolutionAdhesion.objects.filter(request__in=requests_to_decide(user))
        .select_related("solution__vendor", "request__organisation", "request__dataset")
        .order_by("request__submitted_at", "pk")
    )


def adhesion_for_request(request: AuthorizationRequest) -> SolutionAdhesion | None:
    return (
        SolutionAdhesion.objects.select_related("solution__vendor", "solution__request")
        .filter(request=request)
        .first()
    )


def operator_of_habilitation(habilitation_id: int | None) -> Organisation | None:
    """The vendor whose software calls on behalf of the holder of this habilitation, if any.

    The journal records the holder (the client) as consumer and the habilitation's id: this
    names the vendor for any journal entry without changing the entries' canonical bytes.
    """
    if habilitation_id is None:
        return None
    adhesion = (
        SolutionAdhesion.objects.select_related("solution__vendor")
        .filter(request__habilitation_id=habilitation_id)
        .first()
    )
    return adhesion.solution.vendor if adhesion else None


# --- Services ------------------------------------------------------------------------------------


def _solution_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        name: [message]
        for name, message in _SOLUTION_LABELS.items()
        if not str(values.get(name) or "").strip()
    }


@transaction.atomic
def solution_declare(
    *,
    vendor: Organisation,
    dataset: Dataset,
    actor: User,
    values: Mapping[str, str],
    purpose: str = "",
    scope_slugs: Iterable[str] = (),
) -> Solution:
    """Declare a solution and open its habilitation request as a draft, prefilled; the vendor
    completes and submits that request like any other."""
    unknown = sorted(set(values) - set(SOLUTION_FIELDS))
    if unknown:
        raise ValueError(f"not a solution field: {', '.join(unknown)}")
    errors = _solution_errors(values)
    if errors:
        raise ValidationError(errors)
    request = authorization_request_create(
        organisation=vendor,
        dataset=dataset,
        scope_slugs=scope_slugs,
        created_by=actor,
        purpose=purpose,
    )
    cleaned = {name: str(values[name]).strip() for name in SOLUTION_FIELDS}
    request.title = f"Solution {cleaned['name']} {cleaned['version']} — {dataset.title}"[:255]
    request.save(update_fields=["title"])
    return Solution.objects.create(vendor=vendor, request=request, **cleaned)


@transaction.atomic
def solution_update(*, solution: Solution, actor: User, values: Mapping[str, str]) -> Solution:
    """Change the description while the solution's request is still editable."""
    if not can_manage_solution(actor, solution):
        raise ActionForbidden("Seuls les membres de l'éditeur peuvent modifier cette solution.")
    solution = Solution.objects.select_for_update().select_related("request").get(pk=solution.pk)
    if solution.request.state not in (RequestState.DRAFT, RequestState.CHANGES_REQUESTED):
        raise TransitionRefused(
            "La solution ne peut plus être modifiée : sa demande est à l'état "
            f"« {RequestState(solution.request.state).label} »."
        )
    errors = _solution_errors({**{n: getattr(solution, n) for n in SOLUTION_FIELDS}, **values})
    if errors:
        raise ValidationError(errors)
    for name in SOLUTION_FIELDS:
        if name in values:
            setattr(solution, name, str(values[name]).strip())
    solution.save()
    return solution


@transaction.atomic
def solution_join(
    *,
    solution: Solution,
    organisation: Organisation,
    actor: User,
    values: Mapping[str, Any],
    scope_slugs: Iterable[str] | None = None,
    legal_basis_document: UploadedFile | None = None,
    terms_version: TermsVersion | None = None,
) -> AuthorizationRequest:
    """A client's joining request, submitted at once to the provider's instructors.

    It inherits the solution's scopes (``scope_slugs`` may narrow them, never widen them), its
    purpose, its personal data block and its security approval. The client accepts the
    dataset's terms of use itself (``terms_version``): it is the one that receives the data.
    Nothing is kept when anything is refused: the whole request is written, or none of it.
    """
    unknown = sorted(set(values) - set(JOIN_FIELDS))
    if unknown:
        raise ValueError(f"not a joining field: {', '.join(unknown)}")
    solution = Solution.objects.select_related(
        "vendor", "request__dataset__provider", "request__habilitation"
    ).get(pk=solution.pk)
    if organisation.pk == solution.vendor_id:
        raise TransitionRefused(
            "L'éditeur n'adhère pas à sa propre solution : choisissez l'organisation cliente."
        )
    if not solution.is_approved():
        raise TransitionRefused(
            f"La solution « {solution} » n'est pas habilitée : on ne peut pas y adhérer."
        )
    already = SolutionAdhesion.objects.filter(
        solution=solution, request__organisation=organisation, request__state__in=_JOINED_STATES
    ).first()
    if already is not None:
        raise TransitionRefused(
            f"{organisation.name or organisation.siret} a déjà une adhésion à cette solution "
            f"(demande n° {already.request_id}, {RequestState(already.request.state).label})."
        )
    allowed = [scope.slug for scope in solution_scopes(solution)]
    wanted = allowed if scope_slugs is None else sorted(set(scope_slugs))
    beyond = sorted(set(wanted) - set(allowed))
    if beyond:
        raise ValidationError(
            {
                "scopes": [
                    "Une adhésion ne peut pas demander plus que la solution : périmètres hors "
                    f"de la solution : {', '.join(beyond)}."
                ]
            },
            code="beyond_solution",
        )
    if not wanted:
        raise ValidationError({"scopes": ["Gardez au moins un périmètre de la solution."]})
    source = solution.request
    request = authorization_request_create(
        organisation=organisation,
        dataset=source.dataset,
        scope_slugs=wanted,
        created_by=actor,
        purpose=source.purpose,
    )
    inherited = {name: getattr(source, name) for name in INHERITED_FIELDS}
    request = authorization_request_update(
        request=request,
        actor=actor,
        values={
            **inherited,
            **values,
            "title": f"Adhésion à {solution} — {organisation.name or organisation.siret}"[:255],
            "procedure_names": solution.use_case[:1000],
        },
        legal_basis_document=legal_basis_document,
    )
    # The security approval is the solution's: the stored file is shared, never copied.
    request.security_approval_document = source.security_approval_document.name
    request.security_approval_document_name = source.security_approval_document_name
    request.save(update_fields=["security_approval_document", "security_approval_document_name"])
    if terms_version is not None:
        request = authorization_request_accept_terms(
            request=request, actor=actor, version=terms_version
        )
    SolutionAdhesion.objects.create(solution=solution, request=request)
    return authorization_request_submit(
        request=request, actor=actor, comment=f"Adhésion à la solution « {solution} »."
    )


def solution_adhesions_revoke(
    *, solution_request: AuthorizationRequest, actor: User
) -> list[AuthorizationRequest]:
    """When a solution's habilitation is revoked, revoke every client's habilitation that was
    granted by joining it; joining requests still waiting can no longer be validated."""
    habilitation_id = solution_request.habilitation_id
    if habilitation_id is None:
        return []
    joined = SolutionAdhesion.objects.filter(
        solution__request__habilitation_id=habilitation_id,
        request__state__in=(RequestState.VALIDATED, RequestState.SANDBOX_VALIDATED),
    ).select_related("solution", "request")
    return [
        authorization_request_revoke(
            request=adhesion.request,
            actor=actor,
            comment=f"L'habilitation de la solution « {adhesion.solution} » a été révoquée "
            f"(demande n° {solution_request.pk}) : les adhésions à cette solution le sont aussi.",
        )
        for adhesion in joined
    ]
