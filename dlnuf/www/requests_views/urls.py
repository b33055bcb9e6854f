from django.urls import URLPattern, path

from dlnuf.www.requests_views import views

urlpatterns: list[URLPattern] = [
    path("", views.request_list, name="requests"),
    path("nouvelle/", views.request_new, name="request_new"),
    path("<int:pk>/", views.request_detail, name="request_detail"),
    path("<int:pk>/modifier/", views.request_edit, name="request_edit"),
    path("<int:pk>/actions/<slug:action>/", views.request_transition, name="request_transition"),
    path("<int:pk>/messages/", views.request_message, name="request_message"),
    path("<int:pk>/pieces/<slug:document>/", views.request_attachment, name="request_attachment"),
]
