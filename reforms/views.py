from django.core.paginator import Paginator
from django.shortcuts import render

from recommendations.models import Recommendation, Response
from reforms.selectors import reform_filter_public, reform_get_public

PAGE_SIZE = 25


def reform_list(request):
    filterset = reform_filter_public(params=request.GET)
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reforms/reform_list.html",
        {"filter": filterset, "page": page, "reforms": page.object_list},
    )


def reform_detail(request, slug):
    reform = reform_get_public(slug=slug)
    responses = (
        Response.objects.filter(
            reform=reform, recommendation__in=Recommendation.objects.published()
        )
        .select_related("recommendation")
        .order_by("recommendation__position")
    )
    return render(
        request,
        "reforms/reform_detail.html",
        {"reform": reform, "responses": responses},
    )
