"""Read the dependency manifests of a project: which components it declares, at which versions.

Every parser is tolerant: a manifest that cannot be read gives a warning in French and no
components, never an exception. Versions are kept as written (``==5.2.1``, ``^18.2.0``) and also
"resolved" to one concrete version: the pinned one, else the lowest bound the spec allows, else
"" (``*``, ``latest``, a range with only an upper bound, a git address…).

Besides libraries, the files that choose a runtime are read too (``.python-version``,
``engines.node``, ``go 1.22``, ``<java.version>``, ``FROM python:3.12``…): they are components of
the ``runtime`` ecosystem named after the product (python, nodejs, go, java, php, ruby, dotnet),
and Docker base images are components of the ``docker`` ecosystem.
"""

import json
import posixpath
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

SKIPPED_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        "vendor",
        "venv",
        ".venv",
        "env",
        ".env",
        ".tox",
        ".nox",
        "__pycache__",
        "site-packages",
        "bower_components",
        ".gradle",
        "target",
    }
)
# A manifest is a few kilobytes; anything far larger is not one we should read.
MAX_MANIFEST_BYTES = 1_000_000
MAX_MANIFESTS = 500


@dataclass(frozen=True)
class Component:
    ecosystem: str
    name: str
    version: str
    resolved: str
    manifest: str
    dev: bool = False


@dataclass
class ManifestScan:
    components: list[Component] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)


class _Malformed(Exception):
    """A manifest that cannot be read; the message is for the person, in French."""


# --- Which files are manifests ----------------------------------------------------------------


def manifest_kind(name: str, parent: str = "") -> str | None:
    """The parser for a file name, or None when the file is not a manifest we read."""
    lower = name.lower()
    if lower.endswith(".txt") and (
        lower.startswith("requirements") or parent.lower() == "requirements"
    ):
        return "requirements"
    exact = {
        "pyproject.toml": "pyproject",
        "package.json": "package_json",
        "pom.xml": "pom",
        "build.gradle": "gradle",
        "build.gradle.kts": "gradle",
        "composer.json": "composer",
        "gemfile": "gemfile",
        "gemfile.lock": "gemfile_lock",
        "go.mod": "go_mod",
        ".python-version": "python_version",
        "runtime.txt": "runtime_txt",
        ".nvmrc": "node_version",
        ".node-version": "node_version",
        ".ruby-version": "ruby_version",
        "dockerfile": "dockerfile",
        "containerfile": "dockerfile",
    }
    if lower in exact:
        return exact[lower]
    if lower.endswith(".csproj"):
        return "csproj"
    if lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    return None


# Names a person may give a pasted manifest, for the form's select.
KNOWN_MANIFEST_NAMES = (
    "requirements.txt",
    "pyproject.toml",
    "package.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "composer.json",
    "Gemfile",
    "Gemfile.lock",
    "go.mod",
    "projet.csproj",
    ".python-version",
    "runtime.txt",
    ".nvmrc",
    ".ruby-version",
    "Dockerfile",
)


def find_manifests(root: Path) -> list[Path]:
    """Manifests under ``root``, sorted, without dependency and virtual-environment folders."""
    found: list[Path] = []
    stack = [root]
    while stack and len(found) < MAX_MANIFESTS:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in SKIPPED_DIRS and not entry.name.startswith(".venv"):
                    stack.append(entry)
            elif entry.is_file() and manifest_kind(entry.name, folder.name):
                found.append(entry)
    return sorted(found)[:MAX_MANIFESTS]


# --- Versions ---------------------------------------------------------------------------------

_VERSION = re.compile(r"v?(\d+(?:\.(?:\d+|[xX*]))*(?:[-+.]?[0-9A-Za-z][0-9A-Za-z.+-]*)?)")
_CLAUSE_SPLIT = re.compile(r"\s*(?:\|\||\||,|\s+)\s*")


def _clean_version(raw: str) -> str:
    """``5.2.*`` → ``5.2``; ``18.x`` → ``18``; ``1.2.3`` unchanged."""
    parts: list[str] = []
    for piece in raw.split("."):
        if piece in {"x", "X", "*"}:
            break
        parts.append(piece)
    return ".".join(parts)


