from django.urls import URLPattern, path

from dlnuf.www.desk_views import views

urlpatterns: list[URLPattern] = [
    path("", views.desk, name="desk"),
    path("demandes/<int:pk>/", views.desk_request, name="desk_request"),
    path("demandes/<int:pk>/<str:action>/", views.desk_request_action, name="desk_request_action"),
    path("pieces/<int:pk>/", views.desk_attachment, name="desk_attachment"),
    path("courriels/", views.desk_inbound_mail, name="desk_inbound_mail"),
    path("courriels/<int:pk>/brut/", views.desk_inbound_mail_raw, name="desk_inbound_mail_raw"),
    path("missions/", views.desk_missions, name="desk_missions"),
    path("missions/<int:pk>/", views.desk_mission, name="desk_mission"),
    path(
        "missions/<int:pk>/cadrage/<str:topic>/",
        views.desk_mission_framing,
        name="desk_mission_framing",
    ),
    path("missions/<int:pk>/<str:action>/", views.desk_mission_action, name="desk_mission_action"),
    path("experts/", views.desk_experts, name="desk_experts"),
    path("experts/<int:pk>/", views.desk_expert_update, name="desk_expert_update"),
]
