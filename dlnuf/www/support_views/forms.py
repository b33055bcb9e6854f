"""Forms of the guichet's public pages: asking for help, replying, and saying how it went.

The request form keeps robots out without a visual puzzle: a field people never see (robots fill
every field), and a signed time stamp that refuses a form sent within seconds of being shown, or
kept open for more than a day. Both refusals say in French what to do; the view adds a limit per
client address.
"""

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile

from dlnuf.organisations.validators import validate_siret
from dlnuf.support.affiliation import affiliation_choices
from dlnuf.support.attachments import (
    ACCEPTED_LABEL,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    IncomingFile,
    refusal,
    size_refusal,
)
from dlnuf.support.lookup import OrganisationFound, organisation_by_siret
from dlnuf.support.models import HelpKind, Ministry, Urgency
from dlnuf.www.forms import PortalForm

# The field robots fill and people never see; its name tempts neither autofill nor people.
HONEYPOT_FIELD = "reference_interne"
STARTED_SALT = "dlnuf.www.support.form-started"
MIN_FILL_SECONDS = 3
MAX_FILL_SECONDS = 24 * 60 * 60
SPAM = "spam"
MAX_TEXT_CHARS = 20_000


def started_token(at: float | None = None) -> str:
    """The signed moment the form was shown."""
    return signing.dumps({"t": time.time() if at is None else at}, salt=STARTED_SALT)


def started_at(token: str) -> float | None:
    """When the form carrying ``token`` was shown, or None when the token is not ours."""
    try:
        payload = signing.loads(token, salt=STARTED_SALT)
    except signing.BadSignature:
        return None
    moment = payload.get("t") if isinstance(payload, dict) else None
    return float(moment) if isinstance(moment, int | float) else None


def reusable_started_token(token: str) -> str:
    """The token to render again with a refused form: the same while it is still valid, so that
    a person correcting a mistake quickly is not taken for a robot."""
    moment = started_at(token)
    if moment is not None and time.time() - moment <= MAX_FILL_SECONDS:
        return token
    return started_token()


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


def attachments_help() -> str:
    return (
        f"Jusqu'à {MAX_ATTACHMENTS} fichiers de {MAX_ATTACHMENT_BYTES // (1024 * 1024)} Mo au "
        f"plus chacun : {ACCEPTED_LABEL}."
    )


class AttachmentsField(forms.FileField):
    """Several files at once, each checked by the guichet's rules (``attachments.refusal``)."""

    def __init__(self, **kwargs: Any) -> None:
        widget = MultipleFileInput(attrs={"class": "fr-upload", "multiple": True})
        widget.group_class = "fr-upload-group"  # type: ignore[attr-defined]
        super().__init__(widget=widget, required=False, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[IncomingFile]:
        uploads = [item for item in (data or []) if isinstance(item, UploadedFile)]
        if len(uploads) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                f"Joignez au plus {MAX_ATTACHMENTS} fichiers ; les autres peuvent être envoyés "
                "ensuite depuis la page de suivi.",
                code="too_many",
            )
        accepted: list[IncomingFile] = []
        problems: list[forms.ValidationError] = []
        for upload in uploads:
            name = upload.name or "piece-jointe"
            # A file above the limit is refused on its announced size, before it is read.
            reason = size_refusal(name, upload.size or 0)
            incoming = None
            if reason is None:
                incoming = IncomingFile(name, upload.read())
                reason = refusal(incoming)
            if reason is not None:
                problems.append(forms.ValidationError(reason, code="refused_file"))
            elif incoming is not None:
                accepted.append(incoming)
        if problems:
            raise forms.ValidationError(problems)
        return accepted