def resolve_version(spec: str) -> str:
    """The concrete version a spec pins, else its lowest bound, else ""."""
    spec = spec.strip().strip("'\"")
    if not spec or spec.lower() in {"*", "latest", "x", "any", "next"}:
        return ""
    if spec.startswith("[") or spec.startswith("("):
        # Maven and NuGet ranges: "[1.0,2.0)" has 1.0 as lowest bound; "(,2.0]" has none.
        lower = spec[1:].split(",")[0].strip().rstrip("])")
        return _clean_version(lower) if _VERSION.fullmatch(lower) else ""
    if ":" in spec or "/" in spec:
        # git+https://…, file:…, npm:other@1, workspace:* — not a version of this package.
        return ""
    # "< 2.0" is one clause: glue operators to their version before splitting on blanks.
    spec = re.sub(r"([<>=!~^]+)\s+", r"\1", spec)
    for clause in _CLAUSE_SPLIT.split(spec):
        if not clause or clause.startswith(("<", "!")):
            continue
        match = re.fullmatch(r"(?:===|==|~=|>=|\^|~>|~|=|>)?\s*(.+)", clause)
        version = _VERSION.fullmatch(match.group(1).strip()) if match else None
        if version:
            return _clean_version(version.group(1))
    return ""


# --- Parsers ----------------------------------------------------------------------------------

_REQ_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;@]*)(?P<url>@.*?)?\s*(?:;.*)?$"
)


def _normalise_pypi(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _is_dev_name(name: str) -> bool:
    lower = name.lower()
    return any(word in lower for word in ("dev", "test", "lint", "doc", "typing", "ci"))


def _pypi(name: str, spec: str, manifest: str, dev: bool) -> Component:
    spec = spec.strip()
    return Component("pypi", _normalise_pypi(name), spec, resolve_version(spec), manifest, dev)


def requirements_includes(text: str) -> list[str]:
    """The files a requirements file includes with ``-r`` (constraints files are not deps)."""
    targets = []
    for line in _logical_lines(text):
        match = re.match(r"^(?:-r|--requirement)(?:\s+|=)(\S+)", line)
        if match:
            targets.append(match.group(1))
    return targets


def _logical_lines(text: str) -> Iterable[str]:
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def _parse_requirements(text: str, manifest: str) -> list[Component]:
    dev = _is_dev_name(PurePosixPath(manifest).name)
    components = []
    for line in _logical_lines(text):
        if line.startswith("-"):
            continue
        line = re.sub(r"\s--hash[= ]\S+", "", line)
        match = _REQ_LINE.match(line)
        if not match:
            if "://" in line or line.startswith((".", "/")):
                continue
            raise _Malformed(f"ligne illisible « {line[:60]} »")
        spec = "" if match.group("url") else match.group("spec")
        components.append(_pypi(match.group("name"), spec, manifest, dev))
    return components


def _parse_pyproject(text: str, manifest: str) -> list[Component]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _Malformed(f"TOML invalide ({error})") from error
    components: list[Component] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    assert isinstance(project, dict)

    def add_pep508(entries: Any, dev: bool) -> None:
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str):
                continue
            match = _REQ_LINE.match(entry.strip())
            if match:
                spec = "" if match.group("url") else match.group("spec")
                components.append(_pypi(match.group("name"), spec, manifest, dev))

    requires_python = project.get("requires-python")
    if isinstance(requires_python, str):
        components.append(_runtime("python", requires_python, manifest))
    add_pep508(project.get("dependencies"), False)
    optional = project.get("optional-dependencies")
    for group, entries in optional.items() if isinstance(optional, dict) else []:
        add_pep508(entries, _is_dev_name(group))
    groups = data.get("dependency-groups")
    for entries in groups.values() if isinstance(groups, dict) else []:
        add_pep508(entries, True)

    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    assert isinstance(tool, dict)
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    assert isinstance(poetry, dict)

    def add_poetry(table: Any, dev: bool) -> None:
        for name, value in table.items() if isinstance(table, dict) else []:
            spec = value if isinstance(value, str) else ""
            if isinstance(value, dict) and isinstance(value.get("version"), str):
                spec = value["version"]
            if name.lower() == "python":
                components.append(_runtime("python", spec, manifest))
            else:
                components.append(_pypi(name, spec, manifest, dev))

    add_poetry(poetry.get("dependencies"), False)
    add_poetry(poetry.get("dev-dependencies"), True)
    poetry_groups = poetry.get("group")
    for group in poetry_groups.values() if isinstance(poetry_groups, dict) else []:
        if isinstance(group, dict):
            add_poetry(group.get("dependencies"), True)
    return components


