"""The catalogue as the gateway uses it, compiled once per process.

The catalogue's own selector (``dataset_with_rules``) serves a dataset's flattened rules from the
shared cache and drops them when the catalogue is loaded. Here those rules are compiled further
(parameter checks, path templates, minimisation trees) and kept in memory for as long as the
catalogue hands out equal rules, so a reload is seen by every worker at its next exchange.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from dlnuf.catalogue.selectors import (
    ConnectorRule,
    DatasetRules,
    EndpointRule,
    dataset_with_rules,
)
from dlnuf.exchange.minimisation import Minimiser
from dlnuf.exchange.parameters import (
    SANDBOX_RULES,
    TRACE_PARAMETERS,
    WELL_KNOWN_RULES,
    ParameterRule,
    extra_rule,
    normalised_name,
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class EndpointRuntime:
    name: str
    path_template: str
    parameter_names: frozenset[str]
    required: tuple[str, ...]

    def path(self, values: Mapping[str, list[str]]) -> str:
        return _PLACEHOLDER.sub(
            lambda match: quote(values[match.group(1)][0], safe=""), self.path_template
        )

    def path_names(self) -> list[str]:
        return _PLACEHOLDER.findall(self.path_template)


@dataclass
class DatasetRuntime:
    slug: str
    provider_slug: str
    connector: ConnectorRule
    response_cache_seconds: int
    holds_personal_data: bool
    endpoints: tuple[EndpointRuntime, ...]
    rules: dict[str, ParameterRule]
    scope_fields: dict[str, tuple[str, ...]]
    answer_shape: tuple[str, ...] = ()
    known_links: tuple[str, ...] = ()
    accepted: frozenset[str] = field(init=False)
    sandbox_rules: dict[str, ParameterRule] = field(init=False)
    _minimisers: dict[frozenset[str], Minimiser] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.accepted = frozenset(self.rules) | frozenset(TRACE_PARAMETERS)
        self.sandbox_rules = {
            name: SANDBOX_RULES.get(name, rule) for name, rule in self.rules.items()
        }

    def minimiser(self, granted_scopes: frozenset[str]) -> Minimiser:
        minimiser = self._minimisers.get(granted_scopes)
        if minimiser is None:
            minimiser = Minimiser(
                self.scope_fields, granted_scopes, self.answer_shape, self.known_links
            )
            self._minimisers[granted_scopes] = minimiser
        return minimiser

    def endpoint_for(self, present: Mapping[str, object]) -> EndpointRuntime | None:
        """The first endpoint whose required parameters are all present."""
        for endpoint in self.endpoints:
            if all(name in present for name in endpoint.required):
                return endpoint
        return None


@dataclass(frozen=True)
class DatasetLookup:
    """A dataset as the gateway sees it: unknown, withdrawn, or active with its runtime."""

    exists: bool
    runtime: DatasetRuntime | None


_compiled: dict[str, tuple[DatasetRules, DatasetRuntime]] = {}


def dataset_lookup(slug: str) -> DatasetLookup:
    rules = dataset_with_rules(slug)
    if rules is None:
        return DatasetLookup(exists=False, runtime=None)
    if not rules.is_active:
        return DatasetLookup(exists=True, runtime=None)
    entry = _compiled.get(slug)
    # Scope order matters too (a list's base scope is the first to reach inside it).
    if (
        entry is not None
        and entry[0] == rules
        and list(entry[0].scope_fields) == list(rules.scope_fields)
    ):
        return DatasetLookup(exists=True, runtime=entry[1])
    runtime = _runtime_of(rules)
    _compiled[slug] = (rules, runtime)
    return DatasetLookup(exists=True, runtime=runtime)


def _runtime_of(rules: DatasetRules) -> DatasetRuntime:
    parameter_rules: dict[str, ParameterRule] = {}
    endpoints = []
    for endpoint in rules.endpoints:
        endpoints.append(_endpoint_runtime(endpoint))
        for parameter in endpoint.parameters:
            name = normalised_name(parameter.name)
            if name not in parameter_rules:
                parameter_rules[name] = WELL_KNOWN_RULES.get(name) or extra_rule(
                    name=name, pattern=parameter.pattern, label=parameter.label
                )
        for name in endpoints[-1].path_names():
            if name not in parameter_rules:
                parameter_rules[name] = WELL_KNOWN_RULES.get(name) or extra_rule(
                    name=name, pattern=None, label=None
                )
    return DatasetRuntime(
        slug=rules.slug,
        provider_slug=rules.provider_slug,
        connector=rules.connector,
        response_cache_seconds=rules.cache_seconds,
        holds_personal_data=rules.holds_personal_data,
        endpoints=tuple(endpoints),
        rules=parameter_rules,
        scope_fields=dict(rules.scope_fields),
        answer_shape=tuple(rules.answer_shape),
        known_links=tuple(rules.known_links),
    )


def _endpoint_runtime(endpoint: EndpointRule) -> EndpointRuntime:
    names = [normalised_name(parameter.name) for parameter in endpoint.parameters]
    required = [
        normalised_name(parameter.name) for parameter in endpoint.parameters if parameter.required
    ]
    for path_name in _PLACEHOLDER.findall(endpoint.path_template):
        if path_name not in names:
            names.append(path_name)
        if path_name not in required:
            required.append(path_name)
    return EndpointRuntime(
        name=endpoint.name,
        path_template=endpoint.path_template,
        parameter_names=frozenset(names),
        required=tuple(required),
    )
