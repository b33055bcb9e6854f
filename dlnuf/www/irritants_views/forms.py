from typing import Any

from django import forms

from dlnuf.catalogue.models import Provider
from dlnuf.procedures.models import Procedure
from dlnuf.support.irritants import parties_refusal
from dlnuf.support.models import IrritantKind, IrritantState
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import FrenchIntegerField

MAX_COUNT = 1_000_000_000


class ProcedureChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        organisation = obj.organisation.name or obj.organisation.siret
        return f"{obj.name} ({organisation})"


def _count_field(label: str, help_text: str) -> FrenchIntegerField:
    return FrenchIntegerField(
        label=label,
        help_text=help_text,
        minimum=0,
        maximum=MAX_COUNT,
        initial=0,
        error_messages={
            "required": "Saisissez un nombre (0 si vous ne savez pas).",
            "min_value": "Le nombre ne peut pas être négatif.",
            "max_value": "Ce nombre paraît trop grand.",
        },
    )


class IrritantForm(PortalForm):
    title = forms.CharField(
        label="Intitulé",
        help_text="Une phrase qui dit ce qui bloque, par exemple « Pas d'API pour le statut "
        "d'élève boursier ».",
        max_length=255,
        error_messages={"required": "Donnez un intitulé à l'irritant."},
    )
    kind = forms.ChoiceField(
        label="Nature du blocage",
        choices=[("", "Choisir une nature"), *IrritantKind.choices],
        error_messages={
            "required": "Choisissez la nature du blocage.",
            "invalid_choice": "Choisissez la nature du blocage dans la liste.",
        },
    )
    description = forms.CharField(
        label="Description",
        help_text="Ce qui bloque, depuis quand, ce qui a déjà été tenté.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10_000,
        error_messages={"required": "Décrivez le blocage."},
    )
    blocked_party = forms.CharField(
        label="Administration bloquée",
        max_length=255,
        error_messages={"required": "Indiquez l'administration bloquée."},
    )
    blocking_provider = forms.ModelChoiceField(
        label="Fournisseur de données en cause",
        help_text="Si le blocage vient d'un fournisseur du catalogue.",
        queryset=Provider.objects.order_by("name"),
        required=False,
        empty_label="Aucun fournisseur du catalogue",
        error_messages={"invalid_choice": "Choisissez un fournisseur de la liste."},
    )
    blocking_party = forms.CharField(
        label="Autre partie en cause",
        help_text="Service, ministère, éditeur de logiciel… si la partie en cause n'est pas un "
        "fournisseur du catalogue, ou pour préciser lequel de ses services.",
        max_length=255,
        required=False,
    )
    procedures = ProcedureChoiceField(
        label="Démarches du portail touchées",
        help_text="Elles sont comptées automatiquement dans les démarches touchées.",
        queryset=Procedure.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Cette démarche n'existe plus ; rechargez la page."},
    )
    procedures_outside = _count_field(
        "Autres démarches touchées, hors du portail",
        "Le nombre de démarches touchées qui ne sont pas décrites dans le portail ; elles "
        "s'ajoutent aux démarches cochées.",
    )
    people_affected_per_year = _count_field(
        "Usagers touchés par an",
        "Une estimation suffit : elle sert à classer les irritants par impact.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        procedures = self.fields["procedures"]
        assert isinstance(procedures, ProcedureChoiceField)
        procedures.queryset = Procedure.objects.select_related("organisation").order_by(
            "organisation__name", "name", "pk"
        )
        if not procedures.queryset.exists():
            del self.fields["procedures"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reason = parties_refusal(
            cleaned.get("blocking_provider"), cleaned.get("blocking_party") or ""
        )
        if reason is not None and "blocking_party" not in self.errors:
            self.add_error("blocking_party", reason)
        return cleaned


def _text(label: str, required_message: str, *, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        max_length=10_000,
        error_messages={"required": required_message},
    )


class EscalateForm(PortalForm):
    escalated_to = forms.CharField(
        label="Escalader auprès de",
        help_text="Personne ou instance qui peut lever le blocage : direction, cabinet, comité "
        "interministériel…",
        max_length=255,
        error_messages={"required": "Indiquez auprès de qui l'irritant est escaladé."},
    )
    comment = forms.CharField(
        label="Commentaire",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10_000,
        required=False,
    )


class ResolveForm(PortalForm):
    resolution = _text("Résolution", "Décrivez la résolution : ce qui a levé le blocage.", rows=4)


class AbandonForm(PortalForm):
    comment = _text("Pourquoi abandonner ?", "Expliquez pourquoi l'irritant est abandonné.")


class ReopenForm(PortalForm):
    comment = _text("Pourquoi rouvrir ?", "Expliquez pourquoi l'irritant est rouvert.")


class NoteForm(PortalForm):
    comment = _text("Note", "La note est vide.")


# The list's filters: "en cours" (open and escalated) unless a state is chosen.
IN_PROGRESS = ""
STATE_CHOICES = [(IN_PROGRESS, "En cours (ouverts et escaladés)"), *IrritantState.choices]


class IrritantFilterForm(PortalForm):
    etat = forms.ChoiceField(label="État", choices=STATE_CHOICES, required=False)
    nature = forms.ChoiceField(
        label="Nature", choices=[("", "Toutes"), *IrritantKind.choices], required=False
    )
    fournisseur = forms.ModelChoiceField(
        label="Fournisseur en cause",
        queryset=Provider.objects.order_by("name"),
        required=False,
        empty_label="Tous",
    )
