"""Which datasets can replace an item a procedure asks for, how sure that is, and why.

Everything works offline on text: labels are normalised (lower case, no accents nor punctuation,
no stop words nor filler words such as « copie » or « de moins de 3 mois », plurals folded), then
compared with the names of the catalogue's supporting documents, the synonyms and keywords of
the matching table (``data/matching.yaml``), in this order:

1. an item picked from the list names its supporting document: **sure**;
2. a label equal to a document's name, a synonym or a keyword: **sure**;
3. a label containing a synonym or a keyword (words in the same order): **likely**;
4. a label whose words are all close to those of a synonym (a typo): **likely**;
5. a label sharing at least half the words of a synonym, one of them distinctive: **possible**.

An exact match stops the search, so « identifiant France Travail » (an identifier to keep) does
not also match the « France Travail » keyword.

A dataset may answer for part of a procedure's public only (the quotient familial exists for
families known to the CAF or the MSA): each candidate carries the share it covers by default,
where that share comes from, and what the people it does not cover still provide.
"""

import difflib
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ImproperlyConfigured

from dlnuf.catalogue.text import fold, singular
from dlnuf.procedures.models import Confidence
from dlnuf.procedures.scoring import FULL_SHARE

TABLE_FILE = Path(__file__).resolve().parent / "data" / "matching.yaml"

_RANK = {Confidence.SURE: 3, Confidence.LIKELY: 2, Confidence.POSSIBLE: 1, Confidence.NONE: 0}
_TYPO_MIN_LENGTH = 5
_TYPO_RATIO = 0.85
_MAX_CANDIDATES = 3
REASON_MAX_LENGTH = 255
NO_MATCH_NOTE = (
    "Aucune donnée du catalogue ne correspond à ce libellé ; vérifiez-le, ou demandez conseil au "
    "guichet."
)


def confidence_rank(confidence: str) -> int:
    return _RANK[Confidence(confidence)]


# --- The table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableItem:
    slug: str
    label: str  # empty for supporting documents of the catalogue: the catalogue names them
    synonyms: tuple[str, ...]
    scopes: Mapping[str, tuple[str, ...]]  # dataset slug -> minimal scopes
    note: str
    picklist: bool
    still_provided: Mapping[str, str] = field(default_factory=dict)  # dataset slug -> text


@dataclass(frozen=True)
class Keyword:
    dataset: str
    scopes: tuple[str, ...]
    phrases: tuple[str, ...]
    still_provided: str = ""


@dataclass(frozen=True)
class Coverage:
    """The part of a procedure's public a dataset answers for, by default."""

    share: Decimal  # percent, 0 to 100
    covered: str
    uncovered: str
    still_provided: str
    basis: str  # the source of the share, or the assumption it is


@dataclass(frozen=True)
class MatchingTable:
    stopwords: frozenset[str]
    fillers: frozenset[str]
    generic_words: frozenset[str]
    items: tuple[TableItem, ...]
    keywords: tuple[Keyword, ...]
    coverage: Mapping[str, Coverage] = field(default_factory=dict)

    def item(self, slug: str) -> TableItem | None:
        return next((item for item in self.items if item.slug == slug), None)


