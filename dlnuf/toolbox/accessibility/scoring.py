"""From axe-core's results to RGAA criteria, and the compliance rate.

Automated status of a criterion, over every page that could be audited (rules are matched to
criteria through axe-core's "RGAA-x.y.z" tags):

- non conforme: one page has a violation of a rule mapped to the criterion;
- à vérifier (contrôles automatiques à compléter): a mapped rule needs review on one page, or the
  mapped rules pass but cannot decide the criterion alone;
- conforme (vérification automatique): the mapped rules pass, no page needs review, every test of
  the criterion is covered by them, and the criterion only asks whether something is present
  (``criteria.machine_confirmable``: frame title, link name, page language, page title);
- non applicable (présumé): every mapped rule is inapplicable on every page;
- à vérifier manuellement: no automated rule checks the criterion (most of them).

A person's decision (conforme / non conforme / non applicable) replaces the automated status.
Rate, as the State's audit method computes it: conforme / (conforme + non conforme) over the
grid's criteria; criteria still to verify are left out until a person decides them.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlnuf.toolbox.accessibility.criteria import (
    all_criteria,
    criterion_of_test,
    grid,
    machine_confirmable,
)

COMPLIANT = "c"
NOT_COMPLIANT = "nc"
NOT_APPLICABLE = "na"
REVIEW = "review"
MANUAL = "manual"
DECISIONS = (COMPLIANT, NOT_COMPLIANT, NOT_APPLICABLE)

AUTOMATIC_LABELS = {
    COMPLIANT: "Conforme (vérification automatique)",
    NOT_COMPLIANT: "Non conforme",
    NOT_APPLICABLE: "Non applicable (présumé)",
    REVIEW: "À vérifier (contrôles automatiques à compléter)",
    MANUAL: "À vérifier manuellement",
}
DECISION_LABELS = {
    COMPLIANT: "Conforme",
    NOT_COMPLIANT: "Non conforme",
    NOT_APPLICABLE: "Non applicable",
}
IMPACTS = ("critical", "serious", "moderate", "minor")
IMPACT_LABELS = {
    "critical": "critique",
    "serious": "grave",
    "moderate": "modéré",
    "minor": "mineur",
    "": "non précisé",
}
FULLY = "totalement conforme"
PARTIALLY = "partiellement conforme"
NOT_AT_ALL = "non conforme"


def _criteria_of(rule: Mapping[str, Any]) -> set[str]:
    return {criterion_of_test(test) for test in rule.get("rgaa", [])}


def automatic_statuses(pages: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The automated verdict on every criterion, with the rules and issues behind it."""
    audited = [page for page in pages if not page.get("error")]
    violated: dict[str, list[tuple[int, Mapping[str, Any]]]] = defaultdict(list)
    review: set[str] = set()
    passed_tests: dict[str, set[str]] = defaultdict(set)
    applicable: set[str] = set()
    mapped_rules: dict[str, set[str]] = defaultdict(set)
    for index, page in enumerate(audited):
        for kind in ("violations", "incomplete", "passes", "inapplicable"):
            for rule in page.get(kind, []):
                for criterion in _criteria_of(rule):
                    mapped_rules[criterion].add(rule["rule"])
                    if kind != "inapplicable":
                        applicable.add(criterion)
                    if kind == "violations":
                        violated[criterion].append((index, rule))
                    elif kind == "incomplete":
                        review.add(criterion)
                    elif kind == "passes":
                        passed_tests[criterion].update(rule["rgaa"])
    confirmable = machine_confirmable()
    verdicts: dict[str, dict[str, Any]] = {}
    for number, item in all_criteria().items():
        issues = violated.get(number, [])
        if issues:
            status = NOT_COMPLIANT
        elif number not in mapped_rules:
            status = MANUAL
        elif number in review:
            status = REVIEW
        elif number not in applicable:
            status = NOT_APPLICABLE
        elif number in confirmable and set(item.tests) <= passed_tests[number]:
            status = COMPLIANT
        else:
            status = REVIEW
        impacts: Counter[str] = Counter()
        for _, rule in issues:
            impacts[rule.get("impact") or ""] += int(rule.get("count", 0))
        verdicts[number] = {
            "status": status,
            "rules": sorted(mapped_rules.get(number, ())),
            "issues": sum(impacts.values()),
            "impacts": dict(impacts),
            "pages": sorted({audited[index]["url"] for index, _ in issues}),
        }
    return verdicts


