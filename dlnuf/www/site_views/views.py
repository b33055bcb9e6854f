"""The footer's pages. Each is public: the law requires the legal notice, the personal data
information and the accessibility statement to be readable by anyone, signed in or not."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from dlnuf.french import plural
from dlnuf.organisations.perms import AnyUser
from dlnuf.toolbox.accessibility.portal import PORTAL_PUBLISHER, portal_audit_latest
from dlnuf.toolbox.accessibility.scoring import MANUAL, NOT_AT_ALL, NOT_COMPLIANT, assess
from dlnuf.toolbox.accessibility.statement import build_statement, coverage_text
from dlnuf.toolbox.models import ToolKind
from dlnuf.www.context_processors import NAVIGATION

HOSTING_PLACEHOLDER = "À compléter par l'exploitant du service"


@dataclass(frozen=True)
class SitemapLink:
    url_name: str
    label: str


# Pages under a menu entry, open to whoever the entry is shown to.
SUBPAGES: dict[str, tuple[SitemapLink, ...]] = {
    "www:catalogue": (
        SitemapLink("www:supporting_documents", "Pièces justificatives que les données remplacent"),
    ),
    "www:toolbox": tuple(SitemapLink(f"www:{kind.value}_new", kind.label) for kind in ToolKind),
    "www:support_new": (
        SitemapLink("www:support_follow_link", "Retrouver le lien de suivi d'une demande"),
    ),
    "www:desk": (
        SitemapLink("www:desk_missions", "Missions"),
        SitemapLink("www:desk_experts", "Experts du guichet"),
        SitemapLink("www:experience_list", "Partage d'expérience"),
        SitemapLink("www:irritants", "Irritants"),
        SitemapLink("www:guichet_reporting", "Pilotage du guichet"),
    ),
}
SIGNED_IN_ACCOUNT = (
    SitemapLink("www:account", "Mon compte"),
    SitemapLink("www:password_change", "Changer de mot de passe"),
)
ANONYMOUS_ACCOUNT = (
    SitemapLink("www:login", "Se connecter"),
    SitemapLink("www:password_reset", "Mot de passe oublié"),
    SitemapLink("www:account_request_new", "Demander un compte"),
)
ABOUT = (
    SitemapLink("www:footer-accessibility-status", "Accessibilité"),
    SitemapLink("www:footer-legal-notice", "Mentions légales"),
    SitemapLink("www:footer-personal-data", "Données personnelles"),
)


def _links(links: tuple[SitemapLink, ...]) -> list[dict[str, str]]:
    # A page this deployment does not serve is left out, as in the main menu.
    found = []
    for link in links:
        try:
            found.append({"url": reverse(link.url_name), "label": link.label})
        except NoReverseMatch:
            continue
    return found


def sitemap_groups(user: AnyUser) -> list[dict[str, Any]]:
    """The portal's navigation, grouped, with only the pages ``user`` may open."""
    groups: list[dict[str, Any]] = [
        {"title": "Accueil", "links": _links((SitemapLink("www:home", "Accueil"),))}
    ]
    for entry in NAVIGATION:
        if not entry.shown_to(user):
            continue
        links = _links(
            (SitemapLink(entry.url_name, entry.label), *SUBPAGES.get(entry.url_name, ()))
        )
        if links:
            groups.append({"title": entry.label, "description": entry.description, "links": links})
    account = SIGNED_IN_ACCOUNT if user.is_authenticated else ANONYMOUS_ACCOUNT
    groups.append({"title": "Votre compte", "links": _links(account)})
    groups.append({"title": "À propos du portail", "links": _links(ABOUT)})
    return groups


@login_not_required
@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    title = "Plan du site"
    return render(
        request,
        "www/site/sitemap.html",
        {
            "title": title,
            "breadcrumb_data": {"links": [], "current": title},
            "groups": sitemap_groups(request.user),
        },
    )


