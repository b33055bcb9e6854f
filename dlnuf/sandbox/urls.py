from django.urls import URLPattern, path

from dlnuf.sandbox.views import provider

app_name = "sandbox"
urlpatterns: list[URLPattern] = [
    path("<str:family>/<path:path>", provider, name="provider"),
]
