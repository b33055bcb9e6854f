"""Dates that reports keep as ISO text in their JSON results, made dates again for display."""

from datetime import date, datetime
from typing import Any

from django import template

register = template.Library()


@register.filter
def date_iso(value: Any) -> date | str:
    """``"2026-12-04"`` (or an ISO timestamp) as a date, for ``|date:"j F Y"``; anything that is
    not an ISO date stays as it is, so a damaged report still shows what it holds."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return value if isinstance(value, str) else ""
    try:
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)
    except ValueError:
        return value
