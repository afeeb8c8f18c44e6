"""The reforms' pre-aggregated counts (reforms.tally, migration reforms/0014) equal a recount of
the published reforms after every kind of write: publish, withdraw, an edit made live, an import,
a recommendation or a report withdrawn, a delete. The listing's facets and the insights' reform
charts read them, and a planted draft counts nowhere."""

from collections import Counter
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from institute.listings.filters import FacetedFilterSet
from reforms.filters import ReformFilter
from reforms.models import Actor, Area, Initiator, Reform, ReformStatus, SecondaryArea, Topic
from reforms.tally import facet_counts
from tests.factories import (
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

ECONOMY, RIGHTS, JUSTICE = Area.ECONOMY, Area.HUMAN_RIGHTS, Area.JUSTICE_ANTI_CORRUPTION


def recount() -> Counter:
    """The tally's cells, counted again from the published reforms, in Python."""
    out: Counter = Counter()
    for reform in Reform.objects.published().prefetch_related(
        "topics", "secondary_areas", "responses__recommendation__report"
    ):
        answers = any(
            r.recommendation.review_state == ReviewState.PUBLISHED
            and r.recommendation.report.review_state == ReviewState.PUBLISHED
            for r in reform.responses.all()
        )
        dims = (reform.area, reform.status, reform.initiated_by, reform.acted_by, answers)
        topics = ["", *(str(t.pk) for t in reform.topics.all())]
        also = ["", *sorted({s.area for s in reform.secondary_areas.all()} - {reform.area})]
        year = reform.first_date[:4]
        if any(
            getattr(reform, f"{kind}_on") == reform.first_date
            and getattr(reform, f"{kind}_qualifier") in ("by", "since")
            for kind in ("announced", "adopted", "effective")
        ):
            year = "bound" if year else year  # in no year's bar (reforms/0021)
        for topic in topics:
            for area in also:
                out[(topic, "" if not year else "*", area, *dims)] += 1
        for area in also:
            out[("*", year, area, *dims)] += 1
    return out


def tally() -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT topic, year, also_area, area, status, initiated_by, acted_by, answers, n "
            "FROM reforms_tally WHERE n <> 0"
        )
        return Counter({(*row[:7], bool(row[7])): row[8] for row in cursor.fetchall()})


def assert_tally_exact():
    assert tally() == recount()


STATES = [
    {},
    {"area": [RIGHTS]},
    {"area": [ECONOMY], "status": [ReformStatus.ADOPTED, ReformStatus.STALLED]},
    {"has_response": "true"},
    {"undated": "true", "initiated_by": [Initiator.PARLIAMENT]},
    {"area": [JUSTICE], "has_response": "false", "undated": "false"},
    {"acted_by": [Actor.UNDP]},
    {"acted_by": [Actor.KAZAKHSTAN, Actor.OECD], "area": [RIGHTS]},
]


def query_dict(params: dict[str, list[str]]) -> QueryDict:
    return QueryDict(urlencode(params, doseq=True))


def assert_listing_counts_are_a_recount(topic_slugs):
    states = [*STATES, *({"topic": [slug]} for slug in topic_slugs)]
    states.append({"topic": [topic_slugs[0]], "area": [RIGHTS], "status": [ReformStatus.ADOPTED]})
    for state in states:
        params = {k: v if isinstance(v, list) else [v] for k, v in state.items()}
        filterset = ReformFilter(query_dict(params), queryset=Reform.objects.published())
        assert facet_counts(filterset.active()) is not None, state  # the tally answered
        live = FacetedFilterSet.facet_counts_all(filterset)  # the rows counted
        assert filterset.facet_counts_all() == live, state
        # And through the page: every facet's number, and the rows it says it has.
        page = Client().get("/reforms/", params)
        shown = {
            f.name: {v.value: v.count for v in f.values if v.count} for f in page.context["facets"]
        }
        expected = {
            f.name: {v.value: v.count for v in f.values if v.count}
            for f in filterset.facet_list(live[0])
        }
        assert shown == expected, state
        assert page.context["page"].paginator.count == live[1], state


