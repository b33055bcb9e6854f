from django.urls import URLPattern, path

from dlnuf.www.outbox_views import views

urlpatterns: list[URLPattern] = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/renvoyer/", views.outbox_resend, name="outbox_resend"),
]
