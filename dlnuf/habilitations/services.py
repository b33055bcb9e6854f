import hashlib
import math
import secrets
from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset, Scope, TermsVersion, UseCaseTemplate
from dlnuf.catalogue.selectors import current_terms
from dlnuf.french import date_fr, format_french_number, plural
from dlnuf.habilitations.emails import (
    credential_link_notice,
    expiry_notice,
    notify_habilitation_event,
    notify_message,
    notify_on_commit,
    notify_transition,
    send_notice,
)
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Credential,
    CredentialDeliveryLink,
    CredentialReveal,
    Environment,
    ExpiryReminder,
    Habilitation,
    HabilitationEvent,
    HabilitationEventKind,
    LegalBasisNature,
    RequestFieldComment,
    RequestMessage,
    RequestState,
    RequestSubmission,
    RequestTransition,
    Solution,
)
from dlnuf.habilitations.perms import (
    can_manage_credentials,
    can_post_message,
    can_reveal_credential,
    can_set_subject_visibility,
    has_role_for,
)
from dlnuf.habilitations.revisions import comment_targets, request_snapshot
from dlnuf.habilitations.sealing import seal, unseal
from dlnuf.habilitations.selectors import (
    RENEWAL_WINDOW_DAYS,
    credential_link_by_token,
    credential_link_problem,
    link_token_hash,
    provider_policy,
    renewable,
    request_missing_information,
    secret_waiting,
    technical_contact_for,
)
from dlnuf.habilitations.transitions import (
    EDITABLE_STATES,
    OPEN_STATES,
    TRANSITIONS,
    Actor,
    refusal_reason,
)
from dlnuf.habilitations.use_cases import use_case_prefill
from dlnuf.habilitations.validation import check_pdf_upload, field_errors, safe_display_name
from dlnuf.organisations.models import Organisation, User
from dlnuf.organisations.perms import is_administrator, is_applicant_for

if TYPE_CHECKING:
    # The gateway's nodes load this module without the procedures app (config.settings_gateway).
    from dlnuf.procedures.models import Procedure

_TOKEN_PREFIX = {Environment.SANDBOX: "dlnuf_sbx_", Environment.PRODUCTION: "dlnuf_prd_"}


