"""The listings' cost and their cache: fixed query counts, facet counts that equal a plain
recount, and no stale count or row after anything is published, archived or edited."""

import itertools

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from reforms.models import Area, Initiator, Reform, ReformStatus, Response, SecondaryArea
from tests.factories import (
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
    TopicFactory,
    entry_in_state,
)
from tests.support import (
    RECOMMENDATION_LISTING_QUERIES,
    RECOMMENDATION_LISTING_QUERIES_WARM,
    REFORM_LISTING_QUERIES,
    REFORM_LISTING_QUERIES_WARM,
    REFORM_SEARCH_QUERIES,
    REFORM_SEARCH_QUERIES_WARM,
)

pytestmark = pytest.mark.django_db

REFORMS = reverse("reforms:list")


@pytest.fixture
def varied():
    """Published reforms over every area, status and initiator, 0–3 topics each, some
    answering a published recommendation and some only a draft one; drafts and archived
    entries beside them, which no count may include."""
    topics = [TopicFactory(slug=f"t{i}", name=f"Topic {i}") for i in range(4)]
    published_rec = RecommendationFactory(published=True)
    draft_rec = RecommendationFactory(draft=True)
    areas, statuses, initiators = Area.values, ReformStatus.values, ["", *Initiator.values]
    for i in range(40):
        reform = ReformFactory(
            published=True,
            title=f"Reform {i:02d} {'police' if i % 3 == 0 else 'budget'} court",
            area=areas[i % len(areas)],
            status=statuses[i % len(statuses)],
            initiated_by=initiators[i % len(initiators)],
            adopted_on=f"{2010 + i % 12}-0{1 + i % 9}",
            topics=topics[: i % 4] if i % 2 else topics[i % 4 :][:2],
        )
        if i % 5 == 0:
            ResponseFactory(reform=reform, recommendation=published_rec)
        elif i % 7 == 0:
            ResponseFactory(reform=reform, recommendation=draft_rec)
        if i % 8 == 1:
            # Police reforms filed under human rights, also found under judicial reform.
            SecondaryArea.objects.create(reform=reform, area=Area.JUSTICE_ANTI_CORRUPTION)
    for i in range(3):
        # The source gives no date: counted under "No date", sorted last.
        ReformFactory(
            published=True,
            title=f"Undated measure {i}",
            area=areas[i],
            status=statuses[i],
            adopted_on="",
            topics=topics[i : i + 1],
        )
    draft = ReformFactory(draft=True, area=Area.ECONOMY, topics=topics[:2], title="Draft police")
    SecondaryArea.objects.create(reform=draft, area=Area.JUSTICE_ANTI_CORRUPTION)
    ReformFactory(archived=True, area=Area.ECONOMY, published_at=None, title="Old police")
    return topics


def answers(reform) -> bool:
    return Response.objects.filter(
        reform=reform, recommendation__review_state=ReviewState.PUBLISHED
    ).exists()


def recount(params: dict) -> tuple[dict, int, list[str]]:
    """The facets, the row count and the first page's titles, counted the plain way: every
    published reform read into Python and each filter applied as the URL says."""
    rows = []
    for reform in Reform.objects.filter(review_state=ReviewState.PUBLISHED):
        rows.append(
            {
                "reform": reform,
                "area": {reform.area, *(s.area for s in reform.secondary_areas.all())},
                "status": {reform.status},
                "initiated_by": {reform.initiated_by} - {""},
                "acted_by": {reform.acted_by},
                "topic": {t.slug for t in reform.topics.all()},
                "has_response": {"true" if answers(reform) else "false"},
                "undated": {"false" if reform.first_date else "true"},
            }
        )
    chosen = {
        k: set(v if isinstance(v, list) else [v])
        for k, v in params.items()
        if k not in ("q", "sort")
    }
    q_words = params.get("q", "").split()

    def keeps(row, but=None) -> bool:
        text = f"{row['reform'].title} {row['reform'].summary}".lower()
        if any(w.lower() not in text for w in q_words):
            return False
        return all(row[name] & values for name, values in chosen.items() if name != but)

    facets = {}
    for name in ("area", "status", "topic", "initiated_by", "acted_by", "has_response", "undated"):
        counts = {}
        for row in rows:
            if keeps(row, but=name):
                for value in row[name]:
                    counts[value] = counts.get(value, 0) + 1
        facets[name] = counts
    shown = [row["reform"] for row in rows if keeps(row)]
    shown.sort(key=lambda r: r.title)
    shown.sort(key=lambda r: r.first_date, reverse=True)
    return facets, len(shown), [r.title for r in shown[:25]]


