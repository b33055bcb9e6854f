"""Forms of the experts' desk: board filters, the actions on a request, the mission's pages and
the experts' profiles. They parse and check input; the services decide."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet

from dlnuf.catalogue.models import Dataset
from dlnuf.french import date_fr
from dlnuf.organisations.models import User
from dlnuf.support.attachments import ACCEPTED_LABEL, MAX_ATTACHMENTS, IncomingFile, refusal
from dlnuf.support.missions import MAX_CAPACITY
from dlnuf.support.models import (
    FramingStatus,
    HelpKind,
    Meeting,
    Ministry,
    MissionState,
    Priority,
    RequestState,
    Skill,
)
from dlnuf.support.selectors import ExpertLoad, Suggestion
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import FrenchDecimalField, FrenchIntegerField

_DATE_ERROR = {
    "required": "Indiquez la date.",
    "invalid": "Saisissez une date valide, par exemple 15/09/2026.",
}
_EMAIL_ERROR = {"invalid": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."}
_ACCEPT = ".pdf,.png,.jpg,.jpeg,.odt,.ods,.odp,.docx,.xlsx,.pptx,.txt,.csv,.md"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _date(label: str, help_text: str = "", *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=required,
        widget=DateInput(),
        error_messages=_DATE_ERROR,
    )


def _text(label: str, *, required: bool = False, rows: int = 4, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        max_length=20_000,
        **kwargs,
    )


def incoming(upload: UploadedFile) -> IncomingFile:
    return IncomingFile(name=upload.name or "piece-jointe", data=upload.read())


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked with the guichet's attachment rules."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[IncomingFile]:
        uploads = [upload for upload in (data or []) if upload]
        if len(uploads) > MAX_ATTACHMENTS:
            raise forms.ValidationError(f"Joignez au plus {MAX_ATTACHMENTS} fichiers.")
        files = [incoming(upload) for upload in uploads]
        problems = [reason for reason in map(refusal, files) if reason]
        if problems:
            raise forms.ValidationError(problems)
        return files


class ExpertChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class ExpertsChoiceField(forms.ModelMultipleChoiceField):
    """Experts shown with their skills and load, and whether they fit the request."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe: dict[int, str] = {}

    def label_from_instance(self, obj: User) -> str:
        return self.describe.get(obj.pk, str(obj))


def describe_expert(suggestion: Suggestion) -> str:
    expert = suggestion.expert
    parts = [str(expert.user)]
    parts.append(f"charge {expert.load}/{expert.capacity}")
    if expert.over_capacity:
        parts.append("au-delà de sa capacité")
    elif expert.at_capacity:
        parts.append("capacité atteinte")
    if not expert.is_available:
        parts.append("indisponible")
    if suggestion.matches:
        parts.append("correspond : " + ", ".join(suggestion.matched_labels()))
    return " — ".join(parts)


# --- the board ---------------------------------------------------------------------------------

OPEN = ""
ALL = "toutes"
WITHOUT_LEAD = "aucun"


class BoardFilterForm(PortalForm):
    state = forms.ChoiceField(label="État", required=False)
    priority = forms.ChoiceField(
        label="Priorité", required=False, choices=[("", "Toutes"), *Priority.choices]
    )
    help_kind = forms.ChoiceField(
        label="Type d'aide", required=False, choices=[("", "Tous"), *HelpKind.choices]
    )
    ministry = forms.ChoiceField(
        label="Ministère", required=False, choices=[("", "Tous"), *Ministry.choices]
    )
    lead_expert = forms.ChoiceField(label="Expert référent", required=False)
    overdue = forms.BooleanField(label="En retard seulement", required=False)

    def __init__(self, *args: Any, experts: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            (OPEN, "À traiter (nouvelles, qualifiées, en mission)"),
            (ALL, "Toutes"),
            *RequestState.choices,
        ]
        self.fields["lead_expert"].choices = [
            ("", "Tous"),
            (WITHOUT_LEAD, "Sans référent"),
            *[(str(pk), name) for pk, name in experts],
        ]


class MissionFilterForm(PortalForm):
    state = forms.ChoiceField(
        label="État", required=False, choices=[("", "Tous"), *MissionState.choices]
    )
    lead_expert = forms.ChoiceField(label="Expert référent", required=False)

    def __init__(self, *args: Any, experts: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_expert"].choices = [
            ("", "Tous"),
            *[(str(pk), name) for pk, name in experts],
        ]


