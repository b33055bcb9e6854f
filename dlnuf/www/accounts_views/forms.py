from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import time_format

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import REQUESTABLE_ROLES, Organisation, Role, User
from dlnuf.organisations.perms import is_administrator, organisations_of
from dlnuf.organisations.selectors import providers_for_roles
from dlnuf.organisations.sign_in import SignInRefused, SignInThrottled, sign_in_with_password
from dlnuf.organisations.validators import validate_siret
from dlnuf.www.accounts_views.client import client_ip
from dlnuf.www.forms import PortalForm


def throttled_message(retry_at: datetime) -> str:
    minutes = max(1, -(-int((retry_at - timezone.now()).total_seconds()) // 60))
    at = time_format(timezone.localtime(retry_at), "H \\h i")
    plural = "s" if minutes > 1 else ""
    return (
        "Trop de tentatives de connexion ont échoué. Par sécurité, la connexion est suspendue : "
        f"réessayez dans {minutes} minute{plural}, à partir de {at}."
    )


def provider_field() -> forms.ModelChoiceField:
    """The provider an instructor's or reporter's role is for; each form fills its choices."""
    return forms.ModelChoiceField(
        label="Fournisseur de données",
        help_text="Pour les rôles d'instructeur et de rapporteur.",
        queryset=Provider.objects.none(),
        required=False,
        empty_label="Choisir un fournisseur",
    )


class LoginForm(AuthenticationForm, PortalForm):
    """E-mail and password of a local account (the field keeps Django's name, ``username``)."""

    username = forms.EmailField(
        label="Adresse électronique",
        help_text="Format attendu : nom@domaine.fr",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": "Adresse électronique ou mot de passe incorrect.",
        "inactive": "Adresse électronique ou mot de passe incorrect.",
    }

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            try:
                self.user_cache = sign_in_with_password(
                    request=self.request,
                    email=email,
                    password=password,
                    client_ip=client_ip(self.request) if self.request else "",
                )
            except SignInThrottled as throttled:
                raise ValidationError(
                    throttled_message(throttled.retry_at), code="throttled"
                ) from throttled
            except SignInRefused:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class PortalPasswordChangeForm(PasswordChangeForm, PortalForm):
    """Old password, then the new one twice; the password rules are Django's validators.

    The view saves the new password through ``user_password_change``, not ``save()``.
    """


class RoleGrantForm(PortalForm):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)
    siret = forms.CharField(
        label="SIRET de l'organisation",
        help_text="Pour le rôle de demandeur : 14 chiffres, sans espace.",
        required=False,
        max_length=20,
    )
    provider = provider_field()
    comment = forms.CharField(
        label="Motif",
        help_text="Facultatif ; conservé dans l'historique des rôles.",
        required=False,
        max_length=500,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.ModelChoiceField)
        provider_field.queryset = providers_for_roles()

    def clean_siret(self) -> str:
        siret: str = self.cleaned_data["siret"].replace(" ", "")
        if siret:
            validate_siret(siret)
        return siret

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if role == Role.APPLICANT and not cleaned.get("siret") and "siret" not in self.errors:
            self.add_error("siret", "Indiquez le SIRET de l'organisation du demandeur.")
        if role in (Role.INSTRUCTOR, Role.REPORTER) and not cleaned.get("provider"):
            self.add_error("provider", "Choisissez le fournisseur de données.")
        return cleaned


class UserSearchForm(PortalForm):
    q = forms.CharField(
        label="Rechercher une personne",
        help_text="Adresse électronique, prénom ou nom.",
        required=False,
        max_length=200,
    )


EMAIL_ERRORS = {
    "required": "Indiquez une adresse électronique.",
    "invalid": "Indiquez une adresse électronique valide, par exemple nom@domaine.fr.",
}


class PasswordResetRequestForm(PortalForm):
    email = forms.EmailField(
        label="Adresse électronique",
        help_text="Celle de votre compte du guichet. Format attendu : nom@domaine.fr",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages=EMAIL_ERRORS,
    )


class PortalSetPasswordForm(SetPasswordForm, PortalForm):
    """The new password twice, checked by Django's password rules against the person's name and
    address. Views save it through a service, never with ``save()``."""


def _name_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": f"Indiquez le {label.lower()}."},
    )