def shown(response) -> tuple[dict, int, list[str]]:
    facets = {
        facet.name: {v.value: v.count for v in facet.values if v.count}
        for facet in response.context["facets"]
    }
    page = response.context["page"]
    return facets, page.paginator.count, [r.title for r in page.object_list]


STATES = [
    {},
    {"area": "economy"},
    {"area": ["economy", "human-rights"], "status": "adopted"},
    {"topic": ["t1", "t2"]},
    {"topic": "t0", "area": "economy", "has_response": "true"},
    {"has_response": "false", "initiated_by": ["president", "parliament"]},
    {"status": ["announced", "stalled"], "topic": "t3", "initiated_by": "government"},
    {"area": "justice-anti-corruption"},
    {"area": ["human-rights", "justice-anti-corruption"], "status": "announced"},
    {"area": "justice-anti-corruption", "undated": "false"},
    {"undated": "true"},
    {"undated": "true", "area": "human-rights"},
]


@pytest.mark.parametrize("params", STATES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_facet_counts_rows_and_order_equal_a_plain_recount(client, varied, params):
    expected = recount(params)
    assert shown(client.get(REFORMS, params)) == expected
    # The cached answer is the same answer.
    assert shown(client.get(REFORMS, params)) == expected


def test_search_counts_equal_a_plain_recount(client, varied):
    params = {"q": "police", "sort": "newest"}
    facets, count, titles = recount(params)
    assert count == 14
    assert shown(client.get(REFORMS, params)) == (facets, count, titles)
    with_area = {**params, "area": "economy"}
    assert shown(client.get(REFORMS, with_area)) == recount(with_area)


def test_reform_listing_query_counts_cold_then_warm(client, varied, django_assert_num_queries):
    for params in (
        {},
        {"area": "economy", "topic": "t1"},
        {"q": "police court"},
        {"q": "police", "area": "human-rights", "has_response": "false"},
        {"q": "budget", "sort": "title", "year_from": "2012"},
    ):
        cold = REFORM_SEARCH_QUERIES if "q" in params else REFORM_LISTING_QUERIES
        with django_assert_num_queries(cold):
            client.get(REFORMS, params)
        warm = REFORM_SEARCH_QUERIES_WARM if "q" in params else REFORM_LISTING_QUERIES_WARM
        with django_assert_num_queries(warm):
            response = client.get(REFORMS, params)
        assert response.status_code == 200


def test_recommendation_listing_query_counts_cold_then_warm(client, django_assert_num_queries):
    theme = ThemeFactory(slug="rule-of-law")
    report = SourceFactory(published=True)
    for i in range(6):
        RecommendationFactory(published=True, report=report, position=i + 1, themes=[theme])
    for params in ({}, {"theme": "rule-of-law", "audience": "government"}, {"q": "recommend"}):
        with django_assert_num_queries(RECOMMENDATION_LISTING_QUERIES):
            client.get(reverse("recommendations:list"), params)
        with django_assert_num_queries(RECOMMENDATION_LISTING_QUERIES_WARM):
            client.get(reverse("recommendations:list"), params)


def test_a_reform_in_two_chosen_topics_is_one_row(client, varied):
    both = ReformFactory(published=True, title="In both", topics=varied[:2])
    response = client.get(REFORMS, {"topic": ["t0", "t1"], "sort": "title"})
    titles = [r.title for r in response.context["page"].object_list]
    assert titles.count(both.title) == 1
    assert response.context["page"].paginator.count == len(set(titles)) or len(titles) == 25


def _area_counts(client, params=None) -> dict:
    response = client.get(REFORMS, params or {})
    area = next(f for f in response.context["facets"] if f.name == "area")
    return {v.value: v.count for v in area.values}


def _titles(client, params=None) -> list[str]:
    response = client.get(REFORMS, {"sort": "title", **(params or {})})
    return [r.title for r in response.context["page"].object_list]


def test_publishing_through_the_workflow_shows_at_once(
    client, varied, contributor, reviewer, publisher
):
    before = _area_counts(client)
    count = client.get(REFORMS).context["page"].paginator.count
    assert _area_counts(client) == before  # now cached
    reform = entry_in_state(
        "reform", ReviewState.DRAFT, area=Area.HUMAN_RIGHTS, title="A newly published reform"
    )
    workflow.submit_for_review(reform, by=contributor)
    assert _area_counts(client) == before  # in review: not public yet
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    after = _area_counts(client)
    assert after["human-rights"] == before["human-rights"] + 1
    assert client.get(REFORMS).context["page"].paginator.count == count + 1
    assert "A newly published reform" in _titles(client, {"q": "newly"})

    workflow.archive(reform, by=publisher)
    assert _area_counts(client) == before
    assert "A newly published reform" not in _titles(client, {"q": "newly"})


def test_an_edit_published_as_a_working_copy_moves_the_counts(
    client, varied, contributor, reviewer, publisher
):
    reform = Reform.objects.published().filter(area=Area.ECONOMY).first()
    before = _area_counts(client)
    save_edit(reform, {**snapshot(reform), "area": Area.JUSTICE_ANTI_CORRUPTION}, by=contributor)
    assert _area_counts(client) == before  # the working copy is not public
    workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    after = _area_counts(client)
    assert after["economy"] == before["economy"] - 1
    assert after["justice-anti-corruption"] == before["justice-anti-corruption"] + 1


def test_publishing_a_recommendation_moves_the_answers_facet(client, varied, publisher):
    params = {"has_response": "true"}
    before = client.get(REFORMS, params).context["page"].paginator.count
    recommendation = entry_in_state("recommendation", ReviewState.IN_REVIEW, approved=True)
    reforms = list(Reform.objects.published().exclude(responses__isnull=False)[:3])
    for reform in reforms:
        Response.objects.create(reform=reform, recommendation=recommendation)
    assert client.get(REFORMS, params).context["page"].paginator.count == before
    workflow.publish(recommendation, by=publisher)
    assert client.get(REFORMS, params).context["page"].paginator.count == before + 3


def test_writes_outside_the_workflow_show_at_once(client, varied):
    """A shell, an import or a migration writes the tables directly: the counts follow."""
    before = _area_counts(client)
    page_one = _titles(client)
    Reform.objects.filter(area=Area.ECONOMY).update(area=Area.HUMAN_RIGHTS)
    after = _area_counts(client)
    assert after["economy"] == 0
    assert after["human-rights"] == before["human-rights"] + before["economy"]
    Reform.objects.filter(title=page_one[0]).delete()
    assert _titles(client)[0] != page_one[0]
    topic = varied[0]
    topic_count = next(
        v.count
        for f in client.get(REFORMS).context["facets"]
        if f.name == "topic"
        for v in f.values
        if v.value == topic.slug
    )
    Reform.topics.through.objects.filter(topic=topic).delete()
    facets = client.get(REFORMS).context["facets"]
    assert topic_count > 0
    assert all(
        v.count == 0 for f in facets if f.name == "topic" for v in f.values if v.value == "t0"
    )


def test_every_page_of_a_listing_is_its_own_rows(client, varied):
    for i in range(30):
        ReformFactory(published=True, title=f"Extra {i:02d}")
    total = client.get(REFORMS).context["page"].paginator.count
    seen = list(itertools.chain.from_iterable(_titles(client, {"page": str(n)}) for n in (1, 2, 3)))
    assert len(seen) == total == len(set(seen))
    assert seen == sorted(seen)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="work_mem is PostgreSQL's")
def test_every_connection_searches_with_the_work_mem_set():
    # PostgreSQL's default (4 MB) turns a search of many matches lossy: see the setting.
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == settings.DATABASE_WORK_MEM