def _statement_context() -> dict[str, Any]:
    report = portal_audit_latest()
    if report is None:
        return {"audit": None}
    results = report.results
    assessment = assess(results)
    audited_on = timezone.localdate(report.finished_at or report.created_at)
    statement = build_statement(
        inputs=report.inputs, results=results, assessment=assessment, audited_on=audited_on
    )
    sections = {section.title: section for section in statement.sections}
    automated = [row for row in assessment.rows if row.automatic_status != MANUAL]
    return {
        "audit": report,
        "audited_on": audited_on,
        "assessment": assessment,
        "status_word": assessment.level or NOT_AT_ALL,
        "status_section": sections["État de conformité"],
        "results_section": sections["Résultats des tests"],
        "coverage": coverage_text(assessment),
        "pages": results.get("pages", []),
        "automated": automated,
        "automated_count": plural(len(automated), "critère", "critères"),
        "automated_failing": sum(1 for row in automated if row.automatic_status == NOT_COMPLIANT),
        "manual_only": plural(assessment.total_criteria - len(automated), "critère", "critères"),
        "decided_by_person": sum(1 for row in assessment.rows if row.decided_by_person),
        "not_compliant": assessment.not_compliant,
    }


@login_not_required
@require_GET
def accessibility_status(request: HttpRequest) -> HttpResponse:
    title = "Déclaration d'accessibilité"
    context = {
        "title": title,
        "breadcrumb_data": {"links": [], "current": "Accessibilité"},
        "publisher": PORTAL_PUBLISHER,
        "contact_email": settings.DLNUF_SUPPORT_ADDRESS,
        **_statement_context(),
    }
    return render(request, "www/site/accessibility.html", context)


@login_not_required
@require_GET
def legal_notice(request: HttpRequest) -> HttpResponse:
    title = "Mentions légales"
    hosting = {
        "name": settings.DLNUF_HOSTING_NAME,
        "address": settings.DLNUF_HOSTING_ADDRESS,
        "contact": settings.DLNUF_HOSTING_CONTACT,
    }
    return render(
        request,
        "www/site/legal_notice.html",
        {
            "title": title,
            "breadcrumb_data": {"links": [], "current": title},
            "hosting": hosting,
            "hosting_placeholder": HOSTING_PLACEHOLDER,
            "contact_email": settings.DLNUF_SUPPORT_ADDRESS,
        },
    )


def duration_text(seconds: int) -> str:
    """« 2 semaines », « 15 minutes »: the settings' durations as people read them."""
    for unit_seconds, singular, several in (
        (7 * 86400, "semaine", "semaines"),
        (86400, "jour", "jours"),
        (3600, "heure", "heures"),
        (60, "minute", "minutes"),
    ):
        if seconds >= unit_seconds and seconds % unit_seconds == 0:
            return plural(seconds // unit_seconds, singular, several)
    return plural(seconds, "seconde", "secondes")


def portal_cookies() -> list[dict[str, str]]:
    """Every cookie the portal sets, all strictly necessary to the service asked for: none needs
    consent, so the portal has no cookie management page."""
    session_end = (
        "à la fermeture du navigateur"
        if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
        else f"{duration_text(settings.SESSION_COOKIE_AGE)} sans visite"
    )
    return [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "purpose": "Garder la session : rester connecté, retrouver une demande tout juste "
            "envoyée, protéger la connexion ProConnect.",
            "duration": session_end,
        },
        {
            "name": settings.CSRF_COOKIE_NAME,
            "purpose": "Protéger les formulaires contre leur envoi par un autre site.",
            "duration": duration_text(settings.CSRF_COOKIE_AGE),
        },
        {
            "name": CookieStorage.cookie_name,
            "purpose": "Afficher une seule fois un message de confirmation ou d'erreur après "
            "une action.",
            "duration": "jusqu'à l'affichage du message, au plus jusqu'à la fermeture du "
            "navigateur",
        },
    ]


@login_not_required
@require_GET
def personal_data(request: HttpRequest) -> HttpResponse:
    title = "Données personnelles"
    return render(
        request,
        "www/site/personal_data.html",
        {
            "title": title,
            "breadcrumb_data": {"links": [], "current": title},
            "contact_email": settings.DLNUF_SUPPORT_ADDRESS,
            "cookies": portal_cookies(),
            "session_duration": duration_text(settings.SESSION_COOKIE_AGE),
            "login_window": duration_text(settings.DLNUF_LOGIN_WINDOW_SECONDS),
            "password_reset_validity": duration_text(settings.PASSWORD_RESET_TIMEOUT),
            "invitation_validity": plural(settings.DLNUF_INVITATION_VALIDITY_DAYS, "jour", "jours"),
        },
    )
