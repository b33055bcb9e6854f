from django.db import transaction

from dlnuf.organisations.models import Organisation
from dlnuf.organisations.validators import validate_siret


@transaction.atomic
def organisation_get_or_create(*, siret: str, name: str = "") -> Organisation:
    """Return the organisation with this SIRET, creating it when unknown."""
    validate_siret(siret)
    organisation, created = Organisation.objects.get_or_create(siret=siret, defaults={"name": name})
    if not created and name and not organisation.name:
        organisation.name = name
        organisation.save(update_fields=["name"])
    return organisation
