from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms

from dlnuf.organisations.models import Organisation
from dlnuf.procedures.imports import MAX_FILE_BYTES, ImportRefused, read_form_export
from dlnuf.procedures.selectors import ItemCoverage
from dlnuf.www.forms import PortalForm
from dlnuf.www.numbers import FrenchIntegerField, FrenchPercentField, format_french_number

MAX_TYPED_LINES = 50


class ProcedureForm(PortalForm):
    name = forms.CharField(
        label="Nom de la démarche",
        help_text="Tel que les usagers le voient, par exemple « Inscription à la cantine ».",
        max_length=255,
    )
    url = forms.URLField(
        label="Adresse de la démarche en ligne",
        help_text="Par exemple https://www.ville.fr/cantine (facultatif pour une démarche papier).",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Saisissez une adresse web complète, commençant par https://."},
    )
    yearly_volume = FrenchIntegerField(
        label="Nombre de dossiers par an",
        help_text="Une estimation suffit ; elle sert à compter les pièces évitées chaque année.",
        minimum=0,
        maximum=100_000_000,
        error_messages={"min_value": "Le nombre de dossiers ne peut pas être négatif."},
    )
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choisissez une de vos organisations."},
    )

    def __init__(self, *args: Any, organisations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations


class ItemsAddForm(PortalForm):
    """Typed lines, ticked common documents and an imported export, added in one submit so that
    nothing entered in one part is lost when another is sent; each part is optional."""

    labels = forms.CharField(
        label="Éléments demandés",
        help_text=(
            "Un élément par ligne, tel qu'il figure dans le formulaire : pièce justificative "
            "(« Avis d'imposition ») ou champ (« Quotient familial »)."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TYPED_LINES * 260,
        required=False,
    )
    items = forms.MultipleChoiceField(
        label="Pièces et éléments courants",
        help_text="Cochez ce que la démarche demande aux usagers.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Cet élément n'est plus proposé ; rechargez la page."},
    )
    export = forms.FileField(
        label="Export du formulaire",
        help_text=(
            f"Fichier CSV avec une colonne « libellé » (ou une seule colonne), ou fichier JSON "
            f"contenant la liste des libellés ; {MAX_FILE_BYTES // 1024} Ko au plus."
        ),
        required=False,
        error_messages={"empty": "Le fichier est vide.", "invalid": "Envoyez un fichier."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = choices

    def clean_labels(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data["labels"].splitlines()]
        labels = [line for line in lines if line]
        if len(labels) > MAX_TYPED_LINES:
            raise forms.ValidationError(
                f"Saisissez au plus {MAX_TYPED_LINES} éléments à la fois ; importez un fichier "
                "pour davantage."
            )
        too_long = [label for label in labels if len(label) > 255]
        if too_long:
            raise forms.ValidationError(
                f"« {too_long[0][:40]}… » est trop long (255 caractères au plus par élément)."
            )
        return labels

    def clean_export(self) -> list[str]:
        upload = self.cleaned_data["export"]
        if not upload:
            return []
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"Le fichier dépasse {MAX_FILE_BYTES // 1024} Ko ({upload.size // 1024} Ko)."
            )
        try:
            result = read_form_export(name=upload.name, content=upload.read(MAX_FILE_BYTES + 1))
        except ImportRefused as error:
            raise forms.ValidationError(str(error)) from error
        return list(result.labels)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not any(cleaned.get(name) for name in ("labels", "items", "export")):
            raise forms.ValidationError(
                "Saisissez, cochez ou importez au moins un élément.", code="empty"
            )
        return cleaned


class CoverageForm(PortalForm):
    """The share of the procedure's public covered, item by item; an empty field goes back to
    the default share."""

    def __init__(self, *args: Any, rows: Sequence[ItemCoverage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[self.field_name(row.item_id)] = FrenchPercentField(
                label=f"Part du public couverte pour « {row.label} » (%)",
                help_text=(
                    f"Par défaut {format_french_number(row.default_share)}\u202f% ; videz le "
                    "champ pour revenir à cette valeur. Par exemple 55 ou 55,5 %."
                ),
                required=False,
                decimal_places=2,
                initial=row.share,
            )

    @staticmethod
    def field_name(item_id: int) -> str:
        return f"part_{item_id}"

    def shares(self) -> dict[int, Decimal | None]:
        """The agent's share of each item; None where it is empty or equal to the default, so
        that a later change of the default still applies."""
        shares: dict[int, Decimal | None] = {}
        for row in self.rows:
            value = self.cleaned_data[self.field_name(row.item_id)]
            shares[row.item_id] = None if value == row.default_share else value
        return shares
