"""The instructors' review of a request on its pages: comments per field or block beside the
fields, what changed since the last request for changes, and the comparison of any two
submissions."""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from dlnuf.french import date_fr
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.habilitations.perms import has_role_for
from dlnuf.habilitations.revisions import (
    SECTIONS,
    SECURITY_SECTION,
    ChangesSinceReview,
    CommentView,
    changes_since_last_review,
    comment_targets,
    open_field_comments,
    request_field_comments,
    request_submissions,
    section_target,
    submission_diff,
)
from dlnuf.habilitations.selectors import provider_policy, requests_visible_to
from dlnuf.organisations.models import User
from dlnuf.www.forms import PortalForm


@dataclass
class FieldReview:
    comments: list[CommentView] = field(default_factory=list)
    changed: bool = False


def commentable_targets(item: AuthorizationRequest) -> dict[str, str]:
    """The fields and blocks shown for this request, each of which may get a comment."""
    targets = comment_targets()
    if not provider_policy(item.dataset.provider).requires_security_approval:
        security = next(section for section in SECTIONS if section.key == SECURITY_SECTION)
        for name in (section_target(security), *security.fields):
            targets.pop(name)
    return targets


def field_reviews(
    item: AuthorizationRequest, since_review: ChangesSinceReview | None = None
) -> dict[str, FieldReview]:
    """For each field or block: the comments waiting for an answer, and whether it changed."""
    reviews: dict[str, FieldReview] = {}
    for target, waiting in open_field_comments(item).items():
        reviews.setdefault(target, FieldReview()).comments.extend(waiting)
    if since_review is not None:
        for name in since_review.changed_fields:
            reviews.setdefault(name, FieldReview()).changed = True
    return reviews


def review_context(user: User, item: AuthorizationRequest) -> dict[str, Any]:
    since_review = changes_since_last_review(item)
    return {
        "field_reviews": field_reviews(item, since_review),
        "since_review": since_review,
        "since_review_is_yours": since_review is not None
        and has_role_for(user, "request_changes", item),
        "comment_history": request_field_comments(item),
        "submission_count": item.submissions.count(),
    }


class SubmissionPairForm(PortalForm):
    before = forms.TypedChoiceField(label="Version de départ", coerce=int)
    after = forms.TypedChoiceField(label="Version comparée", coerce=int)

    def __init__(self, *args: Any, numbers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("before", "after"):
            choice = self.fields[name]
            assert isinstance(choice, forms.TypedChoiceField)
            choice.choices = numbers
            choice.error_messages["invalid_choice"] = "Choisissez une version de cette demande."
            choice.error_messages["required"] = "Choisissez une version de cette demande."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("before") is not None and cleaned.get("before") == cleaned.get("after"):
            self.add_error("after", "Choisissez deux versions différentes.")
        return cleaned


def request_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """The submissions of a request, and what changed between two of them (by default the last
    two)."""
    user = request.user
    assert isinstance(user, User)
    item = get_object_or_404(requests_visible_to(user), pk=pk)
    submissions = request_submissions(item)
    numbers = [
        (submission.number, f"n° {submission.number} du {date_fr(submission.submitted_at)}")
        for submission in submissions
    ]
    by_number = {submission.number: submission for submission in submissions}
    form: SubmissionPairForm | None = None
    changes = None
    before = after = None
    if len(submissions) >= 2:
        data = (
            request.GET
            if {"before", "after"} & set(request.GET)
            else {"before": submissions[-2].number, "after": submissions[-1].number}
        )
        form = SubmissionPairForm(data, numbers=numbers)
        if form.is_valid():
            before = by_number[form.cleaned_data["before"]]
            after = by_number[form.cleaned_data["after"]]
            changes = submission_diff(before.values, after.values)
    return render(
        request,
        "www/requests/versions.html",
        {
            "title": f"Versions soumises de la demande n° {item.pk}",
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("www:requests"), "title": "Habilitations"},
                    {
                        "url": reverse("www:request_detail", args=[item.pk]),
                        "title": f"Demande n° {item.pk}",
                    },
                ],
                "current": "Versions soumises",
            },
            "item": item,
            "submissions": submissions,
            "form": form,
            "before": before,
            "after": after,
            "changes": changes,
        },
    )
