"""The ledger of published reforms' responses (reforms.response_ledger, migration reforms/0023)
equals a recount after every kind of write: publish, an edit made live (title, dates),
withdraw, a response added, moved, its relation changed or removed, an import of responses, a
delete and a flush; a planted draft is in it nowhere; and the insights' timeline, which reads it,
draws what a ranking of every response draws."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from institute.datasets.importer import run_import
from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.versions import snapshot
from recommendations.models import Recommendation
from reforms import response_ledger
from reforms.models import Reform, Response
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory

pytestmark = pytest.mark.django_db


def recount() -> set[tuple]:
    """The ledger's rows, made again from the responses of published reforms, in Python."""
    return {
        (r.pk, r.recommendation_id, r.reform_id, r.reform.first_date, r.reform.title, r.relation)
        for r in Response.objects.select_related("reform")
        if r.reform.review_state == "published"
    }


def ledger() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT response_id, recommendation_id, reform_id, first_date, title, relation "
            "FROM reforms_response_ledger"
        )
        return set(cursor.fetchall())


def assert_exact():
    assert ledger() == recount()


def ranked(recommendation_ids, per_row):
    """What the timeline drew before the ledger: every response of a published reform, ranked
    by the reform's earliest date and title (the ORM's order, the ledger's ties by key)."""
    rows = (
        Response.objects.filter(
            recommendation_id__in=recommendation_ids, reform__review_state="published"
        )
        .exclude(reform__first_date="")
        .select_related("reform")
        .order_by("reform__first_date", "reform__title", "reform_id", "recommendation_id")
    )
    seen: dict[int, int] = {}
    out = []
    for r in rows:
        seen[r.recommendation_id] = seen.get(r.recommendation_id, 0) + 1
        if per_row is None or seen[r.recommendation_id] <= per_row:
            out.append((r.recommendation_id, r.reform.first_date, r.relation, r.reform.slug))
    return out


@pytest.fixture
def world():
    recs = [RecommendationFactory(published=True) for _ in range(3)]
    dates = ["2019-12", "2017", "", "2021-03-04", "2017", "2020"]
    reforms = [
        ReformFactory(published=True, adopted_on=d, title=f"Reform {'BACBDA'[n]} {n}")
        for n, d in enumerate(dates)
    ]
    for n, reform in enumerate(reforms):
        ResponseFactory(reform=reform, recommendation=recs[n % 2])
        if n % 3 == 0:
            ResponseFactory(reform=reform, recommendation=recs[2], relation="anticipates")
    planted = ReformFactory(draft=True, adopted_on="2010")
    ResponseFactory(reform=planted, recommendation=recs[0])
    return {"recs": recs, "reforms": reforms, "planted": planted}


def test_the_ledger_is_a_recount_and_the_timeline_reads_it(world):
    assert_exact()
    assert world["planted"].pk not in {row[2] for row in ledger()}
    pks = [r.pk for r in world["recs"]]
    for per_row in (1, 2, 3, None):
        marks = response_ledger.first_marks(pks, per_row)
        got = [(m.recommendation_id, m.first_date, m.relation, m.reform["slug"]) for m in marks]
        assert got == ranked(pks, per_row), per_row
    linked = response_ledger.linked(pks)
    assert linked.undated == 1
    assert linked.dated == {pks[0]: 2, pks[1]: 3, pks[2]: 2}


def test_publish_edit_and_withdraw_keep_it_exact(world, contributor, reviewer, publisher):
    planted = world["planted"]
    workflow.submit_for_review(planted, by=contributor)
    workflow.approve(planted, by=reviewer)
    workflow.publish(planted, by=publisher)
    assert_exact()
    assert planted.pk in {row[2] for row in ledger()}

    # An edit of a published reform waits in its working copy; made live, the ledger follows.
    reform = Reform.objects.get(pk=world["reforms"][0].pk)
    before = ledger()
    data = snapshot(reform)
    data.update(title="Renamed", adopted_on="", announced_on="2015")
    save_edit(reform, data, by=contributor)
    assert ledger() == before
    workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    assert_exact()
    assert {(row[3], row[4]) for row in ledger() if row[2] == reform.pk} == {("2015", "Renamed")}

    workflow.archive(Reform.objects.get(pk=world["reforms"][1].pk), by=publisher)
    assert_exact()
    assert world["reforms"][1].pk not in {row[2] for row in ledger()}


def test_responses_added_moved_changed_and_removed_keep_it_exact(world):
    recs, reforms = world["recs"], world["reforms"]
    ResponseFactory(reform=reforms[1], recommendation=recs[2])
    assert_exact()
    moved = Response.objects.get(reform=reforms[3], recommendation=recs[1])
    Response.objects.filter(pk=moved.pk).update(reform=world["planted"])  # to a draft
    assert_exact()
    Response.objects.filter(pk=moved.pk).update(reform=reforms[4], relation="related")
    assert_exact()
    Response.objects.filter(recommendation=recs[0]).delete()
    assert_exact()
    Reform.objects.filter(pk=reforms[4].pk).update(title="Zz", adopted_on="", first_date="")
    assert_exact()
    reforms[5].delete()
    assert_exact()
    Recommendation.objects.filter(pk=recs[1].pk).delete()
    assert_exact()


def test_an_import_of_responses_keeps_it_exact(world, contributor, reviewer, publisher):
    recs, reforms = world["recs"], world["reforms"]
    data = (
        "recommendation,reform,relation,note\r\n"
        f"{recs[2].slug},{reforms[1].slug},answers,Imported.\r\n"
        f"{recs[0].slug},{reforms[0].slug},related,Changed.\r\n"
    )
    before = ledger()
    run_import(table="responses", data=data.encode(), by=contributor)
    # Published reforms take the change in their working copies: nothing public moves yet.
    assert ledger() == before
    for pk in (reforms[0].pk, reforms[1].pk):
        reform = Reform.objects.get(pk=pk)
        workflow.submit_for_review(reform, by=contributor)
        workflow.approve(reform, by=reviewer)
        workflow.publish(reform, by=publisher)
    assert_exact()
    assert (recs[2].pk, reforms[1].pk) in {(row[1], row[2]) for row in ledger()}


def test_the_timeline_draws_the_ledgers_first_reforms(world):
    page = Client().get("/insights/answers-timeline.csv")
    assert page.status_code == 200
    body = b"".join(page.streaming_content if page.streaming else [page.content]).decode()
    for reform in world["reforms"]:
        if reform.adopted_on:
            assert reform.slug in body
    assert world["planted"].slug not in body


@pytest.mark.parametrize("prefix", ["", "/ru", "/kk"])
def test_a_planted_draft_reaches_no_timeline_in_any_language(world, prefix):
    planted = world["planted"]
    # A working copy of a published reform, dated before every other: not the public row.
    reform = Reform.objects.get(pk=world["reforms"][0].pk)
    data = snapshot(reform)
    data.update(title="Planted working copy", adopted_on="1990")
    save_edit(reform, data, by=None)
    client = Client()
    for path in ("/insights/", "/insights/answers-timeline.svg", "/insights/answers-timeline.csv"):
        page = client.get(prefix + path)
        assert page.status_code == 200, path
        body = b"".join(page.streaming_content) if page.streaming else page.content
        assert planted.slug.encode() not in body, path
        assert b"Planted working copy" not in body and b"1990" not in body, path
        assert reform.slug.encode() in body, path


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_has_an_empty_ledger(world):
    assert ledger()
    call_command("flush", interactive=False, verbosity=0)
    assert ledger() == set() == recount()
