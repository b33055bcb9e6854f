"""The dashboard: a consumer's requests, habilitations, credentials and usage; a provider's
requests to decide, consumers and volumes. Credential actions (renew, rotate, revoke) and the
one-time display of a new secret."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dlnuf.catalogue.models import Dataset
from dlnuf.habilitations import services
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Credential,
    Habilitation,
    RequestState,
)
from dlnuf.habilitations.perms import (
    can_manage_credentials,
    can_read_request,
    can_reveal_credential,
)
from dlnuf.habilitations.selectors import (
    credential_latest_link,
    credential_waiting_reveal,
    credentials_visible_to,
    habilitations_of_organisations,
    habilitations_of_providers,
    habilitations_visible_to,
    renewable,
    requests_to_decide,
    requests_visible_to,
    technical_contact_for,
    usage_per_dataset,
    usage_per_day,
)
from dlnuf.journal.outcomes import OUTCOME_KINDS, OutcomeCounts
from dlnuf.organisations.models import User
from dlnuf.organisations.perms import organisations_of, providers_reported_to
from dlnuf.www.dashboard_views.charts import daily_chart
from dlnuf.www.requests_views.views import badge_class

USAGE_DAYS = 30


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _dataset_titles() -> dict[str, str]:
    return dict(Dataset.objects.values_list("slug", "title"))


def _usage(**filters: Any) -> dict[str, Any]:
    now = timezone.now()
    titles = _dataset_titles()
    daily = usage_per_day(days=USAGE_DAYS, now=now, **filters)
    chart = daily_chart(daily, last_day=timezone.localdate(now), days=USAGE_DAYS)
    per_day: dict[date, OutcomeCounts] = {}
    for row in daily:
        per_day[row.day] = per_day.get(row.day, OutcomeCounts()) + row.outcomes
    per_dataset = [
        (titles.get(row.dataset_slug, row.dataset_slug), row)
        for row in usage_per_dataset(days=USAGE_DAYS, now=now, **filters)
    ]
    return {
        "chart": chart,
        "per_dataset": per_dataset,
        "total": sum((row.outcomes for _title, row in per_dataset), OutcomeCounts()),
        "per_day": [(bar.day, per_day.get(bar.day, OutcomeCounts())) for bar in chart.bars],
        "outcome_kinds": OUTCOME_KINDS,
    }


@dataclass(frozen=True)
class HabilitationRow:
    habilitation: Habilitation
    active: bool
    can_renew: bool
    # The request that granted or last amended it, when the person may read that request.
    request: AuthorizationRequest | None


def _habilitation_rows(
    user: User, habilitations: list[Habilitation], now: datetime
) -> list[HabilitationRow]:
    latest_request: dict[int, AuthorizationRequest] = {}
    readable = (
        requests_visible_to(user)
        .filter(habilitation__in=habilitations)
        .select_related("procedure")
        .order_by("decided_at", "pk")
    )
    for request in readable:
        if request.habilitation_id is not None and can_read_request(user, request):
            latest_request[request.habilitation_id] = request
    return [
        HabilitationRow(
            habilitation=habilitation,
            active=habilitation.is_active(now),
            can_renew=renewable(habilitation, now),
            request=latest_request.get(habilitation.pk),
        )
        for habilitation in habilitations
    ]


def _consumer_part(user: User) -> dict[str, Any] | None:
    organisations = list(organisations_of(user))
    if not organisations:
        return None
    now = timezone.now()
    requests = (
        requests_visible_to(user).filter(organisation__in=organisations).order_by("-updated_at")
    )
    habilitations = list(habilitations_of_organisations(user))
    credentials = [
        (
            credential,
            credential_waiting_reveal(credential) and can_reveal_credential(user, credential),
            credential.revoked_at is None and credential.expires_at > now,
        )
        for credential in credentials_visible_to(user).filter(
            habilitation__organisation__in=organisations
        )
    ]
    return {
        "organisations": organisations,
        "requests": [(item, badge_class(item.state)) for item in requests[:10]],
        "request_count": requests.count(),
        "habilitations": _habilitation_rows(user, habilitations, now),
        "credentials": credentials,
        "usage": _usage(consumer_sirets=[o.siret for o in organisations]),
    }


def _provider_part(user: User) -> dict[str, Any] | None:
    providers = list(providers_reported_to(user))
    if not providers:
        return None
    now = timezone.now()
    slugs = list(Dataset.objects.filter(provider__in=providers).values_list("slug", flat=True))
    waiting = (
        requests_visible_to(user)
        .filter(dataset__provider__in=providers, state=RequestState.SUBMITTED)
        .order_by("submitted_at", "pk")
    )
    return {
        "providers": providers,
        "to_decide": [(item, badge_class(item.state)) for item in waiting],
        "instructs": requests_to_decide(user).exists(),
        "consumers": _habilitation_rows(user, list(habilitations_of_providers(user)), now),
        "usage": _usage(dataset_slugs=slugs),
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "www/dashboard/dashboard.html",
        {
            "title": "Tableau de bord",
            "breadcrumb_data": {"links": [], "current": "Tableau de bord"},
            "consumer": _consumer_part(user),
            "provider": _provider_part(user),
            "usage_days": USAGE_DAYS,
            "rotation_grace_hours": int(services.rotation_grace().total_seconds() // 3600),
        },
    )


@require_POST
def habilitation_renew(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    habilitation = get_object_or_404(habilitations_visible_to(user), pk=pk)
    try:
        renewed = services.habilitation_renew(habilitation=habilitation, actor=user)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            "Habilitation renouvelée jusqu'au "
            f"{date_format(timezone.localtime(renewed.expires_at), 'j F Y')}.",
        )
    return redirect("www:dashboard")


@require_POST
def credential_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    credential = get_object_or_404(credentials_visible_to(user), pk=pk)
    try:
        replacement = services.credential_rotate(credential=credential, actor=user)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
        return redirect("www:dashboard")
    messages.success(request, "Nouveau jeton émis : affichez-le maintenant et conservez-le.")
    return redirect("www:credential_reveal", pk=replacement.pk)


@require_POST
def credential_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    credential = get_object_or_404(credentials_visible_to(user), pk=pk)
    try:
        services.credential_withdraw(credential=credential, actor=user)
    except services.TransitionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"Le jeton {credential.prefix}… est révoqué.")
    return redirect("www:dashboard")


@never_cache
def credential_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """GET explains and asks for confirmation; POST shows the secret, once."""
    user = _user(request)
    credential: Credential = get_object_or_404(credentials_visible_to(user), pk=pk)
    if not can_reveal_credential(user, credential):
        raise PermissionDenied("Seuls les demandeurs de l'organisation titulaire voient ce jeton.")
    context: dict[str, Any] = {
        "title": "Afficher un jeton",
        "breadcrumb_data": {
            "links": [{"url": reverse("www:dashboard"), "title": "Tableau de bord"}],
            "current": "Afficher un jeton",
        },
        "credential": credential,
        "waiting": credential_waiting_reveal(credential),
        "can_rotate": can_manage_credentials(user, credential.habilitation),
        "latest_link": credential_latest_link(credential),
        "technical_contact": technical_contact_for(credential.habilitation),
        "link_days": settings.DLNUF_CREDENTIAL_LINK_DAYS,
    }
    if request.method == "POST":
        try:
            context["secret"] = services.credential_reveal(credential=credential, actor=user)
        except services.TransitionRefused as refused:
            messages.error(request, refused.message)
            return redirect("www:credential_reveal", pk=credential.pk)
    return render(request, "www/dashboard/reveal.html", context)
