"""The offline verifier of proof bundles: valid bundles pass, each tampering fails by its name."""

import base64
import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dlnuf.journal import verify_bundle
from dlnuf.journal.bundles import inclusion_bundle
from dlnuf.journal.models import JournalEntry
from dlnuf.journal.notes import note_parse, note_sign, raw_public_key, verifier_key
from dlnuf.journal.services import journal_entries_append
from dlnuf.journal.tlog import journal_origin, journal_verifier_key
from tests.journal.factories import ExchangeRecordFactory
from tests.journal.rfc9162 import CT_INCLUSION, CT_LEAVES, CT_ROOTS

ROOT = Path(__file__).resolve().parent.parent.parent
SIZE = 13
PROVEN = 9

Bundle = dict[str, Any]


@pytest.fixture
def bundle(db: None) -> Bundle:
    journal_entries_append(records=ExchangeRecordFactory.build_batch(SIZE))
    return inclusion_bundle(JournalEntry.objects.get(index=PROVEN), withhold_case_reference=False)


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bundle: object, *options: str
) -> tuple[int, str]:
    path = tmp_path / "preuve.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    status = verify_bundle.main([str(path), *options])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def flip_byte(data: bytes, position: int) -> bytes:
    return data[:position] + bytes((data[position] ^ 0x01,)) + data[position + 1 :]


def another_key_signing(bundle: Bundle) -> tuple[str, str]:
    """The bundle's checkpoint re-signed by another key of the same name, and that key."""
    other = Ed25519PrivateKey.generate()
    text = note_parse(bundle["checkpoint"]).text
    return note_sign(text, journal_origin(), other), verifier_key(
        journal_origin(), raw_public_key(other)
    )


def test_the_product_s_bundle_verifies(tmp_path, capsys, bundle):
    status, output = run(tmp_path, capsys, bundle)

    assert status == 0, output
    assert output.startswith(
        f"Preuve vérifiée : l'entrée n° {PROVEN} figure dans le journal « {journal_origin()} » "
        f"de {SIZE} entrées"
    )
    assert f"Clé utilisée : celle fournie dans le paquet, « {journal_verifier_key()} »" in output
    assert "Attention : clé non épinglée" in output
    assert "Jeu de données : quotient-familial" in output


def test_a_pinned_key_is_named_and_silences_the_warning(tmp_path, capsys, bundle):
    key_file = tmp_path / "journal.vkey"
    key_file.write_text(journal_verifier_key() + "\n", encoding="utf-8")

    for pinned in (str(key_file), journal_verifier_key()):
        status, output = run(tmp_path, capsys, bundle, "--vkey", pinned)
        assert status == 0, output
        assert f"Clé utilisée : la clé épinglée « {journal_verifier_key()} »" in output
        assert "non épinglée" not in output


def tamper_entry_byte(bundle: Bundle) -> None:
    canonical = base64.b64decode(bundle["entry"]["canonical_bytes"])
    position = canonical.index(b"Tarification") + 1
    bundle["entry"]["canonical_bytes"] = base64.b64encode(flip_byte(canonical, position)).decode()


def tamper_proof_hash(bundle: Bundle) -> None:
    sibling = base64.b64decode(bundle["inclusion_proof"][1])
    bundle["inclusion_proof"][1] = base64.b64encode(flip_byte(sibling, 31)).decode()


def tamper_tree_size(bundle: Bundle) -> None:
    bundle["tree_size"] += 1


def tamper_signature(bundle: Bundle) -> None:
    note = bundle["checkpoint"]
    start = note.rindex(" ") + 1
    raw = base64.b64decode(note[start:-1])
    bundle["checkpoint"] = note[:start] + base64.b64encode(flip_byte(raw, 20)).decode() + "\n"


def tamper_checkpoint_root(bundle: Bundle) -> None:
    origin, size, root, *rest = bundle["checkpoint"].split("\n")
    forged_root = base64.b64encode(flip_byte(base64.b64decode(root), 0)).decode()
    bundle["checkpoint"] = "\n".join([origin, size, forged_root, *rest])


def swap_bundled_key(bundle: Bundle) -> None:
    bundle["verifier_key"] = another_key_signing(bundle)[1]


def tamper_readable_copy(bundle: Bundle) -> None:
    bundle["entry"]["fields"]["context"] = "Contrôle fiscal"


def move_to_another_index(bundle: Bundle) -> None:
    bundle["leaf_index"] = PROVEN - 1


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (tamper_entry_byte, "La racine recalculée depuis l'entrée et le chemin d'inclusion"),
        (tamper_proof_hash, "La racine recalculée depuis l'entrée et le chemin d'inclusion"),
        (move_to_another_index, "La racine recalculée depuis l'entrée et le chemin d'inclusion"),
        (tamper_tree_size, f"le paquet annonce {SIZE + 1} entrées, le point de contrôle signé"),
        (tamper_signature, "Signature du point de contrôle invalide"),
        (tamper_checkpoint_root, "Signature du point de contrôle invalide"),
        (swap_bundled_key, "aucune signature ne porte son identifiant"),
        (tamper_readable_copy, "La copie lisible de l'entrée ne correspond pas"),
    ],
    ids=lambda item: item.__name__ if callable(item) else None,
)
def test_each_tampering_fails_with_the_check_that_caught_it(
    tmp_path, capsys, bundle, tamper, message
):
    tampered = copy.deepcopy(bundle)
    tamper(tampered)

    status, output = run(tmp_path, capsys, tampered)

    assert status == 1, output
    assert output.startswith("Preuve invalide : ")
    assert message in output
    assert "Preuve vérifiée" not in output


