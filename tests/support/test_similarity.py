"""Similar cases: the offline model and its loading, the lexical fallback, ranking and reasons,
and the quality measured on the labelled set (tests/support/similarity_pairs.yaml)."""

import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from bench.similarity import collect, create_entries, load_pairs, measure
from dlnuf.catalogue.services import catalogue_load
from dlnuf.support import similarity
from dlnuf.support.knowledge import knowledge_entry_sync_mission
from dlnuf.support.models import HelpKind, KnowledgeEntry, KnowledgeSource, Ministry
from dlnuf.support.similarity import (
    BLEND,
    LEXICAL,
    METHOD_LEXICAL,
    METHOD_MODEL,
    MODEL_NAME,
    Weights,
    knowledge_embeddings_refresh,
    similar_cases,
    similar_to_text,
)
from tests.support.factories import MissionFactory, QualifiedRequestFactory, SupportRequestFactory

ROOT = Path(__file__).resolve().parent.parent.parent


def _entry(title: str, problem: str, solution: str, datasets: list[str]) -> KnowledgeEntry:
    return KnowledgeEntry.objects.create(
        source=KnowledgeSource.MISSION,
        organisation_name=f"Administration de {title[:20]}",
        contact_name="Camille Durand",
        contact_email="camille.durand@exemple.gouv.fr",
        title=title,
        problem=problem,
        solution=solution,
        dataset_slugs=datasets,
    )


@pytest.fixture
def known_cases(db: None) -> dict[str, KnowledgeEntry]:
    catalogue_load()
    return {
        "cantine": _entry(
            "Tarif de la cantine selon les ressources des familles",
            "L'inscription à la cantine exigeait l'attestation de la CAF pour calculer le tarif.",
            "Le quotient familial est obtenu par API Particulier à l'inscription.",
            ["quotient-familial"],
        ),
        "marches": _entry(
            "Attestations des titulaires de marchés publics",
            "Le service achats relançait les entreprises pour leurs attestations Urssaf.",
            "Les attestations sont récupérées par API Entreprise à partir du SIRET.",
            ["attestation-vigilance"],
        ),
        "accessibilite": _entry(
            "Audit d'accessibilité d'un téléservice",
            "Le formulaire n'avait jamais été testé au clavier ni avec un lecteur d'écran.",
            "Audit RGAA et plan d'actions correctives publiés avec la déclaration.",
            [],
        ),
    }


def _cantine_request() -> Any:
    return SupportRequestFactory(
        subject="Ne plus demander l'avis d'imposition pour la cantine",
        context="Les familles joignent leur avis d'imposition pour le tarif de la cantine.",
        need="Comment obtenir directement le quotient familial ?",
    )


# --- The model, offline and loaded once ----------------------------------------------------------


def test_the_model_loads_and_encodes_without_any_network_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the similarity model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"

    model = similarity._load_model()
    [vector] = similarity.encode(model, ["Inscription à la cantine sans attestation CAF"])

    assert len(vector) == 384
    assert math.isclose(sum(value * value for value in vector), 1.0, rel_tol=1e-3)


def test_the_web_app_starts_without_importing_the_model_libraries() -> None:
    script = (
        "import sys, django; django.setup(); "
        "from django.urls import get_resolver; get_resolver().url_patterns; "
        "import dlnuf.www.experience_views.views, dlnuf.support.knowledge; "
        "heavy = [name for name in ('torch', 'sentence_transformers', 'transformers') "
        "if name in sys.modules]; print(heavy)"
    )
    result = subprocess.run(  # noqa: S603 — this interpreter, a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_the_model_is_loaded_once_even_when_threads_ask_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads = []

    def slow_load() -> object:
        loads.append(1)
        time.sleep(0.05)
        return object()

    monkeypatch.setattr(similarity, "_model_state", {})
    monkeypatch.setattr(similarity, "_load_model", slow_load)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(similarity.embedding_model()))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(loads) == 1
    assert len(results) == 8
    assert len({id(model) for model in results}) == 1


def test_an_unknown_setting_is_refused(settings: Any) -> None:
    settings.DLNUF_SIMILARITY_MODEL = "gpt"
    with pytest.raises(ImproperlyConfigured, match="DLNUF_SIMILARITY_MODEL"):
        similarity.embedding_model()


# --- Ranking and reasons --------------------------------------------------------------------------


def test_the_right_case_comes_first_with_the_shared_dataset_and_words(
    known_cases: dict[str, KnowledgeEntry],
) -> None:
    matches = similar_cases(_cantine_request())

    best = matches[0]
    assert best.entry == known_cases["cantine"]
    assert best.method == METHOD_MODEL
    assert 0 < best.score <= 1
    assert best.score > matches[1].score
    assert "Mêmes données : « Quotient familial CAF et MSA »" in best.reasons
    [terms] = [reason for reason in best.reasons if reason.startswith("Mots en commun : ")]
    assert "cantine" in terms
    assert all(0 <= match.score <= 1 for match in matches)


def test_vectors_are_stored_with_the_model_name_and_computed_once(
    known_cases: dict[str, KnowledgeEntry],
) -> None:
    similar_cases(_cantine_request())

    for entry in KnowledgeEntry.objects.all():
        assert entry.embedding_model == MODEL_NAME
        assert len(entry.embedding) == 384
    assert knowledge_embeddings_refresh(entries=KnowledgeEntry.objects.all()) == 0

    KnowledgeEntry.objects.filter(pk=known_cases["marches"].pk).update(
        embedding_model="un-autre-modele"
    )
    assert knowledge_embeddings_refresh(entries=KnowledgeEntry.objects.all()) == 1
    assert KnowledgeEntry.objects.get(pk=known_cases["marches"].pk).embedding_model == MODEL_NAME


