from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "dlnuf.people"
    verbose_name = "Usagers : accès à leurs données"