def credential_hash(secret: str) -> str:
    """Credentials carry 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedCredential:
    credential: Credential
    secret: str


@transaction.atomic
def habilitation_grant(
    *,
    organisation: Organisation,
    dataset: Dataset,
    scope_slugs: Iterable[str],
    purpose: str = "",
    expires_at: datetime | None = None,
    granted_by_label: str = "",
) -> Habilitation:
    """Record that ``organisation`` may read exactly ``scope_slugs`` of ``dataset``."""
    wanted = sorted(set(scope_slugs))
    if not wanted:
        raise ValidationError("Au moins un périmètre est nécessaire.", code="no_scope")
    scopes = list(dataset.scopes.filter(slug__in=wanted))
    unknown = sorted(set(wanted) - {scope.slug for scope in scopes})
    if unknown:
        raise ValidationError(
            "Périmètres inconnus pour %(dataset)s : %(unknown)s.",
            code="unknown_scope",
            params={"dataset": dataset.slug, "unknown": ", ".join(unknown)},
        )
    now = timezone.now()
    habilitation = Habilitation.objects.create(
        organisation=organisation,
        dataset=dataset,
        purpose=purpose,
        granted_at=now,
        expires_at=expires_at or now + timedelta(days=settings.DLNUF_CREDENTIAL_DEFAULT_DAYS),
        granted_by_label=granted_by_label,
    )
    habilitation.scopes.set(scopes)
    return habilitation


@transaction.atomic
def credential_issue(
    *,
    habilitation: Habilitation,
    environment: str = Environment.PRODUCTION,
    expires_in_days: int | None = None,
    rate_limit_per_minute: int | None = None,
) -> IssuedCredential:
    """Create a credential for ``habilitation``; the secret is returned here and never again."""
    if environment not in Environment.values:
        raise ValidationError("Environnement inconnu : %(env)s.", params={"env": environment})
    days = (
        expires_in_days if expires_in_days is not None else settings.DLNUF_CREDENTIAL_DEFAULT_DAYS
    )
    if days <= 0:
        raise ValidationError("La durée de validité doit être positive.", code="bad_expiry")
    secret = _TOKEN_PREFIX[Environment(environment)] + secrets.token_urlsafe(32)
    now = timezone.now()
    credential = Credential.objects.create(
        habilitation=habilitation,
        environment=environment,
        prefix=secret[:16],
        secret_hash=credential_hash(secret),
        created_at=now,
        expires_at=min(now + timedelta(days=days), habilitation.expires_at),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    return IssuedCredential(credential=credential, secret=secret)


@transaction.atomic
def credential_revoke(*, credential: Credential, actor: User | None = None) -> Credential:
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.save(update_fields=["revoked_at"])
        HabilitationEvent.objects.create(
            habilitation_id=credential.habilitation_id,
            credential=credential,
            kind=HabilitationEventKind.CREDENTIAL_REVOKED,
            actor=actor,
        )
    return credential


@transaction.atomic
def habilitation_revoke(*, habilitation: Habilitation, actor: User | None = None) -> Habilitation:
    now = timezone.now()
    if habilitation.revoked_at is None:
        habilitation.revoked_at = now
        habilitation.save(update_fields=["revoked_at"])
        HabilitationEvent.objects.create(
            habilitation=habilitation, kind=HabilitationEventKind.REVOKED, actor=actor
        )
    return habilitation


# --- Habilitation requests -----------------------------------------------------------------------


class TransitionRefused(Exception):
    """The action is not possible on the request as it is (state, missing information…)."""

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


class ActionForbidden(PermissionDenied):
    """The person does not hold the role the action needs on this request."""


# What the applicant fills in; everything else is set by the workflow.
EDITABLE_FIELDS = (
    "title",
    "purpose",
    "procedure_names",
    "legal_basis_nature",
    "legal_basis_article",
    "legal_basis_url",
    "data_recipients",
    "retention_months",
    "retention_justification",
    "business_contact_name",
    "business_contact_email",
    "technical_contact_name",
    "technical_contact_email",
    "dpo_name",
    "dpo_email",
    "controller_name",
    "controller_email",
    "expected_calls_per_minute",
    "volume_justification",
    "go_live_date",
    "security_approval_date",
    "sandbox_stage",
)
DEFAULT_TERM_MONTHS = 18
MAX_TERM_MONTHS = 18
# A credential secret waits this long to be shown once; afterwards it must be rotated.
REVEAL_DAYS = 7


@transaction.atomic
def authorization_request_create(
    *,
    organisation: Organisation,
    dataset: Dataset,
    scope_slugs: Iterable[str],
    created_by: User,
    procedure: "Procedure | None" = None,
    purpose: str = "",
    expected_volume: int | None = None,
    use_case: UseCaseTemplate | None = None,
) -> AuthorizationRequest:
    """A draft request, prefilled (scopes ticked, procedure linked, purpose).

    ``expected_volume`` is the expected number of calls per minute at peak. Unknown scope slugs
    are refused: only the dataset's own scopes can be asked for. A ``use_case`` template of the
    dataset fills in the title, purpose, scopes, legal basis and retention instead.
    """
    if use_case is not None and use_case.dataset_id != dataset.pk:
        raise ValidationError(
            f"Le cas d'usage « {use_case.name} » ne concerne pas « {dataset.title} »."
        )
    if not (is_applicant_for(created_by, organisation) or is_administrator(created_by)):
        raise ActionForbidden(
            "Seuls les demandeurs de l'organisation peuvent créer une demande pour elle."
        )
    scopes = _dataset_scopes(dataset, scope_slugs)
    policy = provider_policy(dataset.provider)
    request = AuthorizationRequest.objects.create(
        organisation=organisation,
        dataset=dataset,
        created_by=created_by,
        procedure=procedure,
        title=f"{dataset.title} — {organisation.name or organisation.siret}"[:255],
        purpose=purpose,
        procedure_names=procedure.name if procedure is not None else "",
        legal_basis_nature=_default_legal_basis_nature(dataset),
        expected_calls_per_minute=expected_volume,
        sandbox_stage=policy.requires_sandbox_stage,
        business_contact_name=created_by.get_full_name(),
        business_contact_email=created_by.email,
    )
    request.requested_scopes.set(scopes)
    if use_case is not None:
        use_case_prefill(request=request, use_case=use_case)
    _log(request, "create", "", actor=created_by, comment="")
    return request


@transaction.atomic
def authorization_request_update(
    *,
    request: AuthorizationRequest,
    actor: User,
    values: Mapping[str, Any],
    scope_slugs: Iterable[str] | None = None,
    legal_basis_document: UploadedFile | None = None,
    security_approval_document: UploadedFile | None = None,
) -> AuthorizationRequest:
    """Save what the applicant filled in; only while the request is a draft or sent back."""
    request = _locked(request)
    if not (is_applicant_for(actor, request.organisation) or is_administrator(actor)):
        raise ActionForbidden("Seuls les demandeurs de l'organisation peuvent modifier la demande.")
    if request.state not in EDITABLE_STATES:
        raise TransitionRefused(
            "La demande ne peut plus être modifiée : elle est à l'état "
            f"« {RequestState(request.state).label} »."
        )
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValueError(f"not editable: {', '.join(unknown)}")
    errors = field_errors({**_current_values(request), **values})
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})
    for name, value in values.items():
        setattr(request, name, value)
    if request.amends_id is not None:
        request.sandbox_stage = False
    elif provider_policy(request.dataset.provider).requires_sandbox_stage:
        request.sandbox_stage = True
    for field, upload in (
        ("legal_basis_document", legal_basis_document),
        ("security_approval_document", security_approval_document),
    ):
        if upload is not None:
            _attach(request, field, upload)
    request.updated_at = timezone.now()
    request.save()
    if scope_slugs is not None:
        request.requested_scopes.set(_dataset_scopes(request.dataset, scope_slugs))
    return request


@transaction.atomic
def authorization_request_accept_terms(
    *, request: AuthorizationRequest, actor: User, version: TermsVersion | None
) -> AuthorizationRequest:
    """Record that ``actor`` accepts this version of the dataset's terms (None withdraws it).

    Only the current version can be accepted: one published after the page was shown must be
    read first.
    """
    request = _locked(request)
    if not (is_applicant_for(actor, request.organisation) or is_administrator(actor)):
        raise ActionForbidden("Seuls les demandeurs de l'organisation peuvent modifier la demande.")
    if request.state not in EDITABLE_STATES:
        raise TransitionRefused("La demande ne peut plus être modifiée.")
    if version is None:
        request.terms_version = request.terms_accepted_by = request.terms_accepted_at = None
    else:
        current = current_terms(request.dataset)
        if current is None or current.pk != version.pk:
            raise ValidationError(
                "Les conditions d'utilisation ont changé pendant que vous remplissiez la "
                "demande : lisez la nouvelle version avant de l'accepter."
            )
        if request.terms_version_id == version.pk:
            return request
        request.terms_version = version
        request.terms_accepted_by = actor
        request.terms_accepted_at = timezone.now()
    request.save(update_fields=["terms_version", "terms_accepted_by", "terms_accepted_at"])
    return request


@transaction.atomic
def authorization_request_submit(
    *, request: AuthorizationRequest, actor: User, comment: str = ""
) -> AuthorizationRequest:
    """Send the request to the provider's instructors, once every block is complete."""
    request = _locked(request)
    _check(request, "submit", actor, comment)
    problems = request_missing_information(request)
    if problems:
        raise TransitionRefused(
            "La demande est incomplète : complétez-la avant de la soumettre.", problems=problems
        )
    submitted_at = request.submitted_at = timezone.now()
    request = _move(request, "submit", actor, comment)
    RequestSubmission.objects.create(
        request=request,
        number=request.submissions.count() + 1,
        submitted_at=submitted_at,
        submitted_by=actor,
        values=request_snapshot(request),
    )
    return request


