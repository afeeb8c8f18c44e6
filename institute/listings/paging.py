"""The paging and context every public listing shares.

A page costs its own rows only: the number of rows and the facet counts come from the filter
state's summary and the page's ids from the cache, both kept until a public table changes
(institute.listings.generation), so a listing of a million rows is not counted on every request.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Page, Paginator
from django.utils.translation import ngettext

from institute.listings.filters import FacetedFilterSet
from institute.listings.search import language_notice

PAGE_SIZE = 25


class ListingPaginator(Paginator):
    """Pages of a filter state whose row count is already known; a page reads its ids (cached
    per filter state, order and page) and then those rows only."""

    def __init__(self, filterset: FacetedFilterSet, per_page: int, *, count: int):
        super().__init__(filterset.qs, per_page)
        self.filterset = filterset
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        rows = self.filterset.page_rows(number, bottom, top) if top > bottom else []
        return self._get_page(rows, number, self)


def page_window(number: int, num_pages: int, *, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows, None where an ellipsis stands for the ones it skips:
    the first, the last, and `around` either side of the current one
    (1 … 4 5 [6] 7 8 … 20). A gap of one page shows that page: "…" would be no shorter."""
    wanted = {1, num_pages, *range(number - around, number + around + 1)}
    pages = sorted(p for p in wanted if 1 <= p <= num_pages)
    out: list[int | None] = []
    for p in pages:
        last = next((n for n in reversed(out) if n is not None), None)
        if last is not None and p - last == 2:
            out.append(last + 1)
        elif last is not None and p - last > 2:
            out.append(None)
        out.append(p)
    return out


def listing_context(request, filterset: FacetedFilterSet, *, name: str) -> dict:
    """Page the filtered rows and gather facets, chips and problems for the template."""
    problems = filterset.problems()
    requested = request.GET.get("page", "1")
    # ASCII digits only: str.isdigit() takes "²" too, which int() refuses.
    number = int(requested) if requested.isascii() and requested.isdigit() else 1
    counts, total = filterset.summary(page=number, per_page=PAGE_SIZE)
    page: Page = ListingPaginator(filterset, PAGE_SIZE, count=total).get_page(requested)
    if requested not in ("", "1", str(page.number)):
        pages = page.paginator.num_pages
        # The English says "page(s)" in both forms, as it always has; a translation may agree.
        problems.append(
            ngettext(
                "Ignored page “%(asked)s”: there are %(count)s page(s); showing page %(shown)s.",
                "Ignored page “%(asked)s”: there are %(count)s page(s); showing page %(shown)s.",
                pages,
            )
            % {"asked": requested[:20], "count": pages, "shown": page.number}
        )
    # Only a search that found nothing is offered another spelling: a costlier query, kept per
    # content generation, and no answer to second-guess.
    suggestion = filterset.suggestion() if total == 0 else ""
    return {
        "suggestion": suggestion,
        "suggestion_url": filterset.url_with(q=[suggestion]) if suggestion else "",
        "filter": filterset,
        "page": page,
        name: page.object_list,
        "facets": filterset.facet_list(counts),
        "chips": filterset.chips(),
        # The same parameters, without the page: what the download links carry.
        "export_query": filterset.url_with(),
        "problems": problems,
        "query": filterset.cleaned().get("q") or "",
        "search_notice": language_notice(filterset.cleaned().get("q") or ""),
        "sort_key": filterset.form.cleaned_data.get("sort") if filterset.is_valid() else "",
    }
