from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "dlnuf.www"
    verbose_name = "Portail"
