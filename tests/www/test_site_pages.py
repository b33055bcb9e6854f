"""The footer's pages: each link leads to a page, the site map lists only pages its reader may
open, the accessibility statement says what the latest audit of the portal measured, and the
personal data page names every cookie the portal sets."""

import re
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dlnuf.catalogue.models import Provider
from dlnuf.organisations.models import Membership, Organisation, Role, User
from dlnuf.toolbox.accessibility.audit import AuditRun
from dlnuf.toolbox.accessibility.crawler import PortalCrawl
from dlnuf.toolbox.accessibility.criteria import all_criteria
from dlnuf.toolbox.accessibility.portal import portal_audit_record
from dlnuf.toolbox.accessibility.scoring import assess
from dlnuf.toolbox.models import ToolReport
from tests.organisations.factories import UserFactory
from tests.toolbox.accessibility.factories import audit_results, finished_report

pytestmark = pytest.mark.django_db

FOOTER_PAGES = {
    "/plan-du-site/": "Plan du site",
    "/accessibilite/": "Déclaration d'accessibilité",
    "/mentions-legales/": "Mentions légales",
    "/donnees-personnelles/": "Données personnelles",
    "/journal/": "Journal des accès",
}


class _Links(HTMLParser):
    """The links inside the element whose class contains ``container_class``."""

    def __init__(self, container_class: str) -> None:
        super().__init__()
        self.container_class = container_class
        self.depth = 0
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self.depth:
            self.depth += tag not in {"br", "img", "input", "meta", "link"}
        elif self.container_class in (attributes.get("class") or "").split():
            self.depth = 1
        if self.depth and tag == "a":
            self._href, self._text = attributes.get("href") or "", []

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)


def links_in(html: str, container_class: str) -> list[tuple[str, str]]:
    parser = _Links(container_class)
    parser.feed(html)
    return parser.links


def _member(role: Role, **target: Any) -> User:
    user = UserFactory()
    Membership.objects.create(user=user, role=role, **target)
    return user


def test_every_footer_link_leads_to_a_page_for_anonymous_visitors(client: Client) -> None:
    footer = links_in(client.get("/").content.decode(), "fr-footer__bottom-list")
    assert {href for href, _ in footer} == set(FOOTER_PAGES)
    for href, _ in footer:
        response = client.get(href)
        assert response.status_code == 200, href
        body = response.content.decode()
        assert f"<h1>{FOOTER_PAGES[href]}</h1>" in body.replace("&#x27;", "'"), href
        assert 'lang="fr"' in body
        # The footer tells which of its pages is the one shown.
        assert f'href="{href}" aria-current="page"' in body, href


def test_the_footer_offers_no_cookie_management(client: Client) -> None:
    body = client.get("/").content.decode()
    assert "Gestion des cookies" not in body
    assert "Cookie management" not in body


def _sitemap_links(html: str) -> list[str]:
    return re.findall(r'<a class="fr-link" href="([^"]+)"', html)


def _listed(client: Client) -> set[str]:
    body = client.get("/plan-du-site/").content.decode()
    main = body[body.index('<main id="content"') : body.index("</main>")]
    return set(_sitemap_links(main))


def _every_listed_page_opens(client: Client) -> set[str]:
    listed = _listed(client)
    assert listed
    for url in listed:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return listed


def test_the_sitemap_shows_anonymous_visitors_only_public_pages(client: Client) -> None:
    listed = _every_listed_page_opens(client)
    assert {"/", "/catalogue/", "/accompagnement/", "/connexion/", "/accessibilite/"} <= listed
    assert not {url for url in listed if url.startswith(("/guichet/", "/boite-a-outils/"))}
    assert "/tableau-de-bord/" not in listed
    assert "/mon-compte/" not in listed


def test_the_sitemap_adds_an_experts_pages_and_only_pages_they_may_open(client: Client) -> None:
    client.force_login(_member(Role.EXPERT))
    listed = _every_listed_page_opens(client)
    assert {"/guichet/", "/guichet/irritants/", "/boite-a-outils/", "/mon-compte/"} <= listed
    assert "/connexion/" not in listed
    # The outbox of e-mails is for administrators only.
    assert not {url for url in listed if url.startswith("/administration/")}


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.INSTRUCTOR, Role.REPORTER])
def test_the_sitemap_of_other_roles_has_no_desk(client: Client, role: Role) -> None:
    target: dict[str, Any] = {}
    if role == Role.APPLICANT:
        target["organisation"] = Organisation.objects.create(siret="21690123100011", name="Lyon")
    else:
        target["provider"] = Provider.objects.create(slug="cnaf-msa", name="CNAF / MSA")
    client.force_login(_member(role, **target))
    listed = _every_listed_page_opens(client)
    assert "/boite-a-outils/" in listed
    assert not {url for url in listed if url.startswith("/guichet/")}


