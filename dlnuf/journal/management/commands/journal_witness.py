import logging
import os
import socket
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dlnuf.journal.notes import (
    COSIGNATURE_TYPE,
    NoteError,
    key_name_problem,
    raw_public_key,
    verifier_key,
    verifier_parse,
)
from dlnuf.journal.witness import (
    WitnessAlarm,
    WitnessState,
    WitnessUnavailable,
    fetch_log_vkey,
    state_load,
    state_save,
    witness_observe,
)

logger = logging.getLogger("dlnuf.journal.witness")

KEY_VARIABLE = "DLNUF_WITNESS_KEY"
ALARM_EXIT_CODE = 3
UNAVAILABLE_EXIT_CODE = 2
SUBMIT_REFUSED_EXIT_CODE = 4


def _witness_key(key_file: str | None) -> Ed25519PrivateKey:
    source = key_file or KEY_VARIABLE
    if key_file:
        hex_key = Path(key_file).read_text(encoding="utf-8").strip()
    else:
        hex_key = os.environ.get(KEY_VARIABLE, "")
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(hex_key))
    except ValueError as error:
        raise CommandError(
            f"{source} : la clé du témoin doit être 64 caractères hexadécimaux (32 octets "
            "Ed25519). Créez-en une avec python -c 'import secrets; "
            "print(secrets.token_hex(32))'."
        ) from error


class Command(BaseCommand):
    help = (
        "Témoin du journal : relève le point de contrôle publié à intervalles réguliers, vérifie "
        "qu'il prolonge le dernier cosigné (preuve de cohérence) et le cosigne (C2SP "
        "tlog-cosignature). Fourche ou retour en arrière : alarme et code de sortie 3."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("url", help="Adresse du guichet, par exemple https://guichet.example")
        parser.add_argument(
            "--state",
            type=Path,
            default=None,
            help="Fichier du dernier point de contrôle cosigné (défaut : var/journal_witness.json)",
        )
        parser.add_argument(
            "--vkey",
            default="",
            help="Clé de vérification du journal ; défaut : celle du fichier d'état, sinon celle "
            "que publie le guichet au premier relevé.",
        )
        parser.add_argument(
            "--name",
            default=f"{socket.gethostname()}/journal-witness",
            help="Nom du témoin dans ses cosignatures (défaut : <machine>/journal-witness).",
        )
        parser.add_argument(
            "--key-file",
            default=None,
            help=f"Fichier de la clé du témoin (hexadécimal) ; défaut : variable {KEY_VARIABLE}.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            help="Secondes entre deux relevés (défaut : 60).",
        )
        parser.add_argument("--once", action="store_true", help="Un seul relevé, puis s'arrêter.")
        parser.add_argument(
            "--submit",
            action="store_true",
            help="Remettre chaque point de contrôle cosigné au guichet (POST <url>/journal/"
            "cosignatures), qui l'affiche sur /journal/ si la clé du témoin y est configurée.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        site_url = options["url"].rstrip("/")
        state_path = options["state"] or Path(settings.VAR_DIR) / "journal_witness.json"
        name = options["name"]
        problem = key_name_problem(name)
        if problem is not None:
            raise CommandError(f"--name : nom de témoin invalide, {problem}.")
        key = _witness_key(options["key_file"])
        self.stdout.write(
            f"Clé du témoin : {verifier_key(name, raw_public_key(key), COSIGNATURE_TYPE)}"
        )
        with httpx.Client(timeout=10) as http:
            while True:
                try:
                    state = self._observe(http, site_url, state_path, name, key, options["vkey"])
                    if options["submit"]:
                        self._submit(http, site_url, state.cosigned, once=options["once"])
                except WitnessUnavailable as error:
                    # An unreachable log proves nothing: try again at the next interval.
                    logger.warning("Journal injoignable : %s", error)
                    if options["once"]:
                        raise CommandError(
                            f"Journal injoignable : {error}", returncode=UNAVAILABLE_EXIT_CODE
                        ) from error
                if options["once"]:
                    return
                time.sleep(options["interval"])

    def _observe(
        self,
        http: httpx.Client,
        site_url: str,
        state_path: Path,
        name: str,
        key: Ed25519PrivateKey,
        configured_vkey: str,
    ) -> WitnessState:
        previous = state_load(state_path)
        try:
            log_vkey = configured_vkey or (previous.log_vkey if previous else "")
            if not log_vkey:
                log_vkey = fetch_log_vkey(http, site_url)
                logger.warning("Clé du journal prise au premier relevé : %s", log_vkey)
            try:
                log_verifier = verifier_parse(log_vkey)
            except NoteError as error:
                raise CommandError(f"--vkey : {error}") from error
            state = witness_observe(
                http=http,
                site_url=site_url,
                log_verifier=log_verifier,
                log_vkey=log_vkey,
                previous=previous,
                name=name,
                key=key,
            )
        except WitnessAlarm as alarm:
            logger.critical("ALARME du témoin du journal %s : %s", site_url, alarm)
            raise CommandError(f"ALARME : {alarm}", returncode=ALARM_EXIT_CODE) from alarm
        state_save(state_path, state)
        self.stdout.write(state.cosigned, ending="")
        return state

    def _submit(self, http: httpx.Client, site_url: str, cosigned: str, *, once: bool) -> None:
        url = f"{site_url}/journal/cosignatures"
        try:
            response = http.post(
                url,
                content=cosigned.encode(),
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as error:
            raise WitnessUnavailable(f"{url} : {error}") from error
        if response.status_code in (200, 201):
            self.stdout.write(f"Cosignature remise au guichet ({response.status_code}).")
            return
        # The cosignature stays valid and kept: a refusal says the log does not know this witness
        # (or this checkpoint), which its operator must look at, but it is no fork.
        detail = response.text
        if response.headers.get("Content-Type", "").startswith("application/problem+json"):
            problem = response.json()
            detail = f"{problem.get('code')} : {problem.get('detail')}"
        logger.error("Cosignature refusée par %s : %s", url, detail)
        if once:
            raise CommandError(
                f"Cosignature refusée par le guichet : {detail}",
                returncode=SUBMIT_REFUSED_EXIT_CODE,
            )