def test_same_kind_of_help_and_same_ministry_are_reasons(db: None) -> None:
    catalogue_load()
    past = MissionFactory(
        request=QualifiedRequestFactory(ministry=Ministry.EDUCATION),
        title="Cadrage d'un service de bourses",
        help_kinds=[HelpKind.FRAMING.value],
        problem="Les bourses des collégiens étaient attribuées sur papier.",
        solution="Le statut de boursier est lu dans les données de scolarité.",
    )
    knowledge_entry_sync_mission(mission=past)
    request = SupportRequestFactory(
        ministry=Ministry.EDUCATION,
        help_kinds=[HelpKind.FRAMING.value, HelpKind.EXPERIENCE.value],
        subject="Bourses de collège",
        context="Nous attribuons les bourses des collégiens sur papier.",
        need="",
    )

    [match] = similar_cases(request)

    assert "Même type d'aide : cadrage du projet" in match.reasons
    assert "Même ministère de rattachement : Éducation nationale" in match.reasons


def test_a_request_is_not_matched_with_its_own_mission(db: None) -> None:
    catalogue_load()
    mission = MissionFactory(problem="Cantine et quotient familial.", solution="API.")
    knowledge_entry_sync_mission(mission=mission)

    assert similar_cases(mission.request) == []


def test_the_search_box_ranks_free_text_and_filters_by_source(
    known_cases: dict[str, KnowledgeEntry],
) -> None:
    matches = similar_to_text("lecteur d'écran et navigation au clavier", limit=2)
    assert matches[0].entry == known_cases["accessibilite"]
    assert len(matches) == 2

    assert similar_to_text("cantine", limit=5, source=KnowledgeSource.DIAGNOSTIC) == []


# --- The lexical fallback ---------------------------------------------------------------------


def test_forcing_lexical_never_loads_the_model(
    known_cases: dict[str, KnowledgeEntry], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_load() -> None:
        raise AssertionError("the model was loaded although switched off")

    settings.DLNUF_SIMILARITY_MODEL = "lexical"
    monkeypatch.setattr(similarity, "_model_state", {})
    monkeypatch.setattr(similarity, "_load_model", must_not_load)

    matches = similar_cases(_cantine_request())

    assert matches[0].entry == known_cases["cantine"]
    assert {match.method for match in matches} == {METHOD_LEXICAL}
    assert "Mêmes données : « Quotient familial CAF et MSA »" in matches[0].reasons
    assert all(entry.embedding == [] for entry in KnowledgeEntry.objects.all())
    assert similarity.similarity_method() == METHOD_LEXICAL


def test_a_model_that_cannot_load_falls_back_to_lexical_and_says_so(
    known_cases: dict[str, KnowledgeEntry],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts = []

    def broken() -> None:
        attempts.append(1)
        raise OSError("model.safetensors: no such file")

    monkeypatch.setattr(similarity, "_model_state", {})
    monkeypatch.setattr(similarity, "_load_model", broken)

    first = similar_cases(_cantine_request())
    second = similar_to_text("attestation Urssaf des titulaires", limit=1)

    assert first[0].entry == known_cases["cantine"]
    assert first[0].method == METHOD_LEXICAL
    assert second[0].entry == known_cases["marches"]
    assert attempts == [1]  # not tried again on every request
    assert "lexical similarity only" in caplog.text


# --- Quality on the labelled set ----------------------------------------------------------------

# Measured on the held-out half (22 requests) with the weights of similarity.py; the floors sit a
# little under, so that a real regression fails.
FLOORS = {
    "model": {"top1": 0.13, "recall_at_3": 0.33, "mrr": 0.31},
    "lexical": {"top1": 0.31, "recall_at_3": 0.52, "mrr": 0.46},
    "blend": {"top1": 0.27, "recall_at_3": 0.48, "mrr": 0.43},
}


def test_quality_on_the_held_out_half(db: None) -> None:
    catalogue_load()
    entries, queries = load_pairs()
    assert len(entries) >= 20
    assert len(queries) >= 40
    keys = create_entries(entries)
    held_out = [query for query in queries if query.split == "heldout"]
    evidence = collect(held_out, similarity.embedding_model())

    figures = {
        name: measure(held_out, evidence, keys, weights)
        for name, weights in (
            ("model", Weights(embedding=1.0, lexical=0.0, dataset_bonus=0.0)),
            ("lexical", LEXICAL),
            ("blend", BLEND),
        )
    }
    for name, metrics in figures.items():
        print(
            f"{name}: top-1 {metrics.top1:.3f}, recall@3 {metrics.recall_at_3:.3f}, "
            f"MRR {metrics.mrr:.3f} ({metrics.queries} requests)"
        )

    for name, floors in FLOORS.items():
        for metric, floor in floors.items():
            assert getattr(figures[name], metric) >= floor, (name, metric, figures[name])
    # The blend was tuned on the other half; on this one it must not fall behind the lexical
    # path by more than one request in 22 at the top of the list (see the report in
    # similarity.py: the model reads French poorly, and the two stay within that margin).
    margin = 1 / len(held_out) + 0.001  # one request, and the rounding of the figures
    for metric in ("top1", "recall_at_3", "mrr"):
        blend, lexical = getattr(figures["blend"], metric), getattr(figures["lexical"], metric)
        assert blend >= lexical - margin, (metric, figures)