class InvitationForm(PortalForm):
    """Whom to invite, with which role where. Administrators choose any role (organisation by
    SIRET, or a provider); applicants choose among their own organisations, as applicants."""

    first_name = _name_field("Prénom")
    last_name = _name_field("Nom")
    email = forms.EmailField(
        label="Adresse électronique",
        help_text="L'invitation y est envoyée. Format attendu : nom@domaine.fr",
        max_length=254,
        error_messages=EMAIL_ERRORS,
    )
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)
    siret = forms.CharField(
        label="SIRET de l'organisation",
        help_text="Pour le rôle de demandeur : 14 chiffres.",
        required=False,
        max_length=20,
    )
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        empty_label=None,
    )
    provider = provider_field()

    def __init__(self, *args: Any, inviter: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by_administrator = is_administrator(inviter)
        if self.by_administrator:
            del self.fields["organisation"]
            provider_field = self.fields["provider"]
            assert isinstance(provider_field, forms.ModelChoiceField)
            provider_field.queryset = providers_for_roles()
        else:
            del self.fields["siret"]
            del self.fields["provider"]
            role_field = self.fields["role"]
            assert isinstance(role_field, forms.ChoiceField)
            role_field.choices = [(Role.APPLICANT.value, Role.APPLICANT.label)]
            organisation_field = self.fields["organisation"]
            assert isinstance(organisation_field, forms.ModelChoiceField)
            organisation_field.queryset = organisations_of(inviter)

    def clean_siret(self) -> str:
        siret: str = self.cleaned_data["siret"].replace(" ", "")
        if siret:
            validate_siret(siret)
        return siret

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.by_administrator:
            _require_scope(self, cleaned)
        return cleaned


def _require_scope(form: forms.Form, cleaned: dict[str, Any]) -> None:
    role = cleaned.get("role")
    if role == Role.APPLICANT and not cleaned.get("siret") and "siret" not in form.errors:
        form.add_error("siret", "Indiquez le SIRET de l'organisation.")
    if role in (Role.INSTRUCTOR, Role.REPORTER) and not cleaned.get("provider"):
        form.add_error("provider", "Choisissez le fournisseur de données.")


class AccountRequestForm(PortalForm):
    first_name = _name_field("Prénom")
    last_name = _name_field("Nom")
    email = forms.EmailField(
        label="Adresse électronique professionnelle",
        help_text="Format attendu : nom@domaine.fr",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages=EMAIL_ERRORS,
    )
    siret = forms.CharField(
        label="SIRET de votre organisation",
        help_text="14 chiffres, par exemple 21690123100011.",
        max_length=20,
        error_messages={"required": "Indiquez le SIRET de votre organisation."},
    )
    role = forms.ChoiceField(
        label="Rôle souhaité",
        choices=[(role.value, role.label.capitalize()) for role in REQUESTABLE_ROLES],
        help_text="Demandeur : vous demandez des données pour votre organisation. Instructeur "
        "ou rapporteur : vous instruisez ou suivez les demandes adressées à un fournisseur.",
    )
    provider = provider_field()
    reason = forms.CharField(
        label="Motif de la demande",
        help_text="Votre fonction, et ce que vous souhaitez faire sur le guichet.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Expliquez en quelques mots le motif de votre demande."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.ModelChoiceField)
        provider_field.queryset = providers_for_roles()

    def clean_siret(self) -> str:
        siret: str = self.cleaned_data["siret"].replace(" ", "")
        validate_siret(siret)
        return siret

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("role") in (Role.INSTRUCTOR, Role.REPORTER) and not cleaned.get("provider"):
            self.add_error("provider", "Choisissez le fournisseur de données.")
        return cleaned


class AccountRequestDecisionForm(PortalForm):
    comment = forms.CharField(
        label="Commentaire",
        help_text="Facultatif ; envoyé à la personne avec un refus.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
