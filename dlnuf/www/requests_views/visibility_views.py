"""The provider's instructors set what people see of the consultations a habilitation allows:
a delay the law may grant (an investigation), and whether the case reference is shown."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from dlnuf.habilitations import services
from dlnuf.habilitations.perms import can_set_subject_visibility
from dlnuf.habilitations.selectors import requests_visible_to
from dlnuf.organisations.models import User
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import FrenchIntegerField

TITLE = "Affichage des consultations aux usagers"


class SubjectVisibilityForm(PortalForm):
    delay_days = FrenchIntegerField(
        label="Délai avant affichage à l'usager, en jours",
        help_text="Laissez vide pour montrer chaque consultation dès qu'elle a lieu. Entre 1 et "
        f"{services.SUBJECT_VISIBILITY_MAX_DELAY_DAYS} jours, seulement quand un texte le permet "
        "(enquête pour fraude, par exemple).",
        required=False,
        minimum=1,
        maximum=services.SUBJECT_VISIBILITY_MAX_DELAY_DAYS,
    )
    delay_reference = forms.CharField(
        label="Texte qui autorise ce délai",
        help_text="Article et texte, par exemple « Article L114-17 du code de la sécurité "
        "sociale ». Obligatoire avec un délai.",
        required=False,
        max_length=services.SUBJECT_VISIBILITY_REFERENCE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": "Le texte est trop long (%(limit_value)d caractères au plus) : citez "
            "l'article et le texte."
        },
    )
    sees_case_reference = forms.BooleanField(
        label="Montrer à l'usager la référence du dossier",
        help_text="À cocher seulement si l'organisation consommatrice l'a demandé : la "
        "référence (paramètre « object ») apparaîtra sur « Mes données ».",
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("delay_days") is not None and not cleaned.get("delay_reference", "").strip():
            self.add_error(
                "delay_reference",
                "Indiquez le texte qui autorise ce délai (article, loi ou décret).",
            )
        return cleaned


def request_subject_visibility(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    item = get_object_or_404(requests_visible_to(user), pk=pk)
    habilitation = item.habilitation
    if habilitation is None:
        raise Http404("Cette demande n'a pas d'habilitation.")
    if not can_set_subject_visibility(user, habilitation):
        raise PermissionDenied(
            "Seuls les instructeurs du fournisseur de la donnée règlent cet affichage."
        )
    if request.method == "POST":
        form = SubjectVisibilityForm(request.POST)
        if form.is_valid():
            try:
                services.habilitation_set_subject_visibility(
                    habilitation=habilitation,
                    actor=user,
                    delay_days=form.cleaned_data["delay_days"],
                    delay_reference=form.cleaned_data["delay_reference"],
                    sees_case_reference=form.cleaned_data["sees_case_reference"],
                )
            except services.TransitionRefused as refused:
                form.add_error(None, refused.message)
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, "L'affichage aux usagers est enregistré.")
                return redirect("www:request_detail", pk=item.pk)
    else:
        form = SubjectVisibilityForm(
            initial={
                "delay_days": habilitation.subject_visibility_delay_days,
                "delay_reference": habilitation.subject_visibility_delay_reference,
                "sees_case_reference": habilitation.subject_sees_case_reference,
            }
        )
    return render(
        request,
        "www/requests/subject_visibility.html",
        {
            "title": f"{TITLE} — demande n° {item.pk}",
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("www:requests"), "title": "Habilitations"},
                    {
                        "url": reverse("www:request_detail", args=[item.pk]),
                        "title": f"Demande n° {item.pk}",
                    },
                ],
                "current": TITLE,
            },
            "item": item,
            "habilitation": habilitation,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )
