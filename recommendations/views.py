from django.core.paginator import Paginator
from django.shortcuts import render

from recommendations.models import Response
from recommendations.selectors import recommendation_filter_public, recommendation_get_public
from reforms.models import Reform

PAGE_SIZE = 25


def recommendation_list(request):
    filterset = recommendation_filter_public(params=request.GET)
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "recommendations/recommendation_list.html",
        {"filter": filterset, "page": page, "recommendations": page.object_list},
    )


def recommendation_detail(request, slug):
    recommendation = recommendation_get_public(slug=slug)
    responses = (
        Response.objects.filter(
            recommendation=recommendation, reform__in=Reform.objects.published()
        )
        .select_related("reform")
        .order_by("reform__first_date", "reform__title")
    )
    return render(
        request,
        "recommendations/recommendation_detail.html",
        {"recommendation": recommendation, "responses": responses},
    )
