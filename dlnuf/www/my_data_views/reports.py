"""« Signaler une consultation »: the report form of one access line, and the page where the
person follows their report through the guichet's signed follow link.

The form opens only on an entry the viewer may see (keyed for them, not deferred): any other
position answers 404, the same as a position that does not exist.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dlnuf.people.models import ConsultationReport
from dlnuf.people.reports import (
    MAX_DETAILS_LENGTH,
    EntryNotFound,
    ReportReason,
    consultation_report_create,
    described_entry,
)
from dlnuf.people.viewers import Viewer, company_viewers, person_viewer
from dlnuf.support.models import MessageKind, SupportMessage, SupportRequest
from dlnuf.support.services import support_message_from_requester
from dlnuf.support.tokens import follow_token, request_from_follow_token
from dlnuf.www.forms import PortalForm
from dlnuf.www.support_views.views import private_link_page

TITLE = "Signaler une consultation"


def reporting_viewer(request: HttpRequest) -> Viewer | None:
    """Whoever may report: the signed-in person, or an agent for all their organisations."""
    person = person_viewer(request)
    if person is not None:
        return person
    companies = company_viewers(request)
    if not companies:
        return None
    return Viewer(
        kind="company",
        display_name=", ".join(viewer.display_name for viewer in companies),
        subject_keys=tuple(
            dict.fromkeys(key for viewer in companies for key in viewer.subject_keys)
        ),
        signed_in_with="portal",
    )


class ReportForm(PortalForm):
    reasons = forms.MultipleChoiceField(
        label="Qu'est-ce qui vous surprend ?",
        help_text="Cochez une ou plusieurs raisons.",
        choices=ReportReason.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choisissez au moins une raison.",
            "invalid_choice": "Choisissez les raisons dans la liste.",
        },
    )
    details = forms.CharField(
        label="Précisions",
        help_text="Ce que vous voulez ajouter. N'écrivez pas d'informations personnelles dont "
        "l'administration n'a pas besoin.",
        required=False,
        max_length=MAX_DETAILS_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": "Écrivez %(limit_value)d caractères au plus."},
    )
    email = forms.EmailField(
        label="Votre adresse électronique",
        help_text="Pour recevoir la réponse. Elle reste au guichet : elle n'est pas transmise "
        "à l'administration. Format attendu : nom@domaine.fr",
        error_messages={
            "required": "Indiquez l'adresse où recevoir la réponse.",
            "invalid": "Saisissez une adresse électronique valide, par exemple nom@domaine.fr.",
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if (
            ReportReason.OTHER in cleaned.get("reasons", [])
            and not cleaned.get("details", "").strip()
        ):
            self.add_error(
                "details", "Vous avez choisi « Autre raison » : précisez-la en quelques mots."
            )
        return cleaned


@login_not_required
@require_http_methods(["GET", "POST"])
def my_data_report(request: HttpRequest, index: int) -> HttpResponse:
    viewer = reporting_viewer(request)
    if viewer is None:
        return redirect(reverse("www:my_data_sign_in") + f"?next={request.path}")
    try:
        access = described_entry(viewer, index)
    except EntryNotFound as missing:
        raise Http404("Consultation introuvable.") from missing
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                report = consultation_report_create(
                    viewer=viewer,
                    index=index,
                    reasons=form.cleaned_data["reasons"],
                    details=form.cleaned_data["details"],
                    email=form.cleaned_data["email"],
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(
                    request,
                    "Votre signalement est envoyé. Un accusé de réception avec le lien de cette "
                    "page vous est envoyé par courriel.",
                )
                return redirect(
                    "www:my_data_report_follow", token=follow_token(report.support_request)
                )
        status = 400
    else:
        form = ReportForm()
    return render(
        request,
        "www/my_data/report.html",
        {
            "title": f"Erreur : {TITLE}" if form.errors else TITLE,
            "breadcrumb_data": {
                "links": [{"url": reverse("www:my_data"), "title": "Mes données"}],
                "current": TITLE,
            },
            "access": access,
            "form": form,
        },
        status=status,
    )


class ReportReplyForm(PortalForm):
    body = forms.CharField(
        label="Votre message",
        max_length=MAX_DETAILS_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Écrivez votre message avant de l'envoyer.",
            "max_length": "Écrivez %(limit_value)d caractères au plus.",
        },
    )


def _report_of(token: str) -> tuple[SupportRequest, ConsultationReport]:
    support_request = request_from_follow_token(token)
    report = (
        ConsultationReport.objects.filter(support_request=support_request).first()
        if support_request is not None
        else None
    )
    if support_request is None or report is None:
        raise Http404("Lien de suivi inconnu, modifié ou révoqué.")
    return support_request, report


@login_not_required
@require_http_methods(["GET", "POST"])
@private_link_page
def my_data_report_follow(request: HttpRequest, token: str) -> HttpResponseBase:
    support_request, report = _report_of(token)
    status = 200
    form = ReportReplyForm()
    if request.method == "POST":
        form = ReportReplyForm(request.POST)
        if form.is_valid():
            support_message_from_requester(
                request=support_request,
                body=form.cleaned_data["body"],
                author_email=support_request.requester_email,
            )
            messages.success(request, "Votre message a été transmis au guichet.")
            return redirect(
                reverse("www:my_data_report_follow", kwargs={"token": token}) + "#echanges"
            )
        status = 400
    exchanges = list(
        SupportMessage.objects.filter(
            request=support_request,
            kind__in=(MessageKind.FROM_REQUESTER, MessageKind.TO_REQUESTER),
        )
        .exclude(sent_at=support_request.created_at)
        .select_related("author")
    )
    title = f"Votre signalement {support_request.reference}"
    return render(
        request,
        "www/my_data/report_follow.html",
        {
            "title": f"Erreur : {title}" if form.errors else title,
            "breadcrumb_data": {"links": [], "current": title},
            "support_request": support_request,
            "report": report,
            "exchanges": exchanges,
            "form": form,
        },
        status=status,
    )
