"""Permission proof: every URL of the project is protected or deliberately public, and every
page answers each role as the roles table says.

Part one walks the whole URL configuration: an anonymous caller is sent to the login page (pages)
or refused with 401 (API and sandbox), unless the route is in PUBLIC, a reviewed list where each
entry says why. A new route added without protection fails here.

Part two signs in as each demonstration role and asks for every page, with the URL's objects
taken from demonstration data (requests in every state, procedures and diagnostics,
habilitations and credentials of two organisations and two providers). The expected answer
comes from the roles table written here, independently of the product's permission code: 200
when the role may see the page, 404 when the object is hidden from it (so that existence does not
leak), 403 when the object is visible but the page is an action the role may not take, 405 for
actions that only accept POST (and 404 when such an action is POSTed on an object hidden from the
role). Every portal route must have a row in MATRIX, so a new page cannot escape it. No page
shown to a role may link to a request, procedure or credential hidden from that role, and list
pages must link to every object the role may see.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from io import StringIO
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import (
    IntConverter,
    PathConverter,
    SlugConverter,
    StringConverter,
    UUIDConverter,
)
from django.urls.resolvers import RoutePattern

from dlnuf.catalogue.models import (
    Dataset,
    Provider,
    PublicApi,
    SupportingDocument,
    TermsVersion,
)
from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations import demo as habilitations_demo
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    Credential,
    Habilitation,
    Solution,
    SolutionAdhesion,
)
from dlnuf.habilitations.services import authorization_request_update
from dlnuf.organisations import demo as organisations_demo
from dlnuf.organisations.demo import DEMO_PASSWORD, DEMO_USERS
from dlnuf.organisations.models import AccountRequest, Membership, User
from dlnuf.procedures import demo as procedures_demo
from dlnuf.procedures.models import Diagnostic, Procedure, ProcedureItem
from dlnuf.support.models import (
    InboundMail,
    Irritant,
    MessageKind,
    Mission,
    SupportAttachment,
    SupportRequest,
)
from dlnuf.support.reporting import TABLE_SLUGS
from dlnuf.support.tokens import follow_token
from dlnuf.toolbox.models import ToolKind, ToolReport

# --- part one: every route is protected or deliberately public ---------------------------------

# Reviewed: each entry is public on purpose, for the reason given.
PUBLIC = {
    "www:home": "page d'accueil, présente le guichet",
    "www:login": "page de connexion",
    "www:proconnect_start": "début de la connexion ProConnect (OpenID Connect)",
    "www:proconnect_callback": "retour de ProConnect ; vérifie state, nonce et PKCE",
    "www:catalogue": "catalogue des données, ouvert à tous",
    "www:dataset_detail": "fiche d'un jeu de données du catalogue",
    "www:dataset_terms": "conditions d'utilisation en vigueur d'un jeu de données",
    "www:dataset_terms_version": "une version des conditions d'utilisation, même ancienne",
    "www:public_api_detail": "fiche d'une API publique non servie par la passerelle",
    "www:supporting_documents": "liste des pièces justificatives remplacées",
    "www:solution_catalogue": "solutions d'éditeurs habilitées, publiques comme le catalogue",
    "www:supporting_document_detail": "fiche d'une pièce justificative",
    "www:provider_detail": "fiche d'un fournisseur de données",
    "www:support_new": "formulaire public de demande d'accompagnement, sans compte",
    "www:support_sent": "confirmation de l'envoi, trouvée par la session de qui vient d'envoyer",
    "www:support_follow": "suivi d'une demande par le lien signé envoyé au demandeur",
    "www:support_follow_link": "retrouver son lien de suivi : même réponse pour toute adresse",
    "www:support_follow_link_sent": "confirmation identique pour toute adresse, sans rien révéler",
    "www:support_follow_attachment": "pièce jointe du fil de la demande, par le même lien signé",
    "www:introduction_consent": "accord à une mise en relation, par le lien signé de chaque partie",
    "www:password_reset": "mot de passe oublié : même réponse pour toute adresse",
    "www:password_reset_sent": "confirmation identique pour toute adresse, sans rien révéler",
    "www:password_reset_confirm": "nouveau mot de passe, par le lien signé envoyé par courriel",
    "www:invitation_accept": "création du compte invité, par le lien signé à usage unique",
    "www:credential_link": "jeton remis au contact technique, par le lien à usage unique",
    "www:account_request_new": "demande de compte de qui n'en a pas encore",
    "www:account_request_sent": "confirmation de l'envoi d'une demande de compte",
    "www:footer-sitemap": "plan du site, lien du pied de page ; ne liste que les pages permises",
    "www:footer-accessibility-status": "déclaration d'accessibilité, publique par la loi",
    "www:footer-legal-notice": "mentions légales, publiques par la loi",
    "www:footer-personal-data": "données personnelles et cookies, information due à tous",
    "api-v1:openapi-json": "description OpenAPI de l'API d'échange",
    "api-v1:openapi-view": "documentation de l'API d'échange",
    "api-v1:api-root": "racine de l'API : ne sert rien (404)",
    "api-v1:tree_head": "journal : tête d'arbre signée, publique pour la vérification",
    "api-v1:proof_inclusion": "journal : preuve d'inclusion, publique pour la vérification",
    "api-v1:proof_consistency": "journal : preuve de cohérence, publique pour la vérification",
    "api-path-not-found": "toute autre adresse sous /api/ : problème 404 path_not_found",
    "tlog:checkpoint": "journal : point de contrôle signé (C2SP), public pour la vérification",
    "tlog:vkey": "journal : clé de vérification du point de contrôle",
    "tlog:tile": "journal : tuile d'empreintes de l'arbre, sans contenu d'entrée",
    "tlog:partial_tile": "journal : tuile partielle d'empreintes, sans contenu d'entrée",
    "tlog:cosignatures": "journal : dépôt des cosignatures, vérifiées contre les clés des témoins",
    "www:journal": "journal des accès expliqué, avec ses témoins, public pour la vérification",
    "www:my_data": "« Mes données » : chacun n'y lit que les accès à ses données, sinon connexion",
    "www:my_data_export": "« Mes données » en CSV ou JSON, mêmes lignes que la page",
    "www:my_data_proof": "preuve d'un accès : 404 pour qui n'est pas la personne concernée",
    "www:my_data_sign_in": "« Mes données » : choix de la connexion (FranceConnect, guichet)",
    "www:my_data_franceconnect_start": "début de la connexion FranceConnect (OpenID Connect)",
    "www:my_data_franceconnect_callback": "retour de FranceConnect ; vérifie state, nonce, PKCE",
    "www:my_data_demo_sign_in": "personnes fictives de démonstration ; 404 hors démonstration",
    "www:my_data_sign_out": "déconnexion de « Mes données » (POST seulement)",
    "www:my_data_report": "signaler une consultation : 404 pour une entrée d'autrui",
    "www:my_data_report_follow": "suivi d'un signalement par le lien signé envoyé à la personne",
    "www:my_data_notices": "avis par courriel : personne connectée, ou liens signés des courriels",
}
# Paths whose callers are software: without credentials they get 401, not a login page.
CREDENTIAL_PREFIXES = ("/api/", "/sandbox/")
# Values for URL parameters, where the parameter's type is not enough to reach the view.
SAMPLE_KWARGS = {
    "sandbox:provider": {"family": "api-particulier", "path": "v3/dss/quotient_familial/identite"},
    "tlog:tile": {"level": 0, "index": 0},
    "tlog:partial_tile": {"level": 0, "index": 0, "width": 1},
}
SAMPLE_BY_CONVERTER: dict[type, str] = {
    IntConverter: "1",
    SlugConverter: "quotient-familial",
    StringConverter: "quotient-familial",
    PathConverter: "quotient-familial",
    UUIDConverter: str(uuid.UUID(int=1)),
}


@dataclass(frozen=True)
class Route:
    name: str
    converters: dict[str, Any]
    pattern: URLPattern


def _walk(resolver: URLResolver, namespace: str, converters: dict[str, Any]) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, RoutePattern):
            found = {**converters, **entry.pattern.converters}
        elif entry.pattern.regex.groupindex:
            raise AssertionError(f"{entry.pattern}: give this regex route a sample in the test")
        else:
            found = dict(converters)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, inner, found)
        else:
            yield Route(f"{namespace}{entry.name}" if entry.name else "", found, entry)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver(), "", {}))


def sample_url(route: Route) -> str:
    kwargs = SAMPLE_KWARGS.get(route.name)
    if kwargs is None:
        kwargs = {}
        for name, converter in route.converters.items():
            assert type(converter) in SAMPLE_BY_CONVERTER, f"{route.name}: no sample for {name}"
            kwargs[name] = SAMPLE_BY_CONVERTER[type(converter)]
    return reverse(route.name, kwargs=kwargs)


def test_every_route_is_named():
    unnamed = [str(route.pattern.pattern) for route in all_routes() if not route.name]
    assert not unnamed


def test_the_public_list_names_only_existing_routes():
    names = {route.name for route in all_routes()}
    assert set(PUBLIC) <= names, set(PUBLIC) - names


@pytest.mark.django_db
@pytest.mark.parametrize("route", all_routes(), ids=lambda route: route.name)
def test_every_route_is_protected_or_deliberately_public(client, route):
    catalogue_load()
    url = sample_url(route)
    response = client.get(url)

    if route.name in PUBLIC:
        assert response.status_code < 500
        assert not (response.status_code == 302 and response.url.startswith("/connexion/"))
        assert response.status_code != 401
    elif url.startswith(CREDENTIAL_PREFIXES):
        assert response.status_code == 401, f"{url} answers {response.status_code} without key"
    else:
        assert response.status_code == 302, f"{url} answers {response.status_code} to anonymous"
        assert response.url == f"/connexion/?next={quote(url)}"
        # Actions are guarded the same way, whatever the method.
        posted = client.post(url)
        assert posted.status_code == 302
        assert posted.url.startswith("/connexion/")


# --- part two: who may see what ---------------------------------------------------------------

LYON = "21690123100011"
PARIS = "21750001600019"
ANONYMOUS = "anonyme"
VIEWERS = [ANONYMOUS, *(demo.email.split("@")[0] for demo in DEMO_USERS)]
# The roles table of the demonstration (the same facts as dlnuf/organisations/demo.py).
VENDOR = "84123456700011"
ORGANISATION_OF = {"agent.lyon": LYON, "agent.paris": PARIS, "editeur": VENDOR}
INSTRUCTS = {"instructeur.cnaf": "cnaf-msa", "instructeur.insee": "insee"}
READS_PROVIDER = {**INSTRUCTS, "rapporteur.cnaf": "cnaf-msa"}
SEES_EVERYTHING = {"expert", "admin"}
ADMINISTRATORS = {"admin"}


def is_applicant_for(viewer: str, siret: str) -> bool:
    return ORGANISATION_OF.get(viewer) == siret


def sees_everything(viewer: str) -> bool:
    return viewer in SEES_EVERYTHING


@dataclass
class Case:
    """One URL of a page, with the object it shows (None for pages without one)."""

    kwargs: dict[str, Any]
    subject: Any = None


@dataclass
class Rule:
    """Who may GET a page: ``status(viewer, subject)`` for signed-in viewers."""

    status: Callable[[str, Any], int]
    cases: Callable[["DemoWorld"], Iterable[Case]] = lambda world: [Case({})]
    public: bool = False
    # List pages: the objects they list, each to be linked when the viewer may see it (the
    # demonstration lists are short enough to fit on one page).
    lists: Callable[["DemoWorld"], Iterable[tuple[str, Any]]] | None = None
    # Actions: POST on each object the viewer may not see must answer 404 and change nothing.
    post_when_hidden: bool = False


@dataclass
class DemoWorld:
    users: dict[str, User]
    memberships: list[Membership] = field(default_factory=list)
    requests: list[AuthorizationRequest] = field(default_factory=list)
    habilitations: list[Habilitation] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    procedure_items: list[ProcedureItem] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    support_requests: list[SupportRequest] = field(default_factory=list)
    support_attachments: list[SupportAttachment] = field(default_factory=list)
    missions: list[Mission] = field(default_factory=list)
    irritants: list[Irritant] = field(default_factory=list)
    inbound_mails: list[InboundMail] = field(default_factory=list)
    tool_reports: list[ToolReport] = field(default_factory=list)


# --- the roles table applied to each kind of object ---


def request_visible(viewer: str, request: AuthorizationRequest) -> bool:
    """A request is its organisation's; the provider's side reads it once submitted."""
    return (
        sees_everything(viewer)
        or is_applicant_for(viewer, request.organisation.siret)
        or (
            request.state != "draft" and READS_PROVIDER.get(viewer) == request.dataset.provider.slug
        )
    )


def request_editable_by(viewer: str, request: AuthorizationRequest) -> bool:
    return request.state in {"draft", "changes_requested"} and (
        viewer in ADMINISTRATORS or is_applicant_for(viewer, request.organisation.siret)
    )


def habilitation_visible(viewer: str, habilitation: Habilitation) -> bool:
    return (
        sees_everything(viewer)
        or is_applicant_for(viewer, habilitation.organisation.siret)
        or READS_PROVIDER.get(viewer) == habilitation.dataset.provider.slug
    )


def credential_visible(viewer: str, credential: Credential) -> bool:
    return sees_everything(viewer) or is_applicant_for(
        viewer, credential.habilitation.organisation.siret
    )


def visible(viewer: str, item: Any) -> bool:
    if isinstance(item, AuthorizationRequest):
        return request_visible(viewer, item)
    if isinstance(item, Procedure):
        return procedure_visible(viewer, item)
    if isinstance(item, Credential):
        return credential_visible(viewer, item)
    if isinstance(item, Habilitation):
        return habilitation_visible(viewer, item)
    raise AssertionError(item)


def object_links(world: "DemoWorld") -> list[tuple[str, Any]]:
    """The links that open one organisation's objects: none may appear on a page shown to
    someone who may not see the object."""
    return [
        *((reverse("www:request_detail", args=[r.pk]), r) for r in world.requests),
        *((reverse("www:procedure_detail", args=[p.pk]), p) for p in world.procedures),
        *((reverse("www:credential_reveal", args=[c.pk]), c) for c in world.credentials),
    ]


def _request_page(viewer: str, request: AuthorizationRequest) -> int:
    return 200 if request_visible(viewer, request) else 404


def _request_edit(viewer: str, request: AuthorizationRequest) -> int:
    if not request_visible(viewer, request):
        return 404
    return 200 if request_editable_by(viewer, request) else 403


def _subject_visibility(viewer: str, request: AuthorizationRequest) -> int:
    if not request_visible(viewer, request) or request.habilitation_id is None:
        return 404
    provider = request.dataset.provider.slug
    return 200 if viewer in ADMINISTRATORS or INSTRUCTS.get(viewer) == provider else 403


def _request_attachment(viewer: str, request: AuthorizationRequest) -> int:
    # Visible requests serve their legal basis PDF when one is attached; hidden ones never do.
    if request_visible(viewer, request) and request.legal_basis_document:
        return 200
    return 404


def _credential_reveal(viewer: str, credential: Credential) -> int:
    """Only the holder organisation's applicants see a secret; experts and administrators see
    that the credential exists but may not reveal it."""
    if not credential_visible(viewer, credential):
        return 404
    return 200 if is_applicant_for(viewer, credential.habilitation.organisation.siret) else 403


def solution_visible(viewer: str, solution: Solution) -> bool:
    """A solution is its vendor's; the provider's side reads it once submitted."""
    return (
        sees_everything(viewer)
        or is_applicant_for(viewer, solution.vendor.siret)
        or (
            solution.request.state != "draft"
            and READS_PROVIDER.get(viewer) == solution.request.dataset.provider.slug
        )
    )


def _solution_page(viewer: str, solution: Solution) -> int:
    return 200 if solution_visible(viewer, solution) else 404


def _solution_edit(viewer: str, solution: Solution) -> int:
    if not solution_visible(viewer, solution):
        return 404
    manages = viewer in ADMINISTRATORS or is_applicant_for(viewer, solution.vendor.siret)
    editable = solution.request.state in {"draft", "changes_requested"}
    return 200 if manages and editable else 403


def _solution_join(viewer: str, solution: Solution) -> int:
    """Approved solutions are joined by applicants of any organisation but the vendor."""
    if solution.request.state not in {"validated", "superseded"}:
        return 404
    client = ORGANISATION_OF.get(viewer)
    return 200 if client is not None and client != solution.vendor.siret else 403


def _adhesion_page(viewer: str, request: AuthorizationRequest) -> int:
    """The client and the provider's side read a joining request; the vendor follows it."""
    vendor = request.solution_adhesion.solution.vendor.siret
    return 200 if request_visible(viewer, request) or is_applicant_for(viewer, vendor) else 404


