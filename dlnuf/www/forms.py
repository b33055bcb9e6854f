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
