"""The value calculator's form: assumptions, a year-by-year grid sized to the horizon, and the
scored criteria. Amounts are refused when negative; the grid follows the horizon chosen."""

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from dsfr.utils import dsfr_input_class_attr

from dlnuf.toolbox.mareva.compute import (
    CRITERIA,
    DEFAULT_AGENT_ETPT_COST,
    DEFAULT_BUILD_ETPT_COST,
    DEFAULT_DISCOUNT_RATE,
    DEFAULT_HORIZON,
    DEFAULT_WEIGHTS,
    DEFAULT_YEAR_ZERO,
    MAX_HORIZON,
    MIN_HORIZON,
    SCORE_LABELS,
    YEAR_ROWS,
    YEAR_ZERO_CHOICES,
)
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import (
    NARROW_NO_BREAK_SPACE,
    FrenchDecimalField,
    FrenchIntegerField,
    FrenchPercentField,
    format_french_number,
    parse_french_number,
)
from dlnuf.www.toolbox_views.forms import MissionChoiceForm

AXIS_TITLES = {
    "necessity": "Nécessité",
    "strategic": "Valeur stratégique",
    "risk": "Risques (0 = risque faible, 4 = risque très élevé)",
}
WEIGHT_LABELS = {
    "necessity": "Poids de la nécessité (%)",
    "strategic": "Poids de la valeur stratégique (%)",
    "profitability": "Poids de la rentabilité (%)",
}


# Ten billion euros a year, or as many full-time equivalents, is beyond any project here: a
# larger figure is a typing slip.
MAX_AMOUNT = 10_000_000_000
MAX_ETPT = 100_000


def _amount(
    label: str, *, initial: Any = None, required: bool = True, maximum: int = MAX_AMOUNT
) -> FrenchDecimalField:
    return FrenchDecimalField(
        label=label,
        minimum=0,
        maximum=maximum,
        decimal_places=2,
        required=required,
        initial=initial,
        error_messages={
            "required": "Saisissez une valeur (0 si aucune).",
            "min_value": "Un montant ne peut pas être négatif.",
        },
    )


WEIGHTS_TOTAL = Decimal(100)


def grid_name(key: str, year: int) -> str:
    return f"{key}_{year}"


