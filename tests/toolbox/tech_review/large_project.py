"""A generated project far larger than what a stored review keeps, with figures computable by
hand: 3,000 components in 252 manifests, 550 of them without a version, 300 missing includes."""

import json
from typing import Any

PYPI_COUNT = 1_250  # in requirements.txt; one in five unpinned: 250
NPM_COUNT = 1_500  # in package.json; one in five "*": 300
SMALL_MANIFESTS = 250  # outils/oNNN/requirements.txt, one pinned component each
MISSING_INCLUDES = 300  # "-r absent-NNN.txt" lines of requirements.txt: one warning each

COMPONENTS = PYPI_COUNT + NPM_COUNT + SMALL_MANIFESTS  # 3,000
UNPINNED = PYPI_COUNT // 5 + NPM_COUNT // 5  # 550
MANIFESTS = 2 + SMALL_MANIFESTS  # 252


def large_project_files() -> list[dict[str, Any]]:
    requirements = [
        f"paquet-{i:04d}" if i % 5 == 0 else f"paquet-{i:04d}==1.0.{i}" for i in range(PYPI_COUNT)
    ]
    requirements += [f"-r absent-{i:03d}.txt" for i in range(MISSING_INCLUDES)]
    package = {
        "dependencies": {
            f"bibliotheque-{i:04d}": "*" if i % 5 == 0 else "^2.0.0" for i in range(NPM_COUNT)
        }
    }
    return [
        {"name": "requirements.txt", "text": "\n".join(requirements) + "\n"},
        {"name": "package.json", "text": json.dumps(package)},
        *(
            {"name": f"outils/o{i:03d}/requirements.txt", "text": f"outil-{i:03d}==3.1.0\n"}
            for i in range(SMALL_MANIFESTS)
        ),
    ]
