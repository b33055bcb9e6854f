"""What the places to fix first say: French plurals and thousands separators."""

from dlnuf.toolbox.code_quality.grades import counted, priorities


def test_counts_read_in_french() -> None:
    assert counted(1, "anomalie", "anomalies") == "1 anomalie"
    assert counted(0, "anomalie", "anomalies") == "0 anomalie"
    assert counted(12_500, "ligne", "lignes") == "12\u202f500 lignes"


def test_the_places_to_fix_say_their_counts_in_french() -> None:
    results = {
        "secrets": {"findings": [], "env_files": []},
        "licence": {"files": [{"file": "LICENSE", "spdx": "MIT"}]},
        "tests": {"code_nloc": 10, "test_files": 1},
        "complexity": {"worst": []},
        "duplication": {
            "largest": [{"places": [{"file": "a.py", "start": 3}] * 2, "lines": 1_200}]
        },
        "lint": {"hotspots": [{"file": "b.py", "count": 1}]},
    }
    assert [item["reason"] for item in priorities(results)] == [
        "Bloc de 1\u202f200 lignes présent 2 fois : à factoriser.",
        "1 anomalie signalée par ruff dans ce fichier.",
    ]
