"""Numbered pagination: first, previous, the pages around the current one with ellipses, next and
last, in a labelled nav that marks the current page."""

import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from institute.listings.paging import PAGE_SIZE, page_window
from reforms.models import Area, Reform
from reforms.selectors import reform_filter_public
from tests.factories import ReformFactory
from tests.plans import plan_of, postgresql_only


@pytest.mark.parametrize(
    ("number", "pages", "window"),
    [
        (1, 1, [1]),
        (1, 5, [1, 2, 3, 4, 5]),
        (6, 20, [1, None, 4, 5, 6, 7, 8, None, 20]),
        (1, 20, [1, 2, 3, None, 20]),
        (20, 20, [1, None, 18, 19, 20]),
        (5, 20, [1, 2, 3, 4, 5, 6, 7, None, 20]),  # "…" never stands for a single page
    ],
)
def test_page_window(number, pages, window):
    assert page_window(number, pages) == window


@pytest.fixture
def many_reforms(db):
    # 11 pages of 25 (the last one of 10).
    Reform.objects.bulk_create(
        [
            ReformFactory.build(
                slug=f"paged-{n:03d}", title=f"Paged reform {n:03d}", published=True
            )
            for n in range(260)
        ]
    )


def nav(html: str) -> str:
    return re.search(r'<nav class="pagination" aria-label="Pages">.*?</nav>', html, re.S).group(0)


def labels(html: str) -> list[str]:
    return re.findall(r">([^<>]+)</(?:a|li)>", nav(html))


def test_pager_in_the_middle_shows_first_previous_numbers_gaps_next_last(client, many_reforms):
    html = client.get(reverse("reforms:list"), {"area": Area.ECONOMY, "page": "6"}).content
    html = html.decode()
    assert labels(html) == [
        "« First",
        "‹ Previous",
        "1",
        "…",
        "4",
        "5",
        "6",
        "7",
        "8",
        "…",
        "11",
        "Next ›",
        "Last »",
    ]
    pager = nav(html)
    assert pager.count('aria-current="page"') == 1
    assert 'href="/reforms/?area=economy&amp;page=6" aria-current="page"' in pager
    assert 'href="/reforms/?area=economy&amp;page=1" aria-label="First page"' in pager
    assert 'rel="prev" href="/reforms/?area=economy&amp;page=5"' in pager
    assert 'rel="next" href="/reforms/?area=economy&amp;page=7"' in pager
    assert 'href="/reforms/?area=economy&amp;page=11" aria-label="Last page"' in pager
    assert "Page 6 of 11" in pager


def test_first_and_last_pages_leave_out_what_goes_nowhere(client, many_reforms):
    first = labels(client.get(reverse("reforms:list")).content.decode())
    assert first == ["1", "2", "3", "…", "11", "Next ›", "Last »"]
    last = labels(client.get(reverse("reforms:list"), {"page": "11"}).content.decode())
    assert last == ["« First", "‹ Previous", "1", "…", "9", "10", "11"]


def test_numbered_links_lead_to_their_pages(client, many_reforms):
    html = client.get(reverse("reforms:list"), {"sort": "title", "page": "4"}).content.decode()
    href = re.search(r'href="([^"]+)" aria-label="Page 5"', nav(html)).group(1)
    page5 = client.get(href.replace("&amp;", "&"))
    assert page5.context["page"].number == 5
    assert page5.context["reforms"][0].title == "Paged reform 100"


def test_one_page_has_no_pager(client, db):
    ReformFactory(published=True)
    assert b'class="pagination"' not in client.get(reverse("reforms:list")).content


@postgresql_only
@pytest.mark.django_db(transaction=True)  # VACUUM, which a transaction cannot hold
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("newest", "reform_public_newest"),
        ("oldest", "reform_public_oldest"),
        ("title", "reform_public_title"),
        ("status", "reform_public_status"),
    ],
)
def test_a_deep_pages_ids_are_read_from_its_orders_index_alone(client, sort, index):
    """A page's ids are read first, every row before the page skipped (`OFFSET`). Each order's
    index holds the id (reforms/0028), so the rows skipped are never read from the table:
    without it, page 20,000 of a million reforms read 500,000 rows to show 25. Asked of the
    page's own query, with the plans that would read rows out of the index's order (a scan of
    the table, a bitmap, a sort) turned off, as a few hundred rows would make them cheapest."""
    Reform.objects.bulk_create(
        [
            ReformFactory.build(slug=f"deep-{n:03d}", title=f"Deep reform {n:03d}", published=True)
            for n in range(260)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE reforms_reform"
        )  # the pages all-visible, as vacuum leaves them
    bottom = 6 * PAGE_SIZE
    ids = reform_filter_public(params=QueryDict(f"sort={sort}")).qs.values_list("pk", flat=True)
    plan = plan_of(ids[bottom : bottom + PAGE_SIZE], off=("seqscan", "bitmapscan", "sort"))
    assert f"Index Only Scan using {index} on reforms_reform" in plan, plan
    # And the page is those rows, in that order, as shown.
    shown = client.get(reverse("reforms:list"), {"sort": sort, "page": "7"}).context["reforms"]
    assert [r.pk for r in shown] == list(ids[bottom : bottom + PAGE_SIZE])
