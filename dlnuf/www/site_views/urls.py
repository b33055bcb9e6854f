from django.urls import path

from dlnuf.www.site_views import views

urlpatterns = [
    path("plan-du-site/", views.sitemap, name="footer-sitemap"),
    path("accessibilite/", views.accessibility_status, name="footer-accessibility-status"),
    path("mentions-legales/", views.legal_notice, name="footer-legal-notice"),
    path("donnees-personnelles/", views.personal_data, name="footer-personal-data"),
]
