from django.urls import URLPattern, path

from dlnuf.www.irritants_views import views

urlpatterns: list[URLPattern] = [
    path("", views.irritants, name="irritants"),
    path("nouveau/", views.irritant_new, name="irritant_new"),
    path("<int:pk>/", views.irritant_detail_page, name="irritant_detail"),
    path("<int:pk>/modifier/", views.irritant_edit, name="irritant_edit"),
    path("<int:pk>/escalader/", views.irritant_escalate_view, name="irritant_escalate"),
    path("<int:pk>/resoudre/", views.irritant_resolve_view, name="irritant_resolve"),
    path("<int:pk>/abandonner/", views.irritant_abandon_view, name="irritant_abandon"),
    path("<int:pk>/rouvrir/", views.irritant_reopen_view, name="irritant_reopen"),
    path("<int:pk>/note/", views.irritant_note_view, name="irritant_note"),
]
