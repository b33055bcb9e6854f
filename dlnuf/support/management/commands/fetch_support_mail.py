"""Take in the guichet's mailbox over IMAP: new requests, replies, and what could not be read."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dlnuf.support.imap import MailboxError, fetch_support_mail


class Command(BaseCommand):
    help = (
        "Relève la boîte aux lettres du guichet (réglages DLNUF_SUPPORT_IMAP_*) : chaque message "
        "est conservé tel quel avant d'être lu, puis marqué comme lu ; rien n'est supprimé du "
        "serveur. Une seule relève par défaut (--once) ; --every N relève toutes les N secondes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        when = parser.add_mutually_exclusive_group()
        when.add_argument(
            "--once", action="store_true", help="Une seule relève, puis s'arrête (par défaut)."
        )
        when.add_argument(
            "--every",
            type=int,
            metavar="SECONDES",
            help="Relève en continu, toutes les SECONDES secondes (arrêt par Ctrl+C).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DLNUF_SUPPORT_IMAP_HOST:
            raise CommandError(
                "Aucun serveur IMAP configuré : renseignez DLNUF_SUPPORT_IMAP_HOST (et "
                "DLNUF_SUPPORT_IMAP_USER, DLNUF_SUPPORT_IMAP_PASSWORD) pour relever la boîte du "
                "guichet."
            )
        every = options["every"]
        if every is None:
            self._fetch_once(fail=True)
            return
        if every < 1:
            raise CommandError("--every attend un nombre de secondes supérieur ou égal à 1.")
        try:
            while True:
                self._fetch_once(fail=False)
                time.sleep(every)
        except KeyboardInterrupt:
            self.stdout.write("Relève arrêtée.")

    def _fetch_once(self, *, fail: bool) -> None:
        try:
            summary = fetch_support_mail(
                host=settings.DLNUF_SUPPORT_IMAP_HOST,
                port=settings.DLNUF_SUPPORT_IMAP_PORT,
                ssl=settings.DLNUF_SUPPORT_IMAP_SSL,
                user=settings.DLNUF_SUPPORT_IMAP_USER,
                password=settings.DLNUF_SUPPORT_IMAP_PASSWORD,
                folder=settings.DLNUF_SUPPORT_IMAP_FOLDER,
            )
        except MailboxError as error:
            if fail:
                raise CommandError(error.message) from error
            # Polling goes on: the server may come back before the next round.
            self.stderr.write(error.message)
            return
        self.stdout.write(f"Relève terminée : {summary}.")
