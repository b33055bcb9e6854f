"""Minimisation: an allow-list over the whole answer. Only what a granted scope names leaves.

Paths. A scope's ``fields`` and a dataset's ``answer_shape`` are paths into the provider's
``data``: ``"quotient_familial"`` (a key), ``"adresse.code_postal_ville"`` (a key inside an
object), ``"admissions[].est_inscrit"`` (a key inside each element of a list), ``"prenoms[]"`` (a
list of plain values) or, for a scope only, ``"*"`` (the whole answer).

Known leaves. The dataset's shape lists the leaves of ``data`` (the paths that hold plain values);
a scope path with no known path below it is a leaf too. A leaf holds a plain value (text, number,
boolean, null), or a list of plain values when written ``name[]``. Every path above a leaf holds an
object, or a list of objects when written ``name[]`` on the way.

What a granted scope reveals: every known leaf at or below each of its paths (``"*"``: below the
root), except the leaves below a more specific path of another scope, which follow that scope.
``"*"`` in a dataset that declares no shape is the one opaque grant: the provider's data as it
comes, less what the other scopes govern.

A list of objects has a *base scope*: the first scope (in catalogue order) that names the list or
a path above it, or else the first one that names a path inside it. The list appears only when its
base scope is granted, because even the number of its elements is information, and when a granted
scope reveals something inside it (else it would only tell where the other scopes' data lies).
Scopes that name the very same path as the base scope (two names of one perimeter) count as the
base scope too.

Anything else is removed, and what no rule expects at all (a key outside the known paths, an
object or list where a plain value is expected, a plain value where an object or a list is
expected) is also reported as *unexpected*, for the log and the journal. Null is accepted
wherever a value is: it says the provider has nothing there. A key outside the known paths whose
value is an empty object or an empty list is removed without a report: it holds no value (each
certificate of the RGE answer carries its own empty ``links`` and ``meta``).

``links``: no scope names a link, so the gateway forwards none. The links a dataset declares as
known (``known_links``, the names its provider documents) are dropped silently; any other link is
unexpected, so that the report still means "the provider's answer is not what we know".
``meta``: the gateway writes its own; the provider's is never read.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

WHOLE_ANSWER = "*"
_PLAIN = (str, int, float, bool, type(None))

# A path as a tuple of (name, followed by a list) pairs: "a[].b" -> (("a", True), ("b", False)).
_Path = tuple[tuple[str, bool], ...]


@dataclass
class _Node:
    children: dict[str, "_Node"] = field(default_factory=dict)
    is_list: bool = False
    # A granted scope reveals this leaf.
    granted: bool = False
    # A granted scope reveals a leaf at or below this path.
    granted_below: bool = False
    # For a list of objects: whether its base scope is granted, once a scope has settled it.
    base_granted: bool | None = None
    base_from_above: bool = False
    # The scope path that settled the base from above: another scope naming the very same path is
    # an equivalent scope (two names of one perimeter), and either one granted shows the list.
    base_source: "_Path | None" = None


@dataclass(frozen=True)
class MinimisedAnswer:
    data: Any
    links: dict[str, Any]
    # Names or paths of what left, never values: what the journal records.
    fields_returned: tuple[str, ...]
    # Paths removed because no rule expects them; empty for a well-formed answer.
    unexpected: tuple[str, ...]


def _parsed(path: str) -> _Path:
    return tuple((part.removesuffix("[]"), part.endswith("[]")) for part in path.split("."))


def _names(path: _Path) -> tuple[str, ...]:
    return tuple(name for name, _ in path)


def _names_path(path: _Path) -> _Path:
    # Two scopes name the same place whether or not they mark its lists with "[]".
    return tuple((name, False) for name, _ in path)


def _is_object_list(node: _Node) -> bool:
    return node.is_list and bool(node.children)


def _settle_from_above(node: _Node, granted: bool, source: _Path) -> None:
    if _is_object_list(node):
        if not node.base_from_above:
            node.base_granted = granted
            node.base_from_above = True
            node.base_source = source
        elif node.base_source == source:
            node.base_granted = bool(node.base_granted) or granted
    for child in node.children.values():
        _settle_from_above(child, granted, source)


def _is_plain_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, _PLAIN) for item in value)


class Minimiser:
    """The compiled rules of one dataset for one set of granted scopes."""

    def __init__(
        self,
        scope_fields: Mapping[str, Iterable[str]],
        granted_scopes: Iterable[str],
        answer_shape: Iterable[str] = (),
        known_links: Iterable[str] = (),
    ) -> None:
        self._known_links = frozenset(known_links)
        granted = set(granted_scopes)
        shape = [_parsed(path) for path in answer_shape]
        scope_paths = [
            (slug in granted, None if path == WHOLE_ANSWER else _parsed(path))
            for slug, paths in scope_fields.items()
            for path in paths
        ]
        named = [path for _, path in scope_paths if path is not None]
        known = [*shape, *named]
        leaves = [
            path
            for path in dict.fromkeys(known)
            if not any(
                len(other) > len(path) and _names(other)[: len(path)] == _names(path)
                for other in known
            )
        ]
        self._root = _Node()
        for leaf in leaves:
            self._add(leaf)
        # "*" without a shape reveals the answer as it comes.
        self._opaque = not shape and any(
            is_granted and path is None for is_granted, path in scope_paths
        )
        for is_granted, path in scope_paths:
            self._settle_list_bases(path or (), is_granted)
            if not is_granted:
                continue
            depth = len(path or ())
            prefix = _names(path or ())
            for leaf in leaves:
                if _names(leaf)[:depth] != prefix:
                    continue
                # A more specific path of any scope takes the leaves below it.
                if any(
                    depth < len(other) <= len(leaf) and _names(leaf)[: len(other)] == _names(other)
                    for other in named
                ):
                    continue
                self._grant(leaf)
        self._everything = self._opaque and not self._root.children

    def _add(self, path: _Path) -> None:
        node = self._root
        for name, is_list in path:
            node = node.children.setdefault(name, _Node())
            node.is_list = node.is_list or is_list

    def _grant(self, leaf: _Path) -> None:
        node = self._root
        node.granted_below = True
        for name, _ in leaf:
            node = node.children[name]
            node.granted_below = True
        node.granted = True

    def _settle_list_bases(self, path: _Path, granted: bool) -> None:
        """Scopes come in catalogue order: the first to name a list or a path above it is the
        list's base; failing that, the first to reach inside it."""
        node = self._root
        for name, _ in path:
            if _is_object_list(node) and not node.base_from_above and node.base_granted is None:
                node.base_granted = granted
            node = node.children[name]
        _settle_from_above(node, granted, _names_path(path))

    def minimise(self, data: Any, *, links: Mapping[str, Any] | None = None) -> MinimisedAnswer:
        walk = _Walk()
        walk.unexpected.update(
            {f"links.{key}": None for key in links or {} if key not in self._known_links}
        )
        if self._everything:
            kept = data
            if isinstance(data, dict):
                walk.returned.update(dict.fromkeys(data))
            elif data is not None:
                walk.returned[WHOLE_ANSWER] = None
        elif isinstance(data, list):
            kept = [
                walk.object(element, self._root, "", self._opaque) if element is not None else None
                for element in data
                if walk.expects_object(element, "[]")
            ]
        elif data is None or walk.expects_object(data, WHOLE_ANSWER):
            kept = walk.object(data, self._root, "", self._opaque) if data is not None else None
        else:
            kept = None
        return MinimisedAnswer(
            data=kept,
            links={},
            fields_returned=tuple(walk.returned),
            unexpected=tuple(walk.unexpected),
        )


