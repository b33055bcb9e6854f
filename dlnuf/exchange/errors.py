"""Every problem the API can answer (exchange, journal, any other answer under /api/), in one
table.

Each problem has a stable ``code`` (what client software tests), an HTTP status, and a French
title and default detail. The table is the reference documentation of the API's errors: the
OpenAPI document is generated from it, and a test keeps the README's table in step.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemKind:
    code: str
    status: int
    title: str
    detail: str


_KINDS = (
    ProblemKind(
        "missing_parameter",
        400,
        "Paramètre manquant",
        "Un paramètre obligatoire est absent de la requête.",
    ),
    ProblemKind(
        "invalid_parameter",
        400,
        "Paramètre invalide",
        "La valeur d'un paramètre ne respecte pas le format attendu.",
    ),
    ProblemKind(
        "unknown_parameter",
        400,
        "Paramètre inconnu",
        "La requête contient un paramètre que ce jeu de données n'accepte pas.",
    ),
    ProblemKind(
        "repeated_parameter",
        400,
        "Paramètre répété",
        "Ce paramètre ne peut être donné qu'une fois.",
    ),
    ProblemKind(
        "recipient_is_subject",
        400,
        "Le destinataire est l'entité recherchée",
        "Le paramètre recipient doit être le SIRET de l'organisation habilitée qui utilisera la "
        "donnée, pas le SIREN ou le SIRET de l'entité recherchée.",
    ),
    ProblemKind(
        "tree_size_beyond_head",
        400,
        "Taille d'arbre future",
        "La taille demandée dépasse celle de l'arbre du journal ; demandez d'abord sa tête.",
    ),
    ProblemKind(
        "too_many_parameters",
        400,
        "Trop de paramètres",
        "La requête contient plus de paramètres que le serveur n'en lit.",
    ),
    ProblemKind(
        "request_too_large",
        400,
        "Requête trop volumineuse",
        "La requête dépasse la taille que le serveur accepte.",
    ),
    ProblemKind(
        "bad_request",
        400,
        "Requête refusée",
        "La requête est mal formée ou vise un nom d'hôte que ce serveur ne sert pas.",
    ),
    ProblemKind(
        "credential_missing",
        401,
        "Authentification requise",
        "Envoyez votre jeton dans l'en-tête « Authorization: Bearer … ».",
    ),
    ProblemKind(
        "credential_unknown",
        401,
        "Jeton inconnu",
        "Ce jeton n'existe pas. Vérifiez qu'il a été copié en entier.",
    ),
    ProblemKind(
        "credential_expired",
        401,
        "Jeton expiré",
        "Ce jeton ou l'habilitation qui l'a produit est arrivé à échéance. Demandez son "
        "renouvellement.",
    ),
    ProblemKind(
        "credential_revoked",
        401,
        "Jeton révoqué",
        "Ce jeton ou l'habilitation qui l'a produit a été révoqué.",
    ),
    ProblemKind(
        "dataset_not_granted",
        403,
        "Jeu de données non habilité",
        "Votre habilitation ne porte pas sur ce jeu de données.",
    ),
    ProblemKind(
        "scope_not_granted",
        403,
        "Aucun périmètre habilité",
        "Votre habilitation ne comporte plus aucun périmètre de ce jeu de données.",
    ),
    ProblemKind(
        "recipient_mismatch",
        403,
        "Destinataire non habilité",
        "Le paramètre recipient doit être le SIRET de l'organisation titulaire de "
        "l'habilitation liée à ce jeton.",
    ),
    ProblemKind(
        "dataset_unknown",
        404,
        "Jeu de données inconnu",
        "Aucun jeu de données actif ne porte ce nom.",
    ),
    ProblemKind(
        "journal_entry_not_found",
        404,
        "Entrée du journal introuvable",
        "Aucune entrée de ce numéro ne concerne un échange de votre organisation.",
    ),
    ProblemKind(
        "path_not_found",
        404,
        "Adresse inconnue",
        "Aucune opération de l'API ne correspond à cette adresse ; voir /api/v1/openapi.json.",
    ),
    ProblemKind(
        "method_not_allowed",
        405,
        "Méthode non permise",
        "Cette adresse n'accepte pas cette méthode HTTP ; l'en-tête Allow donne celles permises.",
    ),
    ProblemKind(
        "subject_not_found",
        404,
        "Personne ou entité non trouvée",
        "Le fournisseur de données ne connaît pas la personne ou l'entité demandée.",
    ),
    ProblemKind(
        "provider_conflict",
        409,
        "Conflit chez le fournisseur",
        "Le fournisseur de données signale un conflit, par exemple plusieurs personnes "
        "correspondant aux critères.",
    ),
    ProblemKind(
        "provider_unprocessable",
        422,
        "Demande non traitable par le fournisseur",
        "Le fournisseur de données ne peut pas traiter cette demande.",
    ),
    ProblemKind(
        "rate_limited",
        429,
        "Trop de requêtes",
        "Vous avez dépassé le nombre d'appels par minute permis pour ce jeton. Réessayez après "
        "le délai indiqué par l'en-tête Retry-After.",
    ),
    ProblemKind(
        "internal_error",
        500,
        "Erreur interne",
        "Une erreur inattendue est survenue ; elle est consignée pour l'exploitation. Réessayez "
        "plus tard.",
    ),
    ProblemKind(
        "provider_error",
        502,
        "Erreur du fournisseur de données",
        "Le fournisseur de données a répondu par une erreur.",
    ),
    ProblemKind(
        "provider_malformed_answer",
        502,
        "Réponse du fournisseur illisible",
        "La réponse du fournisseur de données n'a pas le format attendu.",
    ),
    ProblemKind(
        "provider_partial_answer",
        502,
        "Réponse partielle du fournisseur",
        "Des données n'ont pas pu être obtenues auprès du fournisseur.",
    ),
    ProblemKind(
        "provider_access_denied",
        502,
        "Accès refusé par le fournisseur",
        "Le fournisseur de données a refusé l'accès de la plateforme. L'équipe est prévenue.",
    ),
    ProblemKind(
        "provider_unavailable",
        503,
        "Fournisseur indisponible",
        "Le fournisseur de données est momentanément indisponible ou en maintenance.",
    ),
    ProblemKind(
        "provider_rate_limited",
        503,
        "Fournisseur saturé",
        "Le fournisseur de données limite momentanément les appels. Réessayez plus tard.",
    ),
    ProblemKind(
        "shared_state_unavailable",
        503,
        "Limites d'appel indisponibles",
        "Le service qui compte les appels (limites de débit, suspension des fournisseurs en "
        "panne) ne répond pas ; aucun appel n'est transmis sans être compté. Réessayez dans "
        "quelques secondes.",
    ),
    ProblemKind(
        "circuit_open",
        503,
        "Fournisseur suspendu",
        "Après plusieurs échecs consécutifs, les appels à ce fournisseur sont suspendus "
        "quelques secondes. Réessayez plus tard.",
    ),
    ProblemKind(
        "journal_unavailable",
        503,
        "Journal des accès indisponible",
        "L'accès n'a pas pu être inscrit au journal ; aucune donnée n'est transmise sans "
        "trace. Réessayez plus tard.",
    ),
    ProblemKind(
        "provider_timeout",
        504,
        "Fournisseur hors délai",
        "Le fournisseur de données n'a pas répondu dans le délai imparti.",
    ),
)

PROBLEMS: dict[str, ProblemKind] = {kind.code: kind for kind in _KINDS}


class ExchangeRefused(Exception):
    """An exchange that ends with a problem answer instead of data."""

    def __init__(
        self,
        code: str,
        *,
        detail: str = "",
        parameter: str | None = None,
        provider_code: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.kind = PROBLEMS[code]
        self.detail = detail or self.kind.detail
        self.parameter = parameter
        self.provider_code = provider_code
        self.retry_after = retry_after
        super().__init__(code)

    @property
    def code(self) -> str:
        return self.kind.code

    @property
    def status(self) -> int:
        return self.kind.status
