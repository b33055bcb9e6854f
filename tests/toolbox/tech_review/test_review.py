from datetime import date

import pytest

from dlnuf.toolbox.tech_review.catalogues import Catalogues, load_catalogues
from dlnuf.toolbox.tech_review.manifests import Component
from dlnuf.toolbox.tech_review.review import (
    MAX_STORED_COMPONENTS,
    MAX_STORED_FINDING_ITEMS,
    MAX_STORED_TEXT,
    eol_status,
    french_date,
    is_behind,
    match_cycle,
    review_components,
)

TODAY = date(2026, 1, 15)
CYCLES = [
    {"cycle": "5.2", "eol": "2028-04-30", "lts": True, "latest": "5.2.1"},
    {"cycle": "5.1", "eol": "2025-12-31", "lts": False},
    {"cycle": "4.2", "eol": "2026-04-30", "lts": True},
]


@pytest.fixture
def catalogues() -> Catalogues:
    return load_catalogues()


def comp(ecosystem: str, name: str, version: str, resolved: str, dev: bool = False) -> Component:
    return Component(ecosystem, name, version, resolved, "manifeste", dev)


def rules(result: dict) -> dict[str, dict]:
    return {finding["rule"]: finding for finding in result["findings"]}


def test_match_cycle_takes_the_longest_prefix_on_component_boundaries() -> None:
    assert match_cycle("5.2.1", CYCLES).cycle == CYCLES[0]
    assert match_cycle("5.2", CYCLES).cycle == CYCLES[0]
    # "5.20" must not match cycle "5.2": components, not characters.
    assert match_cycle("5.20.1", CYCLES).cycle is None
    ambiguous = match_cycle("5", CYCLES)
    assert ambiguous.cycle is None
    assert "plusieurs cycles" in ambiguous.note
    assert match_cycle("", CYCLES).note == "version non précisée : cycle indéterminé"
    debian = [{"cycle": "12", "codename": "bookworm", "eol": "2026-06-10"}]
    assert match_cycle("", debian, tag="bookworm-slim").cycle == debian[0]


def test_eol_status_with_a_fixed_today() -> None:
    # 2025-12-31 < 2026-01-15: past.
    assert eol_status("2025-12-31", today=TODAY).message == (
        "en fin de vie depuis le 31 décembre 2025"
    )
    # 2026-04-30 is 105 days after today, within 365 days: soon.
    soon = eol_status("2026-04-30", today=TODAY)
    assert (soon.status, soon.message) == ("soon", "fin de vie proche (le 30 avril 2026)")
    # 2027-01-16 is 366 days after today: beyond twelve months.
    assert eol_status("2027-01-16", today=TODAY).status == "ok"
    assert eol_status("2027-01-15", today=TODAY).status == "soon"
    assert eol_status(False, today=TODAY).status == "ok"
    assert eol_status(True, today=TODAY).status == "eol"
    assert eol_status(None, today=TODAY).status == "unknown"
    assert french_date(date(2028, 4, 1)) == "1er avril 2028"


def test_is_behind_compares_at_the_same_precision_only() -> None:
    assert is_behind("5.2.0", "5.2.1")
    assert not is_behind("5.2.1", "5.2.1")
    assert not is_behind("3.12", "3.12.10")  # a floating tag follows its cycle
    assert not is_behind("", "1.0")


def test_review_of_django_versions_against_the_snapshot(catalogues: Catalogues) -> None:
    components = [
        comp("pypi", "django", "==5.2.0", "5.2.0"),
        comp("pypi", "django", "==4.2.11", "4.2.11"),
        comp("pypi", "django", "==5.1.4", "5.1.4"),
    ]
    result = review_components(components, catalogues=catalogues, today=TODAY)
    first, second, third = result["components"]
    # FIELD-NOTES: Django 5.2 LTS ends on 2028-04-30, more than a year after 2026-01-15.
    assert (first["cycle"], first["eol_status"], first["eol_date"]) == ("5.2", "ok", "2028-04-30")
    assert first["outdated"]
    assert first["latest"] == "5.2.1"
    assert first["sill"]["name"] == "Django"
    assert first["licence"] == "BSD-3-Clause"
    assert second["eol_status"] == "soon"  # 4.2 ends 2026-04-30, 105 days later
    assert third["eol_message"] == "en fin de vie depuis le 31 décembre 2025"
    assert result["summary"]["eol"] == 1
    assert result["summary"]["soon"] == 1
    assert result["snapshots"]["eol_date"] == catalogues.eol_date
    found = rules(result)
    assert found["eol"]["severity"] == "alerte"
    assert found["eol"]["components"] == ["django ==5.1.4 (manifeste)"]
    assert "django ==4.2.11 (manifeste)" in found["eol_soon"]["components"][0]
    # 5.1 is not an LTS cycle but is already past its end: reported as such, not as non-LTS.
    assert "non_lts" not in found
    assert "outdated" in found


