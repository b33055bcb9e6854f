"""URLs of a gateway node (config.settings_gateway): version 1 of the API and the journal's
transparency log, as the whole product serves them, and a problem for every other path, the
portal's included."""

from django.urls import include, path, re_path

from dlnuf.api.v1 import api, path_not_found

urlpatterns = [
    path("api/v1/", api.urls),
    path("journal/", include("dlnuf.api.tlog_urls")),
    re_path(r"", path_not_found, name="path-not-found"),
]

handler400 = "dlnuf.api.v1.bad_request"
handler404 = "dlnuf.api.v1.not_found"
handler500 = "dlnuf.api.v1.server_error"