def _solutions(world: "DemoWorld") -> list[Case]:
    solutions = Solution.objects.select_related("vendor", "request__dataset__provider")
    return [Case({"pk": solution.pk}, solution) for solution in solutions]


def _adhesions(world: "DemoWorld") -> list[Case]:
    adhesions = SolutionAdhesion.objects.select_related(
        "solution__vendor", "request__organisation", "request__dataset__provider"
    )
    return [Case({"pk": adhesion.request_id}, adhesion.request) for adhesion in adhesions]


def _applicants_only(viewer: str, subject: Any) -> int:
    return 200 if viewer in ORGANISATION_OF else 403


def procedure_visible(viewer: str, procedure: Procedure) -> bool:
    """A procedure is its organisation's; experts and administrators read every one."""
    return sees_everything(viewer) or is_applicant_for(viewer, procedure.organisation.siret)


def _procedure_page(viewer: str, procedure: Procedure) -> int:
    return 200 if procedure_visible(viewer, procedure) else 404


def _procedure_change(viewer: str, procedure: Procedure) -> int:
    """Only the organisation's applicants change a procedure; readers get 403."""
    if not procedure_visible(viewer, procedure):
        return 404
    return 200 if is_applicant_for(viewer, procedure.organisation.siret) else 403


def _procedures(world: "DemoWorld") -> list[Case]:
    return [Case({"pk": procedure.pk}, procedure) for procedure in world.procedures]