def _load_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Malformed(f"JSON invalide (ligne {error.lineno})") from error
    if not isinstance(data, dict):
        raise _Malformed("le fichier ne contient pas un objet JSON")
    return data


def _parse_package_json(text: str, manifest: str) -> list[Component]:
    data = _load_json(text)
    components: list[Component] = []
    for section, dev in (
        ("dependencies", False),
        ("peerDependencies", False),
        ("optionalDependencies", False),
        ("devDependencies", True),
    ):
        table = data.get(section)
        for name, spec in table.items() if isinstance(table, dict) else []:
            if isinstance(spec, str):
                spec = spec.strip()
                components.append(
                    Component("npm", name, spec, resolve_version(spec), manifest, dev)
                )
    engines = data.get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        components.append(_runtime("nodejs", engines["node"], manifest))
    return components


def _parse_composer(text: str, manifest: str) -> list[Component]:
    data = _load_json(text)
    components: list[Component] = []
    for section, dev in (("require", False), ("require-dev", True)):
        table = data.get(section)
        for name, spec in table.items() if isinstance(table, dict) else []:
            if not isinstance(spec, str):
                continue
            if name.lower() == "php":
                components.append(_runtime("php", spec, manifest))
            elif "/" in name:
                # ext-*, lib-* and composer-plugin-api are platform needs, not packages.
                components.append(
                    Component("packagist", name.lower(), spec, resolve_version(spec), manifest, dev)
                )
    return components


def _xml_root(text: str) -> ET.Element:
    # A document type may declare entities that expand exponentially ("billion laughs"):
    # manifests never need one, so any is refused before the parser sees it.
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise _Malformed("déclaration DOCTYPE ou ENTITY refusée (risque de bombe XML)")
    try:
        root = ET.fromstring(text)  # noqa: S314 — DOCTYPE and ENTITY refused just above
    except ET.ParseError as error:
        raise _Malformed(f"XML invalide ({error})") from error
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def _text(element: ET.Element | None, path: str) -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


_PROPERTY_REFERENCE = re.compile(r"\$\{([^}]+)\}")
# A version, group or artifact is a few dozen characters; properties referring to properties
# can double the length at each level, so expansion stops at these bounds.
MAX_EXPANDED_CHARS = 256
MAX_EXPANSION_DEPTH = 10


class _ExpansionTooLong(Exception):
    pass


class _PropertyExpander:
    """Maven's ``${property}`` expansion, bounded in depth and length: a value that would grow
    beyond MAX_EXPANDED_CHARS is kept as written (unresolved) and noted."""

    def __init__(self, properties: dict[str, str], manifest: str) -> None:
        self.properties = properties
        self.manifest = manifest
        self.notes: list[str] = []

    def __call__(self, value: str) -> str:
        written = value
        try:
            for _ in range(MAX_EXPANSION_DEPTH):
                expanded = self._substitute_once(value)
                if expanded == value:
                    break
                value = expanded
        except _ExpansionTooLong:
            note = (
                f"{self.manifest} : la valeur « {written[:60]} » dépasse {MAX_EXPANDED_CHARS} "
                "caractères une fois ses propriétés remplacées ; elle est laissée non résolue."
            )
            if note not in self.notes:
                self.notes.append(note)
            return written
        return value

    def _substitute_once(self, value: str) -> str:
        pieces: list[str] = []
        length = 0
        position = 0
        for match in _PROPERTY_REFERENCE.finditer(value):
            for piece in (
                value[position : match.start()],
                self.properties.get(match.group(1), match.group(0)),
            ):
                length += len(piece)
                if length > MAX_EXPANDED_CHARS:
                    raise _ExpansionTooLong
                pieces.append(piece)
            position = match.end()
        pieces.append(value[position:])
        if length + len(value) - position > MAX_EXPANDED_CHARS:
            raise _ExpansionTooLong
        return "".join(pieces)


