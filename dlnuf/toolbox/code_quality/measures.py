"""The measures of a source tree, read as text: nothing is imported, built or run.

lizard parses every supported language (size, cyclomatic complexity, and the tokens in which
``clones`` finds copied code), radon parses Python for its maintainability index, ruff lints
Python in isolation (no project configuration, no plugins, no cache, no fixes). Tests,
manifests, licences and committed secrets are recognised from file names and text markers.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

import lizard
from django.utils import timezone
from radon.metrics import mi_visit

from dlnuf.toolbox.code_quality.clones import MIN_CLONE_TOKENS, TokenRecorder, find_clones
from dlnuf.toolbox.code_quality.ruff_rules import french_explanation
from dlnuf.toolbox.tech_review.catalogues import load_catalogues
from dlnuf.toolbox.tech_review.manifests import scan_tree
from dlnuf.toolbox.tech_review.review import review_component

Progress = Callable[[int, int], None]

# Folders of third-party or generated code, and of tools: not the project's own code.
SKIPPED_DIRS = {
    ".git", ".hg", ".svn", "node_modules", "bower_components", ".venv", "venv", "site-packages",
    "__pycache__", ".tox", ".nox", ".mypy_cache", ".ruff_cache", ".pytest_cache", "dist", "build",
    "target", ".gradle", ".idea", ".vscode",
}  # fmt: skip
MAX_FILE_BYTES = 1024 * 1024  # bigger files are generated or minified: not read
LANGUAGES = {
    ".py": "Python", ".js": "JavaScript", ".jsx": "JavaScript", ".mjs": "JavaScript",
    ".cjs": "JavaScript", ".ts": "TypeScript", ".tsx": "TypeScript", ".java": "Java",
    ".php": "PHP", ".rb": "Ruby", ".go": "Go", ".cs": "C#", ".c": "C", ".h": "C/C++",
    ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".hpp": "C++", ".hh": "C++", ".kt": "Kotlin",
    ".scala": "Scala", ".swift": "Swift", ".rs": "Rust", ".vue": "Vue", ".lua": "Lua",
}  # fmt: skip
COMPLEX_FROM = 11  # a function of cyclomatic complexity above 10 is hard to test fully
VERY_COMPLEX_FROM = 21
COMPLEXITY_BUCKETS = ((1, 5), (6, 10), (11, 20), (21, 50), (51, None))
WORST_FUNCTIONS = 15
RUFF_RULES = "E4,E7,E9,F,B,C4,SIM,S,UP,PL"
RUFF_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative, with forward slashes
    absolute: Path
    language: str
    is_test: bool


def walk(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under ``root``, skipped folders aside; symbolic links are never
    followed (a link could point outside the analysed tree)."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            absolute = Path(folder, name)
            if absolute.is_symlink() or not absolute.is_file():
                continue
            yield absolute.relative_to(root).as_posix(), absolute


_TEST_DIRS = {"test", "tests", "spec", "specs", "__tests__", "testing", "e2e", "integration_tests"}
_TEST_NAME = re.compile(
    r"(^test_.*\.py$|_test\.(py|go|rb|c|cc|cpp)$|\.(test|spec)\.(js|jsx|ts|tsx|mjs)$"
    r"|(Test|Tests|IT)\.(java|kt|cs|php)$|_spec\.rb$|^test.*\.(c|cpp)$)"
)


def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(part.lower() in _TEST_DIRS for part in parts[:-1]) or bool(
        _TEST_NAME.search(parts[-1])
    )


def source_files(root: Path) -> list[SourceFile]:
    files = []
    for relative, absolute in walk(root):
        language = LANGUAGES.get(absolute.suffix.lower())
        if language is None or absolute.name.endswith((".min.js", ".d.ts")):
            continue
        if absolute.stat().st_size > MAX_FILE_BYTES:
            continue
        files.append(SourceFile(relative, absolute, language, is_test_path(relative)))
    return files


def read_text(path: Path) -> str | None:
    """The file as text, or None for a binary file (a NUL byte in its first 8 KiB)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


# --- Size, complexity, duplication (lizard) ------------------------------------------------------


