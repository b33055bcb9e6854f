"""Reads on habilitations, including the gateway's hot-path credential lookup."""

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from dlnuf.catalogue.models import Dataset, Provider
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Credential,
    CredentialDeliveryLink,
    CredentialReveal,
    Habilitation,
    ProviderPolicy,
    RequestMessage,
    RequestState,
    RequestTransition,
)
from dlnuf.habilitations.transitions import AWAITING_DECISION_STATES
from dlnuf.habilitations.validation import field_errors, terms_problem
from dlnuf.journal.models import EPOCH, JournalEntry
from dlnuf.journal.outcomes import OutcomeCounts, outcome_aggregates, outcome_counts_from
from dlnuf.organisations.models import Organisation
from dlnuf.organisations.perms import (
    AnyUser,
    organisations_of,
    providers_instructed_by,
    providers_reported_to,
    sees_everything,
)
from dlnuf.prepared import prepared_cursor

# Renewal is offered in the last days of a term, without a new request.
RENEWAL_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Grant:
    """What a credential allows, flattened for the gateway's checks.

    Read from the database on every call and never cached: a revocation, a rotation or an expiry
    holds for every worker of every node from the moment it is committed, whatever the cache.
    """

    credential_id: int
    habilitation_id: int
    organisation_siret: str
    dataset_slug: str
    scope_slugs: frozenset[str]
    environment: str
    expires_at: datetime
    revoked: bool
    rate_limit_per_minute: int | None


_GRANT_COLUMNS = (
    "pk",
    "habilitation_id",
    "habilitation__organisation__siret",
    "habilitation__dataset__slug",
    "environment",
    "expires_at",
    "habilitation__expires_at",
    "revoked_at",
    "habilitation__revoked_at",
    "rate_limit_per_minute",
)


@functools.cache
def _grant_statement(vendor: str) -> str:
    """The SQL of the lookup, written by the ORM once per process and database kind.

    The lookup runs on every call of the gateway: compiling its query each time cost about
    1 ms, ten times what the database takes to answer it. One row per scope of the habilitation
    (one row with no scope when it has none), so one round trip.
    """
    sql, _ = (
        Credential.objects.filter(secret_hash="")
        .values_list(*_GRANT_COLUMNS, "habilitation__scopes__slug")
        .query.sql_with_params()
    )
    return sql


def _aware(moment: datetime | str) -> datetime:
    # SQLite hands back naive UTC datetimes (or text) where PostgreSQL hands back aware ones;
    # the ORM would convert them the same way.
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _grant_rows(secret_hash: str) -> list[tuple[Any, ...]]:
    # Prepared on PostgreSQL: planning the five joins cost three times their execution.
    with prepared_cursor() as cursor:
        cursor.execute(_grant_statement(connection.vendor), [secret_hash])
        return cursor.fetchall()


def grant_for_secret_hash(secret_hash: str) -> Grant | None:
    """The grant of the credential with this hash, or None when no such credential exists.

    One indexed query on every call (never cached, so that a revocation holds at once on every
    node): the credential with its habilitation and the habilitation's scopes.
    """
    try:
        rows = _grant_rows(secret_hash)
    except (OperationalError, InterfaceError):
        # Gateway nodes skip Django's check of the connection before each request (a round trip
        # on every call); a connection the database has closed since shows here, first query of
        # the call, and is replaced once. Inside a transaction the caller decides.
        if connection.in_atomic_block:
            raise
        connection.close()
        rows = _grant_rows(secret_hash)
    if not rows:
        return None
    (
        credential_id,
        habilitation_id,
        siret,
        dataset_slug,
        environment,
        credential_expires_at,
        habilitation_expires_at,
        credential_revoked_at,
        habilitation_revoked_at,
        rate_limit_per_minute,
        _,
    ) = rows[0]
    scope_slugs = frozenset(row[-1] for row in rows if row[-1] is not None)
    return Grant(
        credential_id=credential_id,
        habilitation_id=habilitation_id,
        organisation_siret=siret,
        dataset_slug=dataset_slug,
        scope_slugs=scope_slugs,
        environment=environment,
        expires_at=min(_aware(credential_expires_at), _aware(habilitation_expires_at)),
        revoked=credential_revoked_at is not None or habilitation_revoked_at is not None,
        rate_limit_per_minute=rate_limit_per_minute,
    )