def _diagnostics(world: "DemoWorld") -> list[Case]:
    return [
        Case({"pk": diagnostic.procedure_id, "diagnostic_pk": diagnostic.pk}, diagnostic.procedure)
        for diagnostic in world.diagnostics
    ]


def _post_only(cases: Callable[["DemoWorld"], Iterable[Case]]) -> "Rule":
    """An action: GET is refused (405); a POST on an object hidden from the viewer is 404."""
    return Rule(_everyone(405), cases=cases, post_when_hidden=True)


def _found(viewer: str, subject: Any) -> int:
    return 404 if subject is None else 200


def _catalogue_cases(objects: Iterable[Any]) -> list[Case]:
    """Every object's page, and one for a slug nobody has."""
    return [*(Case({"slug": item.slug}, item) for item in objects), Case({"slug": "inconnu"})]


def _requests(world: "DemoWorld") -> list[Case]:
    return [Case({"pk": request.pk}, request) for request in world.requests]


def _everyone(status: int) -> Callable[[str, Any], int]:
    return lambda viewer, subject: status


def _my_data(viewer: str, subject: Any) -> int:
    return 200 if viewer in ORGANISATION_OF else 302


def _administrators_only(viewer: str, subject: Any) -> int:
    return 200 if viewer in ADMINISTRATORS else 403


