"""Audit the portal's own pages with axe-core in headless Chromium and store the result as an
accessibility report of the toolbox: the portal's accessibility statement is built from it."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.french import plural
from dlnuf.organisations.models import User
from dlnuf.toolbox.accessibility.audit import BrowserUnavailable
from dlnuf.toolbox.accessibility.crawler import crawl_portal
from dlnuf.toolbox.accessibility.fetching import MAX_PAGES
from dlnuf.toolbox.accessibility.portal import PortalAuditEmpty, portal_audit_record
from dlnuf.toolbox.accessibility.scoring import assess
from dlnuf.toolbox.accessibility.statement import coverage_text


def _page_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_PAGES:
        raise CommandError(f"--max-pages : un nombre de pages entre 1 et {MAX_PAGES}.")
    return count


class Command(BaseCommand):
    help = (
        "Audite les pages du portail (parcourues par les liens, comme un visiteur anonyme) avec "
        "axe-core dans Chromium sans interface, et enregistre l'audit dans la boîte à outils : "
        "la déclaration d'accessibilité du portail en est tirée."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as",
            dest="actor",
            required=True,
            metavar="COURRIEL",
            help="compte qui signe l'audit dans la boîte à outils (un expert du guichet, en "
            "général : il y décidera ensuite les critères à vérifier à la main)",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="adresse du portail à auditer (par défaut DLNUF_SITE_URL)",
        )
        parser.add_argument(
            "--max-pages",
            type=_page_count,
            default=MAX_PAGES,
            help=f"taille de l'échantillon, {MAX_PAGES} pages au plus (par défaut {MAX_PAGES})",
        )
        parser.add_argument(
            "--start",
            action="append",
            default=None,
            metavar="CHEMIN",
            help="page de départ du parcours, répétable (par défaut « / »)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(email__iexact=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError(f"Aucun compte actif n'a l'adresse {options['actor']}.")
        base_url = (options["base_url"] or settings.DLNUF_SITE_URL).rstrip("/")
        if urlsplit(base_url).scheme not in {"http", "https"} or not urlsplit(base_url).netloc:
            raise CommandError(f"--base-url : une adresse http(s) complète, pas « {base_url} ».")
        start = options["start"] or ["/"]
        if not all(path.startswith("/") for path in start):
            raise CommandError("--start : des chemins du portail, commençant par « / ».")
        try:
            crawl = crawl_portal(base_url, start=start, max_pages=options["max_pages"])
            report = portal_audit_record(actor=actor, base_url=base_url, crawl=crawl)
        except (BrowserUnavailable, PortalAuditEmpty) as error:
            raise CommandError(str(error)) from error
        assessment = assess(report.results)
        self.stdout.write(
            f"Audit du portail enregistré (rapport n° {report.pk}) : "
            f"{plural(len(crawl.run.pages), 'page auditée', 'pages auditées')}, "
            f"{coverage_text(assessment)}."
        )
        for skipped in crawl.skipped:
            self.stdout.write(f"Page écartée : {skipped['url']} ({skipped['reason']})")
