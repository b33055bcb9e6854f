from typing import Any

from django import forms
from django.core.validators import MaxValueValidator

from dlnuf.organisations.models import Organisation
from dlnuf.procedures.imports import MAX_FILE_BYTES
from dlnuf.www.forms import PortalForm

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
    yearly_volume = forms.IntegerField(
        label="Nombre de dossiers par an",
        help_text="Une estimation suffit ; elle sert à compter les pièces évitées chaque année.",
        min_value=0,
        validators=[MaxValueValidator(100_000_000)],
        error_messages={
            "invalid": "Saisissez un nombre entier.",
            "min_value": "Le nombre de dossiers ne peut pas être négatif.",
        },
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


class TypedItemsForm(PortalForm):
    labels = forms.CharField(
        label="Éléments demandés",
        help_text=(
            "Un élément par ligne, tel qu'il figure dans le formulaire : pièce justificative "
            "(« Avis d'imposition ») ou champ (« Quotient familial »)."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_TYPED_LINES * 260,
        error_messages={"required": "Saisissez au moins un élément."},
    )

    def clean_labels(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data["labels"].splitlines()]
        labels = [line for line in lines if line]
        if not labels:
            raise forms.ValidationError("Saisissez au moins un élément.")
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


class PickItemsForm(PortalForm):
    items = forms.MultipleChoiceField(
        label="Pièces et éléments courants",
        help_text="Cochez ce que la démarche demande aux usagers.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Cochez au moins un élément.",
            "invalid_choice": "Cet élément n'est plus proposé ; rechargez la page.",
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = choices


class ImportItemsForm(PortalForm):
    export = forms.FileField(
        label="Export du formulaire",
        help_text=(
            f"Fichier CSV avec une colonne « libellé » (ou une seule colonne), ou fichier JSON "
            f"contenant la liste des libellés ; {MAX_FILE_BYTES // 1024} Ko au plus."
        ),
        error_messages={
            "required": "Choisissez un fichier.",
            "empty": "Le fichier est vide.",
            "invalid": "Envoyez un fichier.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}),
    )