def test_unknown_products_and_licences(catalogues: Catalogues) -> None:
    result = review_components(
        [comp("pypi", "obscure-lib", "==1.0", "1.0")], catalogues=catalogues, today=TODAY
    )
    row = result["components"][0]
    assert row["eol_status"] == "unknown"
    assert row["licence"] == ""
    assert row["sill"] is None


def test_rule_eol_runtime_and_docker_latest(catalogues: Catalogues) -> None:
    components = [
        comp("runtime", "python", "3.8", "3.8"),
        comp("docker", "nginx", "", ""),
        comp("docker", "postgres", "latest", ""),
    ]
    found = rules(review_components(components, catalogues=catalogues, today=TODAY))
    assert found["eol"]["components"] == ["python 3.8 (manifeste)"]
    assert found["docker_latest"]["components"] == [
        "nginx (manifeste)",
        "postgres latest (manifeste)",
    ]


def test_rule_unpinned(catalogues: Catalogues) -> None:
    components = [
        comp("npm", "left-pad", "*", ""),
        comp("npm", "vue", "latest", ""),
        comp("pypi", "requests", "", ""),
        comp("pypi", "urllib3", "<3", ""),
        comp("pypi", "idna", ">=3", "3"),
        comp("maven", "org.springframework.boot:spring-boot-starter-web", "", ""),
    ]
    found = rules(review_components(components, catalogues=catalogues, today=TODAY))
    assert found["unpinned"]["components"] == [
        "left-pad * (manifeste)",
        "vue latest (manifeste)",
        "requests (manifeste)",
        "urllib3 <3 (manifeste)",
    ]


def test_rule_overlapping_frameworks_ignores_dev_tools(catalogues: Catalogues) -> None:
    components = [
        comp("npm", "react", "^18.2.0", "18.2.0"),
        comp("npm", "vue", "^3.4.0", "3.4.0"),
        comp("pypi", "django", "==5.2.1", "5.2.1"),
        comp("pypi", "sqlalchemy", "==2.0.30", "2.0.30"),
        comp("npm", "jest", "29.0.0", "29.0.0", dev=True),
        comp("npm", "vitest", "1.0.0", "1.0.0", dev=True),
    ]
    result = review_components(components, catalogues=catalogues, today=TODAY)
    overlaps = {f["title"]: f["components"] for f in result["findings"] if f["rule"] == "overlap"}
    assert overlaps == {
        "Plusieurs outils pour le même rôle : cadriciels d'interface JavaScript": ["react", "vue"],
        "Plusieurs outils pour le même rôle : ORM Python": ["django", "sqlalchemy"],
    }


def test_rule_non_lts_for_a_long_lived_service(catalogues: Catalogues) -> None:
    # Django 5.1 is past; use Node.js 21 (not LTS) on a date before its end of life.
    components = [comp("runtime", "nodejs", "21", "21"), comp("runtime", "nodejs", "20", "20")]
    before_end = date(2024, 3, 1)
    found = rules(review_components(components, catalogues=catalogues, today=before_end))
    assert found["non_lts"]["components"] == ["nodejs 21 (manifeste) — cycle 21"]
    short_lived = review_components(
        components, catalogues=catalogues, today=before_end, long_lived=False
    )
    assert "non_lts" not in rules(short_lived)


def test_rule_sill_alternative(catalogues: Catalogues) -> None:
    components = [comp("docker", "mysql", "8.0", "8.0"), comp("pypi", "mysqlclient", "2.2", "2.2")]
    found = rules(review_components(components, catalogues=catalogues, today=TODAY))
    assert found["sill_alternative"]["components"] == [
        "mysql 8.0 (manifeste)",
        "mysqlclient 2.2 (manifeste)",
    ]
    assert "PostgreSQL, MariaDB" in found["sill_alternative"]["detail"]
    mariadb = review_components(
        [comp("docker", "mariadb", "10.11", "10.11")], catalogues=catalogues, today=TODAY
    )
    assert "sill_alternative" not in rules(mariadb)
    assert mariadb["components"][0]["sill"]["name"] == "MariaDB"


