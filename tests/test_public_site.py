"""The public listings over the demo content: every filter, sort, page and bad value, in HTTP."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institute.listings.search import is_postgres
from recommendations.models import Recommendation
from reforms.filters import in_areas
from reforms.models import Reform, ReformStatus, Response
from tests.support import (
    RECOMMENDATION_DETAIL_QUERIES,
    RECOMMENDATION_LISTING_QUERIES,
    REFORM_DETAIL_QUERIES,
    REFORM_LISTING_QUERIES,
    REFORM_SEARCH_QUERIES,
)


@pytest.fixture
def reforms_page(client, demo_module, db):
    def get(**params):
        response = client.get(reverse("reforms:list"), params)
        assert response.status_code == 200
        return response

    return get


def slugs(response, name="reforms"):
    return [entry.slug for entry in response.context["page"].paginator.object_list]


def published():
    return Reform.objects.published()


@pytest.mark.parametrize(
    ("param", "value", "lookup"),
    [
        ("area", "human-rights", {"area": "human-rights"}),
        ("area", "justice-anti-corruption", {"area": "justice-anti-corruption"}),
        ("status", "reversed", {"status": "reversed"}),
        ("status", "announced", {"status": "announced"}),
        ("initiated_by", "president", {"initiated_by": "president"}),
        ("topic", "agriculture", {"topics__slug": "agriculture"}),
    ],
)
def test_each_filter_narrows_to_exactly_the_matching_reforms(reforms_page, param, value, lookup):
    expected = set(published().filter(**lookup).values_list("slug", flat=True))
    if param == "area":  # filed under it as a secondary area too
        expected |= set(
            published().filter(secondary_areas__area=value).values_list("slug", flat=True)
        )
    assert expected, "the demo content should have some"
    response = reforms_page(**{param: value})
    assert set(slugs(response)) == expected
    assert response.context["page"].paginator.count == len(expected)


def test_values_within_a_filter_are_alternatives(reforms_page):
    both = reforms_page(area=["economy", "human-rights"])
    # Filed under one of them as its own area or a secondary one.
    expected = published().filter(in_areas(["economy", "human-rights"])).count()
    assert expected > published().filter(area__in=["economy", "human-rights"]).count()
    assert both.context["page"].paginator.count == expected


def test_filters_combine(reforms_page):
    response = reforms_page(area="economy", status="adopted", year_from="2019")
    expected = set(
        published()
        .filter(area="economy", status="adopted", first_date__gte="2019")
        .values_list("slug", flat=True)
    )
    assert set(slugs(response)) == expected


def test_year_range_uses_the_earliest_date(reforms_page):
    response = reforms_page(year_from="2019", year_to="2019")
    reforms = Reform.objects.filter(slug__in=slugs(response))
    assert reforms.exists()
    assert all(r.first_date.startswith("2019") for r in reforms)
    everything_2019 = published().filter(first_date__startswith="2019").count()
    assert response.context["page"].paginator.count == everything_2019


def test_has_response_splits_the_reforms(reforms_page):
    yes = set(slugs(reforms_page(has_response="true")))
    no = set(slugs(reforms_page(has_response="false")))
    answering = set(Response.objects.values_list("reform__slug", flat=True))
    assert yes == answering
    assert not yes & no
    assert yes | no == set(published().values_list("slug", flat=True))


def test_search_finds_a_phrase_in_title_summary_or_citations(reforms_page):
    response = reforms_page(q="peaceful assemblies")
    assert "peaceful-assemblies-notification-instead-of-permission" in slugs(response)
    assert response.context["page"].paginator.count < 5
    assert "<mark>" in response.content.decode()


def test_search_reaches_citation_text(reforms_page):
    """A word found only in what reforms cite (a published source's title or a citation's quote),
    never in any reform's own title, summary or body: the search finds exactly the reforms that
    cite it."""

    def tokens(*texts):
        return {w for text in texts for w in re.findall(r"[a-z]{6,}", (text or "").lower())}

    reforms = list(published().prefetch_related("citations__source"))
    own = set()
    for reform in reforms:
        own |= tokens(reform.title, reform.summary, reform.body)
    stems = {w[:5] for w in own}
    cited_by = {}
    for reform in reforms:
        for citation in reform.citations.all():
            if citation.source.review_state != "published":
                continue
            for word in tokens(citation.source.title, citation.quote):
                # Nor a word of the same stem (PostgreSQL matches "regulation" to "regulated").
                if word[:5] not in stems:
                    cited_by.setdefault(word, set()).add(reform.slug)
    assert cited_by, "the demo content cites no word that its reforms do not use themselves"
    word, expected = min(cited_by.items(), key=lambda item: (-len(item[1]), item[0]))
    assert set(slugs(reforms_page(q=word))) == expected


@pytest.mark.parametrize("query", ["Business Roadmap", "jury trials", "tenge"])
def test_search_gives_the_same_results_on_both_databases_for_simple_queries(reforms_page, query):
    response = reforms_page(q=query)
    words = query.lower().split()
    expected = {
        r.slug
        for r in published().prefetch_related("citations__source")
        if all(
            any(
                w in text.lower()
                for text in [r.title, r.summary, r.body]
                + [c.quote + " " + c.locator + " " + c.source.title for c in r.citations.all()]
            )
            for w in words
        )
    }
    assert set(slugs(response)) == expected


def test_search_ranks_title_matches_first(reforms_page):
    response = reforms_page(q="Business Roadmap")
    first = response.context["reforms"][0]
    assert "Business Roadmap" in first.title


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("newest", lambda r: (r.first_date,)),
        ("oldest", lambda r: (r.first_date,)),
        ("title", lambda r: (r.title,)),
    ],
)
def test_sorting(reforms_page, sort, key):
    rows = list(reforms_page(sort=sort).context["page"].paginator.object_list)
    if sort != "title":  # undated reforms come last in either date order
        undated = [r for r in rows if not r.first_date]
        assert undated and rows[-len(undated) :] == undated
        rows = rows[: -len(undated)]
    values = [key(r) for r in rows]
    assert values == sorted(values, reverse=(sort == "newest"))


def test_sorting_by_status_follows_the_vocabulary(reforms_page):
    rows = reforms_page(sort="status").context["page"].paginator.object_list
    order = [ReformStatus.values.index(r.status) for r in rows]
    assert order == sorted(order)


def test_pagination_pages_through_everything_once(reforms_page):
    first, second = reforms_page(), reforms_page(page="2")
    assert len(first.context["reforms"]) == 25
    assert not {r.pk for r in first.context["reforms"]} & {r.pk for r in second.context["reforms"]}
    total = first.context["page"].paginator.count
    pages = first.context["page"].paginator.num_pages
    seen = set()
    for n in range(1, pages + 1):
        seen |= {r.pk for r in reforms_page(page=str(n)).context["reforms"]}
    assert len(seen) == total == published().count()


def test_pagination_keeps_the_filters_in_its_links(reforms_page):
    html = reforms_page(area="economy").content.decode()
    assert "area=economy&amp;page=2" in html


@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ({"year_from": "abc"}, "from year"),
        ({"area": "astrology"}, "area"),
        ({"topic": "no-such-topic"}, "topic"),
        ({"status": "finished", "area": "economy"}, "status"),
        ({"sort": "sideways"}, "sort"),
        ({"has_response": "maybe"}, "linked to a recommendation"),
        ({"page": "999999"}, "page"),
        ({"page": "abc"}, "page"),
        # Python's isdigit() takes a superscript, which int() refuses (was a 500).
        ({"page": "²"}, "page"),
        ({"q": "tax", "page": "²"}, "page"),
        ({"year_to": "99999999999999999999"}, "to year"),
    ],
)
def test_bad_values_are_reported_and_ignored_never_a_500(reforms_page, params, ignored):
    response = reforms_page(**params)
    problems = " ".join(response.context["problems"]).lower()
    assert f"ignored {ignored}" in problems
    assert response.context["page"].paginator.count > 0
    assert "could not be used" in response.content.decode()


def test_facet_counts_say_what_each_choice_would_give(reforms_page):
    response = reforms_page(area="human-rights")
    facets = {f.name: f for f in response.context["facets"]}
    areas = {v.value: v.count for v in facets["area"].values}
    # A facet ignores its own filter, so other areas show what switching would give.
    assert areas["economy"] == published().filter(in_areas(["economy"])).count()
    statuses = {v.value: v.count for v in facets["status"].values}
    for status, count in statuses.items():
        assert count == published().filter(in_areas(["human-rights"]), status=status).count()


def test_chips_remove_one_filter_each(reforms_page):
    response = reforms_page(area=["economy", "human-rights"], status="adopted")
    chips = {c.label: c.remove_url for c in response.context["chips"]}
    assert chips["Area: Economy"] == "?area=human-rights&status=adopted"
    assert chips["Status: Adopted (not yet shown working)"] == "?area=economy&area=human-rights"


def test_empty_state_says_which_filter_to_loosen(reforms_page):
    response = reforms_page(area="economy", q="peaceful assemblies")
    html = response.content.decode()
    assert response.context["page"].paginator.count == 0
    assert "No published reform matches" in html
    assert "remove Area: Economy" in html


def test_listing_query_count_is_constant(client, demo_module, db, django_assert_num_queries):
    for params in ({}, {"area": "economy", "status": "adopted", "topic": "agriculture"}):
        with django_assert_num_queries(REFORM_LISTING_QUERIES):
            client.get(reverse("reforms:list"), params)
    # Another page of a filter state already counted: only that page's ids are new.
    with django_assert_num_queries(REFORM_LISTING_QUERIES - 7):
        client.get(reverse("reforms:list"), {"page": "3"})
    with django_assert_num_queries(REFORM_SEARCH_QUERIES):
        client.get(reverse("reforms:list"), {"q": "police", "year_from": "2015", "sort": "title"})
    with django_assert_num_queries(RECOMMENDATION_LISTING_QUERIES):
        client.get(reverse("recommendations:list"))
    with django_assert_num_queries(RECOMMENDATION_LISTING_QUERIES):
        client.get(
            reverse("recommendations:list"), {"audience": "government", "theme": "rule-of-law"}
        )


def test_detail_query_counts_are_constant(client, demo_module, db, django_assert_num_queries):
    for reform in published().order_by("?")[:3]:
        with django_assert_num_queries(REFORM_DETAIL_QUERIES):
            client.get(reform.get_absolute_url())
    answered = Recommendation.objects.published().filter(responses__isnull=False).distinct()
    for rec in answered.order_by("?")[:3]:
        with django_assert_num_queries(RECOMMENDATION_DETAIL_QUERIES):
            client.get(rec.get_absolute_url())


def test_reform_detail_has_evidence_answers_related_and_citation(client, demo_module, db):
    reform = Reform.objects.get(slug="peaceful-assemblies-notification-instead-of-permission")
    html = client.get(reform.get_absolute_url()).content.decode()
    assert str(reform.status_explanation) in html
    for _label, _value, words in reform.dates:
        assert words in html
    assert "Political and Economic Reforms in Kazakhstan under President Tokayev" in html
    assert "Recommendations it answers" in html
    assert "Cite this entry" in html
    assert f"http://testserver{reform.get_absolute_url()}" in html


def test_reform_detail_shows_related_reforms_of_its_topics(client, demo_module, db):
    reform = published().get(slug="business-roadmap-2025")
    response = client.get(reform.get_absolute_url())
    related = list(response.context["related"])
    assert related
    shared = {t.pk for t in reform.topics.all()}
    assert all(shared & {t.pk for t in other.topics.all()} for other in related)
    assert reform not in related
    assert "Related reforms" in response.content.decode()


def test_recommendation_filters(client, demo_module, db):
    response = client.get(reverse("recommendations:list"), {"audience": "western"})
    assert response.context["page"].paginator.count == 4
    response = client.get(reverse("recommendations:list"), {"implementation": "partly-implemented"})
    expected = Recommendation.objects.filter(implementation="partly-implemented").count()
    assert response.context["page"].paginator.count == expected
    response = client.get(reverse("recommendations:list"), {"report": "chatham-house-2019"})
    assert response.context["page"].paginator.count == 18
    response = client.get(reverse("recommendations:list"), {"sort": "implementation"})
    impl = [r.implementation for r in response.context["recommendations"]]
    assert impl.index("partly-implemented") < impl.index("not-assessed")


def test_tracker_scores_every_recommendation(client, demo_module, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("recommendations:tracker"))
    groups = {g["audience"]: g for g in response.context["groups"]}
    assert len(groups["western"]["recommendations"]) == 4
    assert len(groups["government"]["recommendations"]) == 14
    assert sum(n for _, _, n in groups["government"]["tally"]) == 14


def test_feed_lists_published_reforms(client, demo_module, db):
    response = client.get(reverse("reforms:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    assert response.content.decode().count("<entry>") == min(50, published().count())


def test_search_runs_on_the_database_it_says(reforms_page):
    """PostgreSQL searches the stored tsvector with a tsquery; SQLite, with no full text index
    here, matches words with LIKE. The page's own SQL shows which engine answered."""
    with CaptureQueriesContext(connection) as queries:
        reforms_page(q="tenge")
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    if is_postgres():
        assert "@@" in sql and "search_vector" in sql
    else:
        assert "LIKE" in sql.upper() and "@@" not in sql
