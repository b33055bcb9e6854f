"""Forms of the habilitation request pages: the request itself, decisions and messages."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet

from dlnuf.catalogue.models import Dataset, Scope
from dlnuf.habilitations.models import AuthorizationRequest, LegalBasisNature
from dlnuf.habilitations.services import DEFAULT_TERM_MONTHS, EDITABLE_FIELDS, MAX_TERM_MONTHS
from dlnuf.habilitations.validation import (
    RETENTION_WITHOUT_JUSTIFICATION_MONTHS,
    check_pdf_upload,
    field_errors,
)
from dlnuf.organisations.models import Organisation
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import FrenchIntegerField

_EMAIL_ERROR = {"invalid": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."}
_DATE_ERROR = {"invalid": "Saisissez une date valide, par exemple 15/09/2026."}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class ScopeChoiceField(forms.ModelMultipleChoiceField):
    """Each scope shown with what it reveals."""

    def label_from_instance(self, obj: Scope) -> str:
        if obj.description:
            return f"{obj.label} — {obj.description}"
        return obj.label


def _text(label: str, help_text: str = "", *, max_length: int = 255) -> forms.CharField:
    return forms.CharField(label=label, help_text=help_text, required=False, max_length=max_length)


def _long_text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


def _email(label: str) -> forms.EmailField:
    return forms.EmailField(label=label, required=False, error_messages=_EMAIL_ERROR)


class DatasetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Dataset) -> str:
        return f"{obj.title} ({obj.provider})"


class NewRequestForm(PortalForm):
    dataset = DatasetChoiceField(
        label="Donnée demandée",
        queryset=Dataset.objects.none(),
        empty_label="Choisissez une donnée",
        error_messages={"required": "Choisissez la donnée demandée."},
    )
    organisation = forms.ModelChoiceField(
        label="Organisation demandeuse",
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages={"required": "Choisissez l'organisation demandeuse."},
    )

    def __init__(
        self,
        *args: Any,
        datasets: QuerySet[Dataset],
        organisations: QuerySet[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        dataset_field = self.fields["dataset"]
        organisation_field = self.fields["organisation"]
        assert isinstance(dataset_field, forms.ModelChoiceField)
        assert isinstance(organisation_field, forms.ModelChoiceField)
        dataset_field.queryset = datasets
        organisation_field.queryset = organisations


class RequestForm(PortalForm):
    """The blocks of a request. A draft may be saved incomplete; submitting checks the rest."""

    # Fields grouped as the page shows them: (legend, field names).
    BLOCKS = (
        ("Description et finalité", ("title", "purpose", "procedure_names")),
        ("Périmètres de données", ("scopes",)),
        (
            "Cadre juridique",
            (
                "legal_basis_nature",
                "legal_basis_article",
                "legal_basis_url",
                "legal_basis_upload",
            ),
        ),
        (
            "Données personnelles",
            ("data_recipients", "retention_months", "retention_justification"),
        ),
        (
            "Contacts",
            (
                "business_contact_name",
                "business_contact_email",
                "technical_contact_name",
                "technical_contact_email",
                "dpo_name",
                "dpo_email",
                "controller_name",
                "controller_email",
            ),
        ),
        (
            "Volumétrie et calendrier",
            ("expected_calls_per_minute", "volume_justification", "go_live_date", "sandbox_stage"),
        ),
        (
            "Homologation de sécurité",
            ("security_approval_date", "security_approval_upload"),
        ),
    )
    UPLOADS = ("legal_basis_upload", "security_approval_upload")

    title = _text("Intitulé de la demande", "Par exemple : Tarification de la cantine scolaire.")
    purpose = _long_text(
        "Description du projet et finalité",
        "À quoi serviront les données, pour quelles personnes, dans quelle démarche.",
    )
    procedure_names = _long_text(
        "Démarches concernées", "Nom et adresse des démarches en ligne concernées."
    )
    scopes = ScopeChoiceField(
        label="Données demandées",
        help_text="Cochez seulement ce qui est nécessaire à la démarche.",
        queryset=Scope.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    legal_basis_nature = forms.ChoiceField(
        label="Nature du texte",
        choices=[("", "Choisissez un texte"), *LegalBasisNature.choices],
        required=False,
    )
    legal_basis_article = _text("Article", "Par exemple : article L114-8.")
    legal_basis_url = forms.URLField(
        label="Adresse du texte",
        help_text="Lien vers Légifrance ou vers la délibération publiée.",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Saisissez une adresse web valide, commençant par https://."},
    )
    legal_basis_upload = forms.FileField(
        label="Ou le texte en PDF",
        help_text="PDF uniquement, 10 Mo au plus.",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    data_recipients = _long_text(
        "Destinataires des données", "Services et agents qui verront les données."
    )
    retention_months = FrenchIntegerField(
        label="Durée de conservation (en mois)",
        help_text=f"Au-delà de {RETENTION_WITHOUT_JUSTIFICATION_MONTHS} mois, une justification "
        "écrite est obligatoire.",
        required=False,
        minimum=1,
        maximum=600,
    )
    retention_justification = _long_text("Justification de la durée de conservation")
    business_contact_name = _text("Responsable métier : nom et prénom")
    business_contact_email = _email("Responsable métier : adresse électronique")
    technical_contact_name = _text("Contact technique : nom et prénom")
    technical_contact_email = _email("Contact technique : adresse électronique")
    dpo_name = _text("Délégué à la protection des données : nom et prénom")
    dpo_email = _email("Délégué à la protection des données : adresse électronique")
    controller_name = _text("Responsable de traitement : nom et fonction")
    controller_email = _email("Responsable de traitement : adresse électronique")
    expected_calls_per_minute = FrenchIntegerField(
        label="Volumétrie attendue (appels par minute, au plus fort)",
        required=False,
        minimum=1,
        maximum=100_000,
    )
    volume_justification = _long_text(
        "Justification de la volumétrie", "Par exemple : nombre de dossiers par an, pics."
    )
    go_live_date = forms.DateField(
        label="Date de mise en production prévue",
        required=False,
        widget=DateInput(),
        error_messages=_DATE_ERROR,
    )
    sandbox_stage = forms.BooleanField(
        label="Passer d'abord par le bac à sable",
        help_text="Un jeton de bac à sable est délivré d'abord ; la production est demandée "
        "ensuite.",
        required=False,
    )
    security_approval_date = forms.DateField(
        label="Date de la décision d'homologation",
        required=False,
        widget=DateInput(),
        error_messages=_DATE_ERROR,
    )
    security_approval_upload = forms.FileField(
        label="Décision d'homologation en PDF",
        help_text="PDF uniquement, 10 Mo au plus.",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(
        self,
        *args: Any,
        request_object: AuthorizationRequest,
        requires_security_approval: bool,
        sandbox_stage_locked: bool,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", self.initial_from(request_object))
        super().__init__(*args, **kwargs)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, ScopeChoiceField)
        scopes.queryset = request_object.dataset.scopes.order_by("position", "slug")
        self.requires_security_approval = requires_security_approval
        if not requires_security_approval:
            del self.fields["security_approval_date"]
            del self.fields["security_approval_upload"]
        if sandbox_stage_locked:
            self.fields["sandbox_stage"].disabled = True
        for name, stored in (
            ("legal_basis_upload", request_object.legal_basis_document_name),
            ("security_approval_upload", request_object.security_approval_document_name),
        ):
            if stored and name in self.fields:
                self.fields[
                    name
                ].help_text += (
                    f" Fichier déjà joint : {stored}. Joignez-en un autre pour le remplacer."
                )

    @staticmethod
    def initial_from(request_object: AuthorizationRequest) -> dict[str, Any]:
        initial = {name: getattr(request_object, name) for name in EDITABLE_FIELDS}
        if request_object.pk:
            initial["scopes"] = list(request_object.requested_scopes.all())
        return initial

    def blocks(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.BLOCKS
            if any(name in self.fields for name in names)
        ]

    def clean_legal_basis_upload(self) -> UploadedFile | None:
        return self._checked_upload("legal_basis_upload")

    def clean_security_approval_upload(self) -> UploadedFile | None:
        return self._checked_upload("security_approval_upload")

    def _checked_upload(self, name: str) -> UploadedFile | None:
        upload = self.cleaned_data.get(name)
        if upload:
            check_pdf_upload(upload)
            return upload
        return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, message in field_errors(cleaned).items():
            if name in self.fields:
                self.add_error(name, message)
        return cleaned

    def lost_uploads(self) -> list[str]:
        """Names of files sent with a form that had errors: they were not kept."""
        return [
            self.files[name].name or "document"
            for name in self.UPLOADS
            if name in self.files and name in self.fields
        ]


class DecisionForm(PortalForm):
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, action: str, comment_required: bool, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", action)
        super().__init__(*args, **kwargs)
        comment = self.fields["comment"]
        comment.required = comment_required
        comment.error_messages["required"] = "Expliquez la décision dans le commentaire."
        if comment_required:
            comment.label = "Motif (transmis au demandeur)"


class ValidationForm(DecisionForm):
    scopes = ScopeChoiceField(
        label="Périmètres accordés",
        help_text="Décochez ceux que vous n'accordez pas ; on ne peut accorder plus que demandé.",
        queryset=Scope.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Accordez au moins un périmètre, ou refusez la demande."},
    )
    term_months = FrenchIntegerField(
        label="Durée de l'habilitation (en mois)",
        minimum=1,
        maximum=MAX_TERM_MONTHS,
        initial=DEFAULT_TERM_MONTHS,
        error_messages={"required": "Indiquez la durée de l'habilitation."},
    )

    def __init__(self, *args: Any, request_object: AuthorizationRequest, **kwargs: Any) -> None:
        requested = request_object.requested_scopes.order_by("position", "slug")
        kwargs.setdefault("initial", {"scopes": list(requested), "term_months": 18})
        super().__init__(*args, **kwargs)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, ScopeChoiceField)
        scopes.queryset = requested


class MessageForm(PortalForm):
    body = forms.CharField(
        label="Votre message",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Écrivez un message avant de l'envoyer."},
    )
