from django.urls import URLPattern, path

from dlnuf.www.solutions_views import views

urlpatterns: list[URLPattern] = [
    path("", views.solution_list, name="solutions"),
    path("habilitees/", views.solution_catalogue, name="solution_catalogue"),
    path("nouvelle/", views.solution_new, name="solution_new"),
    path("<int:pk>/", views.solution_detail, name="solution_detail"),
    path("<int:pk>/modifier/", views.solution_edit, name="solution_edit"),
    path("<int:pk>/adherer/", views.solution_join_page, name="solution_join"),
    path("adhesions/<int:pk>/", views.adhesion_detail, name="adhesion_detail"),
    path("adhesions/<int:pk>/decision/", views.adhesion_decide, name="adhesion_decide"),
]