def _problem(where: str, message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{TABLE_FILE.name} : {where} : {message}")


def _words(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        raise _problem(where, "doit être une liste de textes non vides")
    return tuple(w.strip() for w in raw)


def _scopes(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _problem(where, "doit associer un jeu de données à une liste de périmètres")
    return {str(dataset): _words(scopes, f"{where}.{dataset}") for dataset, scopes in raw.items()}


def _texts(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(text, str) and text.strip() for text in raw.values()
    ):
        raise _problem(where, "doit associer un jeu de données à un texte non vide")
    return {str(dataset): " ".join(text.split()) for dataset, text in raw.items()}


_COVERAGE_KEYS = {"share", "covered", "uncovered", "still_provided", "basis"}


def _coverage(raw: Any, where: str) -> Coverage:
    if not isinstance(raw, dict) or set(raw) != _COVERAGE_KEYS:
        raise _problem(where, "attend exactement " + ", ".join(sorted(_COVERAGE_KEYS)))
    not_a_share = _problem(f"{where}.share", "doit être un pourcentage entre 0 et 100")
    if isinstance(raw["share"], bool):
        raise not_a_share
    try:
        share = Decimal(str(raw["share"]))
    except InvalidOperation as error:
        raise not_a_share from error
    if not share.is_finite() or not Decimal(0) <= share <= FULL_SHARE:
        raise not_a_share
    texts = {}
    for key in _COVERAGE_KEYS - {"share"}:
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise _problem(f"{where}.{key}", "doit être un texte non vide")
        texts[key] = " ".join(raw[key].split())
    return Coverage(share=share, **texts)


def parse_table(content: Any) -> MatchingTable:
    """The table from its YAML content; raises ImproperlyConfigured naming the faulty key."""
    if not isinstance(content, dict):
        raise _problem("racine", "doit être un ensemble de sections")
    items = []
    seen: set[str] = set()
    for index, raw in enumerate(content.get("items") or []):
        where = f"items[{index + 1}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("slug"), str):
            raise _problem(where, "doit avoir un « slug »")
        unknown = set(raw) - {
            "slug",
            "label",
            "synonyms",
            "scopes",
            "note",
            "picklist",
            "still_provided",
        }
        if unknown:
            raise _problem(where, "clés inconnues : " + ", ".join(sorted(unknown)))
        if raw["slug"] in seen:
            raise _problem(where, f"« {raw['slug']} » apparaît deux fois")
        seen.add(raw["slug"])
        items.append(
            TableItem(
                slug=raw["slug"],
                label=str(raw.get("label") or ""),
                synonyms=_words(raw.get("synonyms") or [], f"{where}.synonyms"),
                scopes=_scopes(raw.get("scopes"), f"{where}.scopes"),
                note=str(raw.get("note") or "").strip(),
                picklist=bool(raw.get("picklist", True)),
                still_provided=_texts(raw.get("still_provided"), f"{where}.still_provided"),
            )
        )
    keywords = []
    for index, raw in enumerate(content.get("keywords") or []):
        where = f"keywords[{index + 1}]"
        if not isinstance(raw, dict) or not (
            {"dataset", "scopes", "phrases"}
            <= set(raw)
            <= {"dataset", "scopes", "phrases", "still_provided"}
        ):
            raise _problem(
                where,
                "attend « dataset », « scopes » et « phrases » (et au besoin « still_provided »)",
            )
        keywords.append(
            Keyword(
                dataset=str(raw["dataset"]),
                scopes=_words(raw["scopes"], f"{where}.scopes"),
                phrases=_words(raw["phrases"], f"{where}.phrases"),
                still_provided=" ".join(str(raw.get("still_provided") or "").split()),
            )
        )
    coverage_section = content.get("coverage") or {}
    if not isinstance(coverage_section, dict):
        raise _problem("coverage", "doit associer un jeu de données à sa couverture")
    return MatchingTable(
        stopwords=frozenset(_words(content.get("stopwords") or [], "stopwords")),
        fillers=frozenset(_words(content.get("fillers") or [], "fillers")),
        generic_words=frozenset(_words(content.get("generic_words") or [], "generic_words")),
        items=tuple(items),
        keywords=tuple(keywords),
        coverage={
            str(dataset): _coverage(raw, f"coverage.{dataset}")
            for dataset, raw in coverage_section.items()
        },
    )


@functools.cache
def matching_table() -> MatchingTable:
    return parse_table(yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8")))


# --- Text ----------------------------------------------------------------------------------------


def tokens(text: str, table: MatchingTable) -> tuple[str, ...]:
    """The words that carry meaning, in order."""
    kept = []
    for word in fold(text).split():
        if word in table.stopwords or word in table.fillers or word.isdigit():
            continue
        word = singular(word)
        if word in table.fillers:
            continue
        kept.append(word)
    return tuple(kept)


def _close(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < _TYPO_MIN_LENGTH:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= _TYPO_RATIO


def _contains(words: Sequence[str], part: Sequence[str]) -> bool:
    size = len(part)
    return any(tuple(words[i : i + size]) == tuple(part) for i in range(len(words) - size + 1))


# --- Matching -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueDocument:
    slug: str
    name: str
    dataset_slugs: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    dataset_slug: str
    confidence: str
    reason: str
    scope_slugs: tuple[str, ...]
    covered_share: Decimal = FULL_SHARE  # percent of the procedure's public, by default
    coverage_basis: str = ""  # who is covered, and where the share comes from
    uncovered_note: str = ""  # what the people not covered still provide


@dataclass(frozen=True)
class ItemMatch:
    """The best confidence for an item, its candidate datasets (best first) and a note for the
    agent when nothing replaces it."""

    confidence: str
    candidates: tuple[Candidate, ...]
    note: str = ""


@dataclass(frozen=True)
class _Phrase:
    text: str
    words: tuple[str, ...]
    distinctive: bool  # holds a word that is not generic
    document: str  # slug of the document (catalogue or table item), or ""
    is_name: bool
    keyword: Keyword | None


@dataclass
class _Hit:
    phrase: _Phrase
    confidence: str
    reason: str
    strength: int  # words matched, to prefer the most specific phrase


@dataclass
class Matcher:
    """Matches labels against the catalogue's documents and the matching table.

    ``documents`` are the catalogue's supporting documents with the datasets that replace them;
    ``dataset_scopes`` lists each dataset's scope slugs, so that minimal scopes the catalogue no
    longer has are left out.
    """

    table: MatchingTable
    documents: Mapping[str, CatalogueDocument]
    dataset_scopes: Mapping[str, Sequence[str]]
    _phrases: list[_Phrase] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        for slug, document in self.documents.items():
            self._add_phrase(document.name, document=slug, is_name=True)
        for item in self.table.items:
            if item.label:
                self._add_phrase(item.label, document=item.slug, is_name=True)
            for synonym in item.synonyms:
                self._add_phrase(synonym, document=item.slug, is_name=False)
        for keyword in self.table.keywords:
            for phrase in keyword.phrases:
                self._add_phrase(phrase, keyword=keyword)

    def _add_phrase(
        self,
        text: str,
        *,
        document: str = "",
        is_name: bool = False,
        keyword: Keyword | None = None,
    ) -> None:
        words = tokens(text, self.table)
        if not words:
            return
        distinctive = any(word not in self.table.generic_words for word in words)
        self._phrases.append(_Phrase(text, words, distinctive, document, is_name, keyword))

    # What the agent sees ------------------------------------------------------------------------

    def document_name(self, slug: str) -> str:
        if slug in self.documents:
            return self.documents[slug].name
        item = self.table.item(slug)
        return item.label if item is not None else slug

    def picklist(self) -> list[tuple[str, str]]:
        """(slug, label) of the items an agent may pick: catalogue documents, then common items."""
        entries = {slug: document.name for slug, document in self.documents.items()}
        for item in self.table.items:
            if item.picklist and item.slug not in entries and item.label:
                entries[item.slug] = item.label
        return sorted(entries.items(), key=lambda entry: fold(entry[1]))

    # Matching ------------------------------------------------------------------------------------

    def match(self, label: str, *, common_item: str = "") -> ItemMatch:
        if common_item:
            return self._match_picked(common_item)
        words = tokens(label, self.table)
        if not words:
            return ItemMatch(Confidence.NONE, (), NO_MATCH_NOTE)
        hits = [self._exact(phrase) for phrase in self._phrases if phrase.words == words]
        if not hits:
            hits = [
                self._contained(phrase)
                for phrase in self._phrases
                if phrase.distinctive and _contains(words, phrase.words)
            ]
            hits += self._resemblances(words, skip={id(hit.phrase) for hit in hits})
        return self._result(hits, label=label)

    def _match_picked(self, slug: str) -> ItemMatch:
        name = self.document_name(slug)
        phrase = _Phrase(name, (), True, slug, True, None)
        hit = _Hit(phrase, Confidence.SURE, f"Pièce choisie dans la liste : « {name} ».", 99)
        return self._result([hit], label=name)

    def _describe_document(self, phrase: _Phrase) -> str:
        return self.document_name(phrase.document)

    def _exact(self, phrase: _Phrase) -> _Hit:
        if phrase.keyword is not None:
            reason = f"Donnée fournie par le jeu de données (mot-clé « {phrase.text} »)."
        elif phrase.is_name:
            reason = f"Pièce justificative connue : « {self._describe_document(phrase)} »."
        else:
            reason = (
                f"Autre nom de la pièce « {self._describe_document(phrase)} » : « {phrase.text} »."
            )
        return _Hit(phrase, Confidence.SURE, reason, len(phrase.words))

    def _contained(self, phrase: _Phrase) -> _Hit:
        if phrase.keyword is not None:
            reason = f"Mot-clé « {phrase.text} »."
        else:
            reason = (
                f"Le libellé contient « {phrase.text} » "
                f"(pièce « {self._describe_document(phrase)} »)."
            )
        return _Hit(phrase, Confidence.LIKELY, reason, len(phrase.words))

    def _resemblances(self, words: Sequence[str], *, skip: set[int]) -> list[_Hit]:
        hits = []
        for phrase in self._phrases:
            if id(phrase) in skip or not phrase.distinctive:
                continue
            exact = [word for word in phrase.words if word in words]
            close = [
                word
                for word in phrase.words
                if word not in words and any(_close(word, other) for other in words)
            ]
            matched = len(exact) + len(close)
            if matched == 0:
                continue
            target = self._target_text(phrase)
            if matched == len(phrase.words) and close:
                hits.append(
                    _Hit(
                        phrase,
                        Confidence.LIKELY,
                        f"Orthographe proche de « {phrase.text} »{target}.",
                        matched,
                    )
                )
                continue
            distinctive = [
                word for word in (*exact, *close) if word not in self.table.generic_words
            ]
            # One shared word is too weak a clue (« demande » and « demandeur d'emploi »).
            if distinctive and matched >= 2 and matched * 2 >= len(phrase.words):
                shared = ", ".join(dict.fromkeys((*exact, *close)))
                hits.append(
                    _Hit(
                        phrase,
                        Confidence.POSSIBLE,
                        f"Ressemblance avec « {phrase.text} »{target} (mots communs : {shared}).",
                        matched,
                    )
                )
        return hits

    def _target_text(self, phrase: _Phrase) -> str:
        if phrase.keyword is not None or phrase.is_name:
            return ""
        return f" (pièce « {self._describe_document(phrase)} »)"

    def _result(self, hits: Iterable[_Hit], *, label: str) -> ItemMatch:
        best: dict[str, tuple[_Hit, tuple[str, ...]]] = {}
        note = ""
        for hit in sorted(hits, key=lambda h: (-confidence_rank(h.confidence), -h.strength)):
            targets = self._targets(hit.phrase)
            if not targets and not note and hit.confidence != Confidence.POSSIBLE:
                note = self._note(hit.phrase.document)
            for dataset_slug, scopes in targets:
                if dataset_slug not in best:
                    best[dataset_slug] = (hit, scopes)
        candidates = tuple(
            self._candidate(dataset_slug, hit, scopes, label=label)
            for dataset_slug, (hit, scopes) in best.items()
        )[:_MAX_CANDIDATES]
        if not candidates:
            return ItemMatch(Confidence.NONE, (), note or NO_MATCH_NOTE)
        return ItemMatch(candidates[0].confidence, candidates, "")

    def _candidate(
        self, dataset_slug: str, hit: _Hit, scopes: tuple[str, ...], *, label: str
    ) -> Candidate:
        candidate = Candidate(dataset_slug, hit.confidence, hit.reason[:REASON_MAX_LENGTH], scopes)
        coverage = self.table.coverage.get(dataset_slug)
        if coverage is None:
            return candidate
        if hit.phrase.keyword is not None:
            still_provided = hit.phrase.keyword.still_provided
        else:
            item = self.table.item(hit.phrase.document)
            still_provided = item.still_provided.get(dataset_slug, "") if item else ""
        still_provided = still_provided or coverage.still_provided or f"« {label} »"
        return Candidate(
            dataset_slug,
            hit.confidence,
            candidate.reason,
            scopes,
            covered_share=coverage.share,
            coverage_basis=f"Couvre {coverage.covered}. {coverage.basis}",
            uncovered_note=(
                f"{coverage.uncovered[:1].upper()}{coverage.uncovered[1:]} fournissent toujours "
                f"{still_provided}."
            ),
        )

    def _note(self, document: str) -> str:
        item = self.table.item(document)
        if item is not None and item.note:
            return item.note
        return f"Aucun jeu de données du catalogue ne remplace « {self.document_name(document)} »."

    def _targets(self, phrase: _Phrase) -> list[tuple[str, tuple[str, ...]]]:
        if phrase.keyword is not None:
            pairs = [(phrase.keyword.dataset, phrase.keyword.scopes)]
        else:
            catalogue = self.documents.get(phrase.document)
            item = self.table.item(phrase.document)
            scopes = item.scopes if item is not None else {}
            dataset_slugs = catalogue.dataset_slugs if catalogue is not None else ()
            # The table lists a document's datasets most fitting first.
            ranked = sorted(
                dataset_slugs, key=lambda slug: list(scopes).index(slug) if slug in scopes else 99
            )
            pairs = [(slug, scopes.get(slug, ())) for slug in ranked]
        known = self.dataset_scopes
        return [
            (slug, tuple(scope for scope in scopes if scope in known[slug]))
            for slug, scopes in pairs
            if slug in known
        ]
