"""The cost-review form: the team's estimate, optional three-point packages, an optional size
(KSLOC, function points or a detailed IFPUG count) and the COCOMO II ratings."""

import copy
from collections.abc import Mapping
from typing import Any

from django import forms
from dsfr.utils import dsfr_input_class_attr

from dlnuf.toolbox.costing import cocomo, ifpug, pert
from dlnuf.toolbox.costing.reference import PHASES, panorama_ministries
from dlnuf.toolbox.costing.review import (
    DEFAULT_COCOMO_P80_MARGIN,
    DEFAULT_DAILY_RATE,
    DEFAULT_HOURS_PER_DAY,
    DEFAULT_HOURS_PER_PM,
    SIZE_MODES,
    UNITS,
)
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import FrenchDecimalField, FrenchIntegerField, FrenchPercentField
from dlnuf.www.toolbox_views.forms import MissionChoiceForm

PACKAGE_ROWS = 6
PACKAGE_COLUMNS = (
    ("name", "Lot"),
    ("optimistic", "Optimiste"),
    ("most_likely", "Probable"),
    ("pessimistic", "Pessimiste"),
)


# Beyond these, a figure is a typing slip rather than a project: ten billion euros, fifty years,
# a hundred million days.
MAX_COST = 10_000_000_000
MAX_MONTHS = 600
MAX_DAYS = 100_000_000
MAX_KSLOC = 100_000
MAX_FUNCTION_POINTS = 10_000_000
MAX_FUNCTIONS_COUNTED = 100_000


def _number(
    label: str, *, maximum: int, required: bool = True, initial: Any = None
) -> FrenchDecimalField:
    return FrenchDecimalField(
        label=label,
        required=required,
        initial=initial,
        minimum=0,
        maximum=maximum,
        decimal_places=2,
        error_messages={
            "required": "Ce champ est obligatoire.",
            "min_value": "Cette valeur ne peut pas être négative.",
        },
    )