@dataclass
class CodeMeasures:
    files: int = 0
    nloc_by_language: Counter[str] = field(default_factory=Counter)
    files_by_language: Counter[str] = field(default_factory=Counter)
    test_files: int = 0
    test_nloc: int = 0
    code_nloc: int = 0
    functions: list[dict[str, Any]] = field(default_factory=list)
    duplicate_blocks: list[dict[str, Any]] = field(default_factory=list)
    duplicated_lines: int = 0
    # Lines holding at least one token, the base of the duplication share.
    token_lines: int = 0
    python_files: list[SourceFile] = field(default_factory=list)


def measure_code(files: list[SourceFile], progress: Progress) -> CodeMeasures:
    """Lines of code, functions with their complexity, and copied blocks, in one lizard pass."""
    recorder = TokenRecorder()
    analyzer = lizard.FileAnalyzer(lizard.get_extensions([recorder]))
    measures = CodeMeasures(files=len(files))
    token_streams = []
    for index, source in enumerate(files, start=1):
        text = read_text(source.absolute)
        if text is not None:
            info = analyzer.analyze_source_code(source.path, text)
            token_streams.append((source.path, *recorder.take()))
            measures.nloc_by_language[source.language] += info.nloc
            measures.files_by_language[source.language] += 1
            if source.is_test:
                measures.test_files += 1
                measures.test_nloc += info.nloc
            else:
                measures.code_nloc += info.nloc
                measures.functions.extend(
                    {
                        "name": function.name,
                        "file": source.path,
                        "line": function.start_line,
                        "ccn": function.cyclomatic_complexity,
                        "nloc": function.nloc,
                    }
                    for function in info.function_list
                )
            if source.language == "Python":
                measures.python_files.append(source)
        progress(index, len(files))
    clones = find_clones(token_streams)
    measures.duplicate_blocks = clones.blocks
    measures.duplicated_lines = clones.duplicated_lines
    measures.token_lines = clones.code_lines
    return measures


def complexity_summary(functions: list[dict[str, Any]]) -> dict[str, Any]:
    count = len(functions)
    values = [function["ccn"] for function in functions]
    buckets = []
    for low, high in COMPLEXITY_BUCKETS:
        label = f"{low} à {high}" if high else f"{low} et plus"
        number = sum(1 for value in values if value >= low and (high is None or value <= high))
        buckets.append({"label": label, "count": number})
    complex_count = sum(1 for value in values if value >= COMPLEX_FROM)
    worst = sorted(functions, key=lambda f: (-f["ccn"], -f["nloc"], f["file"], f["line"]))
    return {
        "functions": count,
        "mean": round(sum(values) / count, 2) if count else 0.0,
        "max": max(values, default=0),
        "complex": complex_count,
        "very_complex": sum(1 for value in values if value >= VERY_COMPLEX_FROM),
        "complex_share": round(100 * complex_count / count, 1) if count else 0.0,
        "distribution": buckets,
        "worst": worst[:WORST_FUNCTIONS],
    }


def duplication_summary(measures: CodeMeasures) -> dict[str, Any]:
    blocks = sorted(
        measures.duplicate_blocks, key=lambda block: (-block["lines"], block["places"][0]["file"])
    )
    rate = 100 * measures.duplicated_lines / measures.token_lines if measures.token_lines else 0.0
    return {
        "method": f"séquences identiques d'au moins {MIN_CLONE_TOKENS} lexèmes, trouvées à deux "
        "endroits du code (mise en page, commentaires et style des guillemets ignorés) ; la part "
        "est celle des lignes de code qui appartiennent à une copie, l'original compris",
        "rate": round(rate, 1),
        "duplicated_lines": measures.duplicated_lines,
        "code_lines": measures.token_lines,
        "blocks": len(blocks),
        "largest": blocks[:10],
    }


# --- Python: maintainability (radon) and lint (ruff) ----------------------------------------------


