import shlex
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dlnuf.catalogue.services import catalogue_load
from dlnuf.habilitations.models import Credential, Habilitation
from dlnuf.habilitations.selectors import grant_for_secret_hash
from dlnuf.habilitations.services import credential_hash, credential_revoke
from dlnuf.organisations.demo import DEMO_ORGANISATIONS
from dlnuf.organisations.management.commands.load_demo_data import (
    DEMO_GRANTS,
    DEMO_LABEL,
    example_curl,
)
from dlnuf.organisations.models import Organisation
from dlnuf.organisations.validators import is_valid_siret
from dlnuf.sandbox.cases import case_store
from dlnuf.sandbox.endpoints import resolve

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def test_it_refuses_to_run_in_production(settings):
    catalogue_load()
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="refusées en production"):
        _run()
    assert not Credential.objects.exists()


def test_it_needs_the_catalogue():
    with pytest.raises(CommandError, match="load_catalogue"):
        _run()


def test_the_published_secrets_open_exactly_the_demo_grants():
    catalogue_load()
    output = _run()

    # DINUM, Lyon, Paris and the software vendor whose solution the demo approves.
    assert Organisation.objects.count() == len(DEMO_ORGANISATIONS) == 4
    granted_by_demo = Habilitation.objects.filter(granted_by_label=DEMO_LABEL)
    assert granted_by_demo.count() == len(DEMO_GRANTS)
    for demo in DEMO_GRANTS:
        assert is_valid_siret(demo.siret)
        assert len(demo.secret) >= 48
        assert demo.secret in output
        grant = grant_for_secret_hash(credential_hash(demo.secret))
        assert grant is not None
        assert grant.environment == "sandbox"
        assert not grant.revoked
        assert grant.organisation_siret == demo.siret
        assert grant.dataset_slug == demo.dataset
        assert grant.scope_slugs == frozenset(demo.scopes)
    prefixes = list(Credential.objects.values_list("prefix", flat=True))
    assert len(set(prefixes)) == len(prefixes)


def test_running_twice_changes_nothing():
    catalogue_load()
    _run()
    counts = (
        Organisation.objects.count(),
        Habilitation.objects.count(),
        Credential.objects.count(),
    )

    output = _run()

    assert (
        Organisation.objects.count(),
        Habilitation.objects.count(),
        Credential.objects.count(),
    ) == counts
    grant_lines = [line for line in output.splitlines() if " → " in line and "[" in line]
    assert len(grant_lines) == len(DEMO_GRANTS)
    assert all(line.endswith(": déjà présent") for line in grant_lines), grant_lines


def test_a_revoked_demo_credential_stays_revoked():
    catalogue_load()
    _run()
    credential = Credential.objects.get(secret_hash=credential_hash(DEMO_GRANTS[0].secret))
    credential_revoke(credential=credential)

    output = _run()

    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert "révoqué, laissé tel quel" in output


def test_the_printed_curl_asks_the_sandbox_for_a_found_identity(settings):
    settings.DLNUF_SITE_URL = "http://127.0.0.1:8101"
    catalogue_load()
    output = _run()
    assert output.rstrip().endswith(example_curl())

    words = shlex.split(example_curl())
    assert words[:3] == ["curl", "-G", "http://127.0.0.1:8101/api/v1/data/quotient-familial"]
    assert f"Authorization: Bearer {DEMO_GRANTS[0].secret}" in words
    query: dict[str, list[str] | str] = {}
    for word in words[words.index("--data-urlencode") + 1 :: 2]:
        name, _, value = word.partition("=")
        if name.endswith("[]"):
            query.setdefault(name.removesuffix("[]"), []).append(value)
        else:
            query[name] = value
    assert query["recipient"] == DEMO_GRANTS[0].siret
    endpoint, _ = resolve("api-particulier", "/v3/dss/quotient_familial/identite")
    case = case_store().match(endpoint, query)
    assert case is not None
    assert case.outcome == "found"