@transaction.atomic
def authorization_request_request_changes(
    *,
    request: AuthorizationRequest,
    actor: User,
    comment: str,
    field_comments: Mapping[str, str] | None = None,
) -> AuthorizationRequest:
    """Send the request back; ``field_comments`` maps a field name or ``bloc:<section>`` to
    what the instructor asks about it. Every comment is kept, even once answered."""
    request = _locked(request)
    _check(request, "request_changes", actor, comment)
    targets = comment_targets()
    written = {target: text.strip() for target, text in (field_comments or {}).items()}
    unknown = sorted(target for target in written if target not in targets)
    if unknown:
        raise ValidationError(f"Champs inconnus : {', '.join(unknown)}.", code="unknown_field")
    # The e-mail quotes the comments written beside the fields: it is written once they exist.
    request = _move(request, "request_changes", actor, comment, notify=False)
    review = request.transitions.order_by("pk").last()
    assert review is not None
    reviewed = request.submissions.order_by("number").last()
    for target, text in written.items():
        if text:
            RequestFieldComment.objects.create(
                request=request,
                transition=review,
                submission=reviewed,
                target=target,
                text=text,
                author=actor,
                created_at=review.occurred_at,
            )
    notify_on_commit(partial(notify_transition, transition_id=review.pk))
    return request


@transaction.atomic
def authorization_request_refuse(
    *, request: AuthorizationRequest, actor: User, comment: str
) -> AuthorizationRequest:
    request = _locked(request)
    _check(request, "refuse", actor, comment)
    request.decided_at = timezone.now()
    return _move(request, "refuse", actor, comment)


@transaction.atomic
def authorization_request_request_production(
    *, request: AuthorizationRequest, actor: User, comment: str = ""
) -> AuthorizationRequest:
    """After the sandbox stage, ask the instructors for production access."""
    request = _locked(request)
    _check(request, "request_production", actor, comment)
    request.submitted_at = timezone.now()
    return _move(request, "request_production", actor, comment)


@transaction.atomic
def authorization_request_validate_sandbox(
    *,
    request: AuthorizationRequest,
    actor: User,
    scope_slugs: Iterable[str] | None = None,
    term_months: int = DEFAULT_TERM_MONTHS,
    comment: str = "",
) -> AuthorizationRequest:
    """Grant the habilitation for the sandbox only: a sandbox credential is issued."""
    request = _locked(request)
    _check(request, "validate_sandbox", actor, comment)
    granted = _granted_scopes(request, scope_slugs)
    habilitation = _habilitation_grant_for(request, actor, granted, term_months)
    _issue_credentials(habilitation, [Environment.SANDBOX], actor, deliver_to=request)
    request.habilitation = habilitation
    request.sandbox_validated_at = timezone.now()
    return _move(request, "validate_sandbox", actor, comment)


@transaction.atomic
def authorization_request_validate(
    *,
    request: AuthorizationRequest,
    actor: User,
    scope_slugs: Iterable[str] | None = None,
    term_months: int = DEFAULT_TERM_MONTHS,
    comment: str = "",
) -> AuthorizationRequest:
    """Grant exactly ``scope_slugs`` (all the requested scopes by default, never more).

    A new request gets a habilitation with sandbox and production credentials (production only
    when the sandbox stage already issued the sandbox one). An amendment replaces the scopes and
    term of the habilitation it amends, whose credentials keep working, and supersedes the
    request validated before it.
    """
    request = _locked(request)
    _check(request, "validate", actor, comment)
    granted = _granted_scopes(request, scope_slugs)
    if request.amends_id is not None:
        habilitation = _habilitation_amend(request, actor, granted, term_months, comment)
    elif request.habilitation is not None:
        habilitation = _habilitation_replace_terms(
            request.habilitation, actor, granted, term_months, request.purpose
        )
        _issue_credentials(
            habilitation,
            _environments_for(request, [Environment.PRODUCTION]),
            actor,
            deliver_to=request,
        )
    else:
        habilitation = _habilitation_grant_for(request, actor, granted, term_months)
        _issue_credentials(
            habilitation,
            _environments_for(request, [Environment.SANDBOX, Environment.PRODUCTION]),
            actor,
            deliver_to=request,
        )
    request.habilitation = habilitation
    request.decided_at = timezone.now()
    return _move(request, "validate", actor, comment)


