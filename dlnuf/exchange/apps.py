from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "dlnuf.exchange"
