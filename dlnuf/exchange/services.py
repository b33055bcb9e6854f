"""The exchange: one call through the gateway, from the credential to the journaled answer.

Order of the checks: the credential (401, not journaled: nobody is authenticated), then the rate
limit, the dataset and scopes, the parameters, the provider call, the minimisation. From the rate
limit on, every outcome is journaled exactly once before the answer leaves; when the journal
cannot be written the answer is 503 ``journal_unavailable`` and carries no data. The journal lives
in the database, so any database error on the way (the credential read, the catalogue, counters
kept in the database) means the same: 503 ``journal_unavailable``, no data, and the next call
tries again with a fresh connection.

The exchange deliberately runs outside any database transaction: the journal commits its own
entry, and no transaction may stay open while a provider takes its time.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseError
from django.utils import timezone

from dlnuf.counters import SharedStateError
from dlnuf.exchange.breakers import (
    BreakerPermit,
    CircuitOpen,
    breaker_failure,
    breaker_permit,
    breaker_success,
)
from dlnuf.exchange.connectors.base import (
    ProviderAnswer,
    ProviderCall,
    ProviderFailure,
    Target,
    resolve_target,
)
from dlnuf.exchange.connectors.registry import connector_for
from dlnuf.exchange.datasets import DatasetRuntime, EndpointRuntime, dataset_lookup
from dlnuf.exchange.errors import ExchangeRefused
from dlnuf.exchange.parameters import (
    TRACE_RULES,
    Trace,
    birth_date_consistent,
    check_values,
    recipient_is_not_subject,
    subject_identity,
)
from dlnuf.exchange.ratelimits import rate_limit_hit
from dlnuf.exchange.response_cache import (
    response_cache_get,
    response_cache_key,
    response_cache_put,
    response_cache_seconds,
)
from dlnuf.habilitations.models import Environment
from dlnuf.habilitations.selectors import Grant, grant_for_secret_hash
from dlnuf.habilitations.services import credential_hash
from dlnuf.journal.services import ExchangeRecord, JournalUnavailable, journal_record
from dlnuf.journal.subjects import subject_key

_DATASET_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
# Paths are names chosen by the provider: a few tell where to look, the count tells how many.
_UNEXPECTED_LOGGED = 10
# A shared store that failed is usually back (restarted, failed over) within seconds.
_SHARED_STATE_RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExchangeSuccess:
    data: Any
    links: dict[str, Any]
    provider: str
    exchange_id: uuid.UUID
    journal_index: int
    from_cache: bool
    headers: dict[str, str]


@dataclass(frozen=True)
class ExchangeFailure:
    refusal: ExchangeRefused
    # None when the exchange was refused before authentication, hence not journaled.
    exchange_id: uuid.UUID | None
    headers: dict[str, str]


ExchangeOutcome = ExchangeSuccess | ExchangeFailure


@dataclass
class _Exchange:
    """What the journal entry will say; filled in as the checks pass."""

    grant: Grant
    dataset_slug: str
    occurred_at: datetime
    started: float
    exchange_id: uuid.UUID = field(default_factory=uuid.uuid4)
    provider: str = ""
    scopes: tuple[str, ...] = ()
    trace: dict[str, str] = field(default_factory=dict)
    subject_key: str = ""

    def journal(
        self,
        *,
        status: int,
        code: str,
        fields_returned: tuple[str, ...] = (),
        unexpected_fields_removed: bool = False,
    ) -> int:
        return journal_record(
            ExchangeRecord(
                exchange_id=self.exchange_id,
                occurred_at=self.occurred_at,
                consumer_siret=self.grant.organisation_siret,
                habilitation_id=self.grant.habilitation_id,
                credential_id=self.grant.credential_id,
                dataset_slug=self.dataset_slug,
                scopes=self.scopes,
                fields_returned=fields_returned,
                recipient=self.trace.get("recipient", ""),
                context=self.trace.get("context", ""),
                object=self.trace.get("object", ""),
                provider=self.provider,
                status=status,
                code=code,
                latency_ms=(time.perf_counter() - self.started) * 1000,
                subject_key=self.subject_key,
                unexpected_fields_removed=unexpected_fields_removed,
            )
        )


def exchange_perform(
    *,
    dataset_slug: str,
    secret: str,
    query: Mapping[str, Sequence[str]],
    bypass_cache: bool = False,
) -> ExchangeOutcome:
    """Answer one call of ``GET /api/v1/data/<dataset_slug>`` made with credential ``secret``."""
    started = time.perf_counter()
    occurred_at = timezone.now()
    try:
        grant = credential_authenticate(secret=secret, now=occurred_at)
    except ExchangeRefused as refusal:
        return ExchangeFailure(refusal=refusal, exchange_id=None, headers={})
    try:
        return _exchange_authenticated(
            grant=grant,
            dataset_slug=dataset_slug,
            query=query,
            bypass_cache=bypass_cache,
            occurred_at=occurred_at,
            started=started,
        )
    except DatabaseError:
        # The journal shares the database: with the database down no entry can be written, so
        # no data may leave, whatever step failed.
        logger.warning("Base de données indisponible pendant un échange", exc_info=True)
        return ExchangeFailure(
            refusal=ExchangeRefused("journal_unavailable"), exchange_id=None, headers={}
        )


def _exchange_authenticated(
    *,
    grant: Grant,
    dataset_slug: str,
    query: Mapping[str, Sequence[str]],
    bypass_cache: bool,
    occurred_at: datetime,
    started: float,
) -> ExchangeOutcome:
    exchange = _Exchange(
        grant=grant,
        # The slug comes from the URL: anything that cannot be one is not worth recording.
        dataset_slug=dataset_slug if _DATASET_SLUG.fullmatch(dataset_slug) else "",
        occurred_at=occurred_at,
        started=started,
    )
    try:
        limit = rate_limit_hit(
            credential_id=grant.credential_id,
            limit=grant.rate_limit_per_minute or settings.DLNUF_RATE_LIMIT_PER_MINUTE,
        )
    except SharedStateError:
        logger.warning("Stockage partagé indisponible pour la limite d'appels", exc_info=True)
        return _refused(exchange, _shared_state_unavailable(), {})
    headers = limit.headers()
    try:
        if limit.exceeded:
            raise ExchangeRefused("rate_limited", retry_after=limit.reset_seconds)
        runtime = _granted_dataset(exchange, dataset_slug)
        answer, from_cache = _fetched(exchange, runtime, query, bypass_cache=bypass_cache)
        minimised = runtime.minimiser(grant.scope_slugs).minimise(answer.data, links=answer.links)
    except ExchangeRefused as refusal:
        return _refused(exchange, refusal, headers)
    if minimised.unexpected:
        logger.warning(
            "Champs inattendus retirés de la réponse de %s pour %s (échange %s) : %d, %s",
            exchange.provider,
            runtime.slug,
            exchange.exchange_id,
            len(minimised.unexpected),
            ", ".join(minimised.unexpected[:_UNEXPECTED_LOGGED]),
        )
    try:
        journal_index = exchange.journal(
            status=200,
            code="ok",
            fields_returned=minimised.fields_returned,
            unexpected_fields_removed=bool(minimised.unexpected),
        )
    except JournalUnavailable:
        return _journal_unavailable(exchange, headers)
    return ExchangeSuccess(
        data=minimised.data,
        links=minimised.links,
        provider=exchange.provider,
        exchange_id=exchange.exchange_id,
        journal_index=journal_index,
        from_cache=from_cache,
        headers={**headers, "X-Response-Cached": "true" if from_cache else "false"},
    )


def credential_authenticate(*, secret: str, now: datetime) -> Grant:
    """The grant of a usable credential, or ExchangeRefused saying why it is not usable.

    The credential is read from the database on every call; with the database down nothing can
    be journaled either, hence ``journal_unavailable`` (503) rather than an error page.
    """
    try:
        grant = grant_for_secret_hash(credential_hash(secret)) if secret else None
    except DatabaseError:
        logger.warning("Base de données indisponible pour lire le jeton", exc_info=True)
        raise ExchangeRefused("journal_unavailable") from None
    if grant is None:
        raise ExchangeRefused("credential_missing" if not secret else "credential_unknown")
    if grant.revoked:
        raise ExchangeRefused("credential_revoked")
    if grant.expires_at <= now:
        raise ExchangeRefused("credential_expired")
    return grant


def _refused(
    exchange: _Exchange, refusal: ExchangeRefused, headers: dict[str, str]
) -> ExchangeFailure:
    if refusal.retry_after is not None:
        headers = {**headers, "Retry-After": str(refusal.retry_after)}
    try:
        exchange.journal(status=refusal.status, code=refusal.code)
    except JournalUnavailable:
        return _journal_unavailable(exchange, headers)
    return ExchangeFailure(refusal=refusal, exchange_id=exchange.exchange_id, headers=headers)


def _journal_unavailable(exchange: _Exchange, headers: dict[str, str]) -> ExchangeFailure:
    # No exchange_id: nothing was recorded under it, so it could not be looked up.
    return ExchangeFailure(
        refusal=ExchangeRefused("journal_unavailable"), exchange_id=None, headers=headers
    )


def _granted_dataset(exchange: _Exchange, slug: str) -> DatasetRuntime:
    if not exchange.dataset_slug:
        raise ExchangeRefused("dataset_unknown")
    lookup = dataset_lookup(slug)
    if exchange.grant.dataset_slug != slug:
        if not lookup.exists:
            raise ExchangeRefused("dataset_unknown")
        raise ExchangeRefused(
            "dataset_not_granted",
            detail=f"Votre habilitation porte sur « {exchange.grant.dataset_slug} », pas sur "
            f"« {slug} ».",
        )
    runtime = lookup.runtime
    if runtime is None or not runtime.endpoints:
        raise ExchangeRefused("dataset_unknown")
    exchange.provider = runtime.provider_slug
    scopes = exchange.grant.scope_slugs & runtime.scope_fields.keys()
    if not scopes:
        raise ExchangeRefused("scope_not_granted")
    exchange.scopes = tuple(sorted(scopes))
    return runtime


def _checked_trace(exchange: _Exchange, query: Mapping[str, Sequence[str]]) -> Trace:
    for name, rule in TRACE_RULES.items():
        values = query.get(name)
        if not values or values == [""]:
            raise ExchangeRefused(
                "missing_parameter",
                parameter=name,
                detail=f"Le paramètre de traçabilité « {name} » est obligatoire : "
                f"{rule.expectation}.",
            )
        exchange.trace[name] = check_values(rule, values)[0]
    trace = Trace(**exchange.trace)
    if trace.recipient != exchange.grant.organisation_siret:
        raise ExchangeRefused("recipient_mismatch", parameter="recipient")
    return trace


def _unknown_parameters_refused(
    runtime: DatasetRuntime, query: Mapping[str, Sequence[str]]
) -> None:
    unknown = sorted(name for name in query if name not in runtime.accepted)
    if unknown:
        raise ExchangeRefused(
            "unknown_parameter",
            parameter=unknown[0],
            detail=f"{'Paramètre non accepté' if len(unknown) == 1 else 'Paramètres non acceptés'} "
            f"par « {runtime.slug} » : {', '.join(unknown)}. "
            f"Paramètres acceptés : {', '.join(sorted(runtime.accepted))}.",
        )


def _checked_subject(
    runtime: DatasetRuntime, query: Mapping[str, Sequence[str]], *, sandbox: bool
) -> tuple[EndpointRuntime, dict[str, list[str]]]:
    rules = runtime.sandbox_rules if sandbox else runtime.rules
    values = {
        name: check_values(rules[name], given) for name, given in query.items() if name in rules
    }
    endpoint = runtime.endpoint_for(values)
    if endpoint is None:
        first = runtime.endpoints[0]
        missing = next(name for name in first.required if name not in values)
        ways = " ; ou ".join(", ".join(endpoint.required) for endpoint in runtime.endpoints)
        raise ExchangeRefused(
            "missing_parameter",
            parameter=missing,
            detail=f"Le paramètre « {missing} » est obligatoire. Identifiez le sujet par : {ways}.",
        )
    used = {name: given for name, given in values.items() if name in endpoint.parameter_names}
    birth_date_consistent(used)
    return endpoint, used


def _fetched(
    exchange: _Exchange,
    runtime: DatasetRuntime,
    query: Mapping[str, Sequence[str]],
    *,
    bypass_cache: bool,
) -> tuple[ProviderAnswer, bool]:
    _unknown_parameters_refused(runtime, query)
    trace = _checked_trace(exchange, query)
    target = resolve_target(
        runtime.connector,
        sandbox_credential=exchange.grant.environment == Environment.SANDBOX,
    )
    endpoint, values = _checked_subject(runtime, query, sandbox=target.is_sandbox)
    recipient_is_not_subject(trace.recipient, values)
    exchange.subject_key = subject_key(subject_identity(values, endpoint.required))
    path_names = set(endpoint.path_names())
    call = ProviderCall(
        path=endpoint.path(values),
        params=tuple(
            (name, value)
            for name, given in values.items()
            if name not in path_names
            for value in given
        ),
        trace=trace,
    )
    cache_seconds = response_cache_seconds(
        holds_personal_data=runtime.holds_personal_data,
        dataset_seconds=runtime.response_cache_seconds,
    )
    if not cache_seconds:
        return _called(runtime, call, target), False
    key = response_cache_key(
        dataset_slug=runtime.slug,
        endpoint_name=endpoint.name,
        target=target.base_url,
        params=[*call.params, ("", call.path)],
    )
    if not bypass_cache:
        try:
            cached = response_cache_get(key)
        except SharedStateError:
            # A cache that cannot answer is a miss: the provider is asked, as without a cache.
            logger.warning("Cache des réponses indisponible", exc_info=True)
            cached = None
        if cached is not None:
            data, links = cached
            return ProviderAnswer(data=data, links=links), True
    answer = _called(runtime, call, target)
    try:
        response_cache_put(key, data=answer.data, links=answer.links, seconds=cache_seconds)
    except SharedStateError:
        logger.warning("Cache des réponses indisponible", exc_info=True)
    return answer, False


def _shared_state_unavailable() -> ExchangeRefused:
    return ExchangeRefused(
        "shared_state_unavailable", retry_after=_SHARED_STATE_RETRY_AFTER_SECONDS
    )


def _breaker_outcome(record: Callable[[BreakerPermit], None], permit: BreakerPermit) -> None:
    # The provider has answered: losing the breaker's count of it must not lose the answer.
    try:
        record(permit)
    except SharedStateError:
        logger.warning("Stockage partagé indisponible pour le disjoncteur", exc_info=True)


def _called(runtime: DatasetRuntime, call: ProviderCall, target: Target) -> ProviderAnswer:
    try:
        permit = breaker_permit(target.breaker_name)
    except CircuitOpen as circuit:
        raise ExchangeRefused("circuit_open", retry_after=circuit.retry_after) from None
    except SharedStateError:
        # Whether the provider is suspended is unknown: no call goes out uncounted.
        logger.warning("Stockage partagé indisponible pour le disjoncteur", exc_info=True)
        raise _shared_state_unavailable() from None
    try:
        answer = connector_for(runtime.connector).fetch(call, target)
    except ProviderFailure as failure:
        _breaker_outcome(breaker_failure if failure.breaker_failure else breaker_success, permit)
        raise ExchangeRefused(
            failure.code,
            detail=failure.detail,
            provider_code=failure.provider_code,
            retry_after=failure.retry_after,
        ) from None
    _breaker_outcome(breaker_success, permit)
    return answer
