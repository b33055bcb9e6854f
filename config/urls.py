from django.urls import include, path, re_path

from dlnuf.api.v1 import api, path_not_found

urlpatterns = [
    path("api/v1/", api.urls),
    # Unknown paths under /api/ answer a problem, not the portal's page.
    re_path(r"^api/", path_not_found, name="api-path-not-found"),
    path("sandbox/", include("dlnuf.sandbox.urls")),
    # The journal as a transparency log: checkpoint, key and tiles (C2SP tlog-tiles).
    path("journal/", include("dlnuf.api.tlog_urls")),
    path("", include("dlnuf.www.urls")),
]

handler400 = "dlnuf.api.v1.bad_request"
handler404 = "dlnuf.api.v1.not_found"
handler500 = "dlnuf.api.v1.server_error"
