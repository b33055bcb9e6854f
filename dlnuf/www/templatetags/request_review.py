"""Beside each field or block of a request: the instructors' comments waiting for an answer,
the « modifié » mark after a resubmission, and, for an instructor, the box to comment on it.

Used by the request's page and by its edit form; on the edit form the comments are looked up
once per page from the request in the context."""

from typing import Any

from django import template

from dlnuf.habilitations.revisions import (
    FORM_FIELD_TARGETS,
    SECTIONS,
    Section,
    section_target,
)
from dlnuf.www.requests_views.review_views import field_reviews

register = template.Library()


def _reviews(context: template.Context) -> dict[str, Any]:
    if "field_reviews" in context:
        return dict(context["field_reviews"])
    cache = context.render_context
    if "field_reviews" not in cache:
        item = context.get("item")
        cache["field_reviews"] = field_reviews(item) if item is not None else {}
    return dict(cache["field_reviews"])


def _review_of(context: template.Context, target: str) -> dict[str, Any]:
    form = context.get("decision_form")
    return {
        "target": target,
        "review": _reviews(context).get(target),
        "note": form.note(target) if form is not None else None,
        "since_review": context.get("since_review"),
    }


@register.inclusion_tag("www/requests/_field_review.html", takes_context=True)
def field_review(context: template.Context, name: str) -> dict[str, Any]:
    """``name`` is a request field, or an edit form's field (its upload inputs included)."""
    return _review_of(context, FORM_FIELD_TARGETS.get(name, name))


def _section(key_or_field: str) -> Section | None:
    name = FORM_FIELD_TARGETS.get(key_or_field, key_or_field)
    for section in SECTIONS:
        if name == section.key or name in section.fields:
            return section
    return None


@register.inclusion_tag("www/requests/_field_review.html", takes_context=True)
def section_review(context: template.Context, key_or_field: str) -> dict[str, Any]:
    """A block, named by its key or by any of its fields (the edit form knows only those)."""
    section = _section(key_or_field)
    if section is None:
        return {"review": None, "note": None}
    return {**_review_of(context, section_target(section)), "is_section": True}
