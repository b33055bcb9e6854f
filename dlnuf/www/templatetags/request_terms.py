"""What the instructor reads about a request's use-case template and accepted terms of use."""

from typing import Any

from django import template

from dlnuf.catalogue.selectors import current_terms
from dlnuf.habilitations.models import AuthorizationRequest
from dlnuf.habilitations.use_cases import use_case_changes

register = template.Library()


@register.inclusion_tag("www/requests/_template_and_terms.html")
def use_case_and_terms(item: AuthorizationRequest) -> dict[str, Any]:
    terms = current_terms(item.dataset)
    return {
        "item": item,
        "use_case_changes": use_case_changes(item),
        "current_terms": terms,
        "accepted_current": terms is not None and item.terms_version_id == terms.pk,
    }
