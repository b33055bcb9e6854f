"""Forms of the vendor path: a solution's description, a client's joining request, a decision."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html

from dlnuf.catalogue.models import Dataset, Scope, TermsVersion
from dlnuf.french import date_fr
from dlnuf.habilitations.models import LegalBasisNature
from dlnuf.habilitations.validation import check_pdf_upload
from dlnuf.organisations.models import Organisation
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import FrenchIntegerField
from dlnuf.www.requests_views.forms import DatasetChoiceField, DateInput, ScopeChoiceField

_EMAIL_ERROR = {"invalid": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."}
_DATE_ERROR = {"invalid": "Saisissez une date valide, par exemple 15/09/2026."}


def _required(message: str) -> dict[str, str]:
    return {"required": message}


def _text(label: str, message: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, max_length=255, error_messages=_required(message)
    )


def _long_text(label: str, message: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_required(message),
    )


def _email(label: str, message: str) -> forms.EmailField:
    return forms.EmailField(label=label, error_messages={**_EMAIL_ERROR, **_required(message)})


class SolutionForm(PortalForm):
    """What the vendor describes; scopes, legal basis and contacts follow in the request form."""

    organisation = forms.ModelChoiceField(
        label="Éditeur",
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages=_required("Choisissez l'organisation de l'éditeur."),
    )
    dataset = DatasetChoiceField(
        label="Donnée utilisée par la solution",
        queryset=Dataset.objects.none(),
        empty_label="Choisissez une donnée",
        error_messages=_required("Choisissez la donnée utilisée par la solution."),
    )
    name = _text("Nom de la solution", "Donnez le nom de la solution.")
    version = forms.CharField(
        label="Version",
        help_text="Par exemple : 4.2.",
        max_length=50,
        error_messages=_required("Indiquez la version de la solution."),
    )
    use_case = _long_text(
        "Cas d'usage",
        "Décrivez le cas d'usage de la solution.",
        "Par exemple : facturation de la cantine scolaire selon le quotient familial.",
    )
    purpose = _long_text(
        "Finalité de l'accès aux données",
        "Décrivez la finalité de l'accès aux données.",
        "À quoi serviront les données chez chaque client, pour quelles personnes.",
    )
    security_description = _long_text(
        "Mesures de sécurité",
        "Décrivez les mesures de sécurité de la solution.",
        "Chiffrement, gestion des accès, journalisation, homologation.",
    )
    hosting = _long_text(
        "Hébergement",
        "Indiquez où et par qui la solution est hébergée.",
        "Hébergeur, pays, certifications (SecNumCloud, HDS…).",
    )

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        datasets: QuerySet[Dataset],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        organisation_field = self.fields["organisation"]
        dataset_field = self.fields["dataset"]
        assert isinstance(organisation_field, forms.ModelChoiceField)
        assert isinstance(dataset_field, forms.ModelChoiceField)
        organisation_field.queryset = organisations
        dataset_field.queryset = datasets
        if editing:
            # The vendor and the dataset are the request's: they no longer change.
            for name in ("organisation", "dataset", "purpose"):
                del self.fields[name]


class JoinForm(PortalForm):
    """What a client adds to an approved solution; the rest is inherited and shown apart."""

    organisation = forms.ModelChoiceField(
        label="Organisation cliente",
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages=_required("Choisissez l'organisation qui adhère."),
    )
    scopes = ScopeChoiceField(
        label="Données demandées",
        help_text="Celles de la solution ; décochez ce dont votre organisation n'a pas besoin.",
        queryset=Scope.objects.none(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            **_required("Gardez au moins une donnée de la solution."),
            "invalid_choice": "« %(value)s » n'est pas une donnée de la solution.",
        },
    )
    legal_basis_nature = forms.ChoiceField(
        label="Nature du texte",
        choices=[("", "Choisissez un texte"), *LegalBasisNature.choices],
        error_messages=_required("Choisissez la nature du cadre juridique."),
    )
    legal_basis_article = _text(
        "Délibération ou article",
        "Indiquez la délibération ou l'article qui fonde l'accès.",
        "Par exemple : délibération du conseil municipal n° 2026-14 fixant les tarifs.",
    )
    legal_basis_url = forms.URLField(
        label="Adresse de la délibération ou du texte",
        help_text="Lien vers la délibération publiée ou vers Légifrance.",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Saisissez une adresse web valide, commençant par https://."},
    )
    legal_basis_upload = forms.FileField(
        label="Ou la délibération en PDF",
        help_text="PDF uniquement, 10 Mo au plus.",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    dpo_name = _text(
        "Délégué à la protection des données : nom et prénom",
        "Indiquez le nom du délégué à la protection des données.",
    )
    dpo_email = _email(
        "Délégué à la protection des données : adresse électronique",
        "Indiquez le courriel du délégué à la protection des données.",
    )
    controller_name = _text(
        "Responsable de traitement : nom et fonction",
        "Indiquez le responsable de traitement.",
        "Par exemple : le maire.",
    )
    controller_email = _email(
        "Responsable de traitement : adresse électronique",
        "Indiquez le courriel du responsable de traitement.",
    )
    technical_contact_name = _text(
        "Contact technique : nom et prénom",
        "Indiquez le nom du contact technique.",
        "La personne qui configure le logiciel de l'éditeur pour votre organisation, chez vous "
        "ou chez l'éditeur.",
    )
    technical_contact_email = _email(
        "Contact technique : adresse électronique", "Indiquez le courriel du contact technique."
    )
    expected_calls_per_minute = FrenchIntegerField(
        label="Volumétrie attendue (appels par minute, au plus fort)",
        minimum=1,
        maximum=100_000,
        error_messages=_required("Indiquez la volumétrie attendue."),
    )
    volume_justification = _long_text(
        "Justification de la volumétrie",
        "Justifiez la volumétrie attendue.",
        "Par exemple : nombre de familles inscrites, pics à la rentrée.",
    )
    go_live_date = forms.DateField(
        label="Date de mise en service prévue",
        widget=DateInput(),
        error_messages={**_DATE_ERROR, **_required("Indiquez la date de mise en service.")},
    )

    accept_terms = forms.BooleanField(
        error_messages=_required("Acceptez les conditions d'utilisation de la donnée.")
    )
    # The version shown: ticking the box accepts that one, not a newer one.
    terms_version = FrenchIntegerField(minimum=1, required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation],
        scopes: QuerySet[Scope],
        dataset: Dataset,
        terms: TermsVersion | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if terms is None:
            del self.fields["accept_terms"]
            del self.fields["terms_version"]
        else:
            self.fields["terms_version"].initial = terms.pk
            # The design system's form has already bound its fields: both copies are named.
            accept, bound = self.fields["accept_terms"], self["accept_terms"]
            accept.label = bound.label = (
                f"J'ai lu et j'accepte les conditions d'utilisation de « {dataset.title} » "
                f"(version {terms.number} du {date_fr(terms.published_on)})"
            )
            accept.help_text = bound.help_text = format_html(
                '<a href="{}" target="_blank" rel="noopener" title="Lire les conditions '
                "d'utilisation, version {} - nouvelle fenêtre\">Lire les conditions "
                "d'utilisation</a>",
                reverse(
                    "www:dataset_terms_version",
                    kwargs={"slug": dataset.slug, "number": terms.number},
                ),
                terms.number,
            )
        organisation_field = self.fields["organisation"]
        scope_field = self.fields["scopes"]
        assert isinstance(organisation_field, forms.ModelChoiceField)
        assert isinstance(scope_field, forms.ModelMultipleChoiceField)
        organisation_field.queryset = organisations
        scope_field.queryset = scopes
        if not self.is_bound:
            scope_field.initial = list(scopes)

    def clean_legal_basis_upload(self) -> Any:
        upload = self.cleaned_data.get("legal_basis_upload")
        if upload:
            check_pdf_upload(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        missing = not cleaned.get("legal_basis_url") and not cleaned.get("legal_basis_upload")
        already_wrong = "legal_basis_url" in self.errors or "legal_basis_upload" in self.errors
        if missing and not already_wrong:
            self.add_error(
                "legal_basis_url", "Donnez l'adresse de la délibération ou joignez-la en PDF."
            )
        return cleaned


class DecisionForm(PortalForm):
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
