"""The journal API: signed heads and proofs anyone can check, a consumer's own entries."""

import base64
import hashlib
from datetime import timedelta
from typing import Any

import orjson
import pytest
from django.test import Client
from django.utils import timezone

from dlnuf.catalogue.models import Connector, Dataset, Provider, Scope
from dlnuf.habilitations.models import Credential
from dlnuf.habilitations.services import credential_issue, credential_revoke, habilitation_grant
from dlnuf.journal import merkle
from dlnuf.journal.services import journal_entries_append, journal_record
from dlnuf.journal.signing import verify_tree_head_signature
from dlnuf.organisations.models import Organisation
from tests.journal.factories import ExchangeRecordFactory

pytestmark = pytest.mark.django_db

CONSUMER = "13002526500013"
OTHER_CONSUMER = "11000201100044"


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def get(client: Client, path: str, **headers: str) -> tuple[int, dict[str, Any], str]:
    response = client.get(f"/api/v1/journal{path}", headers=headers)
    return response.status_code, orjson.loads(response.content), response["Content-Type"]


@pytest.fixture
def entries() -> None:
    journal_entries_append(records=ExchangeRecordFactory.build_batch(12))
    journal_record(ExchangeRecordFactory(consumer_siret=OTHER_CONSUMER))
    journal_record(ExchangeRecordFactory(consumer_siret=CONSUMER))


def credential_for(siret: str) -> tuple[str, Credential]:
    provider = Provider.objects.create(slug="cnaf", name="CNAF")
    connector = Connector.objects.create(
        slug="api-particulier", name="API Particulier", kind="api_particulier"
    )
    dataset = Dataset.objects.create(
        slug="quotient-familial",
        title="Quotient familial",
        provider=provider,
        connector=connector,
        subject_kind="person",
    )
    Scope.objects.create(dataset=dataset, slug="quotient_familial", label="QF", fields=["*"])
    organisation = Organisation.objects.create(siret=siret, name="Mairie")
    habilitation = habilitation_grant(
        organisation=organisation, dataset=dataset, scope_slugs=["quotient_familial"]
    )
    issued = credential_issue(habilitation=habilitation)
    return issued.secret, issued.credential


def test_the_tree_head_is_signed_and_verifiable(client: Client, entries: None) -> None:
    status, body, _ = get(client, "/tree-head")
    assert status == 200
    assert body["tree_size"] == 14
    assert body["signature_algorithm"] == "Ed25519"
    public_key = b64(body["public_key"])
    assert body["key_id"] == hashlib.sha256(public_key).hexdigest()
    assert verify_tree_head_signature(
        public_key=public_key,
        tree_size=body["tree_size"],
        timestamp_ms=body["timestamp"],
        root_hash=b64(body["root_hash"]),
        signature=b64(body["signature"]),
    )
    _, again, _ = get(client, "/tree-head")
    assert again == body  # nothing changed, the archived signature is served again


def test_an_inclusion_proof_links_an_entry_to_the_signed_head(
    client: Client, entries: None
) -> None:
    _, head, _ = get(client, "/tree-head")
    status, proof, _ = get(client, "/proof/inclusion?leaf_index=13&tree_size=14")
    assert status == 200
    assert proof["root_hash"] == head["root_hash"]
    assert merkle.verify_inclusion(
        b64(proof["leaf_hash"]),
        13,
        14,
        [b64(h) for h in proof["audit_path"]],
        b64(head["root_hash"]),
    )
    _, default_size, _ = get(client, "/proof/inclusion?leaf_index=13")
    assert default_size == proof


def test_a_consistency_proof_links_an_old_head_to_the_new_one(
    client: Client, entries: None
) -> None:
    _, old_head, _ = get(client, "/tree-head")
    journal_entries_append(records=ExchangeRecordFactory.build_batch(9))
    _, new_head, _ = get(client, "/tree-head")
    assert new_head["tree_size"] == 23
    status, proof, _ = get(client, "/proof/consistency?first=14&second=23")
    assert status == 200
    assert merkle.verify_consistency(
        14,
        23,
        b64(old_head["root_hash"]),
        b64(new_head["root_hash"]),
        [b64(h) for h in proof["consistency_path"]],
    )
    assert proof["first_root_hash"] == old_head["root_hash"]