# --- Requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    requires_security_approval: bool
    requires_sandbox_stage: bool


# Providers that ask for more than the common blocks unless a ProviderPolicy row says otherwise:
# the tax administration asks for a security approval and a sandbox stage first.
DEFAULT_POLICIES: dict[str, Policy] = {
    "dgfip": Policy(requires_security_approval=True, requires_sandbox_stage=True),
}
_NO_EXTRA = Policy(requires_security_approval=False, requires_sandbox_stage=False)


def provider_policy(provider: Provider) -> Policy:
    row = ProviderPolicy.objects.filter(provider=provider).first()
    if row is not None:
        return Policy(
            requires_security_approval=row.requires_security_approval,
            requires_sandbox_stage=row.requires_sandbox_stage,
        )
    return DEFAULT_POLICIES.get(provider.slug, _NO_EXTRA)


def request_missing_information(request: AuthorizationRequest) -> list[str]:
    """What must still be filled in before the request can be submitted, in French."""
    missing: list[str] = []

    def need(condition: object, message: str) -> None:
        if not condition:
            missing.append(message)

    need(request.title.strip(), "Donnez un intitulé à la demande.")
    need(request.purpose.strip(), "Décrivez le projet et la finalité de l'accès.")
    need(request.legal_basis_nature, "Choisissez la nature du cadre juridique.")
    need(request.legal_basis_article.strip(), "Indiquez l'article du cadre juridique.")
    need(
        request.legal_basis_url or request.legal_basis_document,
        "Donnez l'adresse du texte juridique ou joignez-le en PDF.",
    )
    need(request.requested_scopes.exists(), "Cochez au moins un périmètre de données.")
    if request.dataset.holds_personal_data:
        need(request.data_recipients.strip(), "Indiquez les destinataires des données.")
        need(request.retention_months is not None, "Indiquez la durée de conservation.")
    for name, email, label in (
        (request.business_contact_name, request.business_contact_email, "du responsable métier"),
        (request.technical_contact_name, request.technical_contact_email, "du contact technique"),
        (request.dpo_name, request.dpo_email, "du délégué à la protection des données"),
        (request.controller_name, request.controller_email, "du responsable de traitement"),
    ):
        need(name.strip() and email, f"Indiquez le nom et le courriel {label}.")
    need(request.expected_calls_per_minute, "Indiquez la volumétrie attendue (appels par minute).")
    need(request.volume_justification.strip(), "Justifiez la volumétrie attendue.")
    need(request.go_live_date, "Indiquez la date de mise en production prévue.")
    if provider_policy(request.dataset.provider).requires_security_approval:
        need(request.security_approval_date, "Indiquez la date d'homologation de sécurité.")
        need(request.security_approval_document, "Joignez la décision d'homologation (PDF).")
    missing.extend(
        field_errors(
            {
                "retention_months": request.retention_months,
                "retention_justification": request.retention_justification,
                "go_live_date": request.go_live_date,
            }
        ).values()
    )
    terms = terms_problem(request)
    if terms:
        missing.append(terms)
    return missing


def requests_visible_to(user: AnyUser) -> QuerySet[AuthorizationRequest]:
    """Requests of the user's organisations, and the non-draft requests of the providers they
    instruct or report to (every request for guichet experts and administrators)."""
    requests = AuthorizationRequest.objects.select_related(
        "organisation", "dataset__provider", "created_by", "habilitation"
    )
    if sees_everything(user):
        return requests
    return requests.filter(
        Q(organisation__in=organisations_of(user))
        | (Q(dataset__provider__in=providers_reported_to(user)) & ~Q(state=RequestState.DRAFT))
    )