# --- actions on a request ----------------------------------------------------------------------


class QualifyForm(PortalForm):
    priority = forms.ChoiceField(label="Priorité", choices=Priority.choices)
    comment = _text("Commentaire pour l'équipe", rows=2)


class RedirectForm(PortalForm):
    explanation = _text(
        "Explication pour le demandeur",
        required=True,
        help_text="Envoyée au demandeur : à qui s'adresser, et pourquoi le guichet ne traite pas "
        "sa demande.",
        error_messages={"required": "Expliquez au demandeur vers qui se tourner."},
    )


class AssignForm(PortalForm):
    lead_expert = ExpertChoiceField(
        label="Expert référent",
        queryset=User.objects.none(),
        required=False,
        empty_label="Aucun",
    )
    team = ExpertsChoiceField(
        label="Équipe",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.ChoiceField(label="Priorité", choices=Priority.choices)

    def __init__(
        self,
        *args: Any,
        experts: QuerySet[User],
        suggestions: Sequence[Suggestion],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_experts(self, experts, suggestions)


def _set_experts(
    form: forms.Form, experts: QuerySet[User], suggestions: Sequence[Suggestion]
) -> None:
    lead = cast(ExpertChoiceField, form.fields["lead_expert"])
    team = cast(ExpertsChoiceField, form.fields["team"])
    lead.queryset = experts
    team.queryset = experts
    team.describe = {
        suggestion.expert.user.pk: describe_expert(suggestion) for suggestion in suggestions
    }


class ReplyForm(PortalForm):
    body = _text(
        "Message au demandeur",
        required=True,
        rows=6,
        help_text="Envoyé par courriel ; le demandeur peut y répondre directement.",
        error_messages={"required": "Le message est vide."},
    )
    attachments = MultipleFileField(
        label="Pièces jointes",
        required=False,
        help_text=f"{ACCEPTED_LABEL} ; {MAX_ATTACHMENTS} fichiers de 10 Mo au plus.",
        widget=MultipleFileInput(attrs={"accept": _ACCEPT}),
    )


class NoteForm(PortalForm):
    body = _text(
        "Note interne",
        required=True,
        help_text="Visible de l'équipe seulement, jamais envoyée.",
        error_messages={"required": "La note est vide."},
    )


class CommentForm(PortalForm):
    """A workflow action with its comment (required when the transition table says so)."""

    comment = _text("Commentaire", rows=2)

    def __init__(self, *args: Any, comment_required: bool, label: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["comment"]
        field.required = comment_required
        if label:
            field.label = label
        field.error_messages["required"] = "Une explication est nécessaire."


class OpenMissionForm(PortalForm):
    title = forms.CharField(label="Intitulé de la mission", max_length=255)
    lead_expert = ExpertChoiceField(
        label="Expert référent",
        queryset=User.objects.none(),
        empty_label=None,
        error_messages={"required": "Choisissez l'expert référent."},
    )
    team = ExpertsChoiceField(
        label="Équipe",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    help_kinds = forms.MultipleChoiceField(
        label="Types d'aide",
        choices=HelpKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        experts: QuerySet[User],
        suggestions: Sequence[Suggestion],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_experts(self, experts, suggestions)


# --- the mission -------------------------------------------------------------------------------


class MissionDetailsForm(PortalForm):
    title = forms.CharField(label="Intitulé", max_length=255)
    help_kinds = forms.MultipleChoiceField(
        label="Types d'aide",
        choices=HelpKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    director_name = forms.CharField(label="Directeur ou directrice", max_length=200, required=False)
    director_email = forms.EmailField(
        label="Son adresse électronique", required=False, error_messages=_EMAIL_ERROR
    )
    project_lead_name = forms.CharField(label="Chef de projet", max_length=200, required=False)
    project_lead_email = forms.EmailField(
        label="Adresse du chef de projet", required=False, error_messages=_EMAIL_ERROR
    )


class AgreementForm(PortalForm):
    agreement_note = _text(
        "Note d'accord",
        rows=5,
        help_text="Qui, quoi, jusqu'à quand : la seule formalité de la mission.",
    )
    agreed_until = _date("Jusqu'au", required=False)


class DatasetsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Dataset) -> str:
        return f"{obj.title} ({obj.provider})"


class KnowledgeForm(PortalForm):
    problem = _text("Problème rencontré")
    solution = _text("Solution retenue")
    datasets = DatasetsField(
        label="Données du catalogue utilisées",
        queryset=Dataset.objects.none(),
        required=False,
        help_text="Maintenez Ctrl (ou Cmd) pour en choisir plusieurs.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    closing_summary = _text(
        "Bilan de la mission",
        rows=5,
        help_text="Nécessaire pour clore la mission ; envoyé au demandeur avec la demande d'avis.",
    )

    def __init__(self, *args: Any, with_summary: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["datasets"].queryset = (
            Dataset.objects.filter(is_active=True).select_related("provider").order_by("title")
        )
        if not with_summary:
            del self.fields["closing_summary"]


class FramingItemForm(PortalForm):
    """One topic of the checklist: its status, notes and, optionally, a deliverable, saved
    together so that choosing a file never drops the notes being typed."""

    status = forms.ChoiceField(label="Statut", choices=FramingStatus.choices)
    notes = _text("Notes", rows=8)
    deliverable = forms.FileField(
        label="Ajouter un livrable",
        help_text=f"{ACCEPTED_LABEL} ; 10 Mo au plus.",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": _ACCEPT}),
        error_messages={"empty": "Le fichier est vide."},
    )

    def clean_deliverable(self) -> IncomingFile | None:
        upload = self.cleaned_data["deliverable"]
        if not upload:
            return None
        file = incoming(upload)
        reason = refusal(file)
        if reason:
            raise forms.ValidationError(reason)
        return file


class MeetingForm(PortalForm):
    held_on = _date("Date de la réunion")
    title = forms.CharField(
        label="Objet", max_length=255, error_messages={"required": "Indiquez l'objet."}
    )
    participants = _text("Participants", rows=2)
    notes = _text("Compte rendu")


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return f"{date_fr(obj.held_on)} — {obj.title}"


class DecisionForm(PortalForm):
    decided_on = _date("Date de la décision")
    text = _text(
        "Décision",
        required=True,
        help_text="Un avenant à la note d'accord se consigne ici.",
        error_messages={"required": "Rédigez la décision."},
    )
    meeting = MeetingChoiceField(
        label="Prise lors de la réunion",
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="Hors réunion",
    )

    def __init__(self, *args: Any, meetings: QuerySet[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


class TimeEntryForm(PortalForm):
    worked_on = _date("Date")
    hours = FrenchDecimalField(
        label="Heures",
        help_text="De 0,25 à 24, par quart d'heure par exemple 1,5.",
        minimum=Decimal("0.25"),
        maximum=24,
        decimal_places=2,
        error_messages={
            "required": "Indiquez le nombre d'heures.",
            "min_value": "Le temps passé va d'un quart d'heure (0,25) à 24 heures par jour.",
            "max_value": "Le temps passé va d'un quart d'heure (0,25) à 24 heures par jour.",
        },
    )
    note = forms.CharField(label="Objet", max_length=255, required=False)


class ConsultantCostForm(PortalForm):
    supplier = forms.CharField(
        label="Prestataire", max_length=200, error_messages={"required": "Indiquez le prestataire."}
    )
    description = forms.CharField(
        label="Prestation",
        max_length=255,
        error_messages={"required": "Décrivez la prestation."},
    )
    amount_eur = FrenchDecimalField(
        label="Montant en euros TTC",
        help_text="Par exemple 1 250,50.",
        minimum=Decimal("0.01"),
        maximum=Decimal("9999999999.99"),
        decimal_places=2,
        error_messages={"required": "Indiquez le montant."},
    )
    incurred_on = _date("Date de la facture")


# --- experts' profiles -------------------------------------------------------------------------


class ExpertProfileForm(PortalForm):
    skills = forms.MultipleChoiceField(
        label="Compétences",
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = FrenchIntegerField(
        label="Missions en parallèle",
        minimum=1,
        maximum=MAX_CAPACITY,
        error_messages={
            "required": "Indiquez le nombre de missions.",
            "min_value": "Au moins une mission.",
            "max_value": f"Au plus {MAX_CAPACITY} missions.",
        },
    )
    is_available = forms.BooleanField(label="Disponible pour de nouvelles missions", required=False)

    @classmethod
    def for_expert(cls, expert: ExpertLoad, data: Any = None) -> "ExpertProfileForm":
        return cls(
            data,
            prefix=f"expert-{expert.user.pk}",
            initial={
                "skills": list(expert.skills),
                "capacity": expert.capacity,
                "is_available": expert.is_available,
            },
        )
