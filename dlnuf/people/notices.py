"""The optional daily e-mail listing new consultations of a person's data.

Off by default: a person asks for it with an address, and nothing is sent before they confirm it
through a signed link sent there. Every digest carries an unsubscribe link. A consultation is
listed once it is visible on « Mes données » (after its habilitation's deferred visibility),
never before and never twice: the run locks each subscription, and its e-mail is stored in the
outbox in the same transaction as the progress it records.
"""

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django_tasks import task

from dlnuf.french import date_fr, plural
from dlnuf.journal.models import JournalEntry
from dlnuf.people.accesses import Access, accesses_described, accesses_visible
from dlnuf.people.models import NoticeSubscription
from dlnuf.people.viewers import Viewer
from dlnuf.support.emails import SIGNATURE, new_message_id

CONFIRM_SALT = "dlnuf.people.notice.confirm"
UNSUBSCRIBE_SALT = "dlnuf.people.notice.unsubscribe"
# A confirmation link older than this is refused: the person asks again.
CONFIRMATION_DAYS = 7


def subject_keys_digest(subject_keys: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(subject_keys))).encode()).hexdigest()


def _token(subscription: NoticeSubscription, salt: str) -> str:
    return signing.dumps({"s": subscription.pk, "k": subscription.link_key}, salt=salt)


def _subscription_of(token: str, salt: str, max_age: timedelta | None) -> NoticeSubscription | None:
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        return None
    subscription = NoticeSubscription.objects.filter(pk=payload["s"]).first()
    if subscription is None or subscription.link_key != payload.get("k"):
        return None
    return subscription


def subscription_for_confirmation(token: str) -> NoticeSubscription | None:
    return _subscription_of(token, CONFIRM_SALT, timedelta(days=CONFIRMATION_DAYS))


def subscription_for_unsubscribe(token: str) -> NoticeSubscription | None:
    return _subscription_of(token, UNSUBSCRIBE_SALT, None)


def _page_url(**query: str) -> str:
    base = settings.DLNUF_SITE_URL + reverse("www:my_data_notices")
    return base + "".join(
        f"{'?' if position == 0 else '&'}{name}={value}"
        for position, (name, value) in enumerate(query.items())
    )


def confirmation_url(subscription: NoticeSubscription) -> str:
    return _page_url(confirmer=_token(subscription, CONFIRM_SALT))


def unsubscribe_url(subscription: NoticeSubscription) -> str:
    return _page_url(desabonner=_token(subscription, UNSUBSCRIBE_SALT))


def active_subscription(subject_keys: Sequence[str]) -> NoticeSubscription | None:
    return (
        NoticeSubscription.objects.filter(
            subject_keys_digest=subject_keys_digest(subject_keys),
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        )
        .order_by("-confirmed_at")
        .first()
    )


def _mail(
    subscription: NoticeSubscription,
    *,
    subject: str,
    paragraphs: list[str],
    items: list[str],
    link_url: str,
    link_label: str,
    unsubscribe: bool,
) -> EmailMultiAlternatives:
    after = []
    stop_html = ""
    headers = {"Message-ID": new_message_id(), "Auto-Submitted": "auto-generated"}
    if unsubscribe:
        stop = unsubscribe_url(subscription)
        after.append(f"Ne plus recevoir ces avis : {stop}")
        stop_html = format_html('<p><a href="{}">Ne plus recevoir ces avis</a></p>', stop)
        headers["List-Unsubscribe"] = f"<{stop}>"
    text = "\n\n".join(
        [
            "Bonjour,",
            *paragraphs,
            *(["\n".join(f"- {item}" for item in items)] if items else []),
            f"{link_label} : {link_url}",
            *after,
            SIGNATURE,
        ]
    )
    html = format_html(
        '<!doctype html>\n<html lang="fr">\n<head><meta charset="utf-8"><title>{}</title></head>'
        '\n<body style="font-family: Marianne, Arial, sans-serif;">\n<p>Bonjour,</p>\n{}\n{}\n'
        '<p><a href="{}">{}</a></p>\n{}\n<p>{}</p>\n</body>\n</html>\n',
        subject,
        format_html_join("\n", "<p>{}</p>", ((paragraph,) for paragraph in paragraphs)),
        format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((i,) for i in items)))
        if items
        else "",
        link_url,
        link_label,
        stop_html,
        SIGNATURE,
    )
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    return mail


@transaction.atomic
def notice_subscription_request(*, viewer: Viewer, email: str) -> NoticeSubscription:
    """Record the wish and send the confirmation link; nothing else is sent until it is used."""
    address = email.strip()
    subscription = NoticeSubscription.objects.create(
        email=address,
        subject_keys=list(viewer.subject_keys),
        subject_keys_digest=subject_keys_digest(viewer.subject_keys),
    )
    _mail(
        subscription,
        subject="Confirmez votre demande d'avis par courriel",
        paragraphs=[
            "Vous avez demandé à recevoir, au plus une fois par jour, un courriel quand une "
            "administration consulte vos données par le guichet « Dites-le-nous une fois ».",
            "Rien ne vous sera envoyé tant que vous n'aurez pas confirmé, dans les "
            f"{CONFIRMATION_DAYS} jours. Si vous n'êtes pas à l'origine de cette demande, "
            "ignorez ce courriel.",
        ],
        items=[],
        link_url=confirmation_url(subscription),
        link_label="Confirmer mon adresse",
        unsubscribe=False,
    ).send()
    return subscription