def _parse_pom(text: str, manifest: str) -> tuple[list[Component], list[str]]:
    root = _xml_root(text)
    properties: dict[str, str] = {}
    props = root.find("properties")
    for prop in list(props) if props is not None else []:
        if isinstance(prop.tag, str):
            properties[prop.tag] = (prop.text or "").strip()
    parent = root.find("parent")
    parent_version = _text(parent, "version")
    project_version = _text(root, "version") or parent_version
    properties.update(
        {
            "project.version": project_version,
            "version": project_version,
            "pom.version": project_version,
            "project.parent.version": parent_version,
            "parent.version": parent_version,
        }
    )
    expand = _PropertyExpander(properties, manifest)

    components: list[Component] = []
    if parent is not None and _text(parent, "artifactId"):
        name = f"{_text(parent, 'groupId')}:{_text(parent, 'artifactId')}"
        components.append(
            Component("maven", name, parent_version, resolve_version(parent_version), manifest)
        )
    java = next(
        (
            properties[key]
            for key in (
                "java.version",
                "maven.compiler.release",
                "maven.compiler.source",
                "maven.compiler.target",
            )
            if properties.get(key)
        ),
        "",
    )
    if java:
        components.append(_runtime("java", expand(java), manifest))
    for dependency in root.iter("dependency"):
        group, artifact = _text(dependency, "groupId"), _text(dependency, "artifactId")
        if not artifact:
            continue
        written = _text(dependency, "version")
        version = expand(written)
        resolved = "" if "${" in version else resolve_version(version)
        components.append(
            Component(
                "maven",
                f"{expand(group)}:{expand(artifact)}",
                version,
                resolved,
                manifest,
                _text(dependency, "scope") in {"test", "provided"},
            )
        )
    return components, expand.notes


_GRADLE_DEP = re.compile(
    r"""^\s*(?P<conf>\w+)\s*\(?\s*["'](?P<group>[^"':\s]+):(?P<artifact>[^"':\s]+)"""
    r"""(?::(?P<version>[^"'\s@]+))?[^"']*["']"""
)
_GRADLE_PLUGIN = re.compile(
    r"""id\s*\(?\s*["']([\w.-]+)["']\s*\)?\s*version\s*\(?\s*["']([^"']+)"""
)
_GRADLE_JAVA = re.compile(
    r"""(?:sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_)?["']?(\d+(?:[._]\d+)?)"""
    r"""|JavaLanguageVersion\.of\(\s*(\d+)\s*\))"""
)
_GRADLE_CONFS = {
    "implementation",
    "api",
    "compile",
    "compileOnly",
    "runtimeOnly",
    "runtime",
    "annotationProcessor",
    "kapt",
    "classpath",
    "testImplementation",
    "testCompile",
    "testRuntimeOnly",
    "testCompileOnly",
    "developmentOnly",
}


def _parse_gradle(text: str, manifest: str) -> list[Component]:
    components: list[Component] = []
    for line in text.splitlines():
        match = _GRADLE_DEP.match(line)
        if match and match.group("conf") in _GRADLE_CONFS:
            version = match.group("version") or ""
            resolved = "" if "$" in version else resolve_version(version)
            components.append(
                Component(
                    "maven",
                    f"{match.group('group')}:{match.group('artifact')}",
                    version,
                    resolved,
                    manifest,
                    match.group("conf").startswith("test"),
                )
            )
    for plugin, version in _GRADLE_PLUGIN.findall(text):
        components.append(
            Component("gradle-plugin", plugin, version, resolve_version(version), manifest)
        )
    java = _GRADLE_JAVA.search(text)
    if java:
        components.append(
            _runtime("java", (java.group(1) or java.group(2)).replace("_", "."), manifest)
        )
    return components