@transaction.atomic
def authorization_request_revoke(
    *, request: AuthorizationRequest, actor: User, comment: str
) -> AuthorizationRequest:
    """End the habilitation at once: every credential of it is refused from now on."""
    request = _locked(request)
    _check(request, "revoke", actor, comment)
    if request.habilitation is not None:
        habilitation_revoke(habilitation=request.habilitation, actor=actor)
    request.decided_at = timezone.now()
    revoked = _move(request, "revoke", actor, comment)
    # Imported here: the vendor path builds on this module. Clients that joined a vendor's
    # solution lose their access with the solution's.
    from dlnuf.habilitations.solutions import solution_adhesions_revoke

    solution_adhesions_revoke(solution_request=revoked, actor=actor)
    return revoked


@transaction.atomic
def authorization_request_reopen(
    *, request: AuthorizationRequest, actor: User, comment: str = ""
) -> AuthorizationRequest:
    """Open a draft that amends the validated request's habilitation, prefilled from it.

    The habilitation and its credentials stay as they are until the amendment is validated.
    """
    request = _locked(request)
    _check(request, "reopen", actor, comment)
    habilitation = request.habilitation
    if habilitation is None or not habilitation.is_active():
        raise TransitionRefused("L'habilitation de cette demande n'est plus active.")
    if AuthorizationRequest.objects.filter(amends=habilitation, state__in=OPEN_STATES).exists():
        raise TransitionRefused(
            "Une modification de cette habilitation est déjà en cours : complétez-la."
        )
    amendment = AuthorizationRequest.objects.create(
        organisation=request.organisation,
        dataset=request.dataset,
        created_by=actor,
        procedure=request.procedure,
        amends=habilitation,
        sandbox_stage=False,
        legal_basis_document_name=request.legal_basis_document_name,
        security_approval_document_name=request.security_approval_document_name,
        **{name: getattr(request, name) for name in EDITABLE_FIELDS if name != "sandbox_stage"},
    )
    # Attachments are shared, not copied: stored files are never changed once written.
    amendment.legal_basis_document = request.legal_basis_document.name
    amendment.security_approval_document = request.security_approval_document.name
    amendment.save(update_fields=["legal_basis_document", "security_approval_document"])
    amendment.requested_scopes.set(habilitation.scopes.all())
    _log(
        amendment,
        "reopen",
        "",
        actor=actor,
        comment=comment
        or f"Modification de l'habilitation accordée par la demande n° {request.pk}.",
    )
    return amendment


@transaction.atomic
def request_message_post(
    *, request: AuthorizationRequest, author: User, body: str
) -> RequestMessage:
    """Add a message to the request's thread; the other side is told by e-mail."""
    if not can_post_message(author, request):
        raise ActionForbidden(
            "Seuls les demandeurs de l'organisation et les instructeurs du fournisseur "
            "peuvent écrire sur cette demande."
        )
    text = body.strip()
    if not text:
        raise ValidationError({"body": ["Écrivez un message avant de l'envoyer."]})
    message = RequestMessage.objects.create(request=request, author=author, body=text)
    notify_on_commit(partial(notify_message, message_id=message.pk))
    return message


def _check(request: AuthorizationRequest, action: str, actor: User, comment: str) -> None:
    transition = TRANSITIONS[action]
    if not has_role_for(actor, action, request):
        who = (
            "aux demandeurs de l'organisation"
            if transition.actor is Actor.APPLICANT
            else "aux instructeurs du fournisseur de la donnée"
        )
        raise ActionForbidden(f"L'action « {transition.label} » est réservée {who}.")
    reason = refusal_reason(action, request)
    if reason is not None:
        raise TransitionRefused(reason)
    if transition.comment_required and not comment.strip():
        raise TransitionRefused(
            f"Action « {transition.label} » : un commentaire expliquant la décision est nécessaire."
        )


def _move(
    request: AuthorizationRequest, action: str, actor: User, comment: str, *, notify: bool = True
) -> AuthorizationRequest:
    transition = TRANSITIONS[action]
    from_state = request.state
    request.state = transition.target
    request.updated_at = timezone.now()
    request.save()
    _log(request, action, from_state, actor=actor, comment=comment, notify=notify)
    return request


def _log(
    request: AuthorizationRequest,
    action: str,
    from_state: str,
    *,
    actor: User,
    comment: str,
    notify: bool = True,
) -> RequestTransition:
    row = RequestTransition.objects.create(
        request=request,
        action=action,
        from_state=from_state,
        to_state=request.state,
        actor=actor,
        comment=comment.strip(),
    )
    if notify:
        notify_on_commit(partial(notify_transition, transition_id=row.pk))
    return row


def _locked(request: AuthorizationRequest) -> AuthorizationRequest:
    # Two instructors clicking at once must not both apply a transition.
    return (
        AuthorizationRequest.objects.select_for_update(of=("self",))
        .select_related("organisation", "dataset__provider", "habilitation")
        .get(pk=request.pk)
    )


def _dataset_scopes(dataset: Dataset, scope_slugs: Iterable[str]) -> list[Scope]:
    wanted = set(scope_slugs)
    scopes = list(dataset.scopes.filter(slug__in=wanted))
    unknown = sorted(wanted - {scope.slug for scope in scopes})
    if unknown:
        raise ValidationError(
            {"scopes": [f"Périmètres inconnus pour « {dataset.title} » : {', '.join(unknown)}."]}
        )
    return scopes