def _administrators_find(viewer: str, subject: Any) -> int:
    """Administrators' pages about one object: 403 before any lookup for everyone else."""
    if viewer not in ADMINISTRATORS:
        return 403
    return 404 if subject is None else 200


def _inviters(viewer: str, subject: Any) -> int:
    return 200 if viewer in ADMINISTRATORS or viewer in ORGANISATION_OF else 403


# --- the guichet's desk: experts and administrators only; requesters use their signed link ---

UNKNOWN_PK = 987654


def _desk(viewer: str, subject: Any) -> int:
    """Desk pages: 403 before any lookup for people who do not work on the desk."""
    if not sees_everything(viewer):
        return 403
    return 404 if subject is None else 200


def _desk_cases(objects: Iterable[Any]) -> list[Case]:
    return [*(Case({"pk": item.pk}, item) for item in objects), Case({"pk": UNKNOWN_PK})]


def _desk_actions(objects: Iterable[Any], actions: Iterable[str]) -> list[Case]:
    return [Case({"pk": item.pk, "action": action}, item) for item in objects for action in actions]


def _irritant_edit(viewer: str, irritant: Irritant | None) -> int:
    # Resolved and abandoned irritants are no longer edited: the page sends back to the detail.
    status = _desk(viewer, irritant)
    if status == 200 and irritant is not None and irritant.state in {"resolved", "abandoned"}:
        return 302
    return status


def _follow_attachment(viewer: str, attachment: SupportAttachment | None) -> int:
    # Served to whoever holds the link, for files of the thread; never internal notes' files.
    if attachment is None or attachment.message is None:
        return 404
    shown = {MessageKind.FROM_REQUESTER, MessageKind.TO_REQUESTER}
    return 200 if attachment.message.kind in shown else 404


# --- the toolbox: anyone signed in runs tools; reports are their author's and the experts' ---