_GEM = re.compile(r"""^\s*gem\s+["']([^"']+)["']((?:\s*,\s*["'][^"']*["'])*)""")


def _parse_gemfile(text: str, manifest: str) -> list[Component]:
    components: list[Component] = []
    dev_depth = 0
    depth = 0
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if re.match(r"^group\b.*\bdo\b", stripped):
            depth += 1
            if re.search(r":(development|test)\b", stripped) and not dev_depth:
                dev_depth = depth
            continue
        if re.match(r"^(source|platforms|install_if)\b.*\bdo\b", stripped):
            depth += 1
            continue
        if stripped == "end":
            if dev_depth == depth:
                dev_depth = 0
            depth = max(0, depth - 1)
            continue
        ruby = re.match(r"""^ruby\s+["']([^"']+)["']""", stripped)
        if ruby:
            components.append(_runtime("ruby", ruby.group(1), manifest))
            continue
        gem = _GEM.match(stripped)
        if gem:
            specs = re.findall(r"""["']([^"']*)["']""", gem.group(2))
            spec = ", ".join(specs)
            dev = bool(dev_depth) or bool(re.search(r"group:\s*:(development|test)", stripped))
            components.append(
                Component("rubygems", gem.group(1), spec, resolve_version(spec), manifest, dev)
            )
    return components


def gemfile_lock_versions(text: str) -> dict[str, str]:
    """Locked versions from a Gemfile.lock's ``specs:`` sections."""
    versions: dict[str, str] = {}
    for match in re.finditer(r"^ {4}([A-Za-z0-9_.-]+) \(([^)]+)\)\s*$", text, re.MULTILINE):
        versions[match.group(1)] = match.group(2).split("-")[0]
    return versions


def _parse_gemfile_lock(text: str, manifest: str) -> list[Component]:
    if "DEPENDENCIES" not in text and "specs:" not in text:
        raise _Malformed("ni section DEPENDENCIES ni section specs")
    locked = gemfile_lock_versions(text)
    components: list[Component] = []
    section = ""
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section = line.strip()
            continue
        if section == "DEPENDENCIES":
            match = re.match(r"^ {2}([A-Za-z0-9_.-]+)!?(?: \(([^)]*)\))?\s*$", line)
            if match:
                name = match.group(1)
                spec = match.group(2) or ""
                components.append(
                    Component(
                        "rubygems",
                        name,
                        spec,
                        locked.get(name, resolve_version(spec)),
                        manifest,
                    )
                )
        elif section == "RUBY VERSION":
            match = re.match(r"^\s+ruby (\d+(?:\.\d+)*)", line)
            if match:
                components.append(_runtime("ruby", match.group(1), manifest))
    return components


def _parse_go_mod(text: str, manifest: str) -> list[Component]:
    if not re.search(r"^\s*module\s+\S+", text, re.MULTILINE):
        raise _Malformed("pas de directive « module »")
    components: list[Component] = []
    go = re.search(r"^\s*go\s+(\d+(?:\.\d+)*)\s*$", text, re.MULTILINE)
    if go:
        components.append(_runtime("go", go.group(1), manifest))
    in_block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if in_block:
            if line == ")":
                in_block = False
                continue
            entry = line
        elif line.startswith("require ("):
            in_block = True
            continue
        elif line.startswith("require "):
            entry = line[len("require ") :].strip()
        else:
            continue
        parts = entry.split()
        if len(parts) >= 2:
            components.append(
                Component("go", parts[0], parts[1], resolve_version(parts[1]), manifest)
            )
    return components


