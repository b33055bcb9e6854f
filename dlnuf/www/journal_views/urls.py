from django.urls import path

from dlnuf.www.journal_views import views

urlpatterns = [
    path("", views.journal, name="journal"),
]
