"""The API's documentation page: Swagger UI from drf-spectacular-sidecar's static files, started
by our own static script (the Content-Security-Policy allows no inline script)."""

from django.shortcuts import render
from django.urls import reverse


def docs(request):
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
