"""The API's documentation page: Swagger UI from drf-spectacular-sidecar's static files, started
by our own static script (the Content-Security-Policy allows no inline script)."""

from csp.constants import SELF
from csp.decorators import csp_update
from django.shortcuts import render
from django.urls import reverse


# Swagger UI draws its icons as data: images (inside its own script and stylesheet); nothing
# else is loosened, and only on this page.
@csp_update({"img-src": [SELF, "data:"]})
def docs(request):
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
