"""Demonstration reports of the toolbox: what each quick tool gives on a realistic project.

Development only, idempotent (a report whose title exists is left as it is). The technology review
runs here at once, without the background worker, on a manifest written below.
"""

from io import TextIOBase
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction

from dlnuf.french import plural
from dlnuf.organisations.models import User
from dlnuf.support.models import Mission
from dlnuf.toolbox.costing.review import evaluate as costing_evaluate
from dlnuf.toolbox.mareva.compute import evaluate as mareva_evaluate
from dlnuf.toolbox.mareva.compute import example_inputs
from dlnuf.toolbox.models import ToolKind, ToolReport
from dlnuf.toolbox.services import tool_report_create, tool_report_finish
from dlnuf.toolbox.tech_review import runner as tech_review

MAREVA_TITLE = "Portail des aides sociales du CCAS"
COSTING_TITLE = "Refonte du portail des aides : chiffrage de la phase de réalisation"
TECH_TITLE = "Socle technique du portail des aides"

COSTING_INPUTS: dict[str, Any] = {
    "estimate": {"cost": 420_000, "months": 14, "phase": "build", "ministry": ""},
    "daily_rate": 650,
    "hours_per_pm": 152,
    "hours_per_day": 7.6,
    "size": {"mode": "ksloc", "ksloc": 40},
    "three_point": {
        "unit": "days",
        "distribution": "beta_pert",
        "packages": [
            {"name": "Dépôt en ligne", "optimistic": 120, "most_likely": 180, "pessimistic": 320},
            {"name": "Appels aux API", "optimistic": 60, "most_likely": 90, "pessimistic": 200},
            {"name": "Instruction", "optimistic": 150, "most_likely": 220, "pessimistic": 400},
        ],
    },
    "cocomo": {"ratings": {}},
    "seed": 1,
}

REQUIREMENTS = """Django==3.2.25
djangorestframework==3.14.0
psycopg2-binary==2.9.9
celery
"""
DOCKERFILE = "FROM python:3.8-slim\n"


def load_demo(*, stdout: TextIOBase) -> None:
    if settings.IS_PRODUCTION:
        raise CommandError("Les rapports de démonstration sont refusés en production.")
    expert = User.objects.filter(email__iexact="expert@demo.dlnuf.fr").first()
    if expert is None:
        stdout.write("Boîte à outils : compte expert absent (chargez d'abord les comptes).\n")
        return
    agent = User.objects.filter(email__iexact="agent.lyon@demo.dlnuf.fr").first() or expert
    mission = Mission.objects.filter(title__startswith="Refonte du portail des aides").first()
    created = 0
    with transaction.atomic():
        if not ToolReport.objects.filter(title=MAREVA_TITLE).exists():
            # An agent's own report: agents of other organisations must not see it.
            inputs = {**example_inputs(), "title": MAREVA_TITLE}
            tool_report_create(
                kind=ToolKind.MAREVA,
                actor=agent,
                title=MAREVA_TITLE,
                inputs=inputs,
                results=mareva_evaluate(inputs),
            )
            created += 1
        if not ToolReport.objects.filter(title=COSTING_TITLE).exists():
            tool_report_create(
                kind=ToolKind.COSTING,
                actor=expert,
                title=COSTING_TITLE,
                inputs={**COSTING_INPUTS, "title": COSTING_TITLE},
                results=costing_evaluate(COSTING_INPUTS),
                mission=mission,
            )
            created += 1
        if not ToolReport.objects.filter(title=TECH_TITLE).exists():
            report = ToolReport.objects.create(
                kind=ToolKind.TECH_REVIEW,
                title=TECH_TITLE,
                created_by=expert,
                mission=mission,
                inputs={
                    "source": tech_review.SOURCE_FILES,
                    "distribution": "libre",
                    "long_lived": True,
                    "files": [
                        {"name": "requirements.txt", "text": REQUIREMENTS},
                        {"name": "Dockerfile", "text": DOCKERFILE},
                    ],
                },
            )
            results = tech_review.run(report, lambda percent, message: None)
            tool_report_finish(report_id=report.pk, results=results)
            created += 1
    created_text = plural(
        created, "rapport de démonstration créé", "rapports de démonstration créés"
    )
    stdout.write(f"Boîte à outils : {created_text}.\n")
