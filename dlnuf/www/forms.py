"""The portal's form base: the State design system's form, marking optional fields."""

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm


class PortalForm(DsfrBaseForm):
    """Every portal form subclasses this (or mixes it in).

    The design system now marks optional fields rather than required ones; django-dsfr still
    warns about it on every render, so the context is built here with the new behaviour.
    """

    def get_context(self) -> dict[str, Any]:
        context: dict[str, Any] = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context


# Explicit, so that 01/02/2026 is the first of February whatever language is active.
FRENCH_DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]


def french_date_field(label: str, help_text: str) -> forms.DateField:
    """An optional date typed jj/mm/aaaa, with the error a person can act on."""
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=False,
        input_formats=FRENCH_DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"placeholder": "jj/mm/aaaa", "inputmode": "numeric"}
        ),
        error_messages={
            "invalid": "Saisissez une date au format jj/mm/aaaa, par exemple 31/12/2026."
        },
    )


class PeriodSearchForm(PortalForm):
    """A search form whose period runs from « du » to « au » (both french_date_field)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and start > end:
            self.add_error("au", "Cette date doit suivre celle du début de la période.")
        return cleaned