class _Walk:
    """One pass over an answer, collecting what is returned and what was unexpected."""

    def __init__(self) -> None:
        self.returned: dict[str, None] = {}
        self.unexpected: dict[str, None] = {}

    def expects_object(self, value: Any, path: str) -> bool:
        if isinstance(value, dict) or value is None:
            return True
        self.unexpected[path] = None
        return False

    def object(self, value: Any, node: _Node, path: str, opaque: bool) -> Any:
        kept: dict[str, Any] = {}
        for key, item in value.items():
            child_path = f"{path}.{key}" if path else key
            child = node.children.get(key)
            if child is None:
                if opaque:
                    kept[key] = item
                    self.returned[child_path] = None
                elif item != {} and item != []:
                    self.unexpected[child_path] = None
                continue
            if not self._present(child, opaque):
                continue
            if self._checked(item, child, child_path):
                kept[key] = self._value(item, child, child_path, opaque)
        return kept

    @staticmethod
    def _present(node: _Node, opaque: bool) -> bool:
        if not node.children:
            return node.granted
        if node.is_list and node.base_granted is not None:
            # A granted base shows the list only if something inside it is granted too: a list of
            # objects emptied of everything, or null where such a list would be, would still tell
            # what the other scopes govern.
            return node.base_granted and (node.granted_below or opaque)
        return node.granted_below or opaque

    def _checked(self, value: Any, node: _Node, path: str) -> bool:
        """Whether the value has the shape its node describes; else it is unexpected."""
        if value is None:
            return True
        if not node.children:
            fits = _is_plain_list(value) if node.is_list else isinstance(value, _PLAIN)
        else:
            fits = isinstance(value, list) if node.is_list else isinstance(value, dict)
        if not fits:
            self.unexpected[path] = None
        return fits

    def _value(self, value: Any, node: _Node, path: str, opaque: bool) -> Any:
        if not node.children or value is None:
            self.returned[path] = None
            return value
        if node.is_list:
            element_path = path + "[]"
            kept = [
                self.object(element, node, element_path, opaque) if element is not None else None
                for element in value
                if self.expects_object(element, element_path)
            ]
            if not kept:
                self.returned[path] = None
            for element in kept:
                if not element:
                    self.returned[element_path] = None
            return kept
        kept_object = self.object(value, node, path, opaque)
        if not kept_object:
            self.returned[path] = None
        return kept_object
