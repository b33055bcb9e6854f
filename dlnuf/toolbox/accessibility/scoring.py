"""From axe-core's results and a person's decisions to RGAA criteria, the rate and the level.

Automated checks only ever find failures. Their hint on a criterion, over every page that could
be audited (rules are matched to criteria through axe-core's "RGAA-x.y.z" tags):

- non conforme: one page has a violation of a rule mapped to the criterion; that page's verdict
  is "non conforme" until a person decides otherwise (a false positive);
- à vérifier, aucune erreur automatique: the mapped rules passed or need review; passing rules
  never make a criterion conforming, a person has to decide;
- à vérifier, présumé non applicable: every mapped rule found nothing to check on every page;
- à vérifier manuellement: no automated rule checks the criterion (most of them).

A person decides a criterion on one page or on every page of the sample. Following the State's
audit method, the verdict on a criterion over the sample is: non conforme as soon as one page
fails it; conforme when every page is conforme or non applicable and at least one conforme;
non applicable when every page is non applicable; undecided otherwise.

Rate ("taux global"): conforming criteria / (conforming + non-conforming criteria), non
applicable ones left out. A conformity level exists only once the audit is complete: the 106
criteria decided on the whole declared sample. Until then the rate is provisional and the
statement must say « non conforme ».
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlnuf.toolbox.accessibility.criteria import all_criteria, criterion_of_test, grid

COMPLIANT = "c"
NOT_COMPLIANT = "nc"
NOT_APPLICABLE = "na"
UNDECIDED = "todo"
DECISIONS = (COMPLIANT, NOT_COMPLIANT, NOT_APPLICABLE)

REVIEW = "review"
PRESUMED_NOT_APPLICABLE = "presumed_na"
MANUAL = "manual"

AUTOMATIC_LABELS = {
    NOT_COMPLIANT: "Non conforme (erreur relevée automatiquement)",
    REVIEW: "À vérifier (aucune erreur automatique, vérification humaine nécessaire)",
    PRESUMED_NOT_APPLICABLE: "À vérifier (présumé non applicable)",
    MANUAL: "À vérifier manuellement",
}
DECISION_LABELS = {
    COMPLIANT: "Conforme",
    NOT_COMPLIANT: "Non conforme",
    NOT_APPLICABLE: "Non applicable",
}
STATUS_LABELS = {**DECISION_LABELS, UNDECIDED: "Non vérifié"}
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
    """The automated hint on every criterion, with the rules and issues behind it; "pages"
    lists the pages where a mapped rule failed."""
    audited = [page for page in pages if not page.get("error")]
    violated: dict[str, list[tuple[int, Mapping[str, Any]]]] = defaultdict(list)
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
    verdicts: dict[str, dict[str, Any]] = {}
    for number in all_criteria():
        issues = violated.get(number, [])
        if issues:
            status = NOT_COMPLIANT
        elif number not in mapped_rules:
            status = MANUAL
        elif number not in applicable:
            status = PRESUMED_NOT_APPLICABLE
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


def decided_pages(decision: Mapping[str, Any] | None, sample: Iterable[str]) -> dict[str, str]:
    """A person's verdicts on one criterion, by page. Reports written before per-page decisions
    hold one status for the whole sample."""
    if not decision:
        return {}
    if "pages" in decision:
        return dict(decision["pages"])
    return dict.fromkeys(sample, decision["status"])


def sample_verdict(verdicts: Iterable[str | None]) -> str:
    """One criterion over the sample, from its verdict on each page (None: not decided)."""
    listed = list(verdicts)
    if NOT_COMPLIANT in listed:
        return NOT_COMPLIANT
    if not listed or None in listed:
        return UNDECIDED
    if all(verdict == NOT_APPLICABLE for verdict in listed):
        return NOT_APPLICABLE
    return COMPLIANT


def conformity_level(compliant: int, not_compliant: int) -> str:
    """The level a complete audit gives; compared on the counts, not on a rounded rate. No
    applicable criterion measures nothing, so it gives no level."""
    applicable = compliant + not_compliant
    if applicable == 0:
        return ""
    if compliant == applicable:
        return FULLY
    if 2 * compliant >= applicable:
        return PARTIALLY
    return NOT_AT_ALL


@dataclass(frozen=True)
class PageVerdict:
    label: str
    url: str
    status: str | None
    by_person: bool

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status or UNDECIDED]


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
    decided_by_person: bool
    note: str
    page_verdicts: tuple[PageVerdict, ...]
    rules: tuple[str, ...]
    issues: int
    impacts: dict[str, int]
    pages: tuple[str, ...]

    @property
    def decided(self) -> bool:
        return self.status != UNDECIDED

    @property
    def verdicts_differ(self) -> bool:
        return len({verdict.status for verdict in self.page_verdicts}) > 1


@dataclass(frozen=True)
class RemainingCriterion:
    id: str
    title: str


@dataclass(frozen=True)
class RemainingTopic:
    number: int
    name: str
    criteria: tuple[RemainingCriterion, ...]


@dataclass
class Assessment:
    grid: str
    rows: list[CriterionRow]
    counts: dict[str, int]
    total_criteria: int
    sample_size: int
    remaining_in_grid: list[RemainingTopic]
    remaining_outside_grid: list[RemainingTopic]
    issues_by_impact: dict[str, int] = field(default_factory=dict)

    @property
    def compliant(self) -> int:
        return self.counts[COMPLIANT]

    @property
    def applicable_decided(self) -> int:
        return self.counts[COMPLIANT] + self.counts[NOT_COMPLIANT]

    @property
    def evaluated(self) -> int:
        return self.counts[COMPLIANT] + self.counts[NOT_COMPLIANT] + self.counts[NOT_APPLICABLE]

    @property
    def remaining_count(self) -> int:
        return self.total_criteria - self.evaluated

    @property
    def complete(self) -> bool:
        return self.remaining_count == 0

    @property
    def rate(self) -> float | None:
        """In percent; provisional while the audit is not complete; None with nothing to count."""
        if self.applicable_decided == 0:
            return None
        return 100 * self.compliant / self.applicable_decided

    @property
    def level(self) -> str:
        """Empty until the audit is complete: a partial audit gives no conformity level."""
        if not self.complete:
            return ""
        return conformity_level(self.counts[COMPLIANT], self.counts[NOT_COMPLIANT])

    @property
    def not_compliant(self) -> list[CriterionRow]:
        return [row for row in self.rows if row.status == NOT_COMPLIANT]

    def summary(self) -> dict[str, Any]:
        return {
            "rate": None if self.rate is None else round(self.rate, 1),
            "provisional": not self.complete,
            "level": self.level,
            "complete": self.complete,
            "evaluated": self.evaluated,
            "remaining": self.remaining_count,
            "applicable_decided": self.applicable_decided,
            "counts": self.counts,
            "criteria": len(self.rows),
        }


def _row(
    number: str,
    automatic: Mapping[str, Any],
    decision: Mapping[str, Any] | None,
    sample: list[Mapping[str, Any]],
) -> CriterionRow:
    criterion = all_criteria()[number]
    urls = [page["url"] for page in sample]
    by_person = decided_pages(decision, urls)
    failed_automatically = set(automatic.get("pages", ()))
    verdicts = []
    for page in sample:
        url = page["url"]
        if url in by_person:
            verdicts.append(PageVerdict(page["label"], url, by_person[url], by_person=True))
        elif url in failed_automatically:
            verdicts.append(PageVerdict(page["label"], url, NOT_COMPLIANT, by_person=False))
        else:
            verdicts.append(PageVerdict(page["label"], url, None, by_person=False))
    status = sample_verdict(verdict.status for verdict in verdicts)
    automatic_status = automatic.get("status", MANUAL)
    if status == UNDECIDED:
        # A failure a person has overruled on its page leaves only the other pages to verify.
        label = (
            STATUS_LABELS[UNDECIDED]
            if automatic_status == NOT_COMPLIANT
            else AUTOMATIC_LABELS[automatic_status]
        )
    elif status == NOT_COMPLIANT and not any(
        verdict.by_person and verdict.status == NOT_COMPLIANT for verdict in verdicts
    ):
        label = AUTOMATIC_LABELS[NOT_COMPLIANT]
    else:
        label = DECISION_LABELS[status]
    return CriterionRow(
        id=number,
        topic=criterion.topic,
        topic_name=criterion.topic_name,
        title=criterion.title,
        status=status,
        label=label,
        automatic_status=automatic_status,
        automatic_label=AUTOMATIC_LABELS[automatic_status],
        decided_by_person=bool(by_person),
        note=decision.get("note", "") if decision else "",
        page_verdicts=tuple(verdicts),
        rules=tuple(automatic.get("rules", ())),
        issues=int(automatic.get("issues", 0)),
        impacts=dict(automatic.get("impacts", {})),
        pages=tuple(automatic.get("pages", ())),
    )


def _remaining(rows: list[CriterionRow], *, in_grid: bool) -> list[RemainingTopic]:
    """Criteria not decided yet, by topic: those of the grid, or those only a complete audit
    covers."""
    decided = {row.id for row in rows if row.decided}
    grid_criteria = {row.id for row in rows}
    by_topic: dict[int, list[RemainingCriterion]] = defaultdict(list)
    names: dict[int, str] = {}
    for number, criterion in all_criteria().items():
        if number in decided or (number in grid_criteria) != in_grid:
            continue
        names[criterion.topic] = criterion.topic_name
        by_topic[criterion.topic].append(RemainingCriterion(number, criterion.title))
    return [
        RemainingTopic(topic, names[topic], tuple(criteria))
        for topic, criteria in sorted(by_topic.items())
    ]


def assess(results: Mapping[str, Any]) -> Assessment:
    """The audit of the report's grid over its whole sample. The automated hints are worked out
    again from the stored pages, so that a report keeps following the current rules."""
    sample = list(results.get("pages", []))
    automatic = automatic_statuses(sample)
    decisions = results.get("decisions", {})
    rows = [
        _row(number, automatic[number], decisions.get(number), sample)
        for number in grid(results.get("grid", "full"))
    ]
    counts = Counter(row.status for row in rows)
    impacts: Counter[str] = Counter()
    for row in rows:
        impacts.update(row.impacts)
    return Assessment(
        grid=results.get("grid", "full"),
        rows=rows,
        counts={key: counts.get(key, 0) for key in STATUS_LABELS},
        total_criteria=len(all_criteria()),
        sample_size=len(sample),
        remaining_in_grid=_remaining(rows, in_grid=True),
        remaining_outside_grid=_remaining(rows, in_grid=False),
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