def requests_to_decide(user: AnyUser) -> QuerySet[AuthorizationRequest]:
    """Submitted requests of the providers the user instructs, oldest first."""
    return (
        AuthorizationRequest.objects.select_related("organisation", "dataset__provider")
        .filter(
            dataset__provider__in=providers_instructed_by(user),
            state__in=AWAITING_DECISION_STATES,
        )
        .order_by("submitted_at", "pk")
    )


def request_history(request: AuthorizationRequest) -> QuerySet[RequestTransition]:
    return request.transitions.select_related("actor").order_by("occurred_at", "pk")


def request_thread(request: AuthorizationRequest) -> QuerySet[RequestMessage]:
    return request.messages.select_related("author").order_by("sent_at", "pk")


def habilitations_of_organisations(user: AnyUser) -> QuerySet[Habilitation]:
    """Habilitations held by the organisations the user is an applicant for."""
    return (
        Habilitation.objects.filter(organisation__in=organisations_of(user))
        .select_related("organisation", "dataset__provider")
        .prefetch_related("scopes")
        .order_by("-granted_at")
    )


def credentials_of_organisations(user: AnyUser) -> QuerySet[Credential]:
    return (
        Credential.objects.filter(habilitation__organisation__in=organisations_of(user))
        .select_related("habilitation__organisation", "habilitation__dataset", "reveal")
        .order_by("revoked_at", "-created_at")
    )


def habilitations_of_providers(user: AnyUser) -> QuerySet[Habilitation]:
    """Who uses which dataset: active habilitations on the datasets of the user's providers."""
    now = timezone.now()
    return (
        Habilitation.objects.filter(
            dataset__provider__in=providers_reported_to(user),
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .select_related("organisation", "dataset__provider")
        .prefetch_related("scopes")
        .order_by("dataset__title", "organisation__name")
    )


def credential_waiting_reveal(credential: Credential) -> bool:
    reveal = CredentialReveal.objects.filter(credential=credential).first()
    return secret_waiting(reveal, credential, timezone.now())


# --- Usage, from the journal ----------------------------------------------------------------------


@dataclass(frozen=True)
class DailyUsage:
    day: date
    dataset_slug: str
    outcomes: OutcomeCounts

    @property
    def calls(self) -> int:
        return self.outcomes.calls

    @property
    def errors(self) -> int:
        """Provider and gateway failures; a caller's refusal is not an error of the service."""
        return self.outcomes.failures


@dataclass(frozen=True)
class DatasetUsage:
    dataset_slug: str
    outcomes: OutcomeCounts
    consumers: int

    @property
    def calls(self) -> int:
        return self.outcomes.calls


_MICROSECONDS_PER_DAY = 86_400_000_000


def _since_us(days: int, now: datetime) -> int:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=days - 1)
    return round((start - EPOCH).total_seconds() * 1_000_000)


def usage_per_day(
    *,
    consumer_sirets: Iterable[str] | None = None,
    dataset_slugs: Iterable[str] | None = None,
    days: int = 30,
    now: datetime | None = None,
) -> list[DailyUsage]:
    """Calls by outcome (``dlnuf.journal.outcomes``) per local day and dataset over the last
    ``days`` days, from the journal."""
    now = now or timezone.now()
    # Days are cut at local midnight, with today's offset to UTC.
    offset = timezone.localtime(now).utcoffset() or timedelta(0)
    offset_us = round(offset.total_seconds() * 1_000_000)
    entries = _journal_filtered(consumer_sirets, dataset_slugs).filter(
        occurred_at_us__gte=_since_us(days, now)
    )
    rows = (
        entries.annotate(
            day_number=ExpressionWrapper(
                (F("occurred_at_us") + offset_us) / _MICROSECONDS_PER_DAY,
                output_field=BigIntegerField(),
            )
        )
        .values("day_number", "dataset_slug")
        .annotate(**outcome_aggregates())
        .order_by("day_number", "dataset_slug")
    )
    return [
        DailyUsage(
            day=(EPOCH + timedelta(days=row["day_number"])).date(),
            dataset_slug=row["dataset_slug"],
            outcomes=outcome_counts_from(row),
        )
        for row in rows
    ]


