"""/about/: what the tracker covers and how it is made (the methodology), with its figures read
from the published content and its rating scales from the vocabularies themselves, so the page
stays true when either changes."""

from django.conf import settings
from django.db.models import Max, Min
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from institute.sources.models import Source
from recommendations.models import IMPLEMENTATION_EXPLANATIONS, Implementation, Recommendation
from reforms.models import STATUS_EXPLANATIONS, Reform, ReformStatus

LICENCE_NAME = gettext_lazy("Creative Commons Attribution 4.0 International (CC BY 4.0)")
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"


def about(request):
    reforms = Reform.objects.published()
    span = reforms.exclude(first_date="").aggregate(first=Min("first_date"), last=Max("first_date"))
    return render(
        request,
        "institute/about.html",
        {
            "reform_count": reforms.count(),
            "recommendation_count": Recommendation.objects.published().count(),
            "source_count": Source.objects.published().count(),
            "first_year": (span["first"] or "")[:4],
            "last_year": (span["last"] or "")[:4],
            "statuses": [
                (value, label, STATUS_EXPLANATIONS[value]) for value, label in ReformStatus.choices
            ],
            "implementations": [
                (value, label, IMPLEMENTATION_EXPLANATIONS[value])
                for value, label in Implementation.choices
            ],
            "adopted_label": ReformStatus.ADOPTED.label,
            "corrections_email": settings.CORRECTIONS_EMAIL,
            "licence_name": LICENCE_NAME,
            "licence_url": LICENCE_URL,
        },
    )
