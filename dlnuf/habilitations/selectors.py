"""Reads on habilitations, including the gateway's hot-path credential lookup."""

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache

from dlnuf.habilitations.models import Credential

# Revocation deletes the cached entry at once (same cache for every worker when REDIS_URL is
# set); the time-to-live only bounds how long a catalogue change to scopes takes to apply.
_GRANT_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Grant:
    """What a credential allows, flattened so the gateway need not touch the database."""

    credential_id: int
    habilitation_id: int
    organisation_siret: str
    dataset_slug: str
    scope_slugs: frozenset[str]
    environment: str
    expires_at: datetime
    revoked: bool
    rate_limit_per_minute: int | None


def _cache_key(secret_hash: str) -> str:
    return f"dlnuf:grant:{secret_hash}"


def grant_for_secret_hash(secret_hash: str) -> Grant | None:
    """The grant of the credential with this hash, or None when no such credential exists."""
    key = _cache_key(secret_hash)
    cached = cache.get(key)
    if cached is not None:
        return cached if isinstance(cached, Grant) else None
    credential = (
        Credential.objects.select_related("habilitation__organisation", "habilitation__dataset")
        .filter(secret_hash=secret_hash)
        .first()
    )
    if credential is None:
        # Remember unknown secrets briefly too, so that guessing costs no database query.
        cache.set(key, False, _GRANT_CACHE_SECONDS)
        return None
    habilitation = credential.habilitation
    grant = Grant(
        credential_id=credential.pk,
        habilitation_id=habilitation.pk,
        organisation_siret=habilitation.organisation.siret,
        dataset_slug=habilitation.dataset.slug,
        scope_slugs=frozenset(habilitation.scopes.values_list("slug", flat=True)),
        environment=credential.environment,
        expires_at=min(credential.expires_at, habilitation.expires_at),
        revoked=credential.revoked_at is not None or habilitation.revoked_at is not None,
        rate_limit_per_minute=credential.rate_limit_per_minute,
    )
    cache.set(key, grant, _GRANT_CACHE_SECONDS)
    return grant


def forget_grant(secret_hash: str) -> None:
    cache.delete(_cache_key(secret_hash))