def maintainability(python_files: list[SourceFile]) -> dict[str, Any]:
    """Radon's maintainability index (0–100, higher is easier to maintain), weighted by size."""
    weighted = 0.0
    weight = 0
    unreadable = 0
    lowest: list[dict[str, Any]] = []
    for source in python_files:
        text = read_text(source.absolute)
        if not text or not text.strip():
            continue
        try:
            index = float(mi_visit(text, multi=True))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            unreadable += 1
            continue
        lines = max(1, text.count("\n"))
        weighted += index * lines
        weight += lines
        if not source.is_test:
            lowest.append({"file": source.path, "index": round(index, 1)})
    lowest.sort(key=lambda item: item["index"])
    return {
        "index": round(weighted / weight, 1) if weight else None,
        "files": len(python_files) - unreadable,
        "unreadable": unreadable,
        "lowest": lowest[:5],
    }


def ruff_executable() -> str | None:
    beside = Path(sys.executable).parent / "ruff"
    return str(beside) if beside.exists() else shutil.which("ruff")


def lint_python(root: Path, python_nloc: int) -> dict[str, Any]:
    """ruff's findings on the Python files, by rule family; None when there is no Python."""
    executable = ruff_executable()
    if executable is None or python_nloc == 0:
        return {"available": executable is not None, "findings": 0, "python_nloc": python_nloc}
    result = subprocess.run(  # noqa: S603 - fixed program, no shell, the code is only read
        [
            executable,
            "check",
            "--no-fix",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--output-format",
            "json",
            "--select",
            RUFF_RULES,
            ".",
        ],
        cwd=root,
        capture_output=True,
        timeout=RUFF_TIMEOUT_SECONDS,
        check=False,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent"},
    )
    try:
        findings = json.loads(result.stdout or b"[]")
    except json.JSONDecodeError:
        return {"available": False, "findings": 0, "python_nloc": python_nloc}
    families: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    messages: dict[str, str] = {}
    names: dict[str, str] = {}
    by_file: Counter[str] = Counter()
    for finding in findings:
        code = finding.get("code") or "E999"
        rules[code] += 1
        families[re.sub(r"\d+$", "", code)] += 1
        messages.setdefault(code, str(finding.get("message", ""))[:200])
        names.setdefault(code, str(finding.get("name") or ""))
        filename = Path(str(finding.get("filename", "")))
        try:
            by_file[filename.resolve().relative_to(root.resolve()).as_posix()] += 1
        except ValueError:
            by_file[filename.name] += 1
    total = len(findings)
    return {
        "available": True,
        "rules": RUFF_RULES,
        "findings": total,
        "python_nloc": python_nloc,
        "per_thousand_lines": round(1000 * total / python_nloc, 1) if python_nloc else 0.0,
        "families": [{"family": name, "count": n} for name, n in families.most_common()],
        "frequent": [
            {
                "rule": code,
                "count": n,
                "explanation": french_explanation(code, name=names[code]),
                "message": messages[code],
            }
            for code, n in rules.most_common(10)
        ],
        "hotspots": [{"file": name, "count": n} for name, n in by_file.most_common(5)],
    }


# --- Tests ----------------------------------------------------------------------------------------


def tests_summary(measures: CodeMeasures) -> dict[str, Any]:
    ratio = measures.test_nloc / measures.code_nloc if measures.code_nloc else 0.0
    return {
        "test_files": measures.test_files,
        "test_nloc": measures.test_nloc,
        "code_nloc": measures.code_nloc,
        "ratio": round(ratio, 3),
    }


# --- Dependency manifests -------------------------------------------------------------------------


# What a report keeps of the dependencies' detail, and of other lists a tree can make endless.
MAX_STORED_COMPONENTS = 500
MAX_STORED_MANIFESTS = 100
MAX_STORED_PATHS = 200
MAX_STORED_TEXT = 200


