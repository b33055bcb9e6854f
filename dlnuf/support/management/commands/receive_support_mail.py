"""Take in one message handed over by the mail server on standard input (a pipe delivery)."""

import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from dlnuf.support.intake import (
    OUTCOME_DESCRIPTIONS,
    inbound_mail_process,
    inbound_mail_process_pending,
    inbound_mail_store,
)

SOURCE = "stdin"


class Command(BaseCommand):
    help = (
        "Reçoit un courriel brut sur l'entrée standard (ou --file), le conserve puis le lit. "
        "Le code de sortie est 0 dès que le message est conservé, même illisible (il reste à "
        "examiner par l'équipe) : le serveur de messagerie ne doit pas le renvoyer à "
        "l'expéditeur. Si le message n'a pas pu être conservé, le code 75 (échec temporaire) "
        "demande au serveur de réessayer plus tard."
    )
    # Tests hand the command a stream in place of the process's standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="Lire le message dans ce fichier.")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = self._read(options)
        if not raw.strip():
            raise CommandError("Aucun message reçu : l'entrée est vide.", returncode=os.EX_DATAERR)
        try:
            mail, created = inbound_mail_store(raw=raw, source=SOURCE)
        except DatabaseError as error:
            raise CommandError(
                f"Message non conservé (base de données indisponible) : {error}",
                returncode=os.EX_TEMPFAIL,
            ) from error
        try:
            outcome = inbound_mail_process(mail=mail)
            earlier = inbound_mail_process_pending()
        except DatabaseError as error:
            # Stored is what the mail server needs to hear; reading waits for the next delivery.
            self.stderr.write(f"Courriel n° {mail.pk} conservé, lecture reportée : {error}")
            return
        state = "reçu" if created else "déjà reçu"
        self.stdout.write(f"Courriel n° {mail.pk} {state} : {OUTCOME_DESCRIPTIONS[outcome]}.")
        if earlier.outcomes:
            self.stdout.write(f"Courriels en attente lus : {earlier}.")

    def _read(self, options: dict[str, Any]) -> bytes:
        path: Path | None = options.get("file")
        if path is not None:
            try:
                return path.read_bytes()
            except OSError as error:
                raise CommandError(
                    f"Fichier illisible : {path} ({error.strerror})", returncode=os.EX_NOINPUT
                ) from error
        stream: Any = options.get("stdin") or sys.stdin
        source: BinaryIO = getattr(stream, "buffer", stream)
        data = source.read()
        return data.encode() if isinstance(data, str) else bytes(data)