@transaction.atomic
def notice_subscription_confirm(
    *, subscription: NoticeSubscription, now: datetime | None = None
) -> NoticeSubscription:
    """Start the notices from now on: consultations already visible are not listed again,
    those still deferred will be once visible. Any earlier subscription of the same person
    ends, so that they get one digest."""
    moment = now or timezone.now()
    subscription = NoticeSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.confirmed_at is not None:
        return subscription
    NoticeSubscription.objects.filter(
        subject_keys_digest=subscription.subject_keys_digest,
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
    ).exclude(pk=subscription.pk).update(unsubscribed_at=moment)
    subscription.confirmed_at = moment
    subscription.unsubscribed_at = None
    _advance(subscription, moment)
    subscription.save()
    return subscription


@transaction.atomic
def notice_subscription_end(*, subscription: NoticeSubscription) -> NoticeSubscription:
    subscription = NoticeSubscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


def _advance(subscription: NoticeSubscription, now: datetime) -> list[JournalEntry]:
    """Move the subscription past every entry visible at ``now``; returns those not yet sent.

    The cursor stops below the first entry still deferred, and the entries sent above it are
    remembered, so that the deferred one is listed when it appears and the others not again.
    """
    viewer = Viewer(
        kind="person",
        display_name="",
        subject_keys=tuple(subscription.subject_keys),
        signed_in_with="notice",
    )
    after = subscription.notified_through_index
    keyed = JournalEntry.objects.filter(
        subject_key__in=viewer.subject_keys, index__gt=after
    ).order_by()
    highest = keyed.aggregate(highest=Max("index"))["highest"]
    if highest is None:
        return []
    visible = list(accesses_visible(viewer, now=now).filter(index__gt=after, index__lte=highest))
    visible_indexes = {entry.index for entry in visible}
    first_deferred = (
        keyed.filter(index__lte=highest)
        .exclude(index__in=visible_indexes)
        .order_by("index")
        .values_list("index", flat=True)
        .first()
    )
    already = set(subscription.notified_beyond)
    fresh = sorted(
        (entry for entry in visible if entry.index not in already), key=lambda e: e.index
    )
    through = highest if first_deferred is None else first_deferred - 1
    subscription.notified_through_index = through
    subscription.notified_beyond = sorted(
        index for index in already | {entry.index for entry in fresh} if index > through
    )
    return fresh


def _line(access: Access) -> str:
    administration = access.consumer_name or f"SIRET {access.consumer_siret_display}"
    fields = ", ".join(access.fields_transmitted) or "rien n'a été transmis"
    context = f" pour « {access.context} »" if access.context else ""
    return (
        f"{date_fr(access.occurred_at, with_time=True)} : {administration}{context} — "
        f"{access.dataset_title} ({fields})"
    )


def notices_send(*, now: datetime | None = None) -> int:
    """One e-mail per confirmed subscription with new visible consultations; returns the
    number of e-mails sent. Safe to run again at any time."""
    moment = now or timezone.now()
    sent = 0
    pending = NoticeSubscription.objects.filter(
        confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(pending):
        with transaction.atomic():
            subscription = (
                NoticeSubscription.objects.select_for_update()
                .filter(pk=pk, unsubscribed_at__isnull=True)
                .first()
            )
            if subscription is None:
                continue
            progress = (subscription.notified_through_index, subscription.notified_beyond)
            fresh = _advance(subscription, moment)
            if fresh:
                accesses = accesses_described(fresh)
                count = len(accesses)
                headline = plural(count, "nouvelle consultation", "nouvelles consultations")
                _mail(
                    subscription,
                    subject=f"Vos données : {headline}",
                    paragraphs=[
                        f"{plural(count, 'consultation', 'consultations')} de vos données par "
                        "une administration "
                        + ("est apparue" if count < 2 else "sont apparues")
                        + " sur « Mes données » depuis notre dernier courriel :",
                    ],
                    items=[_line(access) for access in accesses],
                    link_url=settings.DLNUF_SITE_URL + reverse("www:my_data"),
                    link_label="Voir le détail, le cadre juridique et la preuve de chacune",
                    unsubscribe=True,
                ).send()
                subscription.last_sent_at = moment
                sent += 1
            if fresh or progress != (
                subscription.notified_through_index,
                subscription.notified_beyond,
            ):
                subscription.save()
    return sent


@task()
def notices_send_task() -> int:
    return notices_send()