def test_rule_copyleft_depends_on_the_distribution(catalogues: Catalogues) -> None:
    components = [
        comp("pypi", "mysqlclient", "==2.2.4", "2.2.4"),  # GPL-2.0-or-later
        comp("pypi", "pymupdf", "==1.24.0", "1.24.0"),  # AGPL-3.0-only
        comp("pypi", "django", "==5.2.1", "5.2.1"),  # BSD-3-Clause
    ]
    proprietary = rules(
        review_components(
            components, catalogues=catalogues, today=TODAY, distribution="proprietary"
        )
    )
    assert proprietary["copyleft"]["severity"] == "information"
    assert proprietary["copyleft"]["components"] == [
        "mysqlclient ==2.2.4 (manifeste) — GPL-2.0-or-later",
        "pymupdf ==1.24.0 (manifeste) — AGPL-3.0-only",
    ]
    service = rules(
        review_components(components, catalogues=catalogues, today=TODAY, distribution="service")
    )
    assert service["copyleft"]["components"] == ["pymupdf ==1.24.0 (manifeste) — AGPL-3.0-only"]
    free = rules(review_components(components, catalogues=catalogues, today=TODAY))
    assert "copyleft" not in free


def test_sill_matching_by_mapping_and_patterns(catalogues: Catalogues) -> None:
    assert catalogues.sill_entry_for("docker:postgres")["name"] == "PostgreSQL"
    assert catalogues.sill_entry_for("pypi:django")["name"] == "Django"
    assert catalogues.sill_entry_for("npm:left-pad") is None
    assert catalogues.product_for("maven:org.springframework.boot:spring-boot-starter") == (
        "spring-boot"
    )
    assert catalogues.product_for("maven:org.springframework:spring-core") == "spring-framework"
    assert catalogues.sill_partial


def test_spring_boot_parent_and_debian_codename(catalogues: Catalogues) -> None:
    components = [
        comp("maven", "org.springframework.boot:spring-boot-starter-parent", "3.2.5", "3.2.5"),
        comp("docker", "debian", "bookworm-slim", ""),
    ]
    spring, debian = review_components(components, catalogues=catalogues, today=TODAY)["components"]
    # Spring Boot 3.2 open-source support ended 2024-12-31.
    assert (spring["cycle"], spring["eol_status"]) == ("3.2", "eol")
    # Debian 12 security support ends 2026-06-10: 146 days after 2026-01-15.
    assert (debian["cycle"], debian["eol_status"]) == ("12", "soon")


def test_figures_count_the_components_the_stored_rows_leave_out(catalogues: Catalogues) -> None:
    generated = [comp("npm", f"paquet-{i:04d}", "", "") for i in range(1_199)]
    # Last of 1,200: far beyond the rows kept, still counted and still questioned.
    ended = comp("runtime", "nodejs", "16", "16")
    result = review_components([*generated, ended], catalogues=catalogues, today=TODAY)
    assert len(result["components"]) == MAX_STORED_COMPONENTS == 500
    assert result["components_left_out"] == 1_200 - 500
    assert result["components"][-1]["name"] == "paquet-0499"
    assert (result["summary"]["components"], result["summary"]["eol"]) == (1_200, 1)
    assert result["summary"]["unknown"] == 1_199
    found = rules(result)
    assert found["eol"]["components"] == ["nodejs 16 (manifeste)"]
    assert found["eol"]["components_left_out"] == 0
    assert len(found["unpinned"]["components"]) == MAX_STORED_FINDING_ITEMS == 100
    assert found["unpinned"]["components_left_out"] == 1_199 - 100


def test_stored_texts_are_clipped(catalogues: Catalogues) -> None:
    long_name = "n" * 5_000
    long_version = "1." + "0" * 5_000
    components = [
        comp("npm", long_name, "", ""),
        comp("runtime", "nodejs", long_version, long_version),
    ]
    result = review_components(components, catalogues=catalogues, today=TODAY)
    unpinned, nodejs = result["components"]
    assert unpinned["name"] == "n" * MAX_STORED_TEXT
    assert len(nodejs["version"]) == len(nodejs["resolved"]) == MAX_STORED_TEXT
    assert max(len(value) for value in nodejs.values() if isinstance(value, str)) == 200
    assert rules(result)["unpinned"]["components"] == [f"{'n' * 200} (manifeste)"]
