from django.apps import AppConfig


class HabilitationsConfig(AppConfig):
    name = "dlnuf.habilitations"