def dependencies_summary(root: Path, *, today: date | None = None) -> dict[str, Any]:
    """Manifests and the components they declare, read by the technology review's parsers, with
    each component's end of life from the same snapshot (the technology review tool adds the
    interministerial software base, licences and the choices to question)."""
    scan = scan_tree(root)
    catalogues = load_catalogues()
    day = today or timezone.localdate()
    by_manifest: dict[str, list[dict[str, Any]]] = {path: [] for path in scan.manifests}
    at_risk = 0
    statuses: list[str] = []
    for component in scan.components:
        life = review_component(component, catalogues=catalogues, today=day)
        statuses.append(life["eol_status"])
        # Without a version each install may bring another release; past its end of life a
        # component no longer gets security fixes.
        if not component.resolved or life["eol_status"] == "eol":
            at_risk += 1
        by_manifest.setdefault(component.manifest, []).append(
            {
                "ecosystem": component.ecosystem,
                "name": component.name[:MAX_STORED_TEXT],
                "version": component.version[:MAX_STORED_TEXT],
                "resolved": component.resolved,
                "dev": component.dev,
                "eol_status": life["eol_status"],
                "eol_message": life["eol_message"] if life["eol_status"] != "unknown" else "",
            }
        )
    every = scan.components
    unpinned = sum(1 for component in every if not component.resolved)
    stored, left_out = _keep_first_components(by_manifest)
    return {
        "manifests": stored,
        "components_left_out": left_out,
        "components": len(every),
        "unpinned": unpinned,
        "unpinned_share": round(100 * unpinned / len(every), 1) if every else 0.0,
        "end_of_life": statuses.count("eol"),
        "end_of_life_soon": statuses.count("soon"),
        "at_risk_share": round(100 * at_risk / len(every), 1) if every else 0.0,
        "data_date": catalogues.eol_date,
        "warnings": scan.warnings[:20],
    }


def _keep_first_components(
    by_manifest: dict[str, list[dict[str, Any]]],
) -> tuple[list[dict[str, Any]], int]:
    """The manifests with the first MAX_STORED_COMPONENTS components in all, and how many were
    left out: the figures above count them all, the report keeps a readable sample."""
    remaining = MAX_STORED_COMPONENTS
    stored = []
    left_out = 0
    for path, components in list(by_manifest.items())[:MAX_STORED_MANIFESTS]:
        kept = components[:remaining]
        left_out += len(components) - len(kept)
        remaining -= len(kept)
        stored.append({"path": path, "components": kept})
    for components in list(by_manifest.values())[MAX_STORED_MANIFESTS:]:
        left_out += len(components)
    return stored, left_out


# --- Licence -----------------------------------------------------------------------------------

LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|unlicense)([.\-_].*)?$", re.I)
# Text markers of the common licences, most specific first (the AGPL text contains "GNU General").
LICENCE_MARKERS = (
    ("AGPL-3.0", ("GNU AFFERO GENERAL PUBLIC LICENSE",)),
    ("LGPL", ("GNU LESSER GENERAL PUBLIC LICENSE", "GNU LIBRARY GENERAL PUBLIC LICENSE")),
    ("GPL-3.0", ("GNU GENERAL PUBLIC LICENSE", "Version 3")),
    ("GPL-2.0", ("GNU GENERAL PUBLIC LICENSE", "Version 2")),
    ("EUPL-1.2", ("EUROPEAN UNION PUBLIC LICEN",)),
    ("Apache-2.0", ("Apache License", "Version 2.0")),
    ("MPL-2.0", ("Mozilla Public License", "2.0")),
    ("BSD-3-Clause", ("Redistribution and use in source and binary forms", "Neither the name")),
    ("BSD-2-Clause", ("Redistribution and use in source and binary forms",)),
    ("MIT", ("Permission is hereby granted, free of charge",)),
    ("CECILL", ("CeCILL",)),
    ("Unlicense", ("This is free and unencumbered software",)),
)


def detect_licence(text: str) -> str:
    folded = " ".join(text.split()).lower()
    for spdx, markers in LICENCE_MARKERS:
        if all(marker.lower() in folded for marker in markers):
            return spdx
    return ""


def licence_summary(root: Path) -> dict[str, Any]:
    found = []
    for entry in sorted(root.iterdir()):
        if entry.is_file() and not entry.is_symlink() and LICENCE_FILE.match(entry.name):
            text = read_text(entry) or ""
            found.append({"file": entry.name, "spdx": detect_licence(text[:200_000])})
            if len(found) == MAX_STORED_PATHS:
                break
    recognised = sorted({item["spdx"] for item in found if item["spdx"]})
    return {"files": found, "licences": recognised}


# --- Secrets committed by mistake --------------------------------------------------------------