def usage_per_dataset(
    *,
    consumer_sirets: Iterable[str] | None = None,
    dataset_slugs: Iterable[str] | None = None,
    days: int = 30,
    now: datetime | None = None,
) -> list[DatasetUsage]:
    """Calls by outcome and distinct consumers per dataset over the last ``days`` days."""
    now = now or timezone.now()
    rows = (
        _journal_filtered(consumer_sirets, dataset_slugs)
        .filter(occurred_at_us__gte=_since_us(days, now))
        .values("dataset_slug")
        .annotate(
            **outcome_aggregates(),
            consumers=Count("consumer_siret", distinct=True),
        )
        .order_by("dataset_slug")
    )
    return [
        DatasetUsage(
            dataset_slug=row["dataset_slug"],
            outcomes=outcome_counts_from(row),
            consumers=row["consumers"],
        )
        for row in rows
    ]


def _journal_filtered(
    consumer_sirets: Iterable[str] | None, dataset_slugs: Iterable[str] | None
) -> QuerySet[JournalEntry]:
    entries = JournalEntry.objects.all()
    if consumer_sirets is not None:
        entries = entries.filter(consumer_siret__in=list(consumer_sirets))
    if dataset_slugs is not None:
        entries = entries.filter(dataset_slug__in=list(dataset_slugs))
    return entries


def habilitations_visible_to(user: AnyUser) -> QuerySet[Habilitation]:
    """Habilitations of the user's organisations and of the providers they read."""
    habilitations = Habilitation.objects.select_related("organisation", "dataset__provider")
    if sees_everything(user):
        return habilitations
    return habilitations.filter(
        Q(organisation__in=organisations_of(user))
        | Q(dataset__provider__in=providers_reported_to(user))
    )


def credentials_visible_to(user: AnyUser) -> QuerySet[Credential]:
    """Credentials of the user's organisations (every one for experts and administrators)."""
    credentials = Credential.objects.select_related(
        "habilitation__organisation", "habilitation__dataset__provider"
    )
    if sees_everything(user):
        return credentials
    return credentials.filter(habilitation__organisation__in=organisations_of(user))


def renewable(habilitation: Habilitation, now: datetime | None = None) -> bool:
    """Whether the habilitation can be renewed now, without a new request."""
    now = now or timezone.now()
    return habilitation.is_active(now) and habilitation.expires_at - now <= timedelta(
        days=RENEWAL_WINDOW_DAYS
    )


# --- One-time links to a new credential ----------------------------------------------------------


def technical_contact_for(habilitation: Habilitation) -> tuple[str, str] | None:
    """Name and e-mail of the technical contact of the latest request that names one."""
    row = (
        habilitation.requests.exclude(technical_contact_email="")
        .order_by("-decided_at", "-pk")
        .values_list("technical_contact_name", "technical_contact_email")
        .first()
    )
    return None if row is None else (row[0], row[1])


