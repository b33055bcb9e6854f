from typing import Any

from django import forms

from dlnuf.toolbox.accessibility.criteria import GRID_LABELS, all_criteria
from dlnuf.toolbox.accessibility.fetching import MAX_PAGES, SampleRefused, parse_sample
from dlnuf.toolbox.accessibility.scoring import DECISION_LABELS
from dlnuf.toolbox.accessibility.services import MAX_NOTE
from dlnuf.www.forms import PortalForm


class AccessibilityAuditForm(PortalForm):
    site_name = forms.CharField(
        label="Nom du site ou du service",
        help_text="Tel qu'il figurera dans la déclaration d'accessibilité.",
        max_length=200,
    )
    organisation = forms.CharField(
        label="Organisation responsable",
        help_text="Par exemple « Mairie de Lyon ».",
        max_length=200,
    )
    pages = forms.CharField(
        label="Pages à auditer",
        help_text=(
            f"Une adresse par ligne, au plus {MAX_PAGES}, toutes sur le même site ; vous pouvez "
            "nommer une page ainsi : « Accueil | https://www.exemple.fr/ »."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_PAGES * 620,
    )
    grid = forms.ChoiceField(
        label="Grille d'audit",
        help_text=(
            "Seul l'audit complet peut donner un état de conformité ; les audits rapide et "
            "complémentaire repèrent les défauts les plus fréquents."
        ),
        choices=list(GRID_LABELS.items()),
        initial="quick",
        widget=forms.RadioSelect,
    )
    contact_email = forms.EmailField(
        label="Adresse de contact pour la déclaration",
        help_text="Adresse à laquelle les usagers signalent un défaut d'accessibilité.",
        required=False,
        error_messages={"invalid": "Saisissez une adresse électronique valide."},
    )

    def clean_pages(self) -> list[dict[str, str]]:
        try:
            sample = parse_sample(self.cleaned_data["pages"])
        except SampleRefused as error:
            raise forms.ValidationError(str(error)) from error
        return [page.as_json() for page in sample]


class DecisionForm(PortalForm):
    criterion = forms.ChoiceField(label="Critère", choices=())
    page = forms.ChoiceField(
        label="Page de l'échantillon",
        help_text="Un critère est conforme s'il l'est, ou non applicable, sur chaque page.",
        choices=(),
        required=False,
    )
    status = forms.ChoiceField(
        label="Décision",
        choices=[
            *DECISION_LABELS.items(),
            ("", "Retirer la décision (revenir au constat automatique)"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    note = forms.CharField(
        label="Justification",
        help_text="Ce que vous avez vérifié, sur quelles pages.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_NOTE,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        criteria: tuple[str, ...] = (),
        pages: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        known = all_criteria()
        self.fields["criterion"].choices = [
            (number, f"{number} — {known[number].title}") for number in criteria
        ]
        self.fields["page"].choices = [
            ("", "Toutes les pages de l'échantillon"),
            *((url, f"{label} — {url}") for url, label in pages or ()),
        ]
