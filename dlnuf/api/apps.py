from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "dlnuf.api"
