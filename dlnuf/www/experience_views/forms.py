from django import forms

from dlnuf.support.models import KnowledgeSource
from dlnuf.www.forms import PortalForm

REASON_MAX_LENGTH = 2000


class KnowledgeSearchForm(PortalForm):
    q = forms.CharField(
        label="Rechercher un cas proche",
        help_text="Décrivez le problème avec vos mots : les cas les plus proches viennent en tête.",
        required=False,
        max_length=1000,
        error_messages={"max_length": "1 000 caractères au plus."},
    )
    source = forms.ChoiceField(
        label="Origine des cas",
        choices=[("", "Toutes les origines"), *KnowledgeSource.choices],
        required=False,
        error_messages={"invalid_choice": "Choisissez une origine de la liste."},
    )


class IntroductionForm(PortalForm):
    reason = forms.CharField(
        label="Pourquoi ce rapprochement",
        help_text=(
            "Les deux parties liront ce texte avant d'accepter ; n'y mettez aucune coordonnée."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
        error_messages={
            "required": "Expliquez en quelques mots pourquoi ce rapprochement est utile.",
            "max_length": f"{REASON_MAX_LENGTH} caractères au plus.",
        },
    )
