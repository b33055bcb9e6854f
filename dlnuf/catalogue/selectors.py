"""Reads on the catalogue, including the flattened rules the gateway needs on every exchange."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from dlnuf.catalogue.models import Dataset, Endpoint, Scope

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
