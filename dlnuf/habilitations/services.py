import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations.models import Credential, Environment, Habilitation
from dlnuf.habilitations.selectors import forget_grant
from dlnuf.organisations.models import Organisation

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
def credential_revoke(*, credential: Credential) -> Credential:
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.save(update_fields=["revoked_at"])
    transaction.on_commit(lambda: _forget_cached_grant(credential.secret_hash))
    return credential


@transaction.atomic
def habilitation_revoke(*, habilitation: Habilitation) -> Habilitation:
    now = timezone.now()
    if habilitation.revoked_at is None:
        habilitation.revoked_at = now
        habilitation.save(update_fields=["revoked_at"])
    hashes = list(habilitation.credentials.values_list("secret_hash", flat=True))

    def forget_all() -> None:
        for secret_hash in hashes:
            _forget_cached_grant(secret_hash)

    transaction.on_commit(forget_all)
    return habilitation


def _forget_cached_grant(secret_hash: str) -> None:
    # The gateway caches resolved credentials; revocation must take effect at once.
    forget_grant(secret_hash)
