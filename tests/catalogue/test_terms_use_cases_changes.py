"""Terms of use, use-case templates and the changelog loaded from the catalogue's seed."""

from datetime import date
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from dlnuf.catalogue.models import DatasetChange, TermsVersion, UseCaseTemplate
from dlnuf.catalogue.selectors import current_terms
from dlnuf.catalogue.services import CatalogueError, catalogue_load

pytestmark = pytest.mark.django_db

QF = "quotient-familial.yaml"


def _edit_dataset(seed: Path, filename: str, edit) -> None:
    path = seed / "datasets" / filename
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(content["datasets"][0])
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _detected(slug: str = "quotient-familial") -> list[tuple[str, str]]:
    return list(
        DatasetChange.objects.filter(dataset__slug=slug, detected=True)
        .order_by("pk")
        .values_list("kind", "description")
    )


def test_the_seed_loads_terms_templates_and_history_once():
    first = catalogue_load()
    qf_terms = TermsVersion.objects.filter(dataset__slug="quotient-familial")
    assert list(qf_terms.order_by("number").values_list("number", "published_on")) == [
        (1, date(2026, 3, 2)),
        (2, date(2026, 11, 16)),
    ]
    assert current_terms(qf_terms.first().dataset).number == 2
    assert set(
        UseCaseTemplate.objects.filter(dataset__slug="quotient-familial").values_list(
            "name", flat=True
        )
    ) == {"cantine scolaire", "crèche", "aides sociales facultatives"}
    assert UseCaseTemplate.objects.filter(name="marchés publics").count() == 2
    seeded = DatasetChange.objects.filter(dataset__slug="quotient-familial")
    assert seeded.count() == 2
    assert not seeded.filter(detected=True).exists()
    assert first.counts["terms_versions"].created == TermsVersion.objects.count()
    rows = (TermsVersion.objects.count(), UseCaseTemplate.objects.count())
    changes = DatasetChange.objects.count()

    second = catalogue_load()

    assert not second.changed
    assert (TermsVersion.objects.count(), UseCaseTemplate.objects.count()) == rows
    assert DatasetChange.objects.count() == changes


def test_templates_only_cite_the_catalogue_s_own_legal_texts():
    catalogue_load()
    for template in UseCaseTemplate.objects.select_related("dataset", "legal_basis"):
        assert template.dataset.legal_bases.filter(pk=template.legal_basis_id).exists()
        assert template.legal_basis.url.startswith("https://www.legifrance.gouv.fr/")
        assert set(template.scope_slugs) <= set(
            template.dataset.scopes.values_list("slug", flat=True)
        )


def test_a_reload_records_each_change_once(seed_copy: Path):
    catalogue_load(directory=seed_copy)

    def change(dataset):
        dataset["scopes"] = [s for s in dataset["scopes"] if s["slug"] != "cnaf_adresse"]
        for scope in dataset["scopes"]:
            if scope["slug"] == "cnaf_allocataires":
                scope["label"] = "Allocataires du foyer"
        dataset["scopes"].append(
            {
                "slug": "cnaf_adresse_ville",
                "label": "Commune",
                "fields": ["adresse.code_postal_ville"],
            }
        )
        dataset["endpoints"][0]["path_template"] = "/v4/dss/quotient_familial/identite"
        dataset["terms"].append(
            {"version": 3, "date": "2026-12-01", "text": "Troisième version, plus courte."}
        )

    _edit_dataset(seed_copy, QF, change)
    report = catalogue_load(directory=seed_copy)

    assert report.counts["changes"].created == 4
    assert sorted(_detected()) == [
        (
            "address",
            "Adresse du point d'accès « identite » : /v3/dss/quotient_familial/identite devient "
            "/v4/dss/quotient_familial/identite.",
        ),
        ("scope_added", "Périmètre « Commune » ajouté."),
        ("scope_removed", "Périmètre « Adresse » retiré."),
        (
            "terms",
            "Version 3 des conditions d'utilisation publiée : les demandes en cours doivent "
            "l'accepter de nouveau.",
        ),
    ]
    today = timezone.localdate()
    assert DatasetChange.objects.get(kind="scope_added").occurred_on == today
    assert DatasetChange.objects.get(kind="terms", detected=True).occurred_on == date(2026, 12, 1)

    again = catalogue_load(directory=seed_copy)

    assert again.counts["changes"].created == 0
    assert len(_detected()) == 4


def test_a_narrowed_scope_records_the_field_removed_and_the_field_added(seed_copy: Path):
    catalogue_load(directory=seed_copy)

    def narrow(dataset):
        for scope in dataset["scopes"]:
            if scope["slug"] == "cnaf_quotient_familial":
                scope["fields"] = ["quotient_familial.valeur"]

    _edit_dataset(seed_copy, QF, narrow)
    catalogue_load(directory=seed_copy)

    assert sorted(_detected()) == [
        (
            "field_added",
            "Champ « quotient_familial.valeur » ajouté au périmètre « Quotient familial ».",
        ),
        ("field_removed", "Champ « quotient_familial » retiré du périmètre « Quotient familial »."),
    ]


def test_a_published_version_cannot_be_rewritten(seed_copy: Path):
    catalogue_load(directory=seed_copy)

    def rewrite(dataset):
        dataset["terms"][0]["text"] = "Un autre texte sous le même numéro."

    _edit_dataset(seed_copy, QF, rewrite)

    with pytest.raises(CatalogueError) as refused:
        catalogue_load(directory=seed_copy)

    assert "version 1 des conditions d'utilisation de « quotient-familial » est déjà publiée" in (
        str(refused.value)
    )
    assert TermsVersion.objects.get(dataset__slug="quotient-familial", number=1).text != (
        "Un autre texte sous le même numéro."
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["use_cases"][0].update(legal_basis="code-commande-publique-candidature"),
            "doit être un des cadres juridiques du jeu de données",
        ),
        (
            lambda d: d["use_cases"][0].update(scopes=["cnaf_inconnu"]),
            "« cnaf_inconnu » n'est pas un périmètre de ce jeu",
        ),
        (
            lambda d: d["use_cases"][0].update(legal_basis_nature="loi_inventee"),
            "legal_basis_nature : doit valoir",
        ),
        (
            lambda d: d["terms"].append({"version": 4, "date": "2026-12-01", "text": "Trou."}),
            "numérotées 1, 2, 3… sans doublon ni trou",
        ),
        (
            lambda d: d["changes"].append({"date": "hier", "kind": "incident", "description": "x"}),
            "doit être une date AAAA-MM-JJ",
        ),
    ],
)
def test_bad_templates_terms_and_changes_are_named(seed_copy: Path, edit, expected):
    _edit_dataset(seed_copy, QF, edit)

    with pytest.raises(CatalogueError) as refused:
        catalogue_load(directory=seed_copy)

    assert expected in str(refused.value)
    assert not TermsVersion.objects.exists()