class MarevaForm(PortalForm):
    title = forms.CharField(
        label="Intitulé du projet",
        max_length=200,
        error_messages={"required": "Donnez un intitulé au projet."},
    )
    horizon = FrenchIntegerField(
        label="Horizon (années)",
        help_text=f"De {MIN_HORIZON} à {MAX_HORIZON} ans ; la grille compte une colonne par année.",
        minimum=MIN_HORIZON,
        maximum=MAX_HORIZON,
        initial=DEFAULT_HORIZON,
        error_messages={
            "required": "Indiquez l'horizon.",
            "min_value": f"L'horizon doit être d'au moins {MIN_HORIZON} ans.",
            "max_value": f"L'horizon ne peut dépasser {MAX_HORIZON} ans.",
        },
    )
    discount_rate = FrenchPercentField(
        label="Taux d'actualisation (%)",
        help_text=(
            "Hypothèse : 4 % par défaut, le taux officiel de MAREVA 2 n'étant pas publié. "
            "Modifiable ; une virgule pour les décimales, par exemple 4,5."
        ),
        minimum=0,
        maximum=50,
        decimal_places=2,
        initial=Decimal(str(DEFAULT_DISCOUNT_RATE * 100)),
        error_messages={"required": "Indiquez le taux d'actualisation."},
    )
    year_zero = forms.ChoiceField(
        label="Convention pour la première année",
        choices=list(YEAR_ZERO_CHOICES.items()),
        initial=DEFAULT_YEAR_ZERO,
        widget=forms.RadioSelect,
    )
    build_etpt_cost = _amount(
        "Coût annuel d'un ETPT de l'équipe projet (€)", initial=int(DEFAULT_BUILD_ETPT_COST)
    )
    agent_etpt_cost = _amount(
        "Coût annuel d'un ETPT d'agent (gains de temps, €)", initial=int(DEFAULT_AGENT_ETPT_COST)
    )

    def __init__(self, *args: Any, can_attach: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for axis, weight in DEFAULT_WEIGHTS.items():
            self.fields[f"weight_{axis}"] = FrenchPercentField(
                label=WEIGHT_LABELS[axis],
                help_text="Les trois poids totalisent 100 %.",
                decimal_places=2,
                initial=int(weight * 100),
                error_messages={"required": "Saisissez un poids (0 si aucun)."},
            )
        for criteria in CRITERIA.values():
            for key, label in criteria:
                self.fields[f"score_{key}"] = forms.TypedChoiceField(
                    label=label,
                    choices=list(SCORE_LABELS.items()),
                    coerce=int,
                    initial=2,
                    error_messages={"required": "Notez ce critère de 0 à 4."},
                )
        self.columns = self._columns()
        for key, label, unit, _ in YEAR_ROWS:
            for year in range(1, self.columns + 1):
                self.fields[grid_name(key, year)] = _amount(
                    f"{label}, année {year} ({unit})",
                    required=False,
                    maximum=MAX_ETPT if unit == "ETPT" else MAX_AMOUNT,
                )
        if can_attach:
            self.fields["mission"] = copy.deepcopy(MissionChoiceForm.base_fields["mission"])
            self.fields["mission"].label = "Rattacher à une mission"
        # Fields added above get the design system's classes too.
        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)

    def full_clean(self) -> None:
        super().full_clean()
        # Grid cells are drawn bare in a table: their errors are tied to them here.
        for name in self.errors:
            if name in self.fields and name.rsplit("_", 1)[-1].isdigit():
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"id_{name}-erreur"}
                )

    def _columns(self) -> int:
        """The grid follows the horizon asked for, when it is a valid one."""
        raw = self.data.get("horizon") if self.is_bound else self.initial.get("horizon")
        try:
            wanted = int(parse_french_number(str(raw), integer=True)) if raw else DEFAULT_HORIZON
        except ValidationError:
            try:
                wanted = int(parse_french_number(str(self.data.get("columns")), integer=True))
            except ValidationError:
                wanted = DEFAULT_HORIZON
        return max(MIN_HORIZON, min(MAX_HORIZON, wanted))

    # Groups for the template.
    def head_fields(self) -> list[forms.BoundField]:
        return [self["title"], self["horizon"]]

    def assumption_fields(self) -> list[forms.BoundField]:
        names = ["discount_rate", "build_etpt_cost", "agent_etpt_cost"]
        return [self[name] for name in names] + [self[f"weight_{axis}"] for axis in DEFAULT_WEIGHTS]

    def grid_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": label,
                "unit": unit,
                "side": side,
                "cells": [self[grid_name(key, year)] for year in range(1, self.columns + 1)],
            }
            for key, label, unit, side in YEAR_ROWS
        ]

    def grid_errors(self) -> list[tuple[forms.BoundField, str]]:
        return [
            (cell, error)
            for row in self.grid_rows()
            for cell in row["cells"]
            for error in cell.errors
        ]

    def score_groups(self) -> list[dict[str, Any]]:
        return [
            {
                "axis": axis,
                "title": AXIS_TITLES[axis],
                "fields": [self[f"score_{key}"] for key, _ in criteria],
            }
            for axis, criteria in CRITERIA.items()
        ]

    def year_numbers(self) -> list[int]:
        return list(range(1, self.columns + 1))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        shown = self.data.get("columns")
        if shown and str(shown) != str(self.columns):
            raise forms.ValidationError(
                f"La grille a été adaptée à un horizon de {self.columns} ans : vérifiez les "
                "montants de chaque année, puis validez de nouveau."
            )
        weights = [data.get(f"weight_{axis}") for axis in DEFAULT_WEIGHTS]
        if all(weight is not None for weight in weights):
            total = sum(weights, Decimal(0))
            if total != WEIGHTS_TOTAL:
                self.add_error(
                    "weight_necessity",
                    f"Les trois poids doivent totaliser 100{NARROW_NO_BREAK_SPACE}% ; ils "
                    f"totalisent {format_french_number(total)}{NARROW_NO_BREAK_SPACE}%.",
                )
        return data

    def to_inputs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "assumptions": {
                "horizon": self.columns,
                "discount_rate": float(data["discount_rate"]) / 100,
                "year_zero": data["year_zero"],
                "build_etpt_cost": float(data["build_etpt_cost"]),
                "agent_etpt_cost": float(data["agent_etpt_cost"]),
                "weights": {axis: float(data[f"weight_{axis}"]) / 100 for axis in DEFAULT_WEIGHTS},
            },
            "years": {
                key: [
                    float(data.get(grid_name(key, year)) or 0)
                    for year in range(1, self.columns + 1)
                ]
                for key, _, _, _ in YEAR_ROWS
            },
            "scores": {
                key: data[f"score_{key}"] for criteria in CRITERIA.values() for key, _ in criteria
            },
        }


def initial_from_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The form's initial values for stored inputs (modify and recompute, or the example).
    Reports stored by earlier versions may lack keys: the form's defaults fill the gaps."""
    assumptions = inputs.get("assumptions") or {}
    weights = {**DEFAULT_WEIGHTS, **(assumptions.get("weights") or {})}
    initial: dict[str, Any] = {
        "title": inputs.get("title", ""),
        "horizon": assumptions.get("horizon", DEFAULT_HORIZON),
        "discount_rate": _plain(assumptions.get("discount_rate", DEFAULT_DISCOUNT_RATE) * 100),
        "year_zero": assumptions.get("year_zero", DEFAULT_YEAR_ZERO),
        "build_etpt_cost": _plain(assumptions.get("build_etpt_cost", DEFAULT_BUILD_ETPT_COST)),
        "agent_etpt_cost": _plain(assumptions.get("agent_etpt_cost", DEFAULT_AGENT_ETPT_COST)),
    }
    for axis, weight in weights.items():
        initial[f"weight_{axis}"] = _plain(weight * 100)
    for key, values in (inputs.get("years") or {}).items():
        for year, value in enumerate(values, start=1):
            initial[grid_name(key, year)] = _plain(value)
    for key, score in (inputs.get("scores") or {}).items():
        initial[f"score_{key}"] = int(score)
    return initial


def _plain(value: float) -> int | float:
    # Shown as people type them: 250000, not 2.5E+5 nor 250000.00.
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded
