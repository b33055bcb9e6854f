"""Submissions of a request and what changed between them, and the instructors' comments per
field or block.

A submission's snapshot holds plain JSON values (dates in ISO form, the scopes as slug → label,
attachments by their displayed name). The diff compares two snapshots field by field, in the
order the page shows them, and marks what was removed and added: long texts word by word, scopes
as a set, other values as a whole.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from functools import cached_property
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dlnuf.french import date_fr, format_french_number
from dlnuf.habilitations.models import (
    AuthorizationRequest,
    LegalBasisNature,
    RequestFieldComment,
    RequestState,
    RequestSubmission,
    RequestTransition,
)


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    fields: tuple[str, ...]


SECTIONS = (
    Section("description", "Description et finalité", ("title", "purpose", "procedure_names")),
    Section("scopes", "Périmètres demandés", ("scopes",)),
    Section(
        "legal_basis",
        "Cadre juridique",
        ("legal_basis_nature", "legal_basis_article", "legal_basis_url", "legal_basis_document"),
    ),
    Section(
        "personal_data",
        "Données personnelles",
        ("data_recipients", "retention_months", "retention_justification"),
    ),
    Section(
        "contacts",
        "Contacts",
        (
            "business_contact_name",
            "business_contact_email",
            "technical_contact_name",
            "technical_contact_email",
            "dpo_name",
            "dpo_email",
            "controller_name",
            "controller_email",
        ),
    ),
    Section(
        "volume",
        "Volumétrie et calendrier",
        ("expected_calls_per_minute", "volume_justification", "go_live_date", "sandbox_stage"),
    ),
    Section(
        "security",
        "Homologation de sécurité",
        ("security_approval_date", "security_approval_document"),
    ),
)
SECURITY_SECTION = "security"
FIELD_LABELS = {
    "title": "Intitulé",
    "purpose": "Description et finalité",
    "procedure_names": "Démarches concernées",
    "scopes": "Périmètres demandés",
    "legal_basis_nature": "Nature du texte",
    "legal_basis_article": "Article",
    "legal_basis_url": "Adresse du texte",
    "legal_basis_document": "Texte en PDF",
    "data_recipients": "Destinataires des données",
    "retention_months": "Durée de conservation (en mois)",
    "retention_justification": "Justification de la durée de conservation",
    "business_contact_name": "Responsable métier : nom",
    "business_contact_email": "Responsable métier : adresse électronique",
    "technical_contact_name": "Contact technique : nom",
    "technical_contact_email": "Contact technique : adresse électronique",
    "dpo_name": "Délégué à la protection des données : nom",
    "dpo_email": "Délégué à la protection des données : adresse électronique",
    "controller_name": "Responsable de traitement : nom",
    "controller_email": "Responsable de traitement : adresse électronique",
    "expected_calls_per_minute": "Appels par minute attendus",
    "volume_justification": "Justification de la volumétrie",
    "go_live_date": "Mise en production prévue",
    "sandbox_stage": "Étape de bac à sable",
    "security_approval_date": "Date de la décision d'homologation",
    "security_approval_document": "Décision d'homologation en PDF",
}
LONG_TEXT_FIELDS = frozenset(
    {
        "purpose",
        "procedure_names",
        "data_recipients",
        "retention_justification",
        "volume_justification",
    }
)
DATE_FIELDS = frozenset({"go_live_date", "security_approval_date"})
NUMBER_FIELDS = frozenset({"retention_months", "expected_calls_per_minute"})
# The edit form names its upload inputs apart from the stored files they replace.
FORM_FIELD_TARGETS = {
    "legal_basis_upload": "legal_basis_document",
    "security_approval_upload": "security_approval_document",
}
SECTION_PREFIX = "bloc:"


def section_target(section: Section) -> str:
    return SECTION_PREFIX + section.key


def comment_targets() -> dict[str, str]:
    """Every field or block an instructor may comment on, with what people read for it."""
    targets: dict[str, str] = {}
    for section in SECTIONS:
        targets[section_target(section)] = f"Bloc « {section.label} »"
        for name in section.fields:
            targets[name] = FIELD_LABELS[name]
    return targets


def target_label(target: str) -> str:
    return comment_targets().get(target, target)


# --- Snapshots -----------------------------------------------------------------------------------


def request_snapshot(request: AuthorizationRequest) -> dict[str, Any]:
    """The request's fields as JSON values, for one submission."""
    values: dict[str, Any] = {}
    for section in SECTIONS:
        for name in section.fields:
            if name == "scopes":
                values[name] = {
                    scope.slug: scope.label
                    for scope in request.requested_scopes.order_by("position", "slug")
                }
            elif name in ("legal_basis_document", "security_approval_document"):
                values[name] = getattr(request, f"{name}_name") if getattr(request, name) else ""
            else:
                value = getattr(request, name)
                values[name] = value.isoformat() if isinstance(value, date) else value
    return values


# --- Diff ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool = False  # removed (on the "before" side) or added (on the "after" side)


class ChangeKind:
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


CHANGE_KIND_LABELS = {
    ChangeKind.ADDED: "ajouté",
    ChangeKind.REMOVED: "retiré",
    ChangeKind.CHANGED: "modifié",
}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    section: str
    kind: str
    # The values compared: display texts, or slug → label for the scopes.
    old: Any = None
    new: Any = None

    @cached_property
    def _sides(self) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
        # Computed when shown only: the request's page needs the changed fields, not the marks.
        if self.name == "scopes":
            return _scope_segments(self.old, self.new)
        if self.name in LONG_TEXT_FIELDS and self.old and self.new:
            return _text_segments(self.old, self.new)
        return (
            (Segment(self.old, marked=True),) if self.old else (),
            (Segment(self.new, marked=True),) if self.new else (),
        )

    @property
    def before(self) -> tuple[Segment, ...]:
        return self._sides[0]

    @property
    def after(self) -> tuple[Segment, ...]:
        return self._sides[1]

    @property
    def kind_label(self) -> str:
        return CHANGE_KIND_LABELS[self.kind]

    @property
    def before_html(self) -> SafeString:
        return _segments_html(self.before, "del")

    @property
    def after_html(self) -> SafeString:
        return _segments_html(self.after, "ins")


def _segments_html(segments: Sequence[Segment], tag: str) -> SafeString:
    if not segments:
        return format_html("{}", "—")
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html("<" + tag + ">{}</" + tag + ">", segment.text)
                if segment.marked
                else segment.text,
            )
            for segment in segments
        ),
    )


def display_value(name: str, value: Any) -> str:
    """A snapshot value as people read it; empty when nothing was given."""
    if value is None or value == "":
        return ""
    if name == "sandbox_stage":
        return "oui" if value else "non"
    if name in DATE_FIELDS:
        return date_fr(date.fromisoformat(value))
    if name in NUMBER_FIELDS:
        return format_french_number(value)
    if name == "legal_basis_nature":
        return str(LegalBasisNature(value).label) if value in LegalBasisNature.values else value
    return str(value)


# A word carries the blank after it: a token made of blanks alone would repeat so often that
# the comparison slows down sharply.
_WORDS = re.compile(r"\s+|\S+\s*")
_LINES = re.compile(r"[^\n]*\n|[^\n]+")
# Comparing token lists costs up to the product of their lengths: above this many tokens on a
# side, words give way to lines, then to the whole text, so a long text cannot slow the page.
TOKEN_LIMIT = 2000


def _text_segments(before: str, after: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Word by word, blanks and line breaks kept so that the text reads as written; line by
    line for long texts."""
    for tokens in (_WORDS, _LINES):
        old, new = tokens.findall(before), tokens.findall(after)
        if max(len(old), len(new)) <= TOKEN_LIMIT:
            return _compared(old, new)
    return (Segment(before, marked=True),), (Segment(after, marked=True),)


def _compared(old: list[str], new: list[str]) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    removed: list[Segment] = []
    added: list[Segment] = []
    # The default heuristic (no anchoring on a token found in more than 1 % of a long text) is
    # kept on purpose: without it, a text repeating one word takes minutes to compare.
    for operation, old_start, old_end, new_start, new_end in SequenceMatcher(
        None, old, new
    ).get_opcodes():
        kept = operation == "equal"
        if old_end > old_start:
            removed.append(Segment("".join(old[old_start:old_end]), marked=not kept))
        if new_end > new_start:
            added.append(Segment("".join(new[new_start:new_end]), marked=not kept))
    return _joined(removed), _joined(added)


def _joined(segments: list[Segment]) -> tuple[Segment, ...]:
    """Reads « <del>le quotient familial</del> » rather than one mark per word: a blank kept
    between two marked words joins them."""
    joined: list[Segment] = []
    for index, segment in enumerate(segments):
        following = segments[index + 1] if index + 1 < len(segments) else None
        bridges = (
            not segment.marked
            and not segment.text.strip()
            and bool(joined)
            and joined[-1].marked
            and following is not None
            and following.marked
        )
        if joined and joined[-1].marked and (segment.marked or bridges):
            joined[-1] = Segment(joined[-1].text + segment.text, marked=True)
        else:
            joined.append(segment)
    return tuple(joined)


def _scope_segments(
    before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    def listed(scopes: Mapping[str, str], other: Mapping[str, str]) -> tuple[Segment, ...]:
        segments: list[Segment] = []
        for slug, label in sorted(scopes.items(), key=lambda item: item[1]):
            if segments:
                segments.append(Segment(" ; "))
            segments.append(Segment(label, marked=slug not in other))
        return tuple(segments)

    return listed(before, after), listed(after, before)


def submission_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """The fields that differ between two snapshots, in the page's order."""
    changes: list[FieldChange] = []
    for section in SECTIONS:
        for name in section.fields:
            old, new = before.get(name), after.get(name)
            old_value: Any
            new_value: Any
            if name == "scopes":
                old_value, new_value = dict(old or {}), dict(new or {})
                if set(old_value) == set(new_value):
                    continue
            else:
                old_value, new_value = display_value(name, old), display_value(name, new)
                if old_value == new_value:
                    continue
            old_text, new_text = bool(old_value), bool(new_value)
            kind = (
                ChangeKind.ADDED
                if not old_text
                else ChangeKind.REMOVED
                if not new_text
                else ChangeKind.CHANGED
            )
            changes.append(
                FieldChange(
                    name=name,
                    label=FIELD_LABELS[name],
                    section=section.label,
                    kind=kind,
                    old=old_value,
                    new=new_value,
                )
            )
    return changes


# --- Reads ---------------------------------------------------------------------------------------


def request_submissions(request: AuthorizationRequest) -> list[RequestSubmission]:
    return list(request.submissions.select_related("submitted_by").order_by("number"))


@dataclass(frozen=True)
class CommentView:
    comment: RequestFieldComment
    label: str
    # The submission that answered the comment; None while the applicant has not resubmitted.
    resolved_in: RequestSubmission | None


def request_field_comments(request: AuthorizationRequest) -> list[CommentView]:
    """Every comment ever written on the request's fields and blocks, oldest first."""
    submissions = request_submissions(request)
    transitions_at = dict(
        request.transitions.filter(action="request_changes").values_list("pk", "occurred_at")
    )
    views = []
    for comment in request.field_comments.select_related("author", "transition").order_by(
        "created_at", "pk"
    ):
        written_at = transitions_at.get(comment.transition_id, comment.created_at)
        answered = next((item for item in submissions if item.submitted_at > written_at), None)
        views.append(CommentView(comment, target_label(comment.target), answered))
    return views


def open_field_comments(request: AuthorizationRequest) -> dict[str, list[CommentView]]:
    """The comments still waiting for the applicant's next submission, by field or block."""
    waiting: dict[str, list[CommentView]] = {}
    for view in request_field_comments(request):
        if view.resolved_in is None:
            waiting.setdefault(view.comment.target, []).append(view)
    return waiting


@dataclass(frozen=True)
class ChangesSinceReview:
    """What the applicant changed between the submission an instructor sent back and the
    submission that answered it."""

    review: RequestTransition
    reviewed: RequestSubmission
    answer: RequestSubmission
    changes: list[FieldChange]

    @property
    def changed_fields(self) -> frozenset[str]:
        return frozenset(change.name for change in self.changes)


def changes_since_last_review(request: AuthorizationRequest) -> ChangesSinceReview | None:
    """Set once the applicant resubmits after a request for changes, while a decision is due."""
    if request.state != RequestState.SUBMITTED:
        return None
    review = (
        request.transitions.filter(action="request_changes").order_by("occurred_at", "pk").last()
    )
    if review is None:
        return None
    submissions = request_submissions(request)
    reviewed = [item for item in submissions if item.submitted_at <= review.occurred_at]
    answers = [item for item in submissions if item.submitted_at > review.occurred_at]
    if not reviewed or not answers:
        return None
    return ChangesSinceReview(
        review=review,
        reviewed=reviewed[-1],
        answer=answers[-1],
        changes=submission_diff(reviewed[-1].values, answers[-1].values),
    )