@pytest.fixture
def world():
    economy = TopicFactory(slug="budget", name="Budget", area=ECONOMY)
    courts = TopicFactory(slug="courts", name="Courts", area=JUSTICE)
    report = SourceFactory(published=True)
    public_rec = RecommendationFactory(published=True, report=report)
    draft_rec = RecommendationFactory(draft=True, report=report)
    reforms = [
        ReformFactory(published=True, area=ECONOMY, topics=[economy]),
        ReformFactory(published=True, area=RIGHTS, topics=[courts, economy], adopted_on=""),
        ReformFactory(
            published=True,
            area=JUSTICE,
            status=ReformStatus.STALLED,
            initiated_by=Initiator.PARLIAMENT,
            topics=[courts],
        ),
        ReformFactory(
            published=True, area=ECONOMY, initiated_by=Initiator.PARLIAMENT, adopted_on=""
        ),
        # Dated only by a bound, and done by an institution abroad.
        ReformFactory(
            published=True,
            area=RIGHTS,
            acted_by=Actor.UNDP,
            adopted_on="2016",
            adopted_qualifier="by",
            topics=[courts],
        ),
    ]
    SecondaryArea.objects.create(reform=reforms[0], area=RIGHTS)
    SecondaryArea.objects.create(reform=reforms[2], area=RIGHTS)
    SecondaryArea.objects.create(reform=reforms[2], area=ECONOMY)
    ResponseFactory(reform=reforms[0], recommendation=public_rec)
    ResponseFactory(reform=reforms[2], recommendation=draft_rec)
    # Planted: a draft reform with everything, and a working copy of a published one.
    planted = ReformFactory(draft=True, area=RIGHTS, topics=[courts, economy])
    SecondaryArea.objects.create(reform=planted, area=JUSTICE)
    ResponseFactory(reform=planted, recommendation=public_rec)
    return {
        "reforms": reforms,
        "planted": planted,
        "topics": [economy, courts],
        "public_rec": public_rec,
        "draft_rec": draft_rec,
        "report": report,
    }


def test_the_tally_is_a_recount_and_the_listing_reads_it(world):
    assert_tally_exact()
    assert_listing_counts_are_a_recount(["budget", "courts"])
    assert sum(n for key, n in tally().items() if key[:3] == ("", "", "")) + sum(
        n for key, n in tally().items() if key[:3] == ("", "*", "")
    ) == len(world["reforms"])


def test_a_planted_draft_counts_nowhere(world, client):
    planted = world["planted"]
    before = tally()
    planted.title = "Still a draft"
    planted.area = JUSTICE
    planted.save()
    planted.topics.add(world["topics"][1])
    SecondaryArea.objects.create(reform=planted, area=ECONOMY)
    assert tally() == before
    counts = {
        f.name: {v.value: v.count for v in f.values}
        for f in client.get("/reforms/", {"area": [RIGHTS]}).context["facets"]
    }
    # Four published reforms are under human rights (two their own area, two secondary).
    assert sum(counts["status"].values()) == 4


def test_publish_withdraw_and_edit_keep_it_exact(world, contributor, reviewer, publisher):
    planted = world["planted"]
    workflow.submit_for_review(planted, by=contributor)
    workflow.approve(planted, by=reviewer)
    workflow.publish(planted, by=publisher)
    assert_tally_exact()
    assert tally()[("", "*", "", RIGHTS, ReformStatus.ADOPTED, "", Actor.KAZAKHSTAN, True)] == 1

    # An edit of a published reform waits in its working copy: nothing counted changes...
    reform = Reform.objects.get(pk=world["reforms"][0].pk)
    before = tally()
    data = snapshot(reform)
    data.update(area=JUSTICE, status=ReformStatus.REVERSED, secondary_areas=[], topics=[])
    save_edit(reform, data, by=contributor)
    assert tally() == before
    # ...until it is made live.
    workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    assert_tally_exact()
    assert before != tally()

    workflow.archive(Reform.objects.get(pk=world["reforms"][2].pk), by=publisher)
    assert_tally_exact()
    assert_listing_counts_are_a_recount(["budget", "courts"])


def test_a_recommendation_or_report_withdrawn_changes_what_answers(world, publisher):
    workflow.archive(world["public_rec"], by=publisher)
    assert_tally_exact()
    assert not any(key[7] for key in tally())  # no reform answers a public recommendation now
    Reform.objects.filter(pk=world["planted"].pk).delete()
    type(world["draft_rec"]).objects.filter(pk=world["draft_rec"].pk).update(
        review_state=ReviewState.PUBLISHED, published_at=timezone.now()
    )
    assert_tally_exact()
    assert any(key[7] for key in tally())
    type(world["report"]).objects.filter(pk=world["report"].pk).update(
        review_state=ReviewState.ARCHIVED
    )
    assert_tally_exact()
    assert not any(key[7] for key in tally())


def test_deletes_of_reforms_topics_and_links_keep_it_exact(world):
    world["reforms"][0].delete()
    assert_tally_exact()
    Topic.objects.filter(slug="courts").delete()
    assert_tally_exact()
    SecondaryArea.objects.filter(area=ECONOMY).delete()
    Reform.objects.filter(pk=world["reforms"][1].pk).update(status=ReformStatus.IMPLEMENTED)
    assert_tally_exact()
    assert_listing_counts_are_a_recount(["budget"])


