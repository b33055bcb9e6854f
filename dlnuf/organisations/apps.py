from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "dlnuf.organisations"
    verbose_name = "Organisations"
