from django.urls import include, path

from dlnuf.api.v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("sandbox/", include("dlnuf.sandbox.urls")),
    path("", include("dlnuf.www.urls")),
]
