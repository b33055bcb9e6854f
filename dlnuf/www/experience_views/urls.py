from django.urls import URLPattern, path

from dlnuf.www.experience_views import views

urlpatterns: list[URLPattern] = [
    path("", views.experience_list, name="experience_list"),
    path("demandes/<int:pk>/", views.experience_similar, name="experience_similar"),
    path(
        "mise-en-relation/<str:token>/",
        views.introduction_consent,
        name="introduction_consent",
    ),
]