def _parse_csproj(text: str, manifest: str) -> list[Component]:
    root = _xml_root(text)
    components: list[Component] = []
    frameworks: list[str] = []
    for tag in ("TargetFramework", "TargetFrameworks"):
        for element in root.iter(tag):
            frameworks.extend(part.strip() for part in (element.text or "").split(";"))
    for framework in frameworks:
        match = re.fullmatch(r"net(?:coreapp)?(\d+\.\d+)(?:-.*)?", framework)
        if match:
            components.append(Component("runtime", "dotnet", framework, match.group(1), manifest))
    for reference in root.iter("PackageReference"):
        name = reference.get("Include") or reference.get("Update") or ""
        if not name:
            continue
        version = reference.get("Version") or _text(reference, "Version")
        dev = reference.get("PrivateAssets", "").lower() == "all"
        components.append(
            Component("nuget", name, version, resolve_version(version), manifest, dev)
        )
    return components


def _runtime(product: str, spec: str, manifest: str) -> Component:
    spec = spec.strip()
    return Component("runtime", product, spec, resolve_version(spec), manifest)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return ""


def _parse_version_file(product: str, prefix: str) -> Callable[[str, str], list[Component]]:
    def parse(text: str, manifest: str) -> list[Component]:
        line = _first_line(text)
        if not line:
            raise _Malformed("fichier vide")
        version = line.removeprefix(prefix)
        return [_runtime(product, version, manifest)]

    return parse


def _parse_runtime_txt(text: str, manifest: str) -> list[Component]:
    line = _first_line(text)
    match = re.fullmatch(r"(python|ruby|node(?:js)?|php|java)-(.+)", line)
    if not match:
        raise _Malformed(f"déclaration inconnue « {line[:40]} »")
    product = {"node": "nodejs", "nodejs": "nodejs"}.get(match.group(1), match.group(1))
    return [_runtime(product, match.group(2), manifest)]


def docker_image(reference: str) -> tuple[str, str]:
    """``docker.io/library/python:3.12-slim@sha256:…`` → ("python", "3.12-slim")."""
    reference = reference.split("@", 1)[0]
    name, tag = reference, ""
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = reference.rsplit(":", 1)
    for prefix in ("docker.io/library/", "docker.io/", "library/", "index.docker.io/library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.lower(), tag


def _parse_dockerfile(text: str, manifest: str) -> list[Component]:
    components: list[Component] = []
    stages: set[str] = set()
    for line in text.splitlines():
        match = re.match(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if not match:
            continue
        reference = match.group(1)
        if match.group(2):
            stages.add(match.group(2).lower())
        if reference.lower() in stages or reference.lower() == "scratch":
            continue
        name, tag = docker_image(reference)
        version = re.match(r"v?(\d+(?:\.\d+)*)", tag)
        components.append(
            Component("docker", name, tag, version.group(1) if version else "", manifest)
        )
    if not components and not stages:
        raise _Malformed("aucune instruction FROM")
    return components


_PARSERS: dict[str, Callable[[str, str], list[Component]]] = {
    "requirements": _parse_requirements,
    "pyproject": _parse_pyproject,
    "package_json": _parse_package_json,
    "gradle": _parse_gradle,
    "composer": _parse_composer,
    "gemfile": _parse_gemfile,
    "gemfile_lock": _parse_gemfile_lock,
    "go_mod": _parse_go_mod,
    "csproj": _parse_csproj,
    "python_version": _parse_version_file("python", "python-"),
    "node_version": _parse_version_file("nodejs", "v"),
    "ruby_version": _parse_version_file("ruby", "ruby-"),
    "runtime_txt": _parse_runtime_txt,
    "dockerfile": _parse_dockerfile,
}


# Parsers that may read a manifest only in part, saying so in French.
_PARSERS_WITH_NOTES: dict[str, Callable[[str, str], tuple[list[Component], list[str]]]] = {
    "pom": _parse_pom,
}


def read_manifest(manifest: str, text: str) -> tuple[list[Component], list[str]]:
    """Components of one manifest (``manifest`` is its relative path) and warnings in French."""
    path = PurePosixPath(manifest)
    kind = manifest_kind(path.name, path.parent.name)
    if kind is None:
        return [], [f"{manifest} : ce type de fichier n'est pas reconnu."]
    try:
        if kind in _PARSERS_WITH_NOTES:
            return _PARSERS_WITH_NOTES[kind](text, manifest)
        return _PARSERS[kind](text, manifest), []
    except _Malformed as error:
        return [], [f"{manifest} : fichier illisible, ignoré — {error}."]
    except (ValueError, TypeError, AttributeError, RecursionError) as error:
        return [], [f"{manifest} : fichier illisible, ignoré ({type(error).__name__})."]


def parse_manifest(path: Path, text: str) -> list[Component]:
    """Components declared in one manifest; a malformed one gives none (see read_manifest)."""
    return read_manifest(path.as_posix(), text)[0]


def scan_files(paths: Iterable[str], read: Callable[[str], str | None]) -> ManifestScan:
    """Read the manifests at ``paths`` (relative, posix), following requirements includes and
    taking locked versions from a Gemfile.lock beside its Gemfile."""
    scan = ManifestScan()
    queue = list(paths)
    seen: set[str] = set()
    texts: dict[str, str] = {}
    while queue:
        manifest = posixpath.normpath(queue.pop(0))
        if manifest in seen:
            continue
        seen.add(manifest)
        text = read(manifest)
        if text is None:
            scan.warnings.append(f"{manifest} : fichier absent ou trop volumineux, ignoré.")
            continue
        texts[manifest] = text
        scan.manifests.append(manifest)
        name = PurePosixPath(manifest).name
        parent = PurePosixPath(manifest).parent.name
        kind = manifest_kind(name, parent)
        if kind is None and manifest.endswith((".txt", ".in")):
            kind = "requirements"
        if kind == "requirements":
            components, warnings = _read_requirements(manifest, text)
            for include in requirements_includes(text):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(manifest), include))
                if target.startswith("../") or target.startswith("/"):
                    scan.warnings.append(
                        f"{manifest} : inclusion « {include} » hors du projet, non suivie."
                    )
                else:
                    queue.append(target)
        else:
            components, warnings = read_manifest(manifest, text)
        scan.components.extend(components)
        scan.warnings.extend(warnings)
    _apply_gem_locks(scan, texts)
    return scan