def _tool_report(viewer: str, report: ToolReport | None) -> int:
    if report is None:
        return 404
    author = report.created_by.email.split("@")[0]
    return 200 if sees_everything(viewer) or viewer == author else 404


def _tool_reports(kind: str | None) -> Callable[["DemoWorld"], list[Case]]:
    return lambda world: _desk_cases(
        report for report in world.tool_reports if kind is None or report.kind == kind
    )


def _tool_rules(tool: str, kind: str) -> dict[str, Rule]:
    return {
        f"www:{tool}_new": Rule(_everyone(200)),
        f"www:{tool}_report": Rule(_tool_report, cases=_tool_reports(kind)),
        f"www:{tool}_pdf": Rule(_tool_report, cases=_tool_reports(kind)),
    }


MATRIX: dict[str, Rule] = {
    "www:home": Rule(_everyone(200), public=True),
    # Signed-in people asking for the login page are sent on to the home page.
    "www:login": Rule(lambda viewer, subject: 200 if viewer == ANONYMOUS else 302, public=True),
    # ProConnect is not configured in the tests: both pages say so, to everyone.
    "www:proconnect_start": Rule(_everyone(404), public=True),
    "www:proconnect_callback": Rule(_everyone(404), public=True),
    # The catalogue is open to everyone, signed in or not.
    "www:catalogue": Rule(_everyone(200), public=True),
    "www:dataset_detail": Rule(
        _found,
        cases=lambda world: _catalogue_cases(d for d in world.datasets if d.is_active),
        public=True,
    ),
    "www:dataset_terms": Rule(
        _found,
        cases=lambda world: [
            *(Case({"slug": v.dataset.slug}, v) for v in TermsVersion.objects.filter(number=1)),
            Case({"slug": "unite-legale"}),  # no terms published
            Case({"slug": "inconnu"}),
        ],
        public=True,
    ),
    "www:dataset_terms_version": Rule(
        _found,
        cases=lambda world: [
            *(
                Case({"slug": v.dataset.slug, "number": v.number}, v)
                for v in TermsVersion.objects.select_related("dataset")
            ),
            Case({"slug": "quotient-familial", "number": 99}),
        ],
        public=True,
    ),
    "www:public_api_detail": Rule(
        _found, cases=lambda world: _catalogue_cases(PublicApi.objects.all()[:5]), public=True
    ),
    "www:supporting_documents": Rule(_everyone(200), public=True),
    # The footer's pages are read by everyone, signed in or not.
    "www:footer-sitemap": Rule(_everyone(200), public=True),
    "www:footer-accessibility-status": Rule(_everyone(200), public=True),
    "www:footer-legal-notice": Rule(_everyone(200), public=True),
    "www:footer-personal-data": Rule(_everyone(200), public=True),
    "www:journal": Rule(_everyone(200), public=True),
    # « Mes données »: a person signed in with FranceConnect or an agent of an organisation
    # reads their own accesses; anyone else is sent to the sign-in choice.
    "www:my_data": Rule(_my_data, public=True),
    "www:my_data_export": Rule(
        _my_data,
        cases=lambda world: [Case({"export_format": "csv"}), Case({"export_format": "json"})],
        public=True,
    ),
    # The proof of an access: only for the person or company it is about, 404 for anyone else.
    "www:my_data_proof": Rule(
        _everyone(404), cases=lambda world: [Case({"index": UNKNOWN_PK})], public=True
    ),
    # Signing in to « Mes données »: open to all; FranceConnect is not configured here (404).
    "www:my_data_sign_in": Rule(_everyone(200), public=True),
    "www:my_data_franceconnect_start": Rule(_everyone(404), public=True),
    "www:my_data_franceconnect_callback": Rule(_everyone(404), public=True),
    "www:my_data_demo_sign_in": Rule(_everyone(200), public=True),
    "www:my_data_sign_out": Rule(_everyone(405), public=True),
    # Reporting an access: for the person or company it is about (404 for anyone else), followed
    # through the guichet's signed link; the e-mail notices of whoever is signed in.
    "www:my_data_report": Rule(
        lambda viewer, subject: 404 if viewer in ORGANISATION_OF else 302,
        cases=lambda world: [Case({"index": UNKNOWN_PK})],
        public=True,
    ),
    "www:my_data_report_follow": Rule(
        _everyone(404), cases=lambda world: [Case({"token": "lien-modifie"})], public=True
    ),
    "www:my_data_notices": Rule(_my_data, public=True),
    "www:supporting_document_detail": Rule(
        _found,
        cases=lambda world: _catalogue_cases(SupportingDocument.objects.all()[:5]),
        public=True,
    ),
    "www:provider_detail": Rule(
        _found, cases=lambda world: _catalogue_cases(Provider.objects.all()), public=True
    ),
    "www:logout": Rule(_everyone(405)),
    "www:account": Rule(_everyone(200)),
    "www:password_change": Rule(_everyone(200)),
    "www:user_list": Rule(_administrators_only),
    "www:outbox": Rule(_administrators_only),
    "www:outbox_resend": Rule(_everyone(405), cases=lambda world: [Case({"pk": UNKNOWN_PK})]),
    "www:user_roles": Rule(
        _administrators_only,
        cases=lambda world: [Case({"pk": user.pk}, user) for user in world.users.values()],
    ),
    # Invitations: administrators, and applicants for their own organisations.
    "www:invitation_list": Rule(_inviters),
    "www:invitation_new": Rule(_inviters),
    "www:invitation_withdraw": Rule(_everyone(405), cases=lambda world: [Case({"pk": UNKNOWN_PK})]),
    "www:invitation_accept": Rule(
        _found, cases=lambda world: [Case({"token": "lien-modifie"})], public=True
    ),
    # Account requests: anyone asks, administrators decide.
    "www:account_request_new": Rule(_everyone(200), public=True),
    "www:account_request_sent": Rule(_everyone(200), public=True),
    "www:account_request_list": Rule(_administrators_only),
    "www:account_request_detail": Rule(
        _administrators_find,
        cases=lambda world: [
            *(Case({"pk": item.pk}, item) for item in AccountRequest.objects.all()),
            Case({"pk": UNKNOWN_PK}),
        ],
    ),
    # Forgotten password: a tampered link gets the page saying it no longer works.
    "www:password_reset": Rule(_everyone(200), public=True),
    "www:password_reset_sent": Rule(_everyone(200), public=True),
    "www:password_reset_confirm": Rule(
        _everyone(200),
        cases=lambda world: [Case({"uidb64": "MQ", "token": "lien-modifie"})],
        public=True,
    ),
    "www:membership_withdraw": Rule(
        _everyone(405),
        cases=lambda world: [
            Case({"pk": membership.user_id, "membership_pk": membership.pk}, membership)
            for membership in world.memberships
        ],
    ),
    # Habilitation requests.
    "www:requests": Rule(
        _everyone(200),
        lists=lambda world: [
            (reverse("www:request_detail", args=[request.pk]), request)
            for request in world.requests
        ],
    ),
    "www:requests_csv": Rule(_everyone(200)),
    "www:request_new": Rule(_applicants_only),
    "www:request_detail": Rule(_request_page, cases=_requests),
    "www:request_edit": Rule(_request_edit, cases=_requests),
    "www:request_versions": Rule(_request_page, cases=_requests),
    # What people see of the consultations: the provider's instructors, for granted requests.
    "www:request_subject_visibility": Rule(_subject_visibility, cases=_requests),
    "www:request_attachment": Rule(
        _request_attachment,
        cases=lambda world: [
            Case({"pk": request.pk, "document": "cadre-juridique"}, request)
            for request in world.requests
        ],
    ),
    # Actions are POST only: a GET is refused before the object is even looked up.
    "www:request_transition": _post_only(
        lambda world: [
            Case({"pk": request.pk, "action": action}, request)
            for request in world.requests
            for action in ("submit", "validate", "refuse", "revoke")
        ]
    ),
    "www:request_message": _post_only(_requests),
    # Vendors' solutions and the clients joining them.
    "www:solutions": Rule(_everyone(200)),
    "www:solution_catalogue": Rule(_everyone(200), public=True),
    "www:solution_new": Rule(_applicants_only),
    "www:solution_detail": Rule(_solution_page, cases=_solutions),
    "www:solution_edit": Rule(_solution_edit, cases=_solutions),
    "www:solution_join": Rule(_solution_join, cases=_solutions),
    "www:adhesion_detail": Rule(_adhesion_page, cases=_adhesions),
    "www:adhesion_decide": _post_only(_adhesions),
    # Procedures and their diagnostics.
    "www:procedures": Rule(
        _everyone(200),
        lists=lambda world: [
            (reverse("www:procedure_detail", args=[procedure.pk]), procedure)
            for procedure in world.procedures
        ],
    ),
    "www:procedure_new": Rule(_applicants_only),
    "www:procedure_detail": Rule(_procedure_page, cases=_procedures),
    "www:procedure_edit": Rule(_procedure_change, cases=_procedures),
    "www:procedure_items_add": Rule(_procedure_change, cases=_procedures),
    "www:procedure_item_update": _post_only(
        lambda world: [
            Case({"pk": item.procedure_id, "item_pk": item.pk}, item.procedure)
            for item in world.procedure_items
        ]
    ),
    "www:procedure_diagnose": _post_only(_procedures),
    "www:diagnostic_detail": Rule(_procedure_page, cases=_diagnostics),
    "www:procedure_requests_new": _post_only(_diagnostics),
    "www:procedure_coverage_edit": Rule(
        _procedure_change, cases=_diagnostics, post_when_hidden=True
    ),
    # Dashboard: credentials and usage.
    "www:dashboard": Rule(_everyone(200)),
    "www:credential_reveal": Rule(
        _credential_reveal,
        cases=lambda world: [Case({"pk": item.pk}, item) for item in world.credentials],
    ),
    "www:credential_rotate": _post_only(
        lambda world: [Case({"pk": item.pk}, item) for item in world.credentials]
    ),
    "www:credential_revoke": _post_only(
        lambda world: [Case({"pk": item.pk}, item) for item in world.credentials]
    ),
    "www:credential_link_send": _post_only(
        lambda world: [Case({"pk": item.pk}, item) for item in world.credentials]
    ),
    "www:credential_link": Rule(
        _found, cases=lambda world: [Case({"token": "lien-modifie"})], public=True
    ),
    "www:habilitation_renew": _post_only(
        lambda world: [Case({"pk": item.pk}, item) for item in world.habilitations]
    ),
    # Asking the guichet for help: public, and followed through a signed link.
    "www:support_new": Rule(_everyone(200), public=True),
    # Only the browser that has just sent a request sees its confirmation.
    "www:support_sent": Rule(_everyone(302), public=True),
    "www:support_follow_link": Rule(_everyone(200), public=True),
    "www:support_follow_link_sent": Rule(_everyone(200), public=True),
    "www:support_follow": Rule(
        _found,
        cases=lambda world: [
            *(Case({"token": follow_token(item)}, item) for item in world.support_requests),
            Case({"token": "lien-modifie"}),
        ],
        public=True,
    ),
    "www:support_follow_attachment": Rule(
        _follow_attachment,
        cases=lambda world: [
            Case({"token": follow_token(item.request), "pk": item.pk}, item)
            for item in world.support_attachments
        ],
        public=True,
    ),
    "www:introduction_consent": Rule(
        _found, cases=lambda world: [Case({"token": "lien-modifie"})], public=True
    ),
    # The experts' desk.
    "www:desk": Rule(_desk, cases=lambda world: [Case({}, "board")]),
    "www:desk_request": Rule(_desk, cases=lambda world: _desk_cases(world.support_requests)),
    "www:desk_request_action": Rule(
        _everyone(405),
        cases=lambda world: _desk_actions(world.support_requests, ("qualify", "reply", "close")),
    ),
    "www:desk_attachment": Rule(_desk, cases=lambda world: _desk_cases(world.support_attachments)),
    "www:desk_inbound_mail": Rule(_desk, cases=lambda world: [Case({}, "mails")]),
    "www:desk_inbound_mail_raw": Rule(_desk, cases=lambda world: _desk_cases(world.inbound_mails)),
    "www:desk_missions": Rule(_desk, cases=lambda world: [Case({}, "missions")]),
    "www:desk_mission": Rule(_desk, cases=lambda world: _desk_cases(world.missions)),
    "www:desk_mission_action": Rule(
        _desk, cases=lambda world: _desk_actions(world.missions, ("agree", "time", "close"))
    ),
    "www:desk_mission_framing": Rule(
        _desk,
        cases=lambda world: [
            *(Case({"pk": mission.pk, "topic": "budget"}, mission) for mission in world.missions),
            Case({"pk": UNKNOWN_PK, "topic": "budget"}),
        ],
    ),
    "www:desk_experts": Rule(_desk, cases=lambda world: [Case({}, "experts")]),
    "www:desk_expert_update": Rule(
        _everyone(405),
        cases=lambda world: [Case({"pk": user.pk}, user) for user in world.users.values()],
    ),
    "www:experience_list": Rule(_desk, cases=lambda world: [Case({}, "knowledge")]),
    "www:experience_similar": Rule(_desk, cases=lambda world: _desk_cases(world.support_requests)),
    "www:irritants": Rule(_desk, cases=lambda world: [Case({}, "irritants")]),
    "www:irritant_new": Rule(_desk, cases=lambda world: [Case({}, "new")]),
    "www:irritant_detail": Rule(_desk, cases=lambda world: _desk_cases(world.irritants)),
    "www:irritant_edit": Rule(_irritant_edit, cases=lambda world: _desk_cases(world.irritants)),
    **{
        f"www:irritant_{action}": Rule(
            _everyone(405), cases=lambda world: _desk_cases(world.irritants)
        )
        for action in ("escalate", "resolve", "abandon", "reopen", "note")
    },
    # The toolbox.
    "www:toolbox": Rule(_everyone(200)),
    "www:toolbox_report_status": Rule(_tool_report, cases=_tool_reports(None)),
    "www:toolbox_report_attach": Rule(_everyone(405), cases=_tool_reports(None)),
    **_tool_rules("mareva", ToolKind.MAREVA),
    **_tool_rules("costing", ToolKind.COSTING),
    **_tool_rules("code_quality", ToolKind.CODE_QUALITY),
    **_tool_rules("tech_review", ToolKind.TECH_REVIEW),
    **_tool_rules("accessibility", ToolKind.ACCESSIBILITY),
    "www:accessibility_statement": Rule(_tool_report, cases=_tool_reports(ToolKind.ACCESSIBILITY)),
    "www:accessibility_statement_text": Rule(
        _tool_report, cases=_tool_reports(ToolKind.ACCESSIBILITY)
    ),
    "www:accessibility_decision": Rule(_everyone(405), cases=_tool_reports(ToolKind.ACCESSIBILITY)),
    "www:guichet_reporting": Rule(_desk, cases=lambda world: [Case({}, "report")]),
    "www:guichet_reporting_csv": Rule(
        _desk,
        cases=lambda world: [
            *(Case({"table": slug}, slug) for slug in TABLE_SLUGS),
            Case({"table": "inconnue"}),
        ],
    ),
}


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def world(db, settings, tmp_path) -> DemoWorld:
    settings.MEDIA_ROOT = tmp_path
    catalogue_load()
    for load_demo in (
        organisations_demo.load_demo,
        habilitations_demo.load_demo,
        procedures_demo.load_demo,
    ):
        load_demo(stdout=StringIO())
    call_command("load_demo_data", stdout=StringIO())
    users = {user.email.split("@")[0]: user for user in User.objects.all()}
    # A legal basis PDF on the requests still open to their applicants, so that the attachment
    # page has something to serve, or to hide.
    for request in AuthorizationRequest.objects.filter(state__in=["draft", "changes_requested"]):
        applicant = request.organisation.memberships.get(role="applicant").user
        authorization_request_update(
            request=request,
            actor=applicant,
            values={},
            legal_basis_document=SimpleUploadedFile(
                "cadre.pdf", PDF, content_type="application/pdf"
            ),
        )
    requests = list(
        AuthorizationRequest.objects.select_related("organisation", "dataset__provider")
    )
    return DemoWorld(
        users=users,
        memberships=list(Membership.objects.all()),
        requests=requests,
        habilitations=list(
            Habilitation.objects.select_related("organisation", "dataset__provider")
        ),
        credentials=list(Credential.objects.select_related("habilitation__organisation")),
        datasets=list(Dataset.objects.all()),
        procedures=list(Procedure.objects.select_related("organisation")),
        procedure_items=list(ProcedureItem.objects.select_related("procedure__organisation")),
        diagnostics=list(Diagnostic.objects.select_related("procedure__organisation")),
        support_requests=list(SupportRequest.objects.all()),
        support_attachments=list(SupportAttachment.objects.select_related("message")),
        missions=list(Mission.objects.all()),
        irritants=list(Irritant.objects.all()),
        inbound_mails=list(InboundMail.objects.all()),
        tool_reports=list(ToolReport.objects.select_related("created_by")),
    )


