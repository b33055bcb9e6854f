from django.apps import AppConfig


class ToolboxConfig(AppConfig):
    name = "dlnuf.toolbox"
    verbose_name = "Boîte à outils des experts"
