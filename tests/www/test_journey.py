"""The whole journey in headless Chromium, through the pages only, as the people would do it.

An agent of the Ville de Lyon describes the school canteen registration and what it asks of
families, runs the diagnostic, prepares the habilitation requests in one step, completes and
submits the quotient familial one; the CNAF instructor validates it; the agent reveals the new
sandbox credential once, calls the gateway with it (served by the built-in sandbox on loopback)
and sees the call on the dashboard. Every page on the way passes axe-core, the e-mails sent are
checked, and none of them carries the secret.

With DLNUF_SCREENSHOTS_DIR set, each step is saved there as a PNG (the documentation's pictures:
``DLNUF_SCREENSHOTS_DIR=docs/parcours pytest tests/www/test_journey.py``).
"""

import os
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format

from dlnuf.catalogue.models import Dataset
from dlnuf.catalogue.services import catalogue_load
from dlnuf.french import date_fr
from dlnuf.organisations.demo import DEMO_PASSWORD
from dlnuf.organisations.demo import load_demo as load_demo_accounts
from dlnuf.sandbox.cases import sandbox_identities
from tests.www.browser import axe_violations, describe

pytestmark = pytest.mark.django_db(transaction=True)

APPLICANT = "agent.lyon@demo.dlnuf.fr"
INSTRUCTOR = "instructeur.cnaf@demo.dlnuf.fr"
LYON_SIRET = "21690123100011"
LYON = f"Ville de Lyon ({LYON_SIRET})"
DATASET = "quotient-familial"
DATASET_TITLE = "Quotient familial CAF et MSA"
PROCEDURE = "Inscription à la restauration scolaire"
# The scope as the forms show it: its name, then what it reveals.
SCOPE_LABEL = re.compile(r"^\s*Quotient familial — Révèle la valeur du quotient familial")
VIEWPORT = {"width": 1280, "height": 900}


class Journey:
    """The browser of the people on the journey: every page it lands on is checked with axe and
    must not be an error page; ``picture`` saves the current page when screenshots are asked."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.visited: list[str] = []
        self.failed: list[str] = []
        folder = os.environ.get("DLNUF_SCREENSHOTS_DIR", "")
        self.pictures = Path(folder) if folder else None
        if self.pictures is not None:
            self.pictures.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size(VIEWPORT)
        page.set_default_timeout(15_000)
        page.on("response", self._record)

    def _record(self, response: Any) -> None:
        if response.request.is_navigation_request() and response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def checked(self) -> str:
        """The text of the page's main content, after axe found nothing on the page."""
        self.page.wait_for_load_state()
        assert not self.failed, self.failed
        violations = axe_violations(self.page)
        assert not violations, describe(self.page.url, violations)
        self.visited.append(urlsplit(self.page.url).path)
        return " ".join(self.page.inner_text("main").split())

    def go(self, path: str) -> str:
        self.page.goto(self.base_url + path)
        return self.checked()

    def click(self, locator: Any) -> str:
        locator.click()
        return self.checked()

    def picture(
        self,
        name: str,
        *,
        start: Any = None,
        end: Any = None,
        mask: tuple[Any, ...] = (),
    ) -> None:
        """Save the page, or the part of it from ``start``'s top to ``end``'s bottom."""
        if self.pictures is None:
            return
        top = self._edge(start, "top") if start is not None else 0
        bottom = (
            self._edge(end, "bottom") + 24
            if end is not None
            else self.page.evaluate("() => document.documentElement.scrollHeight")
        )
        self.page.screenshot(
            path=str(self.pictures / name),
            full_page=True,
            clip={"x": 0, "y": top, "width": VIEWPORT["width"], "height": bottom - top},
            mask=list(mask),
            animations="disabled",
        )

    @staticmethod
    def _edge(locator: Any, side: str) -> float:
        return float(
            locator.evaluate(
                "(element, side) => element.getBoundingClientRect()[side] + window.scrollY", side
            )
        )

    def sign_in(self, email: str, *, picture: str = "") -> str:
        page = self.page
        self.go("/")
        self.click(page.locator("header").get_by_role("link", name="Se connecter"))
        assert page.get_by_role("heading", name="Se connecter", level=1).is_visible()
        page.get_by_label("Adresse électronique").fill(email)
        page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
        if picture:
            self.picture(picture)
        self.click(page.locator("main form").get_by_role("button", name="Se connecter"))
        header = page.inner_text("header")
        assert "Se déconnecter" in header
        return header

    def sign_out(self) -> None:
        self.click(self.page.locator("header").get_by_role("button", name="Se déconnecter"))
        assert self.page.locator("header").get_by_role("link", name="Se connecter").is_visible()

    def menu(self, label: str) -> str:
        return self.click(
            self.page.get_by_role("navigation", name="Menu principal").get_by_role(
                "link", name=label
            )
        )