def link_token_hash(token: str) -> str:
    """Link tokens carry 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def credential_link_by_token(token: str) -> CredentialDeliveryLink | None:
    if not token or len(token) > 100:
        return None
    return (
        CredentialDeliveryLink.objects.select_related(
            "credential__habilitation__organisation", "credential__habilitation__dataset"
        )
        .filter(token_hash=link_token_hash(token))
        .first()
    )


def credential_latest_link(credential: Credential) -> CredentialDeliveryLink | None:
    return CredentialDeliveryLink.objects.filter(credential=credential).first()


def secret_waiting(reveal: CredentialReveal | None, credential: Credential, now: datetime) -> bool:
    """Whether the sealed secret can still be shown (never shown, in time, not revoked)."""
    return (
        reveal is not None
        and reveal.revealed_at is None
        and bool(reveal.ciphertext)
        and reveal.expires_at > now
        and credential.revoked_at is None
    )


def credential_link_problem(
    link: CredentialDeliveryLink | None, reveal: CredentialReveal | None, now: datetime
) -> str | None:
    """Why the link shows nothing (``unknown``, ``used``, ``replaced``, ``expired`` or
    ``unavailable`` when the secret was shown elsewhere, revoked or dropped), or None."""
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.replaced_at is not None:
        return "replaced"
    if link.expires_at <= now:
        return "expired"
    if not secret_waiting(reveal, link.credential, now):
        return "unavailable"
    return None


# --- Request lists: search, filters, sorting -----------------------------------------------------


@dataclass(frozen=True)
class RequestFilters:
    """What a request list is narrowed to; every criterion is optional."""

    query: str = ""
    state: str = ""
    dataset_id: int | None = None
    organisation_id: int | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    order: str = "recent"


# Requests never submitted have no submission date: they come last in either direction.
REQUEST_ORDERINGS = {
    "recent": (F("updated_at").desc(), F("pk").desc()),
    "ancien": (F("updated_at").asc(), F("pk").asc()),
    "soumission-recente": (F("submitted_at").desc(nulls_last=True), F("pk").desc()),
    "soumission-ancienne": (F("submitted_at").asc(nulls_last=True), F("pk").asc()),
}
SIREN_LENGTH = 9
_NUMBER_PREFIX = re.compile(r"^(n°|no|n|#)", re.IGNORECASE)


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def requests_search(user: AnyUser, filters: RequestFilters) -> QuerySet[AuthorizationRequest]:
    """The requests the user may see (``requests_visible_to``), narrowed and sorted.

    The text is looked for in the title, the organisation's name and the dataset's title; a
    shorter number is also a request number, a longer one (SIREN or SIRET) the start of the
    organisation's SIRET, spaces and dots ignored as people copy them from documents.
    """
    requests = requests_visible_to(user)
    text = filters.query.strip()
    if text:
        condition = (
            Q(title__icontains=text)
            | Q(organisation__name__icontains=text)
            | Q(dataset__title__icontains=text)
        )
        digits = _NUMBER_PREFIX.sub("", re.sub(r"[\s.]", "", text))
        if digits.isdigit() and len(digits) >= SIREN_LENGTH:
            condition |= Q(organisation__siret__startswith=digits)
        elif digits.isdigit():
            condition |= Q(pk=int(digits))
        requests = requests.filter(condition)
    if filters.state:
        requests = requests.filter(state=filters.state)
    if filters.dataset_id is not None:
        requests = requests.filter(dataset_id=filters.dataset_id)
    if filters.organisation_id is not None:
        requests = requests.filter(organisation_id=filters.organisation_id)
    if filters.submitted_from is not None:
        requests = requests.filter(submitted_at__gte=_local_midnight(filters.submitted_from))
    if filters.submitted_to is not None:
        requests = requests.filter(
            submitted_at__lt=_local_midnight(filters.submitted_to + timedelta(days=1))
        )
    return requests.order_by(*REQUEST_ORDERINGS.get(filters.order, REQUEST_ORDERINGS["recent"]))


def request_filter_choices(
    user: AnyUser,
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The datasets and the organisations found in the requests the user may see, by name."""
    visible = requests_visible_to(user)
    datasets = list(
        Dataset.objects.filter(pk__in=visible.values("dataset_id"))
        .order_by("title", "pk")
        .values_list("pk", "title")
    )
    organisations = [
        (pk, name or siret)
        for pk, name, siret in Organisation.objects.filter(pk__in=visible.values("organisation_id"))
        .order_by("name", "siret")
        .values_list("pk", "name", "siret")
    ]
    return datasets, organisations