def test_an_import_published_keeps_it_exact(world, tmp_path, contributor, reviewer, publisher):
    header = "slug,title,summary,area,status,topics,secondary_areas,adopted_on\r\n"
    rows = "".join(
        f"imported-{i},Imported {i},An imported reform. Two sentences.,human-rights,adopted,"
        f"courts,justice-anti-corruption,2019\r\n"
        for i in range(5)
    )
    path = tmp_path / "reforms.csv"
    path.write_text(header + rows, encoding="utf-8")
    before = tally()
    call_command("import_reforms", str(path), stdout=StringIO(), stderr=StringIO())
    assert tally() == before  # imported as drafts: not counted
    for reform in Reform.objects.filter(slug__startswith="imported-"):
        workflow.submit_for_review(reform, by=contributor)
        workflow.approve(reform, by=reviewer)
        workflow.publish(reform, by=publisher)
    assert_tally_exact()
    key = ("*", "2019", JUSTICE, RIGHTS, ReformStatus.ADOPTED, "", Actor.KAZAKHSTAN, False)
    assert tally()[key] == 5
    assert_listing_counts_are_a_recount(["budget", "courts"])


def test_a_search_or_two_areas_are_counted_over_the_rows(world):
    """What the tally has no dimension for falls back to counting the rows, still exact."""
    for params in ({"q": ["reform"]}, {"area": [RIGHTS, JUSTICE]}, {"year_from": ["2020"]}):
        filterset = ReformFilter(query_dict(params), queryset=Reform.objects.published())
        assert facet_counts(filterset.active()) is None
        assert filterset.facet_counts_all() == FacetedFilterSet.facet_counts_all(filterset)


SEARCHES = [
    {"q": ["reform"]},
    {"q": ["reform"], "area": [RIGHTS]},
    {"q": ["reform"], "topic": ["courts"], "has_response": ["false"]},
    {"q": ["reform"], "area": [ECONOMY, JUSTICE], "topic": ["budget", "courts"]},
    {"q": ["reform"], "has_response": ["true"], "undated": ["false"]},
]


def assert_each_value_counts_the_rows_it_would_show(state):
    """Each facet value's number is how many reforms the listing shows when that value is
    chosen instead, the listing's filters asking the relations themselves."""
    filterset = ReformFilter(query_dict(state), queryset=Reform.objects.published())
    counts, total = filterset.facet_counts_all()
    assert total == filterset.qs.count(), state
    checked = 0
    for name in filterset.facets:
        mine = filterset.facet_values(name, counts.get(name, {}))
        for value, _label in filterset.facet_choices(name):
            if value == "":
                continue  # "any": no value chosen
            chosen = ReformFilter(
                query_dict({**state, name: [str(value)]}), queryset=Reform.objects.published()
            )
            assert mine.get(str(value), 0) == chosen.qs.count(), (state, name, value)
            checked += mine.get(str(value), 0)
    assert checked, state  # some value of some facet counted a row


def test_a_search_s_counts_are_the_rows_each_value_would_show(world):
    """A search is counted over its rows (on PostgreSQL reading the links' facts kept on each
    row, reforms.row_cells): a secondary area, a topic, an answer to a draft recommendation, a
    planted draft."""
    for state in SEARCHES:
        assert_each_value_counts_the_rows_it_would_show(state)
    assert ReformFilter(query_dict(SEARCHES[0]), queryset=Reform.objects.published()).qs.count()


SEVERAL_TOPICS = [
    {"topic": ["budget", "courts"]},
    {"topic": ["budget", "courts"], "area": [RIGHTS]},
    {"topic": ["budget", "courts"], "area": [ECONOMY], "status": [ReformStatus.ADOPTED]},
]


def test_several_topics_count_their_topics_from_the_tally_and_the_rest_over_the_rows(world):
    """Several topics chosen: the tally cannot say how many reforms have one of them (a reform
    with both would count twice), so the counts go over the rows; but the topics' own counts
    leave the topic filter out, and the tally says those without reading the rows again."""

    def reads(state) -> tuple[int, int]:
        """How many of the counts' queries read the reforms, and how many the tally."""
        filterset = ReformFilter(query_dict(state), queryset=Reform.objects.published())
        assert facet_counts(filterset.active()) is None, state
        with CaptureQueriesContext(connection) as queries:
            filterset.facet_counts_all()
        sql = [q["sql"] for q in queries.captured_queries]
        return sum('FROM "reforms_reform"' in q for q in sql), sum(
            "reforms_tally" in q for q in sql
        )

    for state in SEVERAL_TOPICS:
        assert reads(state) == (1, 1), state  # the grouped query; the topics from the tally
        assert_each_value_counts_the_rows_it_would_show(state)
    # A year range is no dimension of the tally: the topics are counted over the rows too.
    state = {"topic": ["budget", "courts"], "year_from": ["2019"]}
    assert reads(state) == (2, 0)
    assert_each_value_counts_the_rows_it_would_show(state)