class SupportRequestForm(PortalForm):
    organisation_name = forms.CharField(
        label="Nom de votre administration",
        help_text="Par exemple « Direction du numérique, ville de Lyon ». Facultatif si vous "
        "donnez le SIRET et qu'il est reconnu.",
        max_length=255,
        required=False,
    )
    siret = forms.CharField(
        label="SIRET de votre administration",
        help_text="14 chiffres, si vous le connaissez : le nom de l'administration est alors "
        "retrouvé pour vous.",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    ministry = forms.ChoiceField(
        label="Ministère de rattachement ou type d'organisme",
        choices=[("", "Choisir"), *affiliation_choices()],
        required=False,
        help_text="Une collectivité, un organisme de sécurité sociale ou un opérateur n'a pas "
        "de ministère : choisissez alors son type.",
    )
    requester_name = forms.CharField(
        label="Vos prénom et nom",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_role = forms.CharField(
        label="Votre fonction",
        help_text="Par exemple « cheffe de projet », « directeur du numérique ».",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    requester_email = forms.EmailField(
        label="Votre adresse électronique",
        help_text="Le guichet vous répond à cette adresse. Format attendu : nom@domaine.fr",
        max_length=254,
        error_messages={
            "required": "Indiquez votre adresse électronique : c'est par elle que le guichet "
            "vous répond.",
            "invalid": "Saisissez une adresse électronique valide, par exemple "
            "prenom.nom@administration.gouv.fr.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    subject = forms.CharField(
        label="Objet de votre demande",
        help_text="En une ligne, par exemple « Supprimer l'avis d'imposition de l'aide "
        "aux vacances ».",
        max_length=255,
        error_messages={"required": "Indiquez l'objet de votre demande, en une ligne."},
    )
    context = forms.CharField(
        label="Contexte",
        help_text="Le projet ou la démarche concernée, où vous en êtes. Le contexte ou le besoin "
        "suffit.",
        max_length=MAX_TEXT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    need = forms.CharField(
        label="Votre besoin",
        help_text="Ce que vous attendez du guichet. Le contexte ou le besoin suffit ; les deux "
        "nous aident davantage.",
        max_length=MAX_TEXT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    help_kinds = forms.MultipleChoiceField(
        label="Type d'aide souhaitée",
        help_text="Si vous le savez ; sinon, le guichet vous aidera à le préciser.",
        choices=HelpKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Ce type d'aide n'existe pas ; rechargez la page."},
    )
    urgency = forms.ChoiceField(
        label="Urgence",
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
        error_messages={"required": "Indiquez l'urgence de votre demande."},
    )
    attachments = AttachmentsField(label="Pièces jointes", help_text=attachments_help())
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.found: OrganisationFound | None = None

    def clean_siret(self) -> str:
        siret = "".join(self.cleaned_data["siret"].split())
        if siret:
            validate_siret(siret)
            self.found = organisation_by_siret(siret)
        return siret

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._refuse_robots()
        if not (cleaned.get("context", "").strip() or cleaned.get("need", "").strip()):
            self.add_error(
                "need",
                forms.ValidationError(
                    "Décrivez votre contexte ou votre besoin : au moins l'un des deux est "
                    "nécessaire pour que le guichet puisse vous répondre.",
                    code="required",
                ),
            )
        if not cleaned.get("organisation_name", "").strip() and "siret" in cleaned:
            if self.found is not None:
                cleaned["organisation_name"] = self.found.name
            else:
                self.add_error(
                    "organisation_name",
                    forms.ValidationError(
                        "Indiquez le nom de votre administration"
                        + (
                            " : ce SIRET n'est pas dans nos données."
                            if cleaned.get("siret")
                            else " (ou son SIRET)."
                        ),
                        code="required",
                    ),
                )
        return cleaned

    def _refuse_robots(self) -> None:
        contact = settings.DLNUF_SUPPORT_ADDRESS
        if str(self.data.get(HONEYPOT_FIELD, "")).strip():
            raise forms.ValidationError(
                "Votre demande n'est pas encore partie : le champ « Laisser ce champ vide », "
                "prévu contre les envois automatiques, contenait du texte (certains "
                "remplissages automatiques du navigateur le font). Il a été vidé et votre saisie "
                "est conservée : envoyez de nouveau le formulaire. "
                f"En cas de difficulté, écrivez au guichet : {contact}.",
                code=SPAM,
            )
        moment = started_at(str(self.data.get("started", "")))
        elapsed = None if moment is None else time.time() - moment
        if elapsed is None or elapsed > MAX_FILL_SECONDS:
            raise forms.ValidationError(
                "Votre demande n'a pas été envoyée : ce formulaire a été ouvert il y a plus d'un "
                "jour, ou n'a pas été reconnu. Vérifiez vos réponses puis envoyez-le de nouveau.",
                code=SPAM,
            )
        if elapsed < MIN_FILL_SECONDS:
            # Most often a person who types fast or pastes a prepared text: nothing is lost,
            # and sending again settles it.
            unit = "seconde" if MIN_FILL_SECONDS < 2 else "secondes"
            raise forms.ValidationError(
                "Votre demande n'est pas encore partie : le formulaire a été rempli en moins de "
                f"{MIN_FILL_SECONDS} {unit}, et un envoi aussi rapide doit être confirmé. Votre "
                "saisie est conservée ci-dessous : vérifiez-la, puis cliquez de nouveau sur "
                "« Envoyer ma demande ».",
                code=SPAM,
            )

    def is_spam(self) -> bool:
        errors = self.errors.as_data().get(NON_FIELD_ERRORS, [])
        return any(error.code == SPAM for error in errors)

    def files_dropped(self) -> bool:
        """Files were chosen but the form is shown again: the browser will not send them twice."""
        return self.is_bound and bool(self.files.getlist("attachments")) and bool(self.errors)

    def request_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "organisation_name": data["organisation_name"].strip(),
            "siret": data["siret"],
            "ministry": data["ministry"] or Ministry.OTHER,
            "requester_name": data["requester_name"].strip(),
            "requester_role": data["requester_role"].strip(),
            "requester_email": data["requester_email"],
            "subject": data["subject"].strip(),
            "context": data["context"].strip(),
            "need": data["need"].strip(),
            "help_kinds": list(data["help_kinds"]),
            "urgency": data["urgency"],
        }


class FollowReplyForm(PortalForm):
    body = forms.CharField(
        label="Votre message",
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Écrivez votre message avant de l'envoyer."},
    )
    attachments = AttachmentsField(label="Pièces jointes", help_text=attachments_help())

    def files_dropped(self) -> bool:
        return (
            self.is_bound
            and bool(self.files.getlist(self.add_prefix("attachments")))
            and bool(self.errors)
        )


SATISFACTION_CHOICES = [
    ("5", "5 — Très satisfait"),
    ("4", "4 — Satisfait"),
    ("3", "3 — Moyennement satisfait"),
    ("2", "2 — Peu satisfait"),
    ("1", "1 — Pas du tout satisfait"),
]


class SatisfactionForm(PortalForm):
    score = forms.TypedChoiceField(
        label="Votre appréciation de l'accompagnement",
        choices=SATISFACTION_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez une note de 1 à 5."},
    )
    comment = forms.CharField(
        label="Commentaire",
        help_text="Ce qui vous a aidé, ce qui aurait pu être mieux.",
        max_length=MAX_TEXT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def error_summary(form: forms.Form) -> list[tuple[str, str, str]]:
    """(anchor, field label, message) for each field error, for the list atop the form."""
    rows: list[tuple[str, str, str]] = []
    for name, messages in form.errors.items():
        if name == NON_FIELD_ERRORS:
            continue
        bound = form[name]
        anchor = bound.auto_id
        if isinstance(bound.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            anchor = f"{anchor}_0"
        rows.extend((anchor, str(bound.label), str(message)) for message in messages)
    return rows
