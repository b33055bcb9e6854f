"""Ready-to-run calls to the exchange API for a dataset, using the sandbox's test identities."""

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from dlnuf.catalogue.models import Dataset
from dlnuf.sandbox.cases import SandboxIdentity

API_PATH = "/api/v1/data/{slug}"
TOKEN_PLACEHOLDER = "VOTRE_JETON"  # noqa: S105 (a placeholder shown to people)
RECIPIENT_PLACEHOLDER = "SIRET_DE_VOTRE_ORGANISATION"
EXAMPLE_CONTEXT = "Instruction d'un dossier"
EXAMPLE_OBJECT = "dossier-2026-0001"

OUTCOME_LABELS = {
    "found": "données trouvées",
    "partial": "réponse partielle",
    "not_found": "usager ou entité introuvable",
    "error": "erreur du fournisseur",
    "slow": "fournisseur trop lent (délai dépassé)",
    "malformed": "réponse du fournisseur illisible",
    "refused": "refus du fournisseur",
    "rate_limited": "limite d'appels du fournisseur atteinte",
}


@dataclass(frozen=True)
class CallExample:
    identity_label: str
    path_template: str
    command: str


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)


def _parameters(identity: SandboxIdentity) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in identity.params.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((name, item) for item in values)
    return pairs


def call_example(
    dataset: Dataset, identity: SandboxIdentity, *, site_url: str, recipient: str
) -> CallExample:
    """A curl command asking the gateway for this identity's data."""
    url = site_url.rstrip("/") + API_PATH.format(slug=dataset.slug)
    parameters = [
        ("recipient", recipient),
        ("context", EXAMPLE_CONTEXT),
        ("object", EXAMPLE_OBJECT),
        *_parameters(identity),
    ]
    lines = [
        f"curl --get {shlex.quote(url)}",
        f"  --header {shlex.quote(f'Authorization: Bearer {TOKEN_PLACEHOLDER}')}",
        *(f"  --data-urlencode {shlex.quote(f'{name}={value}')}" for name, value in parameters),
    ]
    return CallExample(identity.label, identity.path_template, " \\\n".join(lines))


def call_examples(
    dataset: Dataset,
    identities: Sequence[SandboxIdentity],
    *,
    site_url: str,
    recipient: str,
) -> list[CallExample]:
    """One example per way of asking the dataset, with its first identity that finds data."""
    examples = []
    seen_paths: set[str] = set()
    for identity in identities:
        if identity.outcome != "found" or identity.path_template in seen_paths:
            continue
        seen_paths.add(identity.path_template)
        examples.append(call_example(dataset, identity, site_url=site_url, recipient=recipient))
    return examples
