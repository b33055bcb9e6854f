"""The portal's pages, one package per feature (``<feature>_views``)."""

from django.urls import include, path

from dlnuf.www.home_views import views as home

app_name = "www"
urlpatterns = [
    path("", home.home, name="home"),
    path("", include("dlnuf.www.site_views.urls")),
    path("", include("dlnuf.www.accounts_views.urls")),
    path("catalogue/", include("dlnuf.www.catalogue_views.urls")),
    path("demarches/", include("dlnuf.www.procedures_views.urls")),
    path("mes-donnees/", include("dlnuf.www.my_data_views.urls")),
    # The journal explained in plain words; its files (checkpoint, key, tiles) are config.urls'.
    path("journal/", include("dlnuf.www.journal_views.urls")),
    path("habilitations/", include("dlnuf.www.requests_views.urls")),
    path("solutions/", include("dlnuf.www.solutions_views.urls")),
    path("tableau-de-bord/", include("dlnuf.www.dashboard_views.urls")),
    # The guichet: asking for help (public), the experts' desk, experience sharing, irritants
    # and the guichet's reporting.
    path("accompagnement/", include("dlnuf.www.support_views.urls")),
    path("guichet/", include("dlnuf.www.desk_views.urls")),
    path("guichet/experiences/", include("dlnuf.www.experience_views.urls")),
    path("guichet/irritants/", include("dlnuf.www.irritants_views.urls")),
    path("guichet/pilotage/", include("dlnuf.www.guichet_reporting_views.urls")),
    # The experts' toolbox: one package per tool, and the pages they share.
    path("boite-a-outils/", include("dlnuf.www.toolbox_views.urls")),
    path("boite-a-outils/valeur/", include("dlnuf.www.mareva_views.urls")),
    path("boite-a-outils/chiffrage/", include("dlnuf.www.costing_views.urls")),
    path("boite-a-outils/qualite-du-code/", include("dlnuf.www.code_quality_views.urls")),
    path("boite-a-outils/accessibilite/", include("dlnuf.www.accessibility_views.urls")),
    path("boite-a-outils/technologies/", include("dlnuf.www.tech_review_views.urls")),
    # Administration: the e-mails the guichet sends.
    path("administration/courriels/", include("dlnuf.www.outbox_views.urls")),
]
