"""Field-level minimisation: keep exactly what the granted scopes reveal.

A scope's ``fields`` are paths into the provider's ``data``: ``"quotient_familial"`` (a key and
everything under it), ``"adresse.code_postal"`` (a key inside an object),
``"admissions[].est_inscrit"`` (a key inside each element of a list) or ``"*"`` (everything).

The rules, applied to every level the paths reach:

- A path named by any scope of the dataset is *governed*: it appears only when a granted scope
  names it. Inside a revealed key, keys that no scope governs come along; governed ones follow
  their own scope.
- A key that is only on the way to governed paths (``adresse`` when scopes name
  ``adresse.code_postal``) appears as soon as one of the paths below it is granted, and then holds
  only what is granted.
- A list whose elements' keys are governed has a *base scope*: the one that names the list itself,
  or else the first scope of the dataset (in catalogue order) that names a key inside it. The list
  appears only when its base scope is granted, because even the number of its elements is
  information: ``admissions`` is revealed by ``mesri_admissions``, and ``mesri_admission_inscrit``
  only adds ``est_inscrit`` inside each admission.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

WHOLE_ANSWER = "*"


@dataclass
class _Node:
    children: dict[str, "_Node"] = field(default_factory=dict)
    # Some scope names this exact path; ``granted``: a granted scope does.
    declared: bool = False
    granted: bool = False
    # A granted scope names a path below this one.
    granted_below: bool = False
    # For a list whose elements' keys are governed: whether its base scope is granted.
    list_base_granted: bool | None = None


def _segments(path: str) -> list[tuple[str, bool]]:
    """``"a[].b"`` → ``[("a", True), ("b", False)]``: names, and whether a list follows."""
    return [(part.removesuffix("[]"), part.endswith("[]")) for part in path.split(".")]


def _tree(scope_fields: Mapping[str, Iterable[str]], granted_scopes: set[str]) -> _Node:
    root = _Node()
    for slug, paths in scope_fields.items():
        granted = slug in granted_scopes
        for path in paths:
            if path == WHOLE_ANSWER:
                root.declared = True
                root.granted = root.granted or granted
                continue
            node = root
            segments = _segments(path)
            for position, (name, is_list) in enumerate(segments):
                if granted:
                    node.granted_below = True
                node = node.children.setdefault(name, _Node())
                if is_list and position < len(segments) - 1 and node.list_base_granted is None:
                    # Scopes come in catalogue order: the first one to reach inside is the base.
                    node.list_base_granted = granted
            node.declared = True
            node.granted = node.granted or granted
    return root


class Minimiser:
    """The compiled rules of one dataset for one set of granted scopes."""

    def __init__(
        self, scope_fields: Mapping[str, Iterable[str]], granted_scopes: Iterable[str]
    ) -> None:
        self._root = _tree(scope_fields, set(granted_scopes))
        self._everything = self._root.granted and not self._root.children

    def minimise(self, data: Any) -> Any:
        if self._everything:
            return data
        return _apply(data, self._root, self._root.granted)

    def fields_returned(self, minimised: Any) -> tuple[str, ...]:
        """Names of the fields an answer holds (never their values), for the journal."""
        if minimised is None:
            return ()
        if not isinstance(minimised, dict):
            return (WHOLE_ANSWER,)
        names: dict[str, None] = {}
        for key, item in minimised.items():
            _collect(item, self._root.children.get(key), key, names)
        return tuple(names)


def _present(node: _Node, parent_revealed: bool) -> tuple[bool, bool]:
    """Whether a governed key appears, and whether its ungoverned contents come along."""
    if node.declared:
        return node.granted, node.granted
    if node.list_base_granted is not None:
        return node.list_base_granted, parent_revealed
    return parent_revealed or node.granted_below, parent_revealed


def _apply(value: Any, node: _Node, revealed: bool) -> Any:
    if not node.children:
        return value
    if isinstance(value, list):
        return [_apply(element, node, revealed) for element in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key, item in value.items():
        child = node.children.get(key)
        if child is None:
            if revealed:
                kept[key] = item
            continue
        present, child_revealed = _present(child, revealed)
        if present:
            kept[key] = _apply(item, child, child_revealed)
    return kept


def _collect(value: Any, node: _Node | None, path: str, names: dict[str, None]) -> None:
    if node is None or not node.children or not value:
        names[path] = None
    elif isinstance(value, list):
        for element in value:
            _collect(element, node, path + "[]", names)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(item, node.children.get(key), f"{path}.{key}", names)
    else:
        names[path] = None