@pytest.mark.parametrize(
    ("query", "parameter", "code"),
    [
        ("/proof/inclusion?leaf_index=-1", "leaf_index", "invalid_parameter"),
        ("/proof/inclusion?leaf_index=14", "leaf_index", "invalid_parameter"),
        ("/proof/inclusion?leaf_index=5&tree_size=5", "leaf_index", "invalid_parameter"),
        ("/proof/inclusion?leaf_index=0&tree_size=15", "tree_size", "tree_size_beyond_head"),
        ("/proof/inclusion?leaf_index=0&tree_size=-3", "tree_size", "invalid_parameter"),
        ("/proof/inclusion?leaf_index=abc", "leaf_index", "invalid_parameter"),
        ("/proof/inclusion", "leaf_index", "invalid_parameter"),
        ("/proof/consistency?first=0&second=5", "first", "invalid_parameter"),
        ("/proof/consistency?first=6&second=5", "first", "invalid_parameter"),
        ("/proof/consistency?first=3&second=99", "second", "tree_size_beyond_head"),
        ("/proof/consistency?first=3&second=x", "second", "invalid_parameter"),
        ("/proof/consistency?second=4", "first", "invalid_parameter"),
        (f"/proof/inclusion?leaf_index={10**30}", "leaf_index", "invalid_parameter"),
        (f"/proof/inclusion?leaf_index=0&tree_size={10**30}", "tree_size", "tree_size_beyond_head"),
        (f"/proof/consistency?first={10**30}", "first", "tree_size_beyond_head"),
    ],
)
def test_bad_input_is_a_problem_naming_the_parameter(
    client: Client, entries: None, query: str, parameter: str, code: str
) -> None:
    status, body, content_type = get(client, query)
    assert status == 400
    assert content_type == "application/problem+json"
    assert body["code"] == code
    assert body["parameter"] == parameter
    assert body["detail"]


def test_a_consumer_fetches_its_entry_and_recomputes_the_leaf(
    client: Client, entries: None
) -> None:
    secret, _ = credential_for(CONSUMER)
    status, entry, _ = get(client, "/entries/13", Authorization=f"Bearer {secret}")
    assert status == 200
    assert entry["index"] == 13
    assert entry["consumer_siret"] == CONSUMER
    canonical = b64(entry["canonical"])
    assert hashlib.sha256(b"\x00" + canonical).digest() == b64(entry["leaf_hash"])
    fields = orjson.loads(canonical)
    assert fields[1] == 13
    assert fields[2] == entry["exchange_id"].replace("-", "")
    assert fields[8] == entry["scopes"]
    assert fields[11:13] == [entry["context"], entry["object"]]
    _, proof, _ = get(client, "/proof/inclusion?leaf_index=13")
    assert proof["leaf_hash"] == entry["leaf_hash"]


def test_a_consumer_cannot_see_entries_of_others(client: Client, entries: None) -> None:
    secret, _ = credential_for(CONSUMER)
    # Another consumer's entry, no entry at all, and numbers no entry can have.
    for index in (12, 999, -1, 10**30):
        status, body, _ = get(client, f"/entries/{index}", Authorization=f"Bearer {secret}")
        assert status == 404
        assert body["code"] == "journal_entry_not_found"


def test_entries_need_a_valid_credential(client: Client, entries: None) -> None:
    status, body, _ = get(client, "/entries/13")
    assert (status, body["code"]) == (401, "credential_missing")
    status, body, _ = get(client, "/entries/13", Authorization="Bearer dlnuf_prd_inconnu")
    assert (status, body["code"]) == (401, "credential_unknown")

    secret, credential = credential_for(CONSUMER)
    Credential.objects.filter(pk=credential.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    status, body, _ = get(client, "/entries/13", Authorization=f"Bearer {secret}")
    assert (status, body["code"]) == (401, "credential_expired")


def test_a_revoked_credential_is_refused(
    client: Client, entries: None, django_capture_on_commit_callbacks
) -> None:
    secret, credential = credential_for(CONSUMER)
    assert get(client, "/entries/13", Authorization=f"Bearer {secret}")[0] == 200
    with django_capture_on_commit_callbacks(execute=True):
        credential_revoke(credential=credential)
    status, body, _ = get(client, "/entries/13", Authorization=f"Bearer {secret}")
    assert (status, body["code"]) == (401, "credential_revoked")
