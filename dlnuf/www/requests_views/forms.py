"""Forms of the habilitation request pages: the request itself, decisions and messages."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html

from dlnuf.catalogue.models import Dataset, Scope, TermsVersion, UseCaseTemplate
from dlnuf.french import date_fr
from dlnuf.habilitations.models import AuthorizationRequest, LegalBasisNature
from dlnuf.habilitations.services import DEFAULT_TERM_MONTHS, EDITABLE_FIELDS, MAX_TERM_MONTHS
from dlnuf.habilitations.transitions import TRANSITIONS, refusal_reason
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
    use_case = forms.ChoiceField(
        label="Partir d'un cas d'usage",
        help_text="Le cas d'usage remplit l'intitulé, la finalité, les données demandées, le "
        "cadre juridique et la durée de conservation ; vous pourrez tout modifier ensuite.",
        required=False,
    )
    dataset = DatasetChoiceField(
        label="Donnée demandée",
        help_text="Inutile si vous partez d'un cas d'usage : il porte sur une donnée.",
        queryset=Dataset.objects.none(),
        empty_label="Choisissez une donnée",
        required=False,
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
        use_cases: dict[int, list[UseCaseTemplate]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        dataset_field = self.fields["dataset"]
        organisation_field = self.fields["organisation"]
        use_case_field = self.fields["use_case"]
        assert isinstance(dataset_field, forms.ModelChoiceField)
        assert isinstance(organisation_field, forms.ModelChoiceField)
        assert isinstance(use_case_field, forms.ChoiceField)
        dataset_field.queryset = datasets
        organisation_field.queryset = organisations
        self.use_cases = {
            str(template.pk): template for templates in use_cases.values() for template in templates
        }
        titles = {dataset.pk: dataset.title for dataset in datasets}
        use_case_field.choices = [
            ("", "Aucun : partir d'une demande vierge"),
            *(
                (titles[dataset_id], [(str(template.pk), template.name) for template in templates])
                for dataset_id, templates in use_cases.items()
                if dataset_id in titles
            ),
        ]
        if not self.use_cases:
            del self.fields["use_case"]

    def clean_use_case(self) -> UseCaseTemplate | None:
        return self.use_cases.get(self.cleaned_data.get("use_case") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        use_case = cleaned.get("use_case")
        dataset = cleaned.get("dataset")
        if use_case is None and dataset is None and "dataset" not in self.errors:
            self.add_error("dataset", "Choisissez la donnée demandée, ou un cas d'usage.")
        elif use_case is not None and dataset is None:
            cleaned["dataset"] = use_case.dataset
        elif use_case is not None and dataset is not None and use_case.dataset_id != dataset.pk:
            self.add_error(
                "use_case",
                f"Le cas d'usage « {use_case.name} » porte sur « {use_case.dataset.title} », "
                f"pas sur « {dataset.title} » : choisissez l'un ou l'autre.",
            )
        return cleaned


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
        ("Conditions d'utilisation", ("accept_terms",)),
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

    data: QueryDict
    accept_terms = forms.BooleanField(required=False)
    # The version shown to the applicant: ticking the box accepts that one, not a newer one.
    terms_version = FrenchIntegerField(minimum=1, required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        request_object: AuthorizationRequest,
        requires_security_approval: bool,
        sandbox_stage_locked: bool,
        terms: TermsVersion | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", self.initial_from(request_object, terms))
        super().__init__(*args, **kwargs)
        self.terms = terms
        if terms is None:
            del self.fields["accept_terms"]
            del self.fields["terms_version"]
        else:
            self.fields["accept_terms"].label = (
                f"J'ai lu et j'accepte les conditions d'utilisation de « "
                f"{request_object.dataset.title} » (version {terms.number} du "
                f"{date_fr(terms.published_on)})"
            )
            self.fields["accept_terms"].help_text = format_html(
                'Obligatoire pour soumettre la demande. <a href="{}" target="_blank" '
                'rel="noopener" title="Lire les conditions d\'utilisation, version {} - nouvelle '
                "fenêtre\">Lire les conditions d'utilisation</a>",
                reverse(
                    "www:dataset_terms_version",
                    kwargs={"slug": request_object.dataset.slug, "number": terms.number},
                ),
                terms.number,
            )
            # The design system's form bound every visible field already, copying its label
            # and help text: bind this one again so that it shows the version's own wording.
            self._bound_fields_cache.pop("accept_terms", None)
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
    def initial_from(
        request_object: AuthorizationRequest, terms: TermsVersion | None = None
    ) -> dict[str, Any]:
        initial = {name: getattr(request_object, name) for name in EDITABLE_FIELDS}
        if request_object.pk:
            initial["scopes"] = list(request_object.requested_scopes.all())
        if terms is not None:
            initial["accept_terms"] = request_object.terms_version_id == terms.pk
            initial["terms_version"] = terms.number
        return initial

    def accepted_terms(self) -> TermsVersion | None:
        """The version the applicant accepted by ticking the box, None when unticked."""
        if self.terms is None or not self.cleaned_data.get("accept_terms"):
            return None
        return self.terms

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
        if (
            self.terms is not None
            and cleaned.get("accept_terms")
            and cleaned.get("terms_version") != self.terms.number
        ):
            self.add_error(
                "accept_terms",
                f"Les conditions d'utilisation ont changé pendant que vous remplissiez la "
                f"demande (version {self.terms.number}) : lisez la nouvelle version, puis "
                "cochez de nouveau la case.",
            )
            # The page shown again offers the new version, unticked: ticking the box then
            # accepts the version the applicant was just pointed to.
            shown_again = self.data.copy()
            shown_again["terms_version"] = str(self.terms.number)
            shown_again.pop("accept_terms", None)
            self.data = shown_again
        return cleaned

    def lost_uploads(self) -> list[str]:
        """Names of files sent with a form that had errors: they were not kept."""
        return [
            self.files[name].name or "document"
            for name in self.UPLOADS
            if name in self.files and name in self.fields
        ]


# The one form of a request's page: its fields may sit anywhere on the page (a comment box beside
# each field of the request), tied to the form by this id.
DECISION_FORM_ID = "formulaire-demande"
MESSAGE_ACTION = "message"
VALIDATION_ACTIONS = frozenset({"validate", "validate_sandbox"})


def _tied(widget: forms.Widget) -> forms.Widget:
    widget.attrs["form"] = DECISION_FORM_ID
    return widget


class DecisionForm(PortalForm):
    """Everything a person may type on a request's page, sent by whichever button they press:
    « Envoyer le message » or one of the actions open to them. A refused submit shows the page
    again with every typed value, so nothing is lost whichever button was pressed."""

    comment = forms.CharField(
        label="Message ou commentaire de la décision",
        help_text="Envoyé seul avec « Envoyer le message », ou joint à l'action choisie.",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self,
        *args: Any,
        request_object: AuthorizationRequest,
        actions: list[str],
        can_message: bool,
        comment_targets: dict[str, str],
        action: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        self.actions = actions
        self.request_object = request_object
        self.can_message = can_message
        self.note_targets: dict[str, str] = {}
        if VALIDATION_ACTIONS & set(actions):
            requested = request_object.requested_scopes.order_by("position", "slug")
            self.fields["scopes"] = ScopeChoiceField(
                label="Périmètres accordés en cas de validation",
                help_text="Décochez ceux que vous n'accordez pas ; on ne peut accorder plus que "
                "demandé.",
                queryset=requested,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=list(requested),
            )
            self.fields["term_months"] = FrenchIntegerField(
                label="Durée de l'habilitation en cas de validation (en mois)",
                minimum=1,
                maximum=MAX_TERM_MONTHS,
                initial=DEFAULT_TERM_MONTHS,
                required=False,
            )
        if "request_changes" in actions:
            for target, label in comment_targets.items():
                name = "commentaire_" + target.replace(":", "_")
                self.note_targets[name] = target
                self.fields[name] = forms.CharField(
                    label=f"Commentaire sur « {label} »"
                    if not target.startswith("bloc:")
                    else f"Commentaire sur le {label[0].lower()}{label[1:]}",
                    required=False,
                    max_length=5000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
        for bound in self.fields.values():
            _tied(bound.widget)

    def note(self, target: str) -> forms.BoundField | None:
        name = "commentaire_" + target.replace(":", "_")
        return self[name] if name in self.fields else None

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.note_targets]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        action = self.action
        if action == MESSAGE_ACTION:
            if not self.can_message:
                self.add_error(None, "Vous ne pouvez pas écrire sur cette demande.")
            elif not cleaned.get("comment", "").strip():
                self.add_error("comment", "Écrivez un message avant de l'envoyer.")
        elif action not in self.actions:
            self.add_error(
                None,
                refusal_reason(action, self.request_object)
                or "Cette action n'est pas possible sur la demande.",
            )
        else:
            transition = TRANSITIONS[action]
            if transition.comment_required and not cleaned.get("comment", "").strip():
                self.add_error(
                    "comment",
                    f"« {transition.label} » : expliquez la décision dans le commentaire.",
                )
            if action in VALIDATION_ACTIONS:
                if not cleaned.get("scopes"):
                    self.add_error(
                        "scopes", "Accordez au moins un périmètre, ou refusez la demande."
                    )
                if cleaned.get("term_months") is None and "term_months" not in self.errors:
                    self.add_error("term_months", "Indiquez la durée de l'habilitation.")
        if action != "request_changes" and any(
            cleaned.get(name, "").strip() for name in self.note_targets
        ):
            self.add_error(
                None,
                "Les commentaires par champ ou par bloc partent seulement avec « Demander des "
                "modifications » : choisissez cette action, ou effacez-les.",
            )
        return cleaned

    def field_comments(self) -> dict[str, str]:
        return {
            target: self.cleaned_data[name].strip()
            for name, target in self.note_targets.items()
            if self.cleaned_data.get(name, "").strip()
        }
