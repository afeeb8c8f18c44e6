import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from institute.insights.definitions import Filters
from institute.insights.views import chart_context
from recommendations.models import Audience
from reforms.models import Area

logger = logging.getLogger(__name__)


def home(request):
    """What the tracker is, with counts of what the public can read."""
    # The listings' own counts (cached until a public table changes): a reform filed under two
    # areas counts in both, as the area filter finds it.
    filters = Filters({})
    reform_counts, reform_total = filters.reforms.summary()
    recommendation_counts, recommendation_total = filters.recommendations.summary()
    per_area, per_audience = reform_counts["area"], recommendation_counts["audience"]
    return render(
        request,
        "institute/home.html",
        {
            "areas": [(value, label, per_area.get(value, 0)) for value, label in Area.choices],
            "audiences": [
                (value, label, per_audience.get(value, 0)) for value, label in Audience.choices
            ],
            "reform_total": reform_total,
            # A reform filed under two areas counts in both: say so when the cards add up to more.
            "areas_overlap": sum(per_area.values()) > reform_total,
            "recommendation_total": recommendation_total,
            # The home page has no filters: the charts of everything published, drawn small.
            "charts": chart_context(filters, compact=True, prefix="home", request=request),
        },
    )


@never_cache
def healthz(request):
    """200 when the database answers, 503 when it does not: for load balancers and uptime checks.

    Anyone may ask, so the answer is a bare status: the error (host, port, database name) goes
    to the server's log only."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page's <link rel="icon"> says: send them to the
    icon itself (its hashed name in production), rather than a 404 on every first visit."""
    return redirect(static("favicon.svg"), permanent=True)
