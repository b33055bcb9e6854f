"""Reports of the toolbox: created finished or enqueued, run in the background with their
progress, failures written on the report in French, attachment to missions for experts only."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from dlnuf.toolbox import jobs
from dlnuf.toolbox.models import ReportStatus, ToolKind, ToolReport
from dlnuf.toolbox.selectors import tool_reports_for
from dlnuf.toolbox.services import tool_report_attach, tool_report_create
from tests.support.factories import ExpertUserFactory, MissionFactory, UserFactory

pytestmark = pytest.mark.django_db

SEEN: list[tuple[int, str]] = []


def recording_runner(report: ToolReport, progress: Any) -> dict[str, Any]:
    progress(40, "Lecture des fichiers")
    stored = ToolReport.objects.get(pk=report.pk)
    SEEN.append((stored.progress, stored.progress_message))
    return {"lines": report.inputs["lines"] * 2}


def refusing_runner(report: ToolReport, progress: Any) -> dict[str, Any]:
    raise jobs.ToolError("L'archive contient un lien vers l'extérieur : elle est refusée.")


def crashing_runner(report: ToolReport, progress: Any) -> dict[str, Any]:
    raise RuntimeError("bug")


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch):
    def use(path: str) -> None:
        monkeypatch.setitem(jobs.RUNNERS, ToolKind.CODE_QUALITY, f"{__name__}.{path}")

    SEEN.clear()
    return use


def test_a_quick_tool_stores_its_results_at_once() -> None:
    report = tool_report_create(
        kind=ToolKind.MAREVA,
        actor=UserFactory(),
        title=" Projet ",
        inputs={"a": 1},
        results={"v": 2},
    )
    report.refresh_from_db()
    assert (report.status, report.progress, report.results, report.title) == (
        ReportStatus.DONE,
        100,
        {"v": 2},
        "Projet",
    )
    assert report.finished_at is not None


def test_a_long_tool_runs_after_the_commit_with_its_progress(
    runner, django_capture_on_commit_callbacks
) -> None:
    runner("recording_runner")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = tool_report_create(
            kind=ToolKind.CODE_QUALITY, actor=UserFactory(), title="Dépôt", inputs={"lines": 21}
        )
    # Nothing runs before the commit: the worker must find the row.
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING
    assert len(callbacks) == 1
    callbacks[0]()
    report.refresh_from_db()
    assert SEEN == [(40, "Lecture des fichiers")]
    assert (report.status, report.results, report.progress) == (
        ReportStatus.DONE,
        {"lines": 42},
        100,
    )


def test_a_report_runs_once_even_when_enqueued_twice(runner) -> None:
    runner("recording_runner")
    report = ToolReport.objects.create(
        kind=ToolKind.CODE_QUALITY, title="x", created_by=UserFactory(), inputs={"lines": 1}
    )
    jobs.run_tool_report.call(report.pk)
    jobs.run_tool_report.call(report.pk)
    assert len(SEEN) == 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("refusing_runner", "L'archive contient un lien vers l'extérieur : elle est refusée."),
        ("crashing_runner", "erreur inattendue"),
    ],
)
def test_a_failure_is_written_on_the_report(runner, path: str, message: str, caplog) -> None:
    runner(path)
    report = ToolReport.objects.create(
        kind=ToolKind.CODE_QUALITY, title="x", created_by=UserFactory(), inputs={}
    )
    jobs.run_tool_report.call(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert message in report.error
    assert report.finished_at is not None


def test_people_read_their_reports_and_experts_read_all() -> None:
    alice, bob, expert = UserFactory(), UserFactory(), ExpertUserFactory()
    mine = tool_report_create(kind=ToolKind.MAREVA, actor=alice, title="a", inputs={}, results={})
    theirs = tool_report_create(kind=ToolKind.COSTING, actor=bob, title="b", inputs={}, results={})
    assert list(tool_reports_for(alice)) == [mine]
    assert set(tool_reports_for(expert)) == {mine, theirs}
    assert list(tool_reports_for(expert, kind=ToolKind.COSTING)) == [theirs]


def test_only_experts_attach_a_report_to_a_mission() -> None:
    mission = MissionFactory()
    agent, expert = UserFactory(), ExpertUserFactory()
    report = tool_report_create(kind=ToolKind.MAREVA, actor=agent, title="a", inputs={}, results={})
    with pytest.raises(PermissionDenied):
        tool_report_attach(report=report, actor=agent, mission=mission)
    with pytest.raises(PermissionDenied):
        tool_report_create(
            kind=ToolKind.MAREVA, actor=agent, title="a", inputs={}, results={}, mission=mission
        )
    tool_report_attach(report=report, actor=expert, mission=mission)
    report.refresh_from_db()
    assert report.mission == mission
