"""An address whose path holds a NUL character (`%00`) names nothing here: it is answered 400
before any view reads it.

Every part of a path a view looks up (a slug, a release's label or file name, an alert's token,
an API record's key) goes to the database, and PostgreSQL refuses a NUL in text (a DataError:
a 500, on `/data/releases/%00/`, `/api/v1/reforms/%00/` or `/alerts/unsubscribe/%00/`). No
slug, label, name or token holds one, so no view needs to see it. The query string is each
view's to check (its forms refuse a NUL; the admin, `admin_site.refuse_malformed_parameters`).
"""

from __future__ import annotations

from django.http import HttpResponseBadRequest


class NulInAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return HttpResponseBadRequest(
                "The address contains a NUL character (%00): no page here has one.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
