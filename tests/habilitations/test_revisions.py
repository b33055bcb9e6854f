"""Submissions keep a snapshot of the request; instructors comment per field or block; the diff
between two snapshots says exactly what changed, escaped."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dlnuf.habilitations import services
from dlnuf.habilitations.models import (
    AppendOnlyError,
    RequestFieldComment,
    RequestState,
    RequestSubmission,
)
from dlnuf.habilitations.revisions import (
    ChangeKind,
    Segment,
    changes_since_last_review,
    open_field_comments,
    request_field_comments,
    submission_diff,
)
from tests.habilitations.factories import pdf_upload
from tests.habilitations.workflow import cast

BASE: dict[str, Any] = {
    "title": "Cantine",
    "purpose": "Calculer le tarif\nselon le quotient familial.",
    "scopes": {"qf": "Quotient familial", "allocataires": "Allocataires"},
    "retention_months": 12,
    "go_live_date": "2026-12-03",
    "legal_basis_nature": "crpa_l114_8",
    "legal_basis_document": "decret.pdf",
    "sandbox_stage": False,
    "dpo_email": "",
}


def _changes(**after: Any) -> dict[str, Any]:
    return {change.name: change for change in submission_diff(BASE, {**BASE, **after})}


# --- The diff, against hand-written expectations ------------------------------------------------


def test_identical_snapshots_have_no_change() -> None:
    assert submission_diff(BASE, dict(BASE)) == []


def test_an_added_a_removed_and_a_changed_field() -> None:
    changes = _changes(dpo_email="dpo@ville.fr", title="", retention_months=1200)

    assert list(changes) == ["title", "retention_months", "dpo_email"]
    assert changes["dpo_email"].kind == ChangeKind.ADDED
    assert changes["dpo_email"].before == ()
    assert changes["dpo_email"].after == (Segment("dpo@ville.fr", marked=True),)
    assert (
        changes["dpo_email"].label == "Délégué à la protection des données : adresse électronique"
    )
    assert changes["title"].kind == ChangeKind.REMOVED
    assert changes["title"].before == (Segment("Cantine", marked=True),)
    assert changes["title"].after_html == "—"
    assert changes["retention_months"].kind == ChangeKind.CHANGED
    assert changes["retention_months"].before == (Segment("12", marked=True),)
    assert changes["retention_months"].after == (Segment("1\u202f200", marked=True),)
    assert changes["retention_months"].section == "Données personnelles"


def test_values_are_shown_in_french() -> None:
    changes = _changes(
        go_live_date="2027-03-01", sandbox_stage=True, legal_basis_nature="commande_publique"
    )
    assert changes["go_live_date"].before_html == "<del>3 décembre 2026</del>"
    assert changes["go_live_date"].after_html == "<ins>1er mars 2027</ins>"
    assert changes["sandbox_stage"].after_html == "<ins>oui</ins>"
    assert changes["legal_basis_nature"].after_html == "<ins>Code de la commande publique</ins>"


def test_scopes_compare_as_a_set_whatever_their_order() -> None:
    reordered = {"allocataires": "Allocataires", "qf": "Quotient familial"}
    assert _changes(scopes=reordered) == {}

    changes = _changes(scopes={"qf": "Quotient familial", "enfants": "Enfants"})
    scopes = changes["scopes"]
    assert scopes.kind == ChangeKind.CHANGED
    assert scopes.before_html == "<del>Allocataires</del> ; Quotient familial"
    assert scopes.after_html == "<ins>Enfants</ins> ; Quotient familial"


def test_long_texts_are_compared_word_by_word_keeping_line_breaks() -> None:
    changes = _changes(purpose="Calculer le tarif\nselon les ressources du foyer.")
    purpose = changes["purpose"]
    assert purpose.kind == ChangeKind.CHANGED
    assert purpose.before_html == "Calculer le tarif\nselon <del>le quotient familial.</del>"
    assert purpose.after_html == "Calculer le tarif\nselon <ins>les ressources du foyer.</ins>"


def test_everything_typed_is_escaped() -> None:
    changes = _changes(
        title="<script>alert(1)</script>",
        purpose="Calculer le tarif\nselon le <b>quotient</b> & familial.",
        scopes={"enfants": "<i>Enfants</i>", "qf": "Quotient familial"},
    )
    assert changes["title"].after_html == "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>"
    assert "<b>" not in changes["purpose"].after_html
    assert "&lt;b&gt;quotient&lt;/b&gt; &amp;" in changes["purpose"].after_html
    assert (
        changes["scopes"].after_html == "<ins>&lt;i&gt;Enfants&lt;/i&gt;</ins> ; Quotient familial"
    )


def test_an_attachment_compares_by_its_name() -> None:
    changes = _changes(legal_basis_document="arrete.pdf")
    assert changes["legal_basis_document"].before_html == "<del>decret.pdf</del>"
    assert changes["legal_basis_document"].after_html == "<ins>arrete.pdf</ins>"


# --- Snapshots and comments through the services ------------------------------------------------


@pytest.mark.django_db
def test_each_submission_stores_a_snapshot_with_scope_labels_and_attachment_names() -> None:
    people = cast()
    item = services.authorization_request_update(
        request=people.draft(),
        actor=people.applicant,
        values={},
        legal_basis_document=pdf_upload("décret n°1.pdf"),
    )
    services.authorization_request_submit(request=item, actor=people.applicant)
    services.authorization_request_request_changes(
        request=item, actor=people.instructor, comment="Précisez."
    )
    services.authorization_request_update(
        request=item, actor=people.applicant, values={"title": "Cantine et périscolaire"}
    )
    services.authorization_request_submit(request=item, actor=people.applicant)

    first, second = RequestSubmission.objects.filter(request=item).order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.submitted_by == people.applicant
    assert first.values["title"] == "Tarification de la cantine"
    assert second.values["title"] == "Cantine et périscolaire"
    labels = dict(item.requested_scopes.values_list("slug", "label"))
    assert first.values["scopes"] == labels
    assert first.values["legal_basis_document"] == "decret_n1.pdf"
    assert "%PDF" not in str(first.values)
    assert first.values["go_live_date"] == item.go_live_date.isoformat()
    assert [change.name for change in submission_diff(first.values, second.values)] == ["title"]


@pytest.mark.django_db
def test_a_refused_submission_stores_no_snapshot() -> None:
    people = cast()
    item = people.draft(complete=False)
    with pytest.raises(services.TransitionRefused):
        services.authorization_request_submit(request=item, actor=people.applicant)
    assert not RequestSubmission.objects.filter(request=item).exists()


@pytest.mark.django_db
def test_comments_per_field_and_block_are_kept_and_answered_by_the_next_submission() -> None:
    people = cast()
    item = people.submitted()
    services.authorization_request_request_changes(
        request=item,
        actor=people.instructor,
        comment="Quelques précisions.",
        field_comments={
            "retention_months": "Pourquoi 12 mois ?",
            "bloc:contacts": "Le DPO doit être joignable.",
            "title": "   ",
        },
    )

    waiting = open_field_comments(item)
    assert set(waiting) == {"retention_months", "bloc:contacts"}
    assert waiting["retention_months"][0].comment.text == "Pourquoi 12 mois ?"
    assert waiting["bloc:contacts"][0].label == "Bloc « Contacts »"
    stored = RequestFieldComment.objects.get(target="retention_months")
    assert stored.author == people.instructor
    assert stored.submission == RequestSubmission.objects.get(request=item, number=1)
    assert stored.transition.action == "request_changes"
    assert stored.transition.comment == "Quelques précisions."

    services.authorization_request_update(
        request=item, actor=people.applicant, values={"retention_months": 6}
    )
    services.authorization_request_submit(request=item, actor=people.applicant)

    assert open_field_comments(item) == {}
    history = request_field_comments(item)
    assert [view.resolved_in.number for view in history if view.resolved_in] == [2, 2]
    since = changes_since_last_review(item)
    assert since is not None
    assert since.changed_fields == {"retention_months"}
    assert (since.reviewed.number, since.answer.number) == (1, 2)


@pytest.mark.django_db
def test_comments_are_append_only() -> None:
    people = cast()
    item = people.submitted()
    services.authorization_request_request_changes(
        request=item,
        actor=people.instructor,
        comment="Précisez.",
        field_comments={"purpose": "Trop vague."},
    )
    comment = RequestFieldComment.objects.get()
    comment.text = "Réécrit"
    with pytest.raises(AppendOnlyError):
        comment.save()
    with pytest.raises(AppendOnlyError):
        comment.delete()
    with pytest.raises(AppendOnlyError):
        RequestFieldComment.objects.update(text="Réécrit")
    with pytest.raises(AppendOnlyError):
        RequestSubmission.objects.filter(request=item).delete()


@pytest.mark.django_db
def test_a_comment_on_an_unknown_field_refuses_the_whole_decision() -> None:
    people = cast()
    item = people.submitted()
    with pytest.raises(ValidationError) as refused:
        services.authorization_request_request_changes(
            request=item,
            actor=people.instructor,
            comment="Précisez.",
            field_comments={"secret_field": "?"},
        )
    assert refused.value.messages == ["Champs inconnus : secret_field."]
    item.refresh_from_db()
    assert item.state == RequestState.SUBMITTED
    assert not RequestFieldComment.objects.exists()