class CostingForm(PortalForm):
    title = forms.CharField(
        label="Intitulé du projet",
        max_length=200,
        error_messages={"required": "Donnez un intitulé au projet."},
    )
    cost = _number("Coût estimé par l'équipe (€)", maximum=MAX_COST)
    months = _number("Durée estimée (mois)", maximum=MAX_MONTHS)
    phase = forms.ChoiceField(
        label="Phase du projet",
        choices=[(key, label) for key, (label, _) in PHASES.items()],
        initial="framing",
    )
    contingency = _number(
        "Dont provision pour aléas (€)", maximum=MAX_COST, required=False, initial=0
    )
    ministry = forms.ChoiceField(label="Ministère porteur", required=False)
    daily_rate = _number(
        "Coût d'un jour-personne (€)", maximum=100_000, initial=int(DEFAULT_DAILY_RATE)
    )
    hours_per_pm = _number(
        "Heures par mois-personne (COCOMO)", maximum=744, initial=int(DEFAULT_HOURS_PER_PM)
    )
    hours_per_day = _number("Heures par jour-personne", maximum=24, initial=DEFAULT_HOURS_PER_DAY)
    unit = forms.ChoiceField(
        label="Unité des estimations en trois points",
        choices=list(UNITS.items()),
        initial="days",
        widget=forms.RadioSelect,
    )
    distribution = forms.ChoiceField(
        label="Loi du tirage de Monte-Carlo",
        choices=list(pert.DISTRIBUTIONS.items()),
        initial="beta_pert",
    )
    size_mode = forms.ChoiceField(
        label="Mesure de la taille",
        choices=list(SIZE_MODES.items()),
        initial="none",
        widget=forms.RadioSelect,
    )
    ksloc = _number("Milliers de lignes de code (KSLOC)", maximum=MAX_KSLOC, required=False)
    function_points = _number("Points de fonction", maximum=MAX_FUNCTION_POINTS, required=False)
    language = forms.ChoiceField(
        label="Langage principal (conversion en lignes de code, approximative)",
        choices=[
            (key, f"{item['label']} ({item['value']} lignes par point)")
            for key, item in ifpug.backfiring()["sloc_per_function_point"].items()
        ],
        initial="java",
    )
    p80_margin = FrenchPercentField(
        label="Marge COCOMO pour le P80 (%)",
        maximum=200,
        decimal_places=2,
        initial=int(DEFAULT_COCOMO_P80_MARGIN * 100),
        error_messages={"required": "Ce champ est obligatoire."},
    )

    def __init__(self, *args: Any, can_attach: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ministry"].choices = [("", "Non précisé"), *panorama_ministries()]
        for row in range(1, PACKAGE_ROWS + 1):
            self.fields[f"package_{row}_name"] = forms.CharField(
                label=f"Lot {row} : intitulé", required=False, max_length=120
            )
            for key, label in PACKAGE_COLUMNS[1:]:
                self.fields[f"package_{row}_{key}"] = _number(
                    f"Lot {row} : estimation {label.lower()}", maximum=MAX_DAYS, required=False
                )
        for kind, kind_label in ifpug.FUNCTION_TYPES.items():
            for level, level_label in ifpug.COMPLEXITIES.items():
                self.fields[f"fp_{kind}_{level}"] = FrenchIntegerField(
                    label=f"{kind_label} ({kind}), complexité {level_label}",
                    required=False,
                    minimum=0,
                    maximum=MAX_FUNCTIONS_COUNTED,
                    error_messages={
                        "min_value": "Un nombre de fonctions ne peut pas être négatif."
                    },
                )
        for index, label in enumerate(ifpug.GSC, start=1):
            self.fields[f"gsc_{index}"] = forms.TypedChoiceField(
                label=f"{index}. {label}",
                choices=[(value, str(value)) for value in range(ifpug.GSC_MAX + 1)],
                coerce=int,
                initial=3,
            )
        tables = cocomo.tables()
        labels = tables["rating_labels"]
        for group in ("scale_factors", "effort_multipliers"):
            for name, driver in tables[group].items():
                self.fields[f"cocomo_{name}"] = forms.ChoiceField(
                    label=f"{driver['label']} ({name})",
                    choices=[
                        (rating, f"{labels[rating]} ({value:g})")
                        for rating, value in driver["values"].items()
                    ],
                    initial=cocomo.NOMINAL,
                )
        if can_attach:
            self.fields["mission"] = copy.deepcopy(MissionChoiceForm.base_fields["mission"])
            self.fields["mission"].label = "Rattacher à une mission"
        for visible in self.visible_fields():
            dsfr_input_class_attr(visible)

    def full_clean(self) -> None:
        super().full_clean()
        # Cells of the packages and function-point tables are drawn bare: tie their errors.
        for name in self.errors:
            if name.startswith(("package_", "fp_")):
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"id_{name}-erreur"}
                )

    # Groups for the template.
    def fields_named(self, *names: str) -> list[forms.BoundField]:
        return [self[name] for name in names]

    def estimate_fields(self) -> list[forms.BoundField]:
        return self.fields_named("title", "cost", "months", "phase", "contingency", "ministry")

    def assumption_fields(self) -> list[forms.BoundField]:
        return self.fields_named("daily_rate", "hours_per_day", "hours_per_pm", "p80_margin")

    def package_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "number": row,
                "cells": [self[f"package_{row}_{key}"] for key, _ in PACKAGE_COLUMNS],
            }
            for row in range(1, PACKAGE_ROWS + 1)
        ]

    def package_headers(self) -> list[str]:
        return [label for _, label in PACKAGE_COLUMNS]

    def fp_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": f"{label} ({kind})",
                "cells": [self[f"fp_{kind}_{level}"] for level in ifpug.COMPLEXITIES],
            }
            for kind, label in ifpug.FUNCTION_TYPES.items()
        ]

    def complexity_headers(self) -> list[str]:
        return [f"Complexité {label}" for label in ifpug.COMPLEXITIES.values()]

    def gsc_fields(self) -> list[forms.BoundField]:
        return [self[f"gsc_{index}"] for index in range(1, len(ifpug.GSC) + 1)]

    def scale_factor_fields(self) -> list[forms.BoundField]:
        return [self[f"cocomo_{name}"] for name in cocomo.scale_factor_names()]

    def effort_multiplier_fields(self) -> list[forms.BoundField]:
        return [self[f"cocomo_{name}"] for name in cocomo.effort_multiplier_names()]

    def table_errors(self) -> list[tuple[forms.BoundField, str]]:
        cells = [cell for row in self.package_rows() for cell in row["cells"]] + [
            cell for row in self.fp_rows() for cell in row["cells"]
        ]
        return [(cell, error) for cell in cells for error in cell.errors]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        cost = data.get("cost")
        if cost is not None and cost <= 0:
            self.add_error("cost", "Le coût estimé doit être supérieur à zéro.")
        months = data.get("months")
        if months is not None and months <= 0:
            self.add_error("months", "La durée estimée doit être supérieure à zéro.")
        contingency = data.get("contingency") or 0
        if cost and contingency >= cost:
            self.add_error("contingency", "La provision doit rester inférieure au coût estimé.")
        for key in ("daily_rate", "hours_per_day", "hours_per_pm"):
            if data.get(key) is not None and data[key] <= 0:
                self.add_error(key, "Cette valeur doit être supérieure à zéro.")
        for row in range(1, PACKAGE_ROWS + 1):
            values = [data.get(f"package_{row}_{key}") for key, _ in PACKAGE_COLUMNS[1:]]
            named = bool(data.get(f"package_{row}_name"))
            if not named and all(value is None for value in values):
                continue
            if any(value is None for value in values):
                self.add_error(
                    f"package_{row}_optimistic",
                    "Donnez les trois estimations du lot (optimiste, probable, pessimiste).",
                )
            elif not values[0] <= values[1] <= values[2]:
                self.add_error(
                    f"package_{row}_most_likely",
                    "Il faut optimiste ≤ probable ≤ pessimiste.",
                )
        mode = data.get("size_mode")
        if mode == "ksloc" and not data.get("ksloc"):
            self.add_error("ksloc", "Indiquez la taille en milliers de lignes de code.")
        if mode == "fp" and not data.get("function_points"):
            self.add_error("function_points", "Indiquez le nombre de points de fonction.")
        if mode == "ifpug" and not any(
            data.get(f"fp_{kind}_{level}") for kind in ifpug.WEIGHTS for level in ifpug.COMPLEXITIES
        ):
            self.add_error(None, "Comptez au moins une fonction pour le comptage IFPUG.")
        return data

    def to_inputs(self) -> dict[str, Any]:
        data = self.cleaned_data
        packages = []
        for row in range(1, PACKAGE_ROWS + 1):
            values = [data.get(f"package_{row}_{key}") for key, _ in PACKAGE_COLUMNS[1:]]
            if all(value is None for value in values):
                continue
            packages.append(
                {
                    "name": data.get(f"package_{row}_name") or f"Lot {row}",
                    "optimistic": float(values[0]),
                    "most_likely": float(values[1]),
                    "pessimistic": float(values[2]),
                }
            )
        mode = data["size_mode"]
        size: dict[str, Any] = {"mode": mode}
        if mode == "ksloc":
            size["ksloc"] = float(data["ksloc"])
        elif mode in {"fp", "ifpug"}:
            size["language"] = data["language"]
            if mode == "fp":
                size["function_points"] = float(data["function_points"])
            else:
                size["ifpug"] = {
                    "counts": {
                        kind: {
                            level: int(data.get(f"fp_{kind}_{level}") or 0)
                            for level in ifpug.COMPLEXITIES
                        }
                        for kind in ifpug.WEIGHTS
                    },
                    "gsc": [data[f"gsc_{index}"] for index in range(1, len(ifpug.GSC) + 1)],
                }
        return {
            "title": data["title"],
            "estimate": {
                "cost": float(data["cost"]),
                "months": float(data["months"]),
                "phase": data["phase"],
                "ministry": data.get("ministry") or "",
                "contingency": float(data.get("contingency") or 0),
            },
            "daily_rate": float(data["daily_rate"]),
            "hours_per_pm": float(data["hours_per_pm"]),
            "hours_per_day": float(data["hours_per_day"]),
            "size": size,
            "three_point": {
                "unit": data["unit"],
                "distribution": data["distribution"],
                "packages": packages,
            },
            "cocomo": {
                "ratings": {
                    name: data[f"cocomo_{name}"]
                    for name in cocomo.scale_factor_names() + cocomo.effort_multiplier_names()
                    if data[f"cocomo_{name}"] != cocomo.NOMINAL
                },
                "p80_margin": float(data["p80_margin"]) / 100,
            },
            "seed": pert.DEFAULT_SEED,
        }


