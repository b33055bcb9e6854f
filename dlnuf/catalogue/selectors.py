"""Reads on the catalogue, including the flattened rules the gateway needs on every exchange."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.utils.text import slugify

from dlnuf.catalogue.models import (
    Dataset,
    DatasetChange,
    Endpoint,
    Provider,
    PublicApi,
    Scope,
    SupportingDocument,
    TermsVersion,
    UseCaseTemplate,
)
from dlnuf.catalogue.text import fold, singular

# The rules are dropped from the cache when the catalogue is loaded; the time-to-live only
# bounds how long a change made another way (the admin) takes to apply.
_RULES_CACHE_SECONDS = 60


@dataclass(frozen=True)
class ParameterRule:
    name: str
    required: bool
    pattern: str | None
    label: str


@dataclass(frozen=True)
class EndpointRule:
    name: str
    path_template: str
    parameters: tuple[ParameterRule, ...]

    @property
    def required_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters if p.required)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters)


@dataclass(frozen=True)
class ConnectorRule:
    slug: str
    kind: str
    base_url: str
    base_url_env: str
    sandbox_path: str
    auth_kind: str
    auth_header: str
    auth_secret_env: str
    sends_trace_parameters: bool
    timeout_seconds: float | None


@dataclass(frozen=True)
class DatasetRules:
    """Everything the gateway needs about one dataset, without touching the database again."""

    slug: str
    title: str
    provider_slug: str
    provider_name: str
    subject_kind: str
    holds_personal_data: bool
    cache_seconds: int
    is_active: bool
    connector: ConnectorRule
    endpoints: tuple[EndpointRule, ...]  # in the order the gateway tries them
    scope_fields: Mapping[str, tuple[str, ...]]  # scope slug -> field paths it reveals
    answer_shape: tuple[str, ...] = ()  # leaves of the provider's data, when described
    known_links: tuple[str, ...] = ()  # link names the provider is known to send

    def fields_for(self, scope_slugs: Iterable[str]) -> tuple[str, ...]:
        """The field paths revealed by these scopes together (unknown slugs reveal nothing)."""
        paths: dict[str, None] = {}
        for slug in scope_slugs:
            for path in self.scope_fields.get(slug, ()):
                paths[path] = None
        return tuple(paths)

    def endpoint_for(self, present: Iterable[str]) -> EndpointRule | None:
        """The first endpoint whose required parameters are all among ``present``."""
        names = frozenset(present)
        for endpoint in self.endpoints:
            if endpoint.required_names <= names:
                return endpoint
        return None


def _cache_key(slug: str) -> str:
    return f"dlnuf:dataset-rules:{slug}"


def dataset_with_rules(slug: str) -> DatasetRules | None:
    """The rules of the dataset with this slug, or None when the catalogue has no such dataset.

    Inactive datasets are returned too (``is_active`` False) so that the caller can say why it
    refuses them.
    """
    key = _cache_key(slug)
    cached = cache.get(key)
    if cached is not None:
        return cached if isinstance(cached, DatasetRules) else None
    dataset = (
        Dataset.objects.select_related("provider", "connector")
        .prefetch_related(
            Prefetch("endpoints", queryset=Endpoint.objects.order_by("position", "name")),
            Prefetch("scopes", queryset=Scope.objects.order_by("position", "slug")),
        )
        .filter(slug=slug)
        .first()
    )
    if dataset is None:
        cache.set(key, False, _RULES_CACHE_SECONDS)
        return None
    rules = _rules_of(dataset)
    cache.set(key, rules, _RULES_CACHE_SECONDS)
    return rules


def forget_dataset_rules(slugs: Iterable[str]) -> None:
    cache.delete_many([_cache_key(slug) for slug in slugs])


def _rules_of(dataset: Dataset) -> DatasetRules:
    connector = dataset.connector
    return DatasetRules(
        slug=dataset.slug,
        title=dataset.title,
        provider_slug=dataset.provider.slug,
        provider_name=str(dataset.provider),
        subject_kind=dataset.subject_kind,
        holds_personal_data=dataset.holds_personal_data,
        cache_seconds=0 if dataset.holds_personal_data else dataset.cache_seconds,
        is_active=dataset.is_active,
        connector=ConnectorRule(
            slug=connector.slug,
            kind=connector.kind,
            base_url=connector.base_url,
            base_url_env=connector.base_url_env,
            sandbox_path=connector.sandbox_path,
            auth_kind=connector.auth_kind,
            auth_header=connector.auth_header,
            auth_secret_env=connector.auth_secret_env,
            sends_trace_parameters=connector.sends_trace_parameters,
            timeout_seconds=connector.timeout_seconds,
        ),
        endpoints=tuple(
            EndpointRule(
                name=endpoint.name,
                path_template=endpoint.path_template,
                parameters=tuple(
                    ParameterRule(
                        name=parameter["name"],
                        required=bool(parameter["required"]),
                        pattern=parameter.get("pattern"),
                        label=parameter.get("label", ""),
                    )
                    for parameter in endpoint.parameters
                ),
            )
            for endpoint in dataset.endpoints.all()
        ),
        scope_fields={scope.slug: tuple(scope.fields) for scope in dataset.scopes.all()},
        answer_shape=tuple(dataset.answer_shape),
        known_links=tuple(dataset.known_links),
    )


def datasets_for_catalogue(*, include_inactive: bool = False) -> QuerySet[Dataset]:
    """Datasets with everything a catalogue page shows, in title order."""
    queryset = Dataset.objects.select_related("provider", "connector").prefetch_related(
        "legal_bases",
        "supporting_documents",
        Prefetch("endpoints", queryset=Endpoint.objects.order_by("position", "name")),
        Prefetch("scopes", queryset=Scope.objects.order_by("position", "slug")),
    )
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("title")


def dataset_scope_slugs(slug: str) -> list[str]:
    return list(
        Scope.objects.filter(dataset__slug=slug)
        .order_by("position", "slug")
        .values_list("slug", flat=True)
    )


# --- The catalogue pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    """One line of the catalogue: a dataset the gateway serves, or a public API it does not."""

    served: bool
    slug: str
    title: str
    summary: str
    provider_key: str
    provider_label: str
    themes: tuple[str, ...]
    subject_kind: str
    openness_label: str
    documents: tuple[tuple[str, str], ...]  # (slug, name) of the supporting documents replaced
    search_text: str


@dataclass(frozen=True)
class CatalogueQuery:
    """What the visitor asked for; empty values do not filter."""

    text: str = ""
    provider: str = ""
    theme: str = ""
    subject_kind: str = ""
    document: str = ""
    served: bool | None = None


@dataclass(frozen=True)
class CatalogueFacets:
    providers: list[tuple[str, str]]
    themes: list[tuple[str, str]]
    documents: list[tuple[str, str]]


def theme_key(theme: str) -> str:
    """The same key for « Entreprise » and « entreprises », « Éducation » and « Education »."""
    return "-".join(singular(word) for word in slugify(theme).split("-"))


def _theme_label(theme: str) -> str:
    return theme[:1].upper() + theme[1:]


def catalogue_entries() -> list[CatalogueEntry]:
    """Every entry of the catalogue: served datasets first, then the other public APIs."""
    entries = []
    for dataset in datasets_for_catalogue():
        documents = tuple((d.slug, d.name) for d in dataset.supporting_documents.all())
        provider = dataset.provider
        entries.append(
            CatalogueEntry(
                served=True,
                slug=dataset.slug,
                title=dataset.title,
                summary=dataset.description,
                provider_key=provider.slug,
                provider_label=str(provider),
                themes=tuple(dataset.themes),
                subject_kind=dataset.subject_kind,
                openness_label="sur habilitation, demandée sur ce portail",
                documents=documents,
                search_text=fold(
                    " ".join(
                        [
                            dataset.title,
                            dataset.description,
                            provider.name,
                            provider.acronym,
                            *dataset.themes,
                            *(name for _, name in documents),
                            *(scope.label for scope in dataset.scopes.all()),
                        ]
                    )
                ),
            )
        )
    apis = PublicApi.objects.select_related("producer", "producer__provider").order_by("title")
    for api in apis:
        producer = api.producer
        provider_key = producer.provider.slug if producer.provider else producer.slug
        entries.append(
            CatalogueEntry(
                served=False,
                slug=api.slug,
                title=api.title,
                summary=f"API publique de {producer.name}, référencée par api.gouv.fr.",
                provider_key=provider_key,
                provider_label=str(producer.provider or producer),
                themes=tuple(api.themes),
                subject_kind=api.subject_kind,
                openness_label=api.get_openness_display(),
                documents=(),
                search_text=fold(
                    " ".join(
                        [
                            api.title,
                            producer.name,
                            producer.acronym,
                            *api.themes,
                            *api.keywords,
                            *api.partners,
                        ]
                    )
                ),
            )
        )
    return entries


def catalogue_facets(entries: Iterable[CatalogueEntry]) -> CatalogueFacets:
    """The values the filters offer, from the entries themselves (so none leads nowhere)."""
    providers: dict[str, str] = {}
    themes: dict[str, str] = {}
    documents: dict[str, str] = {}
    for entry in entries:
        providers.setdefault(entry.provider_key, entry.provider_label)
        for theme in entry.themes:
            themes.setdefault(theme_key(theme), _theme_label(theme))
        documents.update(entry.documents)
    return CatalogueFacets(
        providers=sorted(providers.items(), key=lambda item: fold(item[1])),
        themes=sorted(themes.items(), key=lambda item: item[0]),
        documents=sorted(documents.items(), key=lambda item: fold(item[1])),
    )


def _query_words(text: str) -> list[str]:
    return [singular(word) for word in fold(text).split()]


def catalogue_search(
    entries: Iterable[CatalogueEntry], query: CatalogueQuery
) -> list[CatalogueEntry]:
    """The entries matching every word of the text and every filter, most relevant first.

    A word matches when it appears in the title, description, provider, supporting documents,
    themes or keywords of an entry (case and accents ignored); title matches rank higher.
    """
    words = _query_words(query.text)
    found: list[tuple[int, CatalogueEntry]] = []
    for entry in entries:
        if query.provider and entry.provider_key != query.provider:
            continue
        if query.theme and query.theme not in {theme_key(theme) for theme in entry.themes}:
            continue
        if query.subject_kind and entry.subject_kind != query.subject_kind:
            continue
        if query.document and query.document not in {slug for slug, _ in entry.documents}:
            continue
        if query.served is not None and entry.served != query.served:
            continue
        if not all(word in entry.search_text for word in words):
            continue
        title = fold(entry.title)
        relevance = sum(3 if word in title else 1 for word in words)
        found.append((relevance, entry))
    found.sort(key=lambda pair: (-pair[0], not pair[1].served, fold(pair[1].title)))
    return [entry for _, entry in found]


def dataset_for_page(slug: str) -> Dataset | None:
    """An active dataset with everything its page shows."""
    return (
        datasets_for_catalogue()
        .prefetch_related(Prefetch("public_apis", queryset=PublicApi.objects.order_by("title")))
        .filter(slug=slug)
        .first()
    )


def public_api_for_page(slug: str) -> PublicApi | None:
    return (
        PublicApi.objects.select_related("producer", "producer__provider")
        .prefetch_related(
            Prefetch("gateway_datasets", queryset=Dataset.objects.filter(is_active=True))
        )
        .filter(slug=slug)
        .first()
    )


def supporting_document_for_page(slug: str) -> SupportingDocument | None:
    return (
        SupportingDocument.objects.prefetch_related(
            Prefetch(
                "datasets",
                queryset=Dataset.objects.filter(is_active=True)
                .select_related("provider")
                .order_by("title"),
            )
        )
        .filter(slug=slug)
        .first()
    )


def supporting_documents_replaced() -> QuerySet[SupportingDocument]:
    """Documents that at least one active dataset replaces."""
    return SupportingDocument.objects.filter(datasets__is_active=True).distinct().order_by("name")


def provider_for_page(slug: str) -> Provider | None:
    return (
        Provider.objects.prefetch_related(
            Prefetch("datasets", queryset=Dataset.objects.filter(is_active=True).order_by("title")),
            Prefetch(
                "public_api_producers__public_apis", queryset=PublicApi.objects.order_by("title")
            ),
        )
        .filter(slug=slug)
        .first()
    )


def contact_links(contact: str) -> list[tuple[str, str]]:
    """(href, text) for each address of a contact field: e-mails become mailto: links."""
    links = []
    for part in re.split(r"[,;\s]+", contact):
        if not part:
            continue
        if "@" in part and not part.startswith(("http://", "https://")):
            links.append((f"mailto:{part}", part))
        elif part.startswith(("http://", "https://")):
            links.append((part, part))
    return links


def current_terms(dataset: Dataset) -> TermsVersion | None:
    """The version of the dataset's terms an applicant must accept now (None: no terms)."""
    return dataset.terms_versions.order_by("-number").first()


def terms_version(dataset: Dataset, number: int) -> TermsVersion | None:
    return dataset.terms_versions.filter(number=number).first()


def dataset_changes(dataset: Dataset) -> QuerySet[DatasetChange]:
    """The dataset's changelog, most recent first."""
    return dataset.changes.order_by("-occurred_on", "-pk")


def use_cases_for(dataset: Dataset) -> QuerySet[UseCaseTemplate]:
    return dataset.use_cases.select_related("legal_basis").order_by("position", "slug")


def use_cases_by_dataset(datasets: Iterable[Dataset]) -> dict[int, list[UseCaseTemplate]]:
    """The use-case templates of these datasets, grouped by dataset id, in display order."""
    grouped: dict[int, list[UseCaseTemplate]] = {}
    templates = (
        UseCaseTemplate.objects.filter(dataset__in=list(datasets))
        .select_related("dataset", "legal_basis")
        .order_by("dataset__title", "position", "slug")
    )
    for template in templates:
        grouped.setdefault(template.dataset_id, []).append(template)
    return grouped
