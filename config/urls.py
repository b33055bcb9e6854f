from django.urls import include, path
from django.views.generic import RedirectView

from dlnuf.api.v1 import api

urlpatterns = [
    # Until the portal exists, the front door is the API's documentation.
    path("", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("api/v1/", api.urls),
    path("sandbox/", include("dlnuf.sandbox.urls")),
]
