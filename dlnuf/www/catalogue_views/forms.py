from typing import Any

from django import forms

from dlnuf.catalogue.models import SubjectKind
from dlnuf.catalogue.selectors import CatalogueFacets, CatalogueQuery
from dlnuf.www.forms import PortalForm

_ANY = ("", "Tous")


class CatalogueSearchForm(PortalForm):
    """The catalogue's search and filters, sent by GET so that results can be linked to."""

    q = forms.CharField(
        label="Rechercher",
        help_text="Donnée, fournisseur, pièce justificative ou mot-clé (ex. : quotient familial).",
        required=False,
        max_length=200,
    )
    fournisseur = forms.ChoiceField(label="Fournisseur ou producteur", required=False)
    theme = forms.ChoiceField(label="Thème", required=False)
    usager = forms.ChoiceField(
        label="Données sur",
        required=False,
        choices=[
            _ANY,
            (SubjectKind.PERSON.value, "Particuliers"),
            (SubjectKind.COMPANY.value, "Entreprises et associations"),
        ],
    )
    piece = forms.ChoiceField(label="Pièce justificative remplacée", required=False)
    passerelle = forms.ChoiceField(
        label="Accès",
        required=False,
        choices=[
            _ANY,
            ("oui", "Servies par la passerelle du guichet"),
            ("non", "Autres API publiques (non servies par la passerelle)"),
        ],
    )

    def __init__(self, *args: Any, facets: CatalogueFacets, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fournisseur"].choices = [_ANY, *facets.providers]
        self.fields["theme"].choices = [_ANY, *facets.themes]
        self.fields["piece"].choices = [("", "Toutes"), *facets.documents]

    def catalogue_query(self) -> CatalogueQuery:
        """The query from the fields that are valid; a stale or altered value is ignored."""
        if not self.is_bound:
            return CatalogueQuery()
        self.is_valid()
        data = self.cleaned_data
        served = {"oui": True, "non": False}.get(data.get("passerelle") or "")
        return CatalogueQuery(
            text=data.get("q") or "",
            provider=data.get("fournisseur") or "",
            theme=data.get("theme") or "",
            subject_kind=data.get("usager") or "",
            document=data.get("piece") or "",
            served=served,
        )

    @property
    def filtering(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)