def test_the_roles_table_is_the_demonstration_one():
    by_role: dict[str, dict[str, str]] = {}
    for demo in DEMO_USERS:
        by_role.setdefault(demo.role, {})[demo.email.split("@")[0]] = demo.siret or demo.provider
    assert by_role["applicant"] == ORGANISATION_OF
    assert by_role["instructor"] == INSTRUCTS
    assert {**by_role["instructor"], **by_role["reporter"]} == READS_PROVIDER
    assert set(by_role["expert"]) | set(by_role["administrator"]) == SEES_EVERYTHING
    assert set(by_role["administrator"]) == ADMINISTRATORS


def test_the_demonstration_covers_both_organisations_and_providers(world):
    """The matrix means something only if each side has objects the other must not see."""
    owners = {(r.organisation.siret, r.dataset.provider.slug, r.state) for r in world.requests}
    assert {LYON, PARIS} <= {siret for siret, _, _ in owners}
    assert {"cnaf-msa", "insee"} <= {provider for _, provider, _ in owners}
    assert "draft" in {state for _, _, state in owners}
    assert len({state for _, _, state in owners}) >= 4
    holders = {credential.habilitation.organisation.siret for credential in world.credentials}
    assert {LYON, PARIS} <= holders
    attached = {r.organisation.siret for r in world.requests if r.legal_basis_document}
    assert attached == {LYON, PARIS}
    assert {p.organisation.siret for p in world.procedures} == {LYON, PARIS}
    assert {d.procedure.organisation.siret for d in world.diagnostics} == {LYON, PARIS}
    # The desk has requests in every state, missions, irritants, files and an unreadable e-mail.
    assert {r.state for r in world.support_requests} >= {
        "new",
        "qualified",
        "redirected",
        "in_mission",
        "closed",
    }
    assert {m.state for m in world.missions} >= {"in_progress", "closed"}
    assert {i.state for i in world.irritants} >= {"open", "escalated", "resolved", "abandoned"}
    assert world.support_attachments
    assert any(mail.status == "failed" for mail in world.inbound_mails)
    # Toolbox reports of an agent and of an expert, finished.
    authors = {report.created_by.email.split("@")[0] for report in world.tool_reports}
    assert {"agent.lyon", "expert"} <= authors
    assert {report.status for report in world.tool_reports} == {"done"}