def test_the_insights_reform_charts_read_the_tally_and_match_the_rows(world, client):
    def expected(params):
        """Each chart's bars counted again in Python over the published reforms."""
        chosen = params.get("area")
        by_status, by_year = {}, {}
        reforms = Reform.objects.published().prefetch_related(
            "secondary_areas", "responses__recommendation__report"
        )
        for reform in reforms:
            answers = any(
                r.recommendation.review_state == ReviewState.PUBLISHED
                and r.recommendation.report.review_state == ReviewState.PUBLISHED
                for r in reform.responses.all()
            )
            if any(
                params.get(name) and getattr(reform, name) not in params[name]
                for name in ("status", "initiated_by", "acted_by")
            ):
                continue
            if params.get("has_response") and answers != (params["has_response"] == "true"):
                continue
            areas = {reform.area} | {s.area for s in reform.secondary_areas.all()}
            if chosen and not areas & set(chosen):
                continue
            for area in sorted(areas & set(chosen or areas)):
                key = (area, reform.status)
                by_status[key] = by_status.get(key, 0) + 1
                if reform.first_date and reform.adopted_qualifier != "by":
                    key = (reform.first_date[:4], area)
                    by_year[key] = by_year.get(key, 0) + 1
        return by_status, by_year

    # Each flat filter: the charts read cells summed over every dimension no filter asks for.
    for params in (
        {},
        {"area": [RIGHTS]},
        {"status": [ReformStatus.ADOPTED]},
        {"initiated_by": [Initiator.PARLIAMENT]},
        {"acted_by": [Actor.KAZAKHSTAN]},
        {"has_response": "true"},
        {"has_response": "false", "status": [ReformStatus.STALLED], "area": [JUSTICE]},
    ):
        page = client.get("/insights/", params)
        charts = {c["name"]: c["chart"] for c in page.context["charts"]}
        by_status = {
            (bar.key, s.series): s.count
            for bar in charts["status-by-area"].bars
            for s in bar.segments
        }
        by_year = {
            (bar.key, s.series): s.count
            for bar in charts["reforms-by-year"].bars
            for s in bar.segments
        }
        assert (by_status, by_year) == expected(params), params
        # The planted draft's year (it has none) and area are nowhere.
        assert by_status and by_year
        if set(params) <= {"area"}:  # the filters the bound reform (human rights, UNDP) passes
            assert "1 reform dated only by a bound" in charts["reforms-by-year"].notes[-1]


def test_who_acted_and_a_bounded_date_changed_keep_it_exact(world):
    """A reform's actor and its date's qualifier are dimensions: changing either moves its
    counts, on every database's triggers."""
    bounded = world["reforms"][4]
    Reform.objects.filter(pk=bounded.pk).update(adopted_qualifier="on")
    assert_tally_exact()
    assert tally()[("*", "2016", "", RIGHTS, ReformStatus.ADOPTED, "", Actor.UNDP, False)] == 1
    Reform.objects.filter(pk=bounded.pk).update(adopted_qualifier="since", acted_by=Actor.OSCE)
    assert_tally_exact()
    assert tally()[("*", "bound", "", RIGHTS, ReformStatus.ADOPTED, "", Actor.OSCE, False)] == 1
    # A date other than the earliest one, bounded, leaves the year as it is.
    Reform.objects.filter(pk=bounded.pk).update(
        adopted_qualifier="on", effective_on="2018", effective_qualifier="by"
    )
    assert_tally_exact()
    assert tally()[("*", "2016", "", RIGHTS, ReformStatus.ADOPTED, "", Actor.OSCE, False)] == 1
    assert_listing_counts_are_a_recount(["budget", "courts"])


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_has_an_empty_tally(world):
    """A flush (TRUNCATE on PostgreSQL, DELETE on SQLite) leaves no count of what it removed."""
    assert tally()
    call_command("flush", interactive=False, verbosity=0)
    assert tally() == Counter() == recount()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reforms_tally_row")
        assert cursor.fetchone()[0] == 0