# --- the accessibility statement ------------------------------------------------------------


def _portal_audit(results: dict[str, Any], finished: datetime) -> ToolReport:
    crawl = PortalCrawl(
        run=AuditRun(
            pages=results["pages"],
            axe_version=results["axe_version"],
            browser_version=results["browser_version"],
        )
    )
    report = portal_audit_record(
        actor=_member(Role.EXPERT), base_url="https://guichet.example.fr", crawl=crawl
    )
    ToolReport.objects.filter(pk=report.pk).update(finished_at=finished)
    report.refresh_from_db()
    return report


def _text(response: Any) -> str:
    return " ".join(response.content.decode().replace("&#x27;", "'").split())


def test_without_an_audit_the_statement_says_nothing_was_verified(client: Client) -> None:
    text = _text(client.get("/accessibilite/"))
    assert "aucun audit du portail n'a encore été réalisé" in text
    assert "Le Guichet DLNUF est non conforme" in text
    assert "Accessibilité : non conforme" in text


def test_the_statement_gives_the_figures_of_the_latest_portal_audit(client: Client) -> None:
    paris = timezone.get_current_timezone()
    _portal_audit(
        {**audit_results(), "axe_version": "4.0.0"}, datetime(2026, 3, 1, 10, tzinfo=paris)
    )
    _portal_audit(audit_results(), datetime(2026, 12, 4, 10, tzinfo=paris))
    # An audit of another site, more recent and of one page only, is not the portal's.
    other = finished_report(_member(Role.EXPERT))
    one_page = {**other.results, "pages": other.results["pages"][:1]}
    ToolReport.objects.filter(pk=other.pk).update(finished_at=timezone.now(), results=one_page)

    text = _text(client.get("/accessibilite/"))
    # Two pages; rules map to criteria 1.1, 2.1, 8.3, 8.5 and 11.1; 1.1 and 11.1 fail.
    assert "Audit automatique du 4 décembre 2026, sur un échantillon de 2 pages" in text
    assert "axe-core 4.14.1" in text
    assert "5 critères sur 106 contrôlés automatiquement, dont 2 critères en erreur" in text
    assert "0 critère décidé par une personne" in text
    assert "104 sur 106 restent à vérifier à la main ; 101 critères ne peuvent pas" in text
    for criterion in ("1.1", "2.1", "8.3", "8.5", "11.1"):
        assert f"<td>{criterion}</td>" in text
    assert "<td>1.2</td>" not in text
    assert "Accueil — https://www.testville.fr/" in text
    assert "Formulaire — https://www.testville.fr/inscription" in text
    assert "Critère 11.1 — " in text
    assert "est non conforme avec le référentiel" in text
    assert "audit en cours" in text
    assert "conforme avec le RGAA" not in text.replace("non conforme avec le RGAA", "")
    assert "Accessibilité : non conforme" in text


def test_a_complete_audit_gives_its_level_to_the_statement_and_the_footer(client: Client) -> None:
    report = _portal_audit(audit_results(), timezone.now())
    results = dict(report.results)
    sample = [page["url"] for page in results["pages"]]
    results["decisions"] = {
        number: {"pages": dict.fromkeys(sample, "c"), "note": "", "by": "x", "at": ""}
        for number in all_criteria()
        if number not in {"1.1", "11.1"}
    }
    results["summary"] = assess(results).summary()
    ToolReport.objects.filter(pk=report.pk).update(results=results)

    text = _text(client.get("/accessibilite/"))
    assert "Guichet DLNUF est partiellement conforme avec le référentiel" in text
    assert "0 sur 106 restent à vérifier" in text
    assert "Accessibilité : partiellement conforme" in _text(client.get("/"))


# --- personal data and cookies --------------------------------------------------------------


def test_every_cookie_the_portal_sets_is_described_as_strictly_necessary(client: Client) -> None:
    user = UserFactory()
    user.set_password("mot-de-passe-de-test-42")
    user.save()
    set_cookies: set[str] = set()
    for response in (
        client.get("/connexion/"),
        client.post("/connexion/", {"username": user.email, "password": "mot-de-passe-de-test-42"}),
        client.post(
            "/mon-compte/mot-de-passe/",
            {
                "old_password": "mot-de-passe-de-test-42",
                "new_password1": "un-autre-secret-solide-73",
                "new_password2": "un-autre-secret-solide-73",
            },
        ),
        client.post("/deconnexion/"),
        client.get("/accompagnement/"),
    ):
        set_cookies |= set(response.cookies)
    # The confirmation of the new password travels in the messages cookie.
    assert {"sessionid", "csrftoken", "messages"} <= set_cookies
    text = _text(client.get("/donnees-personnelles/"))
    for name in set_cookies:
        assert f"<code>{name}</code>" in text, name
    assert "strictement nécessaires" in text
    assert "2 semaines sans visite" in text
