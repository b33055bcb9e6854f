from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from dlnuf.organisations.perms import AnyUser, organisations_of, sees_everything
from dlnuf.outbox.perms import can_read_outbox
from dlnuf.support.perms import can_work_on_support


@dataclass(frozen=True)
class SiteConfig:
    """What the design system's templates read from ``SITE_CONFIG``, without a database row."""

    site_title: str = "Guichet DLNUF"
    site_tagline: str = "Dites-le-nous une fois : les administrations échangent entre elles"
    beta_tag: bool = True
    header_brand_html: str = "République<br>française"
    footer_brand: str = "République française"
    footer_brand_html: str = "République<br>française"
    footer_description: str = (
        "Le Guichet DLNUF aide les administrations à ne plus redemander aux usagers les "
        "informations qu'une autre administration détient déjà."
    )
    # Read by the footer; until an audit is published the honest status is "non conforme".
    get_accessibility_status_display: str = "non"
    mourning: bool = False
    notice_title: str = ""
    notice_description: str = ""
    operator_logo_file: None = None
    operator_logo_alt: str = ""
    operator_logo_width: int = 0


def _anyone(user: AnyUser) -> bool:
    return True


def _signed_in(user: AnyUser) -> bool:
    return user.is_authenticated


def _works_on_procedures(user: AnyUser) -> bool:
    # Applicants describe their organisation's procedures; experts and administrators read them.
    return user.is_authenticated and (organisations_of(user).exists() or sees_everything(user))


@dataclass(frozen=True)
class NavigationEntry:
    url_name: str
    label: str
    description: str
    shown_to: Callable[[AnyUser], bool]


_SITE_CONFIG = SiteConfig()
_SKIPLINKS = [
    {"link": "#content", "label": "Contenu"},
    {"link": "#fr-navigation", "label": "Menu"},
    {"link": "#footer", "label": "Pied de page"},
]
# The main menu; an entry whose page does not exist in this deployment is left out.
NAVIGATION = (
    NavigationEntry(
        "www:catalogue",
        "Catalogue des données",
        "Qui détient quelle donnée, sur quel fondement, et quelles pièces elle remplace.",
        shown_to=_anyone,
    ),
    NavigationEntry(
        "www:procedures",
        "Mes démarches",
        "Décrire une démarche et savoir quelles pièces ne plus demander.",
        shown_to=_works_on_procedures,
    ),
    NavigationEntry(
        "www:requests",
        "Habilitations",
        "Demander l'accès à une donnée, suivre et instruire les demandes.",
        shown_to=_signed_in,
    ),
    NavigationEntry(
        "www:dashboard",
        "Tableau de bord",
        "Jetons, appels par jour et erreurs par jeu de données.",
        shown_to=_signed_in,
    ),
    NavigationEntry(
        "www:toolbox",
        "Boîte à outils",
        "Valeur, chiffrage, qualité du code, accessibilité, technologies : des rapports clairs.",
        shown_to=_signed_in,
    ),
    NavigationEntry(
        "www:support_new",
        "Demander de l'aide",
        "Écrire au guichet : cadrage, partage d'expérience, point de blocage. Sans formalité.",
        shown_to=_anyone,
    ),
    NavigationEntry(
        "www:desk",
        "Guichet",
        "Demandes reçues, missions, expériences, irritants et pilotage du guichet.",
        shown_to=can_work_on_support,
    ),
    NavigationEntry(
        "www:outbox",
        "Courriels",
        "Les courriels envoyés par le guichet, leurs essais et leurs échecs.",
        shown_to=can_read_outbox,
    ),
)


def _navigation(request: HttpRequest) -> list[dict[str, Any]]:
    items = []
    for entry in NAVIGATION:
        if not entry.shown_to(request.user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "url": url,
                "label": entry.label,
                "description": entry.description,
                "current": request.path.startswith(url),
            }
        )
    return items


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "SITE_CONFIG": _SITE_CONFIG,
        "skiplinks": _SKIPLINKS,
        "portal_navigation": _navigation(request),
    }