def state_badge(page: Any) -> str:
    """The request's state as written in its badge (the design system shows it in capitals)."""
    return str(page.locator("main .fr-badge").first.text_content()).strip()


def messages_of(outbox: list[Any]) -> list[tuple[str, tuple[str, ...]]]:
    return [(message.subject, tuple(message.to)) for message in outbox]


def every_text_of(message: Any) -> str:
    parts = [message.subject, message.body]
    parts.extend(str(content) for content, _ in getattr(message, "alternatives", []))
    return "\n".join(parts)


@pytest.fixture
def gateway_on_sandbox(live_server: Any, settings: Any) -> str:
    """The seed and the demonstration accounts; every provider served by the live sandbox."""
    settings.DLNUF_SANDBOX_URL = live_server.url + "/sandbox"
    settings.DLNUF_API_PARTICULIER_URL = ""
    settings.DLNUF_API_ENTREPRISE_URL = ""
    settings.DLNUF_SITE_URL = live_server.url
    catalogue_load()
    load_demo_accounts(stdout=StringIO())
    return str(live_server.url)


def test_the_whole_journey_from_a_procedure_to_a_call_on_the_dashboard(
    page: Any, gateway_on_sandbox: str
) -> None:
    base_url = gateway_on_sandbox
    journey = Journey(page, base_url)

    # 1. The applicant signs in through the login page.
    header = journey.sign_in(APPLICANT, picture="01-connexion.png")
    assert "Camille Rivière" in header

    # 2. She describes the procedure and what it asks of families, then runs the diagnostic.
    journey.menu("Mes démarches")
    journey.click(page.get_by_role("link", name="Décrire une démarche"))
    page.get_by_label("Nom de la démarche").fill(PROCEDURE)
    page.get_by_label("Adresse de la démarche en ligne").fill(
        "https://www.lyon.fr/demarche/restauration-scolaire/inscription"
    )
    page.get_by_label("Nombre de dossiers par an").fill("12000")
    assert page.get_by_label("Organisation").inner_text().strip() == LYON
    main = journey.click(page.locator("main form").get_by_role("button", name="Enregistrer"))
    assert "Démarche enregistrée." in main

    # One form takes the common documents ticked and the lines typed, added together.
    # DSFR checkboxes are drawn by their label: people click the label.
    page.locator("label", has_text="Attestation de quotient familial CAF ou MSA").click()
    assert page.get_by_label("Attestation de quotient familial CAF ou MSA").is_checked()
    page.get_by_label("Éléments demandés").fill(
        "Avis d'imposition\nCertificat de scolarité\nRelevé d'identité bancaire"
    )
    main = journey.click(page.get_by_role("button", name="Ajouter ces éléments"))
    assert "4 éléments ajoutés." in main
    items = page.get_by_role("table", name="Éléments de la démarche (4)")
    # The lines typed come first, then the documents ticked, in the order of the list.
    assert items.get_by_role("rowheader").all_inner_texts() == [
        "Avis d'imposition",
        "Certificat de scolarité",
        "Relevé d'identité bancaire",
        "Attestation de quotient familial CAF ou MSA",
    ]
    assert "12 000" in page.inner_text("main dl").replace("\u202f", " ").replace("\xa0", " ")
    journey.picture("02-demarche.png", end=page.get_by_role("button", name="Lancer le diagnostic"))

    main = journey.click(page.get_by_role("button", name="Lancer le diagnostic"))
    assert f"Diagnostic de « {PROCEDURE} »" in main
    # Three of the four items could be prefilled: "partiel" as the State observatory says. The
    # documents no longer asked count only the people each data covers: the CAF's quotient
    # familial 55 % of the families by default, the tax data and the school data everyone:
    # 12 000 × (0,55 + 1 + 1) = 30 600.
    assert "3 éléments encore demandés pourraient être préremplis : niveau partiel" in main
    avoided = re.search(r"pièces ou saisies évitables : ([\d\s\u202f\xa0]+) par an", main)
    assert avoided is not None, main
    assert re.sub(r"\D", "", avoided.group(1)) == "30600"
    matches = page.get_by_role("table", name=re.compile("Correspondances trouvées"))
    for label, title in (
        ("Attestation de quotient familial CAF ou MSA", DATASET_TITLE),
        ("Avis d'imposition", "Impôt particulier (revenu fiscal de référence)"),
    ):
        row = matches.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label))
        assert row.get_by_label(f"Demander « {title} » pour « {label} »").is_checked()
    scolarite = matches.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Certificat de scolarité")
    )
    assert scolarite.get_by_role("checkbox").first.is_checked()
    rib = matches.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Relevé d'identité bancaire")
    )
    assert rib.get_by_role("checkbox").count() == 0
    assert "Aucune donnée du catalogue ne remplace le RIB" in rib.inner_text()
    journey.picture(
        "03-diagnostic.png",
        end=page.get_by_role("button", name="Préparer les demandes d'habilitation"),
    )

    # 3. The selection becomes prefilled requests in one step; she completes and submits one.
    main = journey.click(page.get_by_role("button", name="Préparer les demandes d'habilitation"))
    assert "3 demandes d'habilitation préremplies en brouillon" in main
    prepared = page.locator("#demandes")
    assert f"{DATASET_TITLE} — brouillon" in prepared.inner_text()
    journey.picture("04-demandes-preparees.png", end=prepared)

    main = journey.click(prepared.get_by_role("link", name=DATASET_TITLE))
    assert state_badge(page) == "brouillon"
    assert "Demande à compléter" in main
    assert f"Démarche : {PROCEDURE}." in main
    request_path = urlsplit(page.url).path
    request_number = request_path.strip("/").split("/")[-1]

    journey.click(page.get_by_role("link", name="Modifier la demande"))
    # Only the minimal scope the diagnostic found is ticked, among the dataset's four.
    assert page.locator("input[name=scopes]").count() == 4
    assert page.locator("input[name=scopes]:checked").count() == 1
    assert page.get_by_label(SCOPE_LABEL).is_checked()
    assert PROCEDURE in page.get_by_label("Démarches concernées").input_value()
    assert page.get_by_label("Responsable métier : adresse électronique").input_value() == (
        APPLICANT
    )
    page.get_by_label("Intitulé de la demande").fill("Tarification de la restauration scolaire")
    page.get_by_label("Description du projet et finalité").fill(
        "Calculer le tarif de la cantine d'après le quotient familial de la famille, sans lui "
        "demander son attestation CAF."
    )
    page.get_by_label("Article").fill("Articles L114-8 et R114-9-3")
    page.get_by_label("Adresse du texte").fill(
        "https://www.legifrance.gouv.fr/codes/section_lc/LEGITEXT000031366350/"
    )
    page.get_by_label("Destinataires des données").fill(
        "Agents du service de la restauration scolaire"
    )
    page.get_by_label("Durée de conservation (en mois)").fill("24")
    page.get_by_label("Contact technique : nom et prénom").fill("Équipe du système d'information")
    page.get_by_label("Contact technique : adresse électronique").fill(
        "technique.lyon@demo.dlnuf.fr"
    )
    page.get_by_label("Délégué à la protection des données : nom et prénom").fill("Alix Durand")
    page.get_by_label("Délégué à la protection des données : adresse électronique").fill(
        "dpo.lyon@demo.dlnuf.fr"
    )
    page.get_by_label("Responsable de traitement : nom et fonction").fill("Maire de Lyon")
    page.get_by_label("Responsable de traitement : adresse électronique").fill(
        "cabinet.lyon@demo.dlnuf.fr"
    )
    page.get_by_label("Volumétrie attendue (appels par minute, au plus fort)").fill("5")
    page.get_by_label("Justification de la volumétrie").fill(
        "12 000 inscriptions par an, avec un pic à la rentrée de septembre."
    )
    go_live = timezone.localdate() + timedelta(days=60)
    page.get_by_label("Date de mise en production prévue").fill(go_live.isoformat())
    page.get_by_text("J'ai lu et j'accepte les conditions d'utilisation").click()
    main = journey.click(page.get_by_role("button", name="Enregistrer et soumettre"))
    assert "La demande est soumise aux instructeurs." in main
    assert state_badge(page) == "soumise"
    assert "Demande à compléter" not in main
    assert f"Mise en production prévue {date_fr(go_live)}" in main
    journey.picture(
        "05-demande-soumise.png",
        end=page.get_by_role("table", name="Changements d'état de la demande"),
    )

    submitted = messages_of(mail.outbox)
    assert submitted == [
        (f"Demande à instruire : {DATASET_TITLE} — {LYON}", (INSTRUCTOR,)),
        (
            f"Votre demande d'habilitation n° {request_number} a été transmise",
            (APPLICANT, "technique.lyon@demo.dlnuf.fr"),
        ),
    ]
    assert base_url + request_path in mail.outbox[0].body
    journey.sign_out()

    # 4. The instructor opens the request waiting for her decision and validates it.
    header = journey.sign_in(INSTRUCTOR)
    assert "Dominique Leroy" in header
    main = journey.menu("Habilitations")
    assert "À instruire (1)" in main
    to_decide = page.get_by_role("table", name="Demandes soumises qui attendent votre décision")
    journey.click(to_decide.get_by_role("link", name=re.compile(f"n° {request_number} ")))
    assert urlsplit(page.url).path == request_path
    # He asks for one precision, written beside the field it concerns.
    page.locator(
        "summary",
        has_text="Commenter ce champ : Commentaire sur « Durée de conservation (en mois) »",
    ).click()
    page.fill(
        "textarea[name=commentaire_retention_months]",
        "La délibération prévoit 12 mois de conservation : merci d'aligner la durée.",
    )
    journey.picture(
        "06-commentaire-par-champ.png",
        start=page.get_by_role("heading", name="Données personnelles"),
        end=page.locator("textarea[name=commentaire_retention_months]"),
    )
    page.get_by_label("Message ou commentaire de la décision").fill(
        "Une seule précision avant validation, à côté du champ concerné."
    )
    main = journey.click(page.locator("button[value=request_changes]"))
    assert state_badge(page) == "modifications demandées"
    journey.sign_out()

    # The applicant finds the comment beside the field, corrects it and submits again.
    journey.sign_in(APPLICANT)
    journey.go(request_path)
    assert "merci d'aligner la durée" in page.inner_text("main")
    journey.click(page.get_by_role("link", name="Modifier la demande"))
    assert "merci d'aligner la durée" in page.inner_text("main")
    page.get_by_label("Durée de conservation (en mois)").fill("12")
    main = journey.click(page.get_by_role("button", name="Enregistrer et soumettre"))
    assert state_badge(page) == "soumise"
    journey.sign_out()

    # The instructor sees exactly what changed since his request, then decides.
    journey.sign_in(INSTRUCTOR)
    main = journey.go(request_path)
    assert "Modifié depuis votre demande de modifications du" in main
    assert page.locator(".dlnuf-changed").count() == 1
    journey.picture(
        "07-modifications.png",
        start=page.get_by_role("heading", name=re.compile("Modifié depuis")),
        end=page.get_by_role("link", name="Voir le détail des modifications"),
    )
    before_validation = len(mail.outbox)
    # One form answers the request: the comment, the scopes kept and the term go with the
    # button pressed, so nothing typed is lost whichever decision is taken.
    validation = page.locator("form#formulaire-demande")
    assert validation.get_by_label(SCOPE_LABEL).is_checked()
    term = validation.get_by_label("Durée de l'habilitation en cas de validation (en mois)")
    assert term.input_value() == "18"
    validation.get_by_label("Message ou commentaire de la décision").fill(
        "Cadre juridique et finalité conformes : accès accordé au seul quotient familial."
    )
    journey.picture(
        "08-instruction.png",
        start=page.get_by_role("heading", name="Répondre ou décider"),
        end=validation,
    )
    main = journey.click(validation.get_by_role("button", name="Valider"))
    assert "Demande validée." in main
    assert state_badge(page) == "validée"
    assert "Habilitation accordée" in main
    granted = page.locator("main h2:has-text('Habilitation accordée') ~ ul").first
    assert granted.inner_text().split() == ["Quotient", "familial", "cnaf_quotient_familial"]
    journey.picture(
        "09-demande-validee.png", end=page.get_by_role("table", name="Jetons de cette habilitation")
    )

    validated = messages_of(mail.outbox)[before_validation:]
    technical = "technique.lyon@demo.dlnuf.fr"
    assert sorted(validated) == sorted(
        [
            (
                f"Votre demande d'habilitation n° {request_number} est validée",
                (APPLICANT, technical),
            ),
            (f"Votre jeton d'accès (bac à sable) à « {DATASET_TITLE} »", (technical,)),
            (f"Votre jeton d'accès (production) à « {DATASET_TITLE} »", (technical,)),
        ]
    )
    decision = next(m for m in mail.outbox if m.subject.endswith("est validée"))
    assert base_url + request_path in decision.body
    journey.sign_out()

    # 5. The technical contact, who has no account, opens the one-time link e-mailed to him and
    # reveals the sandbox credential, once, and copies it.
    sandbox_mail = next(m for m in mail.outbox if "(bac à sable)" in m.subject)
    link = re.search(r"https?://\S+/tableau-de-bord/jetons/lien/\S+/", sandbox_mail.body)
    assert link is not None, sandbox_mail.body
    main = journey.go(urlsplit(link.group(0)).path)
    assert "une seule fois" in main
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    journey.click(page.get_by_role("button", name="Afficher le jeton maintenant"))
    secret = page.input_value("#jeton")
    assert secret.startswith("dlnuf_sbx_")
    page.get_by_role("button", name="Copier le jeton").click()
    page.get_by_role("status").filter(has_text="Jeton copié dans le presse-papiers.").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    journey.picture("10-jeton.png", mask=(page.locator("#jeton"),))
    # The link served once: opened again, it says so and never shows the secret.
    again = page.goto(link.group(0))
    assert again is not None
    assert again.status == 410
    journey.failed.remove(f"410 {link.group(0)}")
    assert secret not in page.content()
    assert "Afficher le jeton maintenant" not in page.content()

    # Signed in, the applicant sees that the secret was already shown.
    journey.sign_in(APPLICANT)
    journey.menu("Habilitations")
    journey.click(page.get_by_role("link", name=re.compile(f"n° {request_number} ")))
    tokens = page.get_by_role("table", name="Jetons de cette habilitation")
    assert tokens.get_by_role("row").count() == 3  # the header, sandbox and production
    assert secret not in page.content()

    # 6. Her software calls the gateway with it, for a family known to the sandbox.
    identity = next(
        found
        for found in sandbox_identities(DATASET)
        if found.outcome == "found" and "enfants" in found.label
    )
    answer = httpx.get(
        f"{base_url}/api/v1/data/{DATASET}",
        params={
            **identity.params,
            "recipient": LYON_SIRET,
            "context": "Tarification de la restauration scolaire",
            "object": "dossier-cantine-2026-0001",
        },
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert set(data) == {"quotient_familial"}, data
    # The provider knows more about this family; the gateway kept only what was granted.
    connector = Dataset.objects.get(slug=DATASET).connector
    upstream = httpx.get(
        f"{base_url}/sandbox/{connector.sandbox_path}{identity.path_template}",
        params={**identity.params, "recipient": LYON_SIRET, "context": "test", "object": "test"},
        headers={"Authorization": "Bearer bac-a-sable"},
        timeout=30,
    )
    assert {"allocataires", "enfants", "adresse"} <= set(upstream.json()["data"])
    assert data["quotient_familial"]["valeur"] > 0

    # 7. The dashboard shows that call.
    main = journey.menu("Tableau de bord")
    assert "1 appel, dont 0 défaillance" in main
    usage = page.get_by_role(
        "table", name="Appels de mes organisations par donnée et par issue, 30 derniers jours"
    )
    called = usage.get_by_role("row").filter(has_text=DATASET_TITLE)
    assert [" ".join(cell.split()) for cell in called.get_by_role("cell").all_inner_texts()] == [
        "1",
        "100 % 1 appel réussi sur 1 appel",
        "0 % 0 refus sur 1 appel",
        "0 % 0 défaillance fournisseur sur 1 appel",
        "0 % 0 défaillance de la passerelle sur 1 appel",
    ]
    habilitations = page.get_by_role("table", name="Habilitations de mes organisations")
    granted_row = habilitations.get_by_role("row").filter(has_text=DATASET_TITLE)
    assert str(granted_row.locator(".fr-badge").text_content()).strip() == "Active"
    credentials = page.get_by_role("table", name="Jetons de mes habilitations")
    shown = credentials.get_by_role("row").filter(has_text="Bac à sable")
    assert shown.get_by_role("link", name=re.compile("Afficher le jeton")).count() == 0
    per_day_summary = page.get_by_text("Appels jour par jour, par issue")
    journey.picture("11-tableau-de-bord.png", end=per_day_summary)
    journey.click(per_day_summary)
    per_day = page.get_by_role("table", name="Appels de mes organisations par jour et par issue")
    with translation.override("fr"):
        today_label = date_format(timezone.localdate(), "j F Y")
    today = per_day.get_by_role("row").filter(has_text=today_label)
    assert today.get_by_role("cell").all_inner_texts() == ["1", "1", "0", "0", "0"]

    assert all(secret not in every_text_of(message) for message in mail.outbox)
    assert len(mail.outbox) == before_validation + 3
    assert {"/connexion/", "/demarches/", "/habilitations/", "/tableau-de-bord/"} <= set(
        journey.visited
    )
