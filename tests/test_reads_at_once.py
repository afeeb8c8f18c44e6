"""A search nobody asked before reads its facet counts and its first page at once, on two
database connections in one snapshot (institute.reads_at_once, PostgreSQL): the same answer as
one read after the other, of one moment, and an error on the other connection is the request's.

The data is committed (a transactional test): another connection cannot see a test's own
transaction, which is why the listing reads one after the other inside one."""

import threading

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institute import reads_at_once
from reforms.models import Area, Reform
from tests.factories import ReformFactory, TopicFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's snapshots"),
]

REFORMS = reverse("reforms:list")


@pytest.fixture
def tax_reforms():
    """30 published reforms a search for "tax" finds, in two areas, some with a topic, beside
    a draft it must not."""
    topic = TopicFactory(slug="fiscal", name="Fiscal policy")
    for n in range(30):
        reform = ReformFactory(
            published=True,
            slug=f"tax-{n}",
            title=f"Tax reform number {n}",
            area=Area.ECONOMY if n % 3 else Area.HUMAN_RIGHTS,
            status="adopted" if n % 2 else "announced",
        )
        if n % 4 == 0:
            reform.topics.add(topic)
    ReformFactory(draft=True, slug="tax-draft", title="Tax draft not yet reviewed")


def answer(client, params) -> tuple[tuple, list[str]]:
    """The listing's rows, count and facets for `params`, computed afresh (every cache
    emptied), and the SQL the request's own connection ran."""
    for cache in caches.all():
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(REFORMS, params)
    assert response.status_code == 200
    page = response.context["page"]
    facets = {f.name: {v.value: v.count for v in f.values} for f in response.context["facets"]}
    shown = ([r.slug for r in page.object_list], page.paginator.count, facets)
    return shown, [q["sql"] for q in queries.captured_queries]


def ranked_pages(sql: list[str]) -> int:
    """How many of the queries read a search's ranked ids of a page."""
    return sum('AS "pk"' in s and "ts_rank" in s for s in sql)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "tax"}, 30),
        ({"q": "tax", "area": Area.ECONOMY}, 20),  # n % 3 != 0
        ({"q": "tax", "topic": "fiscal"}, 8),  # n % 4 == 0
    ],
)
def test_a_new_search_reads_its_first_page_beside_its_counts(client, tax_reforms, params, expected):
    at_once, sql = answer(client, params)
    with override_settings(LISTING_READS_AT_ONCE=False):
        one_after_the_other, sql_alone = answer(client, params)
    assert at_once == one_after_the_other
    slugs, count, _facets = at_once
    assert count == expected
    assert "tax-draft" not in slugs and len(slugs) == min(count, 25)
    # The ranked page was read on the other connection, in the snapshot this one exported.
    assert ranked_pages(sql) == 0 and any("pg_export_snapshot" in s for s in sql)
    assert ranked_pages(sql_alone) == 1 and not any("pg_export_snapshot" in s for s in sql_alone)


def test_the_next_page_and_a_listing_without_a_search_read_as_before(client, tax_reforms):
    answer(client, {"q": "tax"})
    # Page 2 of the search: its counts are kept by now, its ids are read here.
    response = client.get(REFORMS, {"q": "tax", "page": "2"})
    assert [r.slug for r in response.context["page"].object_list]
    _shown, sql = answer(client, {"area": Area.ECONOMY})
    assert not any("pg_export_snapshot" in s for s in sql)


def test_both_reads_are_of_one_moment(tax_reforms):
    """A reform published by a third connection after the block began reaches neither read."""

    def publish_another():
        ReformFactory(published=True, slug="tax-late", title="Tax reform published late")
        connections.close_all()

    before = Reform.objects.published().count()
    with reads_at_once.reads_at_once() as beside:
        writer = threading.Thread(target=publish_another)
        writer.start()
        writer.join()
        here = Reform.objects.published().count()
        there = beside(lambda: Reform.objects.published().count())()
        assert here == there == before
    assert Reform.objects.published().count() == before + 1


def test_an_error_on_the_other_connection_is_raised_where_its_result_is_asked(tax_reforms):
    with reads_at_once.reads_at_once() as beside:
        failed = beside(lambda: Reform.objects.raw("SELECT no_such_column FROM reforms_reform")[0])
        assert Reform.objects.published().count() == 30
        with pytest.raises(Exception, match="no_such_column"):
            failed()


def test_when_no_other_connection_can_be_opened_the_search_reads_on_its_own(
    client, tax_reforms, no_new_connections, caplog
):
    params = {"q": "tax", "area": Area.ECONOMY}
    with override_settings(LISTING_READS_AT_ONCE=False):
        one_after_the_other, _sql = answer(client, params)
    shown, sql = answer(client, params)
    assert shown == one_after_the_other and shown[1] == 20
    # Read here, in the snapshot the block exported: slower, never an error page.
    assert ranked_pages(sql) == 1 and any("pg_export_snapshot" in s for s in sql)
    assert "A read at once is made one after the other" in caplog.text
    assert "not currently accepting connections" in caplog.text


def test_inside_a_transaction_it_is_not_possible():
    from django.db import transaction

    assert reads_at_once.possible()
    with transaction.atomic():
        assert not reads_at_once.possible()
    with override_settings(LISTING_READS_AT_ONCE=False):
        assert not reads_at_once.possible()