def _granted_scopes(request: AuthorizationRequest, scope_slugs: Iterable[str] | None) -> list[str]:
    requested = set(request.requested_scopes.values_list("slug", flat=True))
    granted = requested if scope_slugs is None else set(scope_slugs)
    beyond = sorted(granted - requested)
    if beyond:
        raise TransitionRefused(
            "On ne peut accorder que des périmètres demandés ; non demandés : "
            + ", ".join(beyond)
            + "."
        )
    if not granted:
        raise TransitionRefused("Accordez au moins un périmètre, ou refusez la demande.")
    return sorted(granted)


def _term_end(term_months: int) -> datetime:
    if not 1 <= term_months <= MAX_TERM_MONTHS:
        raise TransitionRefused(
            f"La durée de l'habilitation doit être comprise entre 1 et {MAX_TERM_MONTHS} mois."
        )
    return add_months(timezone.now(), term_months)


def _habilitation_grant_for(
    request: AuthorizationRequest, actor: User, scope_slugs: list[str], term_months: int
) -> Habilitation:
    habilitation = habilitation_grant(
        organisation=request.organisation,
        dataset=request.dataset,
        scope_slugs=scope_slugs,
        purpose=request.purpose,
        expires_at=_term_end(term_months),
        granted_by_label=actor.get_full_name() or actor.email,
    )
    habilitation.granted_by = actor
    habilitation.save(update_fields=["granted_by"])
    HabilitationEvent.objects.create(
        habilitation=habilitation,
        kind=HabilitationEventKind.GRANTED,
        actor=actor,
        detail=f"Demande n° {request.pk} ; périmètres : {', '.join(scope_slugs)}.",
    )
    return habilitation


def _habilitation_replace_terms(
    habilitation: Habilitation,
    actor: User,
    scope_slugs: list[str],
    term_months: int,
    purpose: str,
) -> Habilitation:
    """Replace scopes, term and purpose at once; the credentials follow the new term."""
    habilitation = Habilitation.objects.select_for_update().get(pk=habilitation.pk)
    if habilitation.revoked_at is not None:
        raise TransitionRefused("L'habilitation a été révoquée : elle ne peut plus être modifiée.")
    habilitation.expires_at = _term_end(term_months)
    habilitation.purpose = purpose
    habilitation.save(update_fields=["expires_at", "purpose"])
    habilitation.scopes.set(_dataset_scopes(habilitation.dataset, scope_slugs))
    habilitation.credentials.filter(revoked_at__isnull=True).update(
        expires_at=habilitation.expires_at
    )
    return habilitation


def _habilitation_amend(
    request: AuthorizationRequest,
    actor: User,
    scope_slugs: list[str],
    term_months: int,
    comment: str,
) -> Habilitation:
    assert request.amends is not None
    habilitation = _habilitation_replace_terms(
        request.amends, actor, scope_slugs, term_months, request.purpose
    )
    HabilitationEvent.objects.create(
        habilitation=habilitation,
        kind=HabilitationEventKind.AMENDED,
        actor=actor,
        detail=f"Demande n° {request.pk} ; périmètres : {', '.join(scope_slugs)}.",
    )
    previous = (
        AuthorizationRequest.objects.select_for_update()
        .filter(habilitation=habilitation, state=RequestState.VALIDATED)
        .exclude(pk=request.pk)
    )
    for superseded in previous:
        _move(
            superseded,
            "supersede",
            actor,
            comment=f"Remplacée par la demande n° {request.pk}.",
        )
    return habilitation


def _environments_for(
    request: AuthorizationRequest, environments: Sequence[Environment]
) -> list[Environment]:
    """A vendor's solution is tried in the sandbox only: real data flow through each client's
    own habilitation, under the client's name."""
    if Solution.objects.filter(request=request).exists():
        return [
            environment for environment in environments if environment != Environment.PRODUCTION
        ]
    return list(environments)


def _issue_credentials(
    habilitation: Habilitation,
    environments: Sequence[Environment],
    actor: User,
    *,
    deliver_to: AuthorizationRequest | None = None,
) -> list[Credential]:
    """Issue the credentials; each secret waits, sealed, to be shown once, and is also sent by a
    one-time link to the technical contact named in ``deliver_to``."""
    credentials = []
    for environment in environments:
        issued = credential_issue(
            habilitation=habilitation,
            environment=environment,
            expires_in_days=max(1, (habilitation.expires_at - timezone.now()).days + 1),
        )
        _keep_for_reveal(issued)
        HabilitationEvent.objects.create(
            habilitation=habilitation,
            credential=issued.credential,
            kind=HabilitationEventKind.CREDENTIAL_ISSUED,
            actor=actor,
            detail=f"Jeton {issued.credential.get_environment_display()} "
            f"{issued.credential.prefix}…",
        )
        if deliver_to is not None and deliver_to.technical_contact_email:
            notify_on_commit(
                partial(
                    _credential_link_to_technical_contact,
                    credential=issued.credential,
                    request=deliver_to,
                    actor=actor,
                )
            )
        credentials.append(issued.credential)
    return credentials


def _keep_for_reveal(issued: IssuedCredential) -> CredentialReveal:
    now = timezone.now()
    return CredentialReveal.objects.create(
        credential=issued.credential,
        ciphertext=seal(issued.secret),
        created_at=now,
        expires_at=now + timedelta(days=REVEAL_DAYS),
    )


