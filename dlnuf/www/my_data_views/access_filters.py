"""The one GET form of « Mes données »: which organisation (for an agent of several), the
period, the administration and the dataset. The page and its exports read the same form, so a
download holds exactly the lines the page shows."""

from typing import Any

from django import forms

from dlnuf.people.accesses import AccessFilters, FilterChoice
from dlnuf.www.forms import PeriodSearchForm, french_date_field

FILTER_NAMES = ("du", "au", "administration", "donnee")


class AccessFilterForm(PeriodSearchForm):
    pour = forms.ChoiceField(
        label="Organisation concernée",
        help_text="Les consultations des données de l'entreprise ou de l'organisme choisi.",
        required=False,
    )
    du = french_date_field("Consultées à partir du", "Format jj/mm/aaaa.")
    au = french_date_field("Consultées jusqu'au", "Format jj/mm/aaaa, jour inclus.")
    administration = forms.ChoiceField(label="Administration", required=False)
    donnee = forms.ChoiceField(label="Donnée consultée", required=False)

    def __init__(
        self,
        *args: Any,
        organisations: list[FilterChoice],
        administrations: list[FilterChoice],
        datasets: list[FilterChoice],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if len(organisations) > 1:
            self.fields["pour"].choices = [(item.value, item.label) for item in organisations]
        else:
            del self.fields["pour"]
        self.fields["administration"].choices = [("", "Toutes les administrations")] + [
            (item.value, item.label) for item in administrations
        ]
        self.fields["donnee"].choices = [("", "Toutes les données")] + [
            (item.value, item.label) for item in datasets
        ]
        self.fields["administration"].error_messages["invalid_choice"] = (
            "Aucune de vos consultations ne vient de cette administration : choisissez-en une "
            "de la liste."
        )
        self.fields["donnee"].error_messages["invalid_choice"] = (
            "Aucune de vos consultations ne porte sur cette donnée : choisissez-en une de la liste."
        )

    def filters(self) -> AccessFilters:
        """The criteria typed correctly; a wrong one is shown as an error and left out."""
        self.is_valid()
        values = self.cleaned_data
        return AccessFilters(
            start=values.get("du"),
            end=values.get("au"),
            consumer_siret=values.get("administration") or "",
            dataset_slug=values.get("donnee") or "",
        )

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in FILTER_NAMES)
