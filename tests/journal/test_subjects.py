import pytest
from django.test import override_settings

from dlnuf.journal.subjects import canonical_identity, subject_key

PERSON = {
    "nomNaissance": "Dupont",
    "prenoms": ["Jean", "Pierre"],
    "sexeEtatCivil": "M",
    "anneeDateNaissance": "1980",
    "moisDateNaissance": "6",
    "jourDateNaissance": "12",
    "codeCogInseePaysNaissance": "99100",
}


@pytest.mark.parametrize("spelling", ["Dupont", "DUPONT ", "dupônt", "  Dupônt", "ｄｕｐｏｎｔ"])
def test_spellings_of_one_name_give_one_key(spelling: str) -> None:
    assert subject_key({**PERSON, "nomNaissance": spelling}) == subject_key(PERSON)


def test_spaces_accents_zeros_and_key_order_do_not_matter() -> None:
    variant = {
        "jourDateNaissance": "12",
        "moisDateNaissance": "06",
        "codeCogInseePaysNaissance": "99100",
        "sexeEtatCivil": "m",
        "prenoms": ["  jean", "PIERRE  "],
        "anneeDateNaissance": "1980",
        "nomNaissance": "dupont",
        "codeCogInseeCommuneNaissance": "",
    }
    assert subject_key(variant) == subject_key(PERSON)


def test_different_people_get_different_keys() -> None:
    keys = {
        subject_key(PERSON),
        subject_key({**PERSON, "nomNaissance": "Dupond"}),
        subject_key({**PERSON, "prenoms": ["Pierre", "Jean"]}),
        subject_key({**PERSON, "prenoms": ["Jean"]}),
        subject_key({**PERSON, "jourDateNaissance": "13"}),
        subject_key({**PERSON, "sexeEtatCivil": "F"}),
        subject_key({"ine": "1234567890A"}),
        subject_key({"identifiant": "1234567890A"}),
    }
    assert len(keys) == 8


def test_a_company_has_one_key_whatever_the_identifier_sent() -> None:
    siren = subject_key({"siren": "130025265"})
    assert subject_key({"siret": "13002526500013"}) == siren
    assert subject_key({"siren_or_rna": "130025265"}) == siren
    assert subject_key({"siren_or_rna": "130 025 265"}) == siren
    assert subject_key({"siren": "130025265", "siret": "13002526500013"}) == siren
    assert subject_key({"siren": "552100554"}) != siren
    association = subject_key({"siren_or_rna": "W751234567"})
    assert association != siren
    assert association == subject_key({"siren_or_rna": "w751234567 "})


def test_the_key_is_an_hmac_of_the_canonical_identity() -> None:
    assert canonical_identity({"nomNaissance": " dupônt ", "prenoms": ["Élodie", "Marie"]}) == (
        b'{"nomNaissance":"DUPONT","prenoms":"ELODIE MARIE"}'
    )
    key = subject_key(PERSON)
    assert len(key) == 64
    assert int(key, 16) >= 0
    with override_settings(DLNUF_JOURNAL_SUBJECT_SECRET="33" * 32):
        assert subject_key(PERSON) != key