def _portal_get_routes() -> list[str]:
    return sorted(route.name for route in all_routes() if route.name.startswith("www:"))


def test_every_portal_page_has_a_row_in_the_matrix():
    missing = [name for name in _portal_get_routes() if name not in MATRIX]
    assert not missing, f"add these pages to MATRIX: {missing}"
    assert set(MATRIX) <= set(_portal_get_routes()), set(MATRIX) - set(_portal_get_routes())


@pytest.mark.parametrize("viewer", VIEWERS)
def test_who_may_see_what(client, world, viewer):
    if viewer != ANONYMOUS:
        signed_in = client.login(username=world.users[viewer].email, password=DEMO_PASSWORD)
        assert signed_in
    mismatches = []
    hidden_links = [link for link, item in object_links(world) if not visible(viewer, item)]
    for name, rule in MATRIX.items():
        for case in rule.cases(world):
            url = reverse(name, kwargs=case.kwargs)
            if viewer == ANONYMOUS:
                expected = rule.status(viewer, case.subject) if rule.public else 302
            else:
                expected = rule.status(viewer, case.subject)
            if rule.post_when_hidden and viewer != ANONYMOUS and not visible(viewer, case.subject):
                posted = client.post(url, {"comment": "x", "body": "x"})
                if posted.status_code != 404:
                    mismatches.append(
                        f"POST {url} ({name}): expected 404, got {posted.status_code}"
                    )
            response = client.get(url)
            if response.streaming:
                # Read to the end: the test client then closes the file it streams.
                b"".join(response.streaming_content)
            if response.status_code != expected:
                mismatches.append(
                    f"{url} ({name}): expected {expected}, got {response.status_code}"
                )
                continue
            if expected != 200 or response.streaming:
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue  # downloads (PDF, CSV, text) hold no links
            page = response.content.decode()
            for link in hidden_links:
                if f'href="{link}"' in page:
                    mismatches.append(f"{url} ({name}) links to {link}, hidden from {viewer}")
            for link, item in rule.lists(world) if rule.lists else []:
                if visible(viewer, item) and f'href="{link}"' not in page:
                    mismatches.append(f"{url} ({name}) does not list {link}")
    assert not mismatches, f"as {viewer}:\n" + "\n".join(mismatches)