def _attach(request: AuthorizationRequest, field: str, upload: UploadedFile) -> None:
    check_pdf_upload(upload)
    file_field = getattr(request, field)
    file_field.save("document.pdf", upload, save=False)
    setattr(request, f"{field}_name", safe_display_name(upload.name or "document.pdf"))


def _current_values(request: AuthorizationRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in EDITABLE_FIELDS}


def _default_legal_basis_nature(dataset: Dataset) -> str:
    if dataset.subject_kind == "company":
        return LegalBasisNature.CRPA_COMPANIES
    return LegalBasisNature.CRPA_PERSONS


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of the month when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


# --- Credentials after the decision --------------------------------------------------------------


@transaction.atomic
def credential_reveal(*, credential: Credential, actor: User) -> str:
    """The secret of a newly issued credential, once; afterwards only its prefix is known."""
    if not can_reveal_credential(actor, credential):
        raise ActionForbidden(
            "Seuls les demandeurs de l'organisation titulaire peuvent afficher ce jeton."
        )
    reveal = CredentialReveal.objects.select_for_update().filter(credential=credential).first()
    if reveal is None or reveal.revealed_at is not None or not reveal.ciphertext:
        raise TransitionRefused(
            "Ce jeton a déjà été affiché : il ne peut plus l'être. Remplacez-le si vous ne "
            "l'avez pas conservé."
        )
    if reveal.expires_at <= timezone.now() or credential.revoked_at is not None:
        raise TransitionRefused(
            "Ce jeton ne peut plus être affiché (délai dépassé ou jeton révoqué) : remplacez-le."
        )
    secret = unseal(bytes(reveal.ciphertext))
    reveal.ciphertext = b""
    reveal.revealed_at = timezone.now()
    reveal.revealed_by = actor
    reveal.save(update_fields=["ciphertext", "revealed_at", "revealed_by"])
    HabilitationEvent.objects.create(
        habilitation_id=credential.habilitation_id,
        credential=credential,
        kind=HabilitationEventKind.CREDENTIAL_REVEALED,
        actor=actor,
    )
    return secret


