"""The search and filter form of the request lists (page and CSV export alike)."""

from typing import Any

from django import forms

from dlnuf.habilitations.models import RequestState
from dlnuf.habilitations.selectors import RequestFilters
from dlnuf.www.forms import PortalForm

FRENCH_DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]
DATE_ERRORS = {
    "invalid": "Saisissez une date au format jj/mm/aaaa, par exemple 31/12/2026.",
}
ORDER_CHOICES = [
    ("recent", "Mise à jour la plus récente d'abord"),
    ("ancien", "Mise à jour la plus ancienne d'abord"),
    ("soumission-recente", "Soumission la plus récente d'abord"),
    ("soumission-ancienne", "Soumission la plus ancienne d'abord"),
]


def _french_date(label: str, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=False,
        # Explicit, so that 01/02/2026 is the first of February whatever language is active.
        input_formats=FRENCH_DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"placeholder": "jj/mm/aaaa", "inputmode": "numeric"}
        ),
        error_messages=DATE_ERRORS,
    )


class RequestSearchForm(PortalForm):
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
    du = _french_date("Soumise à partir du", "Format jj/mm/aaaa.")
    au = _french_date("Soumise jusqu'au", "Format jj/mm/aaaa, jour inclus.")
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and start > end:
            self.add_error("au", "Cette date doit suivre celle du début de la période.")
        return cleaned

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
