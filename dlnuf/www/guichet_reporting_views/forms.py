from typing import Any

from django import forms

from dlnuf.support.reporting import Period
from dlnuf.www.forms import PortalForm

DATE_ERRORS = {"invalid": "Saisissez une date valide, par exemple 31/12/2025."}


class PeriodForm(PortalForm):
    du = forms.DateField(
        label="Du",
        help_text="Premier jour de la période.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )
    au = forms.DateField(
        label="Au",
        help_text="Dernier jour de la période, inclus.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )

    def __init__(self, *args: Any, default: Period, **kwargs: Any) -> None:
        super().__init__(*args, initial={"du": default.start, "au": default.end}, **kwargs)
        self.default = default

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start = cleaned.get("du") or self.default.start
        end = cleaned.get("au") or self.default.end
        if not self.errors and start > end:
            self.add_error("au", "La fin de la période doit suivre son début.")
        return cleaned

    def period(self) -> Period:
        """The chosen period; the default one for a missing bound or an invalid form."""
        if not self.is_bound or not self.is_valid():
            return self.default
        return Period(
            start=self.cleaned_data.get("du") or self.default.start,
            end=self.cleaned_data.get("au") or self.default.end,
        )