def initial_from_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The form's initial values for stored inputs (modify and recompute). Reports stored by
    earlier versions lack some keys (the demonstration's has no provision nor P80 margin): the
    form's own defaults fill the gaps rather than failing."""
    defaults = {name: field.initial for name, field in CostingForm.base_fields.items()}
    estimate = inputs.get("estimate") or {}
    three_point = inputs.get("three_point") or {}
    size = inputs.get("size") or {}
    cocomo_inputs = inputs.get("cocomo") or {}
    initial: dict[str, Any] = {"title": inputs.get("title", "")}
    for key in ("cost", "months", "contingency"):
        initial[key] = _plain(estimate[key]) if key in estimate else defaults[key]
    initial["phase"] = estimate.get("phase", defaults["phase"])
    initial["ministry"] = estimate.get("ministry", "")
    for key in ("daily_rate", "hours_per_pm", "hours_per_day"):
        initial[key] = _plain(inputs[key]) if key in inputs else defaults[key]
    initial["unit"] = three_point.get("unit", defaults["unit"])
    initial["distribution"] = three_point.get("distribution", defaults["distribution"])
    initial["size_mode"] = size.get("mode", defaults["size_mode"])
    initial["p80_margin"] = (
        _plain(cocomo_inputs["p80_margin"] * 100)
        if "p80_margin" in cocomo_inputs
        else defaults["p80_margin"]
    )
    for row, package in enumerate(three_point.get("packages", [])[:PACKAGE_ROWS], start=1):
        initial[f"package_{row}_name"] = package.get("name", "")
        for key, _ in PACKAGE_COLUMNS[1:]:
            if key in package:
                initial[f"package_{row}_{key}"] = _plain(package[key])
    for key in ("ksloc", "function_points"):
        if key in size:
            initial[key] = _plain(size[key])
    if "language" in size:
        initial["language"] = size["language"]
    counted = size.get("ifpug") or {}
    for kind, levels in (counted.get("counts") or {}).items():
        for level, count in levels.items():
            initial[f"fp_{kind}_{level}"] = count or None
    for index, value in enumerate(counted.get("gsc") or [], start=1):
        initial[f"gsc_{index}"] = value
    for name, rating in (cocomo_inputs.get("ratings") or {}).items():
        initial[f"cocomo_{name}"] = rating
    return initial


def _plain(value: float) -> int | float:
    rounded = round(float(value), 2)
    return int(rounded) if rounded.is_integer() else rounded