class CredentialLinkUnusable(Exception):
    """A one-time link that shows nothing; ``reason`` comes from ``credential_link_problem``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def credential_link_lifetime() -> timedelta:
    return timedelta(days=settings.DLNUF_CREDENTIAL_LINK_DAYS)


def _credential_link_create(
    *, credential: Credential, recipient_name: str, recipient_email: str, actor: User | None
) -> CredentialDeliveryLink:
    """Replace any earlier link of the credential by a new one, and e-mail it.

    A sealed secret due to be dropped before the new link expires is kept until then.
    """
    now = timezone.now()
    CredentialDeliveryLink.objects.filter(
        credential=credential, used_at__isnull=True, replaced_at__isnull=True
    ).update(replaced_at=now)
    token = secrets.token_urlsafe(32)
    link = CredentialDeliveryLink.objects.create(
        credential=credential,
        token_hash=link_token_hash(token),
        recipient_name=recipient_name,
        recipient_email=recipient_email,
        sent_by=actor,
        created_at=now,
        expires_at=now + credential_link_lifetime(),
    )
    CredentialReveal.objects.filter(credential=credential, expires_at__lt=link.expires_at).update(
        expires_at=link.expires_at
    )
    HabilitationEvent.objects.create(
        habilitation_id=credential.habilitation_id,
        credential=credential,
        kind=HabilitationEventKind.CREDENTIAL_LINK_SENT,
        actor=actor,
        detail=f"Lien envoyé à {recipient_email}, valable jusqu'au "
        f"{date_fr(link.expires_at, with_time=True)}.",
    )
    send_notice(credential_link_notice(link, token))
    return link


def _credential_link_to_technical_contact(
    *, credential: Credential, request: AuthorizationRequest, actor: User
) -> None:
    _credential_link_create(
        credential=credential,
        recipient_name=request.technical_contact_name,
        recipient_email=request.technical_contact_email,
        actor=actor,
    )


@transaction.atomic
def credential_link_send(*, credential: Credential, actor: User) -> CredentialDeliveryLink:
    """Send a fresh one-time link to the technical contact; earlier links stop working."""
    if not can_reveal_credential(actor, credential):
        raise ActionForbidden(
            "Seuls les demandeurs de l'organisation titulaire peuvent envoyer ce jeton."
        )
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    reveal = CredentialReveal.objects.select_for_update().filter(credential=credential).first()
    if not secret_waiting(reveal, credential, timezone.now()):
        raise TransitionRefused(
            "Ce jeton a déjà été affiché, ou ne peut plus l'être (délai dépassé ou jeton "
            "révoqué) : remplacez-le depuis le tableau de bord, puis envoyez le nouveau jeton au "
            "contact technique."
        )
    contact = technical_contact_for(credential.habilitation)
    if contact is None:
        raise TransitionRefused(
            "Aucun contact technique n'est indiqué dans la demande : affichez le jeton vous-même."
        )
    name, email = contact
    return _credential_link_create(
        credential=credential, recipient_name=name, recipient_email=email, actor=actor
    )


@transaction.atomic
def credential_link_reveal(*, token: str) -> tuple[CredentialDeliveryLink, str]:
    """The secret behind a one-time link; the link and the sealed copy are spent at once, in
    the same transaction, so that two clicks never both see it."""
    found = credential_link_by_token(token)
    if found is None:
        raise CredentialLinkUnusable("unknown")
    link = (
        CredentialDeliveryLink.objects.select_for_update(of=("self",))
        .select_related("credential__habilitation")
        .get(pk=found.pk)
    )
    credential = link.credential
    reveal = CredentialReveal.objects.select_for_update().filter(credential=credential).first()
    now = timezone.now()
    problem = credential_link_problem(link, reveal, now)
    if problem is not None or reveal is None:
        raise CredentialLinkUnusable(problem or "unavailable")
    secret = unseal(bytes(reveal.ciphertext))
    reveal.ciphertext = b""
    reveal.revealed_at = now
    reveal.save(update_fields=["ciphertext", "revealed_at"])
    link.used_at = now
    link.save(update_fields=["used_at"])
    HabilitationEvent.objects.create(
        habilitation_id=credential.habilitation_id,
        credential=credential,
        kind=HabilitationEventKind.CREDENTIAL_REVEALED,
        detail=f"Affiché par le lien envoyé à {link.recipient_email}.",
    )
    return link, secret


@transaction.atomic
def habilitation_renew(*, habilitation: Habilitation, actor: User) -> Habilitation:
    """Extend the term by the standard length (18 months from today) without a new request,
    in the last days of the current term; active credentials follow the new term."""
    if not can_manage_credentials(actor, habilitation):
        raise ActionForbidden(
            "Seuls les demandeurs de l'organisation titulaire peuvent renouveler l'habilitation."
        )
    habilitation = Habilitation.objects.select_for_update().get(pk=habilitation.pk)
    now = timezone.now()
    if not habilitation.is_active(now):
        raise TransitionRefused(
            "Cette habilitation n'est plus active (expirée ou révoquée) : faites une nouvelle "
            "demande."
        )
    if not renewable(habilitation, now):
        raise TransitionRefused(
            f"Le renouvellement est possible dans les {RENEWAL_WINDOW_DAYS} jours qui précèdent "
            f"l'échéance ({date_fr(habilitation.expires_at)})."
        )
    previous = habilitation.expires_at
    habilitation.expires_at = add_months(now, DEFAULT_TERM_MONTHS)
    habilitation.save(update_fields=["expires_at"])
    habilitation.credentials.filter(revoked_at__isnull=True, expires_at__gt=now).update(
        expires_at=habilitation.expires_at
    )
    HabilitationEvent.objects.create(
        habilitation=habilitation,
        kind=HabilitationEventKind.RENEWED,
        actor=actor,
        detail=f"Échéance du {date_fr(previous)} reportée au {date_fr(habilitation.expires_at)}.",
    )
    notify_on_commit(
        partial(notify_habilitation_event, habilitation_id=habilitation.pk, event="renewed")
    )
    return habilitation


def rotation_grace() -> timedelta:
    """How long a replaced credential keeps working, so that software can switch without a
    gap; zero revokes it at once."""
    return timedelta(hours=settings.DLNUF_CREDENTIAL_ROTATION_GRACE_HOURS)


@transaction.atomic
def credential_rotate(*, credential: Credential, actor: User) -> Credential:
    """Issue a new secret for the same habilitation and environment; the old one keeps working
    for the grace period (it expires then), or is revoked at once when the grace is zero."""
    habilitation = credential.habilitation
    if not can_manage_credentials(actor, habilitation):
        raise ActionForbidden(
            "Seuls les demandeurs de l'organisation titulaire peuvent remplacer ce jeton."
        )
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    now = timezone.now()
    if credential.revoked_at is not None or credential.expires_at <= now:
        raise TransitionRefused("Ce jeton est révoqué ou expiré : il ne peut plus être remplacé.")
    if not habilitation.is_active(now):
        raise TransitionRefused("L'habilitation n'est plus active : faites une nouvelle demande.")
    issued = credential_issue(
        habilitation=habilitation,
        environment=credential.environment,
        expires_in_days=max(1, (habilitation.expires_at - now).days + 1),
        rate_limit_per_minute=credential.rate_limit_per_minute,
    )
    _keep_for_reveal(issued)
    grace = rotation_grace()
    if grace <= timedelta(0):
        credential_revoke(credential=credential, actor=actor)
        fate = "révoqué immédiatement"
    else:
        credential.expires_at = min(credential.expires_at, now + grace)
        credential.save(update_fields=["expires_at"])
        fate = f"valable jusqu'au {date_fr(credential.expires_at, with_time=True)}"
    HabilitationEvent.objects.create(
        habilitation=habilitation,
        credential=issued.credential,
        kind=HabilitationEventKind.CREDENTIAL_ROTATED,
        actor=actor,
        detail=f"Remplace le jeton {credential.prefix}… ({fate}).",
    )
    notify_on_commit(
        partial(notify_habilitation_event, habilitation_id=habilitation.pk, event="rotated")
    )
    return issued.credential


@transaction.atomic
def credential_withdraw(*, credential: Credential, actor: User) -> Credential:
    """Revoke a credential at the holder's request (a leak, software retired)."""
    if not can_manage_credentials(actor, credential.habilitation):
        raise ActionForbidden(
            "Seuls les demandeurs de l'organisation titulaire peuvent révoquer ce jeton."
        )
    if credential.revoked_at is not None:
        raise TransitionRefused("Ce jeton est déjà révoqué.")
    credential_revoke(credential=credential, actor=actor)
    notify_on_commit(
        partial(
            notify_habilitation_event,
            habilitation_id=credential.habilitation_id,
            event="credential_revoked",
        )
    )
    return credential


# --- Reminders -----------------------------------------------------------------------------------

REMINDER_THRESHOLDS_DAYS = (30, 7)


def expiry_reminders_send(
    *, now: datetime | None = None, thresholds: Sequence[int] = REMINDER_THRESHOLDS_DAYS
) -> int:
    """E-mail the holders of habilitations that expire within a threshold, once per threshold
    and term. When several thresholds are already passed (a first run, a late run), only the
    nearest is sent and the others are recorded as covered. Returns the e-mails sent."""
    now = now or timezone.now()
    widest = max(thresholds)
    due = Habilitation.objects.filter(
        revoked_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=widest),
    ).select_related("organisation", "dataset__provider")
    sent = 0
    for habilitation in due:
        passed = sorted(
            days for days in thresholds if habilitation.expires_at <= now + timedelta(days=days)
        )
        with transaction.atomic():
            recorded = set(
                ExpiryReminder.objects.select_for_update()
                .filter(habilitation=habilitation, expires_at=habilitation.expires_at)
                .values_list("threshold_days", flat=True)
            )
            missing = [days for days in passed if days not in recorded]
            if not missing:
                continue
            for days in missing:
                ExpiryReminder.objects.create(
                    habilitation=habilitation,
                    threshold_days=days,
                    expires_at=habilitation.expires_at,
                    sent_at=now,
                )
            days_left = max(1, math.ceil((habilitation.expires_at - now) / timedelta(days=1)))
            # Sent inside the transaction: if the mail server refuses, nothing is recorded and
            # the next run tries again.
            sent += send_notice(expiry_notice(habilitation, days_left))
    return sent


# --- What people see on « Mes données » ----------------------------------------------------------

# Three years: beyond it a consultation shown to the person would no longer help them act.
SUBJECT_VISIBILITY_MAX_DELAY_DAYS = 1095
SUBJECT_VISIBILITY_REFERENCE_MAX_LENGTH = 500


def _visibility_summary(delay_days: int | None, reference: str, sees_case_reference: bool) -> str:
    delay = (
        "consultations montrées à l'usager dès qu'elles ont lieu"
        if delay_days is None
        else f"consultations montrées à l'usager {plural(delay_days, 'jour', 'jours')} après "
        f"avoir eu lieu ({reference})"
    )
    case = "référence du dossier montrée" if sees_case_reference else "référence du dossier cachée"
    return f"{delay} ; {case}"


@transaction.atomic
def habilitation_set_subject_visibility(
    *,
    habilitation: Habilitation,
    actor: User,
    delay_days: int | None,
    delay_reference: str,
    sees_case_reference: bool,
) -> Habilitation:
    """Set what the people whose data is consulted see of it, and log the change.

    A delay hides each consultation from the person for ``delay_days`` after it happened, and
    needs the legal text that allows it. ``sees_case_reference`` records the consumer
    organisation's choice to show its case reference (``object``) to the person. The new
    settings apply to the consultations already recorded as well.
    """
    if not can_set_subject_visibility(actor, habilitation):
        raise ActionForbidden(
            "Seuls les instructeurs du fournisseur de la donnée peuvent régler ce que les usagers "
            "voient des consultations."
        )
    habilitation = Habilitation.objects.select_for_update().get(pk=habilitation.pk)
    if not habilitation.is_active():
        raise TransitionRefused(
            "Cette habilitation n'est plus active (expirée ou révoquée) : son affichage aux "
            "usagers ne peut plus être modifié."
        )
    reference = " ".join(delay_reference.split())
    errors: dict[str, list[str]] = {}
    if delay_days is not None and not 1 <= delay_days <= SUBJECT_VISIBILITY_MAX_DELAY_DAYS:
        errors["delay_days"] = [
            "Le délai doit être compris entre 1 et "
            f"{format_french_number(SUBJECT_VISIBILITY_MAX_DELAY_DAYS)} jours."
        ]
    if delay_days is not None and not reference:
        errors["delay_reference"] = [
            "Indiquez le texte qui autorise ce délai (article, loi ou décret) : sans texte, les "
            "consultations sont montrées à l'usager dès qu'elles ont lieu."
        ]
    if len(reference) > SUBJECT_VISIBILITY_REFERENCE_MAX_LENGTH:
        errors["delay_reference"] = [
            f"Le texte est trop long ({len(reference)} caractères, "
            f"{SUBJECT_VISIBILITY_REFERENCE_MAX_LENGTH} au plus) : citez l'article et le texte."
        ]
    if errors:
        raise ValidationError(errors)
    if delay_days is None:
        # Without a delay the reference would justify nothing: it is not kept.
        reference = ""
    before = _visibility_summary(
        habilitation.subject_visibility_delay_days,
        habilitation.subject_visibility_delay_reference,
        habilitation.subject_sees_case_reference,
    )
    after = _visibility_summary(delay_days, reference, sees_case_reference)
    if before == after:
        return habilitation
    habilitation.subject_visibility_delay_days = delay_days
    habilitation.subject_visibility_delay_reference = reference
    habilitation.subject_sees_case_reference = sees_case_reference
    habilitation.save(
        update_fields=[
            "subject_visibility_delay_days",
            "subject_visibility_delay_reference",
            "subject_sees_case_reference",
        ]
    )
    HabilitationEvent.objects.create(
        habilitation=habilitation,
        kind=HabilitationEventKind.AMENDED,
        actor=actor,
        detail=f"Affichage aux usagers : {after} (auparavant : {before}).",
    )
    return habilitation
