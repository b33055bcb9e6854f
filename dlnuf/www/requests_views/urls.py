from django.urls import URLPattern, path

from dlnuf.www.requests_views import list_views, review_views, views, visibility_views

urlpatterns: list[URLPattern] = [
    path("", list_views.request_list, name="requests"),
    path("export.csv", list_views.request_list_csv, name="requests_csv"),
    path("nouvelle/", views.request_new, name="request_new"),
    path("<int:pk>/", views.request_detail, name="request_detail"),
    path("<int:pk>/modifier/", views.request_edit, name="request_edit"),
    path("<int:pk>/actions/<slug:action>/", views.request_transition, name="request_transition"),
    path("<int:pk>/messages/", views.request_message, name="request_message"),
    path("<int:pk>/versions/", review_views.request_versions, name="request_versions"),
    path(
        "<int:pk>/affichage-usagers/",
        visibility_views.request_subject_visibility,
        name="request_subject_visibility",
    ),
    path("<int:pk>/pieces/<slug:document>/", views.request_attachment, name="request_attachment"),
]