# Credentials of this product (see ``habilitations.services``): the environment's prefix, then
# ``secrets.token_urlsafe(32)``, 43 characters of the URL-safe base64 alphabet.
DLNUF_CREDENTIAL = r"dlnuf_{environment}_[A-Za-z0-9_\-]{{43}}(?![A-Za-z0-9_\-])"
SECRET_PATTERNS = (
    (
        "Clé privée",
        "high",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ),
    ("Clé d'accès AWS", "high", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "Jeton GitHub",
        "high",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b"),
    ),
    ("Jeton GitLab", "high", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("Jeton Slack", "high", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}")),
    ("Clé secrète Stripe", "high", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{20,}\b")),
    (
        "Jeton du guichet DLNUF (production)",
        "high",
        re.compile(r"\b" + DLNUF_CREDENTIAL.format(environment="prd")),
    ),
    (
        "Jeton du guichet DLNUF (bac à sable)",
        "medium",
        re.compile(r"\b" + DLNUF_CREDENTIAL.format(environment="sbx")),
    ),
    (
        "Jeton JWT",
        "medium",
        re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),
    ),
    (
        "Mot de passe en clair",
        "medium",
        # The name may carry a prefix or a suffix (DB_PASSWORD, secret_key) and sit in quotes
        # (JSON, YAML); the value must be a literal, not a template or a variable.
        re.compile(
            r"""(?i)(?<![A-Za-z0-9])[A-Za-z0-9_.\-]*"""
            r"""(?:password|passwd|pwd|secret|api_?key|mot_?de_?passe)[A-Za-z0-9_.\-]*"""
            r"""["']?\s*(?::=|=>|[:=])\s*["']([^"'\s$%{}<>]{6,})["']"""
        ),
    ),
)  # fmt: skip
# Values that are obviously placeholders, not secrets.
PLACEHOLDERS = re.compile(
    r"(?i)^(changeme|change_me|password|secret|example|xxx+|\*+|test|dummy|your[_-].*|<.*>)$"
)
SECRET_SCAN_SUFFIXES = {
    "", ".py", ".js", ".ts", ".jsx", ".tsx", ".java", ".php", ".rb", ".go", ".cs", ".c", ".cpp",
    ".h", ".json", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties",
    ".xml", ".txt", ".pem", ".key", ".sh", ".md", ".kt", ".rs", ".config", ".tf", ".sql",
}  # fmt: skip
MAX_SECRET_FINDINGS = 100


def mask(value: str) -> str:
    """Enough to find the line again, never enough to use the secret."""
    value = value.strip()
    if len(value) <= 8:
        return value[:2] + "…" + "•" * 4
    return value[:4] + "•" * 8 + "…"


def scan_secrets(root: Path, paths: list[str]) -> dict[str, Any]:
    findings: list[dict[str, Any]] = []
    env_files: list[str] = []
    for path in paths:
        name = PurePosixPath(path).name
        if name == ".env" or (
            (
                name.startswith(".env.")
                and not name.endswith((".example", ".sample", ".dist", ".template"))
            )
            and len(env_files) < MAX_STORED_PATHS
        ):
            env_files.append(path)
        suffix = PurePosixPath(path).suffix.lower()
        if suffix not in SECRET_SCAN_SUFFIXES and not name.startswith(".env"):
            continue
        absolute = root / path
        if absolute.stat().st_size > MAX_FILE_BYTES:
            continue
        text = read_text(absolute)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for label, severity, pattern in SECRET_PATTERNS:
                match = pattern.search(line)
                if match is None:
                    continue
                value = match.group(1) if pattern.groups and match.group(1) else match.group(0)
                if severity == "medium" and PLACEHOLDERS.match(value):
                    continue
                start = match.start(1) if pattern.groups else match.start()
                excerpt = (
                    match.group(0)
                    if label == "Clé privée"
                    else line[:start].lstrip()[-50:] + mask(value)
                )
                findings.append(
                    {
                        "kind": label,
                        "severity": severity,
                        "file": path,
                        "line": number,
                        "excerpt": excerpt.strip(),
                    }
                )
                break
            if len(findings) >= MAX_SECRET_FINDINGS:
                break
    high = sum(1 for finding in findings if finding["severity"] == "high")
    return {
        "findings": findings,
        "high": high,
        "medium": len(findings) - high,
        "env_files": env_files,
    }
