from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "dlnuf.support"
    verbose_name = "Guichet : accompagnement"