def compliance_rate(statuses: Iterable[str]) -> float | None:
    """conforme / (conforme + non conforme), in percent; None while nothing is decided."""
    counted = Counter(statuses)
    decided = counted[COMPLIANT] + counted[NOT_COMPLIANT]
    if decided == 0:
        return None
    return 100 * counted[COMPLIANT] / decided


def compliance_level(rate: float | None) -> str:
    if rate is None:
        return ""
    if rate >= 100:
        return FULLY
    if rate >= 50:
        return PARTIALLY
    return NOT_AT_ALL


@dataclass(frozen=True)
class CriterionRow:
    id: str
    topic: int
    topic_name: str
    title: str
    status: str
    label: str
    automatic_status: str
    automatic_label: str
    decided: bool
    note: str
    rules: tuple[str, ...]
    issues: int
    impacts: dict[str, int]
    pages: tuple[str, ...]


@dataclass
class Assessment:
    grid: str
    rows: list[CriterionRow]
    rate: float | None
    level: str
    counts: dict[str, int]
    issues_by_impact: dict[str, int] = field(default_factory=dict)

    @property
    def to_verify(self) -> int:
        return self.counts.get(REVIEW, 0) + self.counts.get(MANUAL, 0)

    @property
    def not_compliant(self) -> list[CriterionRow]:
        return [row for row in self.rows if row.status == NOT_COMPLIANT]

    def summary(self) -> dict[str, Any]:
        return {
            "rate": None if self.rate is None else round(self.rate, 1),
            "level": self.level,
            "counts": self.counts,
            "criteria": len(self.rows),
        }


def assess(results: Mapping[str, Any]) -> Assessment:
    """The audit of the report's grid: automated verdicts overridden by the expert's decisions."""
    automatic = results.get("criteria", {})
    decisions = results.get("decisions", {})
    known = all_criteria()
    rows: list[CriterionRow] = []
    for number in grid(results.get("grid", "full")):
        criterion = known[number]
        verdict = automatic.get(number, {"status": MANUAL})
        decision = decisions.get(number)
        status = decision["status"] if decision else verdict["status"]
        rows.append(
            CriterionRow(
                id=number,
                topic=criterion.topic,
                topic_name=criterion.topic_name,
                title=criterion.title,
                status=status,
                label=DECISION_LABELS[status] if decision else AUTOMATIC_LABELS[status],
                automatic_status=verdict["status"],
                automatic_label=AUTOMATIC_LABELS[verdict["status"]],
                decided=bool(decision),
                note=decision.get("note", "") if decision else "",
                rules=tuple(verdict.get("rules", ())),
                issues=int(verdict.get("issues", 0)),
                impacts=dict(verdict.get("impacts", {})),
                pages=tuple(verdict.get("pages", ())),
            )
        )
    counts = Counter(row.status for row in rows)
    rate = compliance_rate(row.status for row in rows)
    impacts: Counter[str] = Counter()
    for row in rows:
        impacts.update(row.impacts)
    return Assessment(
        grid=results.get("grid", "full"),
        rows=rows,
        rate=rate,
        level=compliance_level(rate),
        counts={key: counts.get(key, 0) for key in AUTOMATIC_LABELS},
        issues_by_impact={impact: impacts.get(impact, 0) for impact in IMPACTS},
    )


def issues_by_page(pages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each page with its violations, the most severe first, and the criteria they fail."""
    order = {impact: rank for rank, impact in enumerate(IMPACTS)}
    listed = []
    for page in pages:
        violations = sorted(
            page.get("violations", []),
            key=lambda rule: (order.get(rule.get("impact") or "", len(IMPACTS)), rule["rule"]),
        )
        listed.append(
            {
                "page": page,
                "violations": [
                    {
                        **rule,
                        "impact_label": IMPACT_LABELS.get(rule.get("impact") or "", ""),
                        "criteria": sorted(
                            _criteria_of(rule), key=lambda c: tuple(map(int, c.split(".")))
                        ),
                    }
                    for rule in violations
                ],
                "issues": sum(int(rule.get("count", 0)) for rule in violations),
                "review": len(page.get("incomplete", [])),
            }
        )
    return listed