def test_a_checkpoint_re_signed_by_another_key_fails_against_the_pinned_key(
    tmp_path, capsys, bundle
):
    forged_note, forged_key = another_key_signing(bundle)
    forged = {**bundle, "checkpoint": forged_note, "verifier_key": forged_key}

    status, output = run(tmp_path, capsys, forged)
    # Unpinned, a forger's bundle is self-consistent: the output says the key came with it.
    assert status == 0
    assert "Attention : clé non épinglée" in output

    status, output = run(tmp_path, capsys, forged, "--vkey", journal_verifier_key())
    assert status == 1
    assert f"Le point de contrôle n'est pas signé par la clé « {journal_origin()} »" in output


def test_a_key_whose_id_does_not_match_is_refused(tmp_path, capsys, bundle):
    name, key_id, encoded = journal_verifier_key().split("+")
    wrong = f"{name}+{'0' * 8 if key_id != '0' * 8 else '1' * 8}+{encoded}"

    status, output = run(tmp_path, capsys, bundle, "--vkey", wrong)

    assert status == 1
    assert "son identifiant ne correspond pas" in output


def test_a_bundle_without_the_case_reference_proves_the_leaf_only(tmp_path, capsys, db):
    journal_entries_append(records=ExchangeRecordFactory.build_batch(SIZE))
    entry = JournalEntry.objects.get(index=PROVEN)
    withheld = inclusion_bundle(entry, withhold_case_reference=True)

    status, output = run(tmp_path, capsys, withheld)
    assert status == 0, output
    assert "Seule l'empreinte de l'entrée est prouvée" in output

    withheld["entry"]["leaf_hash"] = base64.b64encode(b"\x00" * 32).decode()
    status, output = run(tmp_path, capsys, withheld)
    assert status == 1
    assert "La racine recalculée" in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": "dlnuf-journal-inclusion-bundle", "version": 1,', "pas du JSON valide"),
        (b"\xff\xfe", "pas du JSON valide"),
        (b"[]", "pas un objet JSON"),
        (b'{"format": "autre", "version": 1}', "Format inconnu"),
    ],
)
def test_a_file_that_is_not_a_bundle_exits_2(tmp_path, capsys, content, message):
    path = tmp_path / "preuve.json"
    path.write_bytes(content)

    status = verify_bundle.main([str(path)])

    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("Paquet illisible : ")
    assert message in error


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b.pop("inclusion_proof"), "« inclusion_proof » doit être une liste"),
        (lambda b: b.update(tree_size="13"), "tree_size : un entier positif"),
        (lambda b: b["inclusion_proof"].__setitem__(0, "pas*base64"), "pas du base64 valide"),
        (lambda b: b["inclusion_proof"].__setitem__(0, "AAAA"), "fait 32 octets, pas 3"),
        (lambda b: b["entry"].pop("canonical_bytes"), "doit contenir « canonical_bytes »"),
        (lambda b: b.update(checkpoint="sans signature"), "une note signée"),
    ],
)
def test_a_bundle_missing_or_mistyping_a_part_exits_2(tmp_path, capsys, bundle, damage, message):
    damaged = copy.deepcopy(bundle)
    damage(damaged)

    status, output = run(tmp_path, capsys, damaged)

    assert status == 2, output
    assert message in output


def test_a_missing_file_exits_2(tmp_path, capsys):
    assert verify_bundle.main([str(tmp_path / "absent.json")]) == 2
    assert "Lecture impossible" in capsys.readouterr().err


def test_inclusion_paths_follow_the_certificate_transparency_vectors():
    leaves = [verify_bundle.leaf_hash(data) for data in CT_LEAVES]
    for index, size, path in CT_INCLUSION:
        root = verify_bundle.root_from_inclusion_path(
            index, size, leaves[index], [bytes.fromhex(h) for h in path]
        )
        assert root.hex() == CT_ROOTS[size]


def test_the_documented_command_runs_alone_with_a_clean_environment(tmp_path, bundle):
    path = tmp_path / "preuve-consultation-9.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    clean = {"PATH": os.environ["PATH"]}

    documented = subprocess.run(  # noqa: S603 - this interpreter, the documented command
        [sys.executable, "-m", "dlnuf.journal.verify_bundle", str(path)],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert documented.returncode == 0, documented.stderr
    assert documented.stdout.startswith("Preuve vérifiée")

    # Copied alone, with Django, orjson and the product made unimportable.
    shutil.copy(ROOT / "dlnuf" / "journal" / "verify_bundle.py", tmp_path / "verify_bundle.py")
    program = (
        "import runpy, sys\n"
        "for name in ('django', 'orjson', 'dlnuf'):\n"
        "    sys.modules[name] = None\n"
        f"sys.argv = ['verify_bundle.py', {str(path)!r}]\n"
        "runpy.run_path('verify_bundle.py', run_name='__main__')\n"
    )
    alone = subprocess.run(  # noqa: S603 - this interpreter running the copied file
        [sys.executable, "-I", "-c", program],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.startswith("Preuve vérifiée")


def test_a_key_whose_base64_holds_a_plus_sign_is_read():
    seed = next(
        seed
        for seed in range(256)
        if "+" in verifier_key("journal", raw_public_key(private_key_of(seed))).split("+", 2)[2]
    )
    text = verifier_key("journal", raw_public_key(private_key_of(seed)))

    key = verify_bundle.parse_verifier_key(text)

    assert (key.name, key.public_key) == ("journal", raw_public_key(private_key_of(seed)))


def private_key_of(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