def _read_requirements(manifest: str, text: str) -> tuple[list[Component], list[str]]:
    try:
        return _parse_requirements(text, manifest), []
    except _Malformed as error:
        return [], [f"{manifest} : fichier illisible, ignoré — {error}."]


def _apply_gem_locks(scan: ManifestScan, texts: dict[str, str]) -> None:
    # A Gemfile with its lock: the Gemfile says what is wanted, the lock which version was
    # installed; the lock's own list would repeat the Gemfile's, so it is dropped.
    locks: dict[str, dict[str, str]] = {}
    for manifest, text in texts.items():
        if PurePosixPath(manifest).name.lower() == "gemfile.lock":
            gemfile = posixpath.join(posixpath.dirname(manifest), "Gemfile")
            if gemfile in texts:
                locks[gemfile] = gemfile_lock_versions(text)
    if not locks:
        return
    lock_paths = {posixpath.join(posixpath.dirname(g), "Gemfile.lock") for g in locks}
    merged = []
    for component in scan.components:
        if component.manifest in lock_paths:
            continue
        lock = locks.get(component.manifest)
        if lock and component.ecosystem == "rubygems" and component.name in lock:
            component = Component(
                component.ecosystem,
                component.name,
                component.version,
                lock[component.name],
                component.manifest,
                component.dev,
            )
        merged.append(component)
    scan.components = merged


def scan_tree(root: Path) -> ManifestScan:
    """Every manifest under ``root`` (see find_manifests), read within ``root`` only."""
    root = root.resolve()

    def read(relative: str) -> str | None:
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")

    paths = [path.relative_to(root).as_posix() for path in find_manifests(root)]
    return scan_files(paths, read)


def components_in_tree(root: Path) -> list[Component]:
    return scan_tree(root).components
