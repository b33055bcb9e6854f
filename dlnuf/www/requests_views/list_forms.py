"""The search and filter form of the request lists (page and CSV export alike)."""

from typing import Any

from django import forms

from dlnuf.habilitations.models import RequestState
from dlnuf.habilitations.selectors import RequestFilters
from dlnuf.www.forms import PeriodSearchForm, french_date_field

ORDER_CHOICES = [
    ("recent", "Mise à jour la plus récente d'abord"),
    ("ancien", "Mise à jour la plus ancienne d'abord"),
    ("soumission-recente", "Soumission la plus récente d'abord"),
    ("soumission-ancienne", "Soumission la plus ancienne d'abord"),
]


class RequestSearchForm(PeriodSearchForm):
    q = forms.CharField(
        label="Rechercher",
        help_text="Intitulé, numéro de demande, nom ou SIRET de l'organisation, donnée.",
        required=False,
        max_length=200,
    )
    etat = forms.ChoiceField(label="État", required=False)
    donnee = forms.TypedChoiceField(label="Donnée", required=False, coerce=int, empty_value=None)
    organisation = forms.TypedChoiceField(
        label="Organisation", required=False, coerce=int, empty_value=None
    )
    du = french_date_field("Soumise à partir du", "Format jj/mm/aaaa.")
    au = french_date_field("Soumise jusqu'au", "Format jj/mm/aaaa, jour inclus.")
    tri = forms.ChoiceField(label="Trier par", required=False, choices=ORDER_CHOICES)

    def __init__(
        self,
        *args: Any,
        datasets: list[tuple[int, str]],
        organisations: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["etat"].choices = [("", "Tous les états")] + [
            (value, str(label).capitalize()) for value, label in RequestState.choices
        ]
        self.fields["donnee"].choices = [("", "Toutes les données"), *datasets]
        self.fields["organisation"].choices = [("", "Toutes les organisations"), *organisations]

    def filters(self) -> RequestFilters:
        """The criteria typed correctly; a wrong one is shown as an error and left out."""
        self.is_valid()
        values = self.cleaned_data
        return RequestFilters(
            query=values.get("q") or "",
            state=values.get("etat") or "",
            dataset_id=values.get("donnee"),
            organisation_id=values.get("organisation"),
            submitted_from=values.get("du"),
            submitted_to=values.get("au"),
            order=values.get("tri") or "recent",
        )

    def is_filtered(self) -> bool:
        return any(
            self.data.get(name) for name in ("q", "etat", "donnee", "organisation", "du", "au")
        )
