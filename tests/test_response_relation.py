"""A response's relation (answers / anticipates / related): a known value in the database, a
column of the responses table that round-trips, a key of responses.yaml, a field of the
snapshot (versioned and reviewed with the reform), an admin field, and what the public pages
say and how they group."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client

from institute.editorial.diffs import diff
from institute.editorial.models import PendingRevision
from institute.editorial.versions import apply_snapshot, snapshot
from recommendations.models import ResponseRelation
from reforms.models import Reform, Response
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory, SourceFactory
from tests.support import admin_url, change_form_data

pytestmark = pytest.mark.django_db


def public_pair(*, relation=ResponseRelation.ANSWERS, reform_date="2020-05"):
    report = SourceFactory(slug="the-report", published_on="2019-11-27", published=True)
    rec = RecommendationFactory(
        slug="open-courts", title="Open the courts", report=report, position=1, published=True
    )
    reform = ReformFactory(
        slug="court-law", title="Court law", announced_on=reform_date, published=True
    )
    response = ResponseFactory(recommendation=rec, reform=reform, relation=relation, note="Why.")
    return rec, reform, response


def responses_csv() -> list[dict]:
    body = b"".join(Client().get("/data/responses.csv").streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def import_responses(tmp_path, text: str) -> str:
    path = tmp_path / "responses.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_sources", "--table", "responses", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_an_unknown_relation_is_refused_by_the_database():
    _, _, response = public_pair()
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=response.pk).update(relation="inspires")


def test_the_responses_file_says_the_relation_and_the_codebook_explains_it():
    public_pair(relation=ResponseRelation.ANTICIPATES, reform_date="2018")
    rows = responses_csv()
    assert [(r["recommendation"], r["reform"], r["relation"]) for r in rows] == [
        ("open-courts", "court-law", "anticipates")
    ]
    codebook = Client().get("/data/").content.decode()
    assert "<code>anticipates</code>" in codebook
    assert "Anticipates it: The reform came before the recommendation, but goes the way" in codebook


def test_an_import_sets_the_relation_on_a_draft_and_keeps_it_without_the_column(tmp_path):
    public_pair()
    draft = ReformFactory(slug="draft-law", announced_on="2018")
    import_responses(
        tmp_path, "recommendation,reform,note,relation\r\nopen-courts,draft-law,Before,related\r\n"
    )
    assert Response.objects.get(reform=draft).relation == "related"
    # A file of the older contract (no relation column) and an empty cell keep it.
    import_responses(tmp_path, "recommendation,reform,note\r\nopen-courts,draft-law,Still\r\n")
    kept = Response.objects.get(reform=draft)
    assert (kept.relation, kept.note) == ("related", "Still")
    import_responses(
        tmp_path, "recommendation,reform,note,relation\r\nopen-courts,draft-law,Again,\r\n"
    )
    assert Response.objects.get(reform=draft).relation == "related"
    # A new response without the column answers.
    other = ReformFactory(slug="other-law")
    import_responses(tmp_path, "recommendation,reform,note\r\nopen-courts,other-law,New\r\n")
    assert Response.objects.get(reform=other).relation == "answers"


def test_an_import_changing_a_published_reforms_relation_waits_for_review(tmp_path):
    _, reform, response = public_pair()
    before = responses_csv()
    out = import_responses(
        tmp_path, "recommendation,reform,note,relation\r\nopen-courts,court-law,Why.,related\r\n"
    )
    assert "1 updated" in out
    response.refresh_from_db()
    assert response.relation == "answers"  # the public row is untouched
    assert responses_csv() == before
    revision = PendingRevision.objects.for_entry(reform).get()
    assert [r["relation"] for r in revision.data["responses"]] == ["related"]
    # What the reviewer reads: the relation by its label.
    (change,) = diff(Reform, snapshot(reform), revision.data)
    assert change.removed == ["Open the courts — relation: Answers it — note: Why."]
    assert change.added == ["Open the courts — relation: Related — note: Why."]


def test_a_bad_relation_cell_is_refused_with_its_line(tmp_path):
    public_pair()
    with pytest.raises(CommandError) as excinfo:
        import_responses(
            tmp_path,
            "recommendation,reform,note,relation\r\nopen-courts,court-law,Why.,inspires\r\n",
        )
    text = str(excinfo.value)
    assert "Line 2, column “relation”: must be one of answers, anticipates, related" in text
    assert Response.objects.get().relation == "answers"


def test_the_relation_is_part_of_the_reforms_snapshot_only():
    """The reform owns the response; the recommendation's snapshot does not list it."""
    rec, reform, response = public_pair(relation=ResponseRelation.ANTICIPATES)
    assert snapshot(reform)["responses"][0]["relation"] == "anticipates"
    assert "responses" not in snapshot(rec)


def test_a_snapshot_older_than_the_relation_keeps_it():
    """A version or working copy saved before the field existed does not carry it: applying it
    (a revert, publishing an old working copy) keeps the response's relation."""
    _, reform, response = public_pair(relation=ResponseRelation.RELATED)
    old = snapshot(reform)
    for item in old["responses"]:
        del item["relation"]
    apply_snapshot(reform, old)
    response.refresh_from_db()
    assert response.relation == "related"


def test_the_admin_edits_the_relation_with_the_reform_and_shows_it_with_the_recommendation(
    admin_client,
):
    rec, reform, _ = public_pair(relation=ResponseRelation.ANTICIPATES)
    page = admin_client.get(admin_url(reform, "change")).content.decode()
    assert 'name="responses-0-relation"' in page
    page = admin_client.get(admin_url(rec, "change")).content.decode()
    assert 'name="responses-0-relation"' not in page
    assert "Anticipates it" in page and "Court law" in page


def test_the_admin_saves_the_relation_and_a_row_without_it_answers(admin_client):
    rec, _, _ = public_pair()
    other = RecommendationFactory(slug="other-rec", report=rec.report, position=2)
    draft = ReformFactory(slug="draft-law", announced_on="2016")
    data = change_form_data(admin_client.get(admin_url(draft, "change")))
    for n, (recommendation, relation) in enumerate([(rec, "anticipates"), (other, None)]):
        data[f"responses-{n}-recommendation"] = str(recommendation.pk)
        data[f"responses-{n}-note"] = "Linked."
        if relation:
            data[f"responses-{n}-relation"] = relation
    data["responses-TOTAL_FORMS"] = "2"
    assert admin_client.post(admin_url(draft, "change"), data).status_code == 302
    relations = dict(draft.responses.values_list("recommendation__slug", "relation"))
    assert relations == {"open-courts": "anticipates", "other-rec": "answers"}


def test_the_recommendation_page_groups_reforms_by_relation(client):
    rec, _, _ = public_pair()
    earlier = ReformFactory(
        slug="older-law", title="Older law", announced_on="2016", published=True
    )
    ResponseFactory(recommendation=rec, reform=earlier, relation="anticipates", note="Before.")
    nearby = ReformFactory(
        slug="nearby-law", title="Nearby law", announced_on="2021", published=True
    )
    ResponseFactory(recommendation=rec, reform=nearby, relation="related", note="Beside.")
    hidden = ReformFactory(slug="draft-law", title="Draft law", announced_on="2021")
    ResponseFactory(recommendation=rec, reform=hidden, relation="answers")
    page = client.get(rec.get_absolute_url()).content.decode()
    answers = page.index("Reforms that answer it")
    anticipate = page.index("Reforms that anticipate it")
    bear = page.index("Reforms that bear on it")
    assert answers < page.index("Court law") < anticipate < page.index("Older law") < bear
    assert bear < page.index("Nearby law")
    assert "Draft law" not in page
    assert "No reform in the tracker answers it yet." not in page


def test_a_recommendation_only_anticipated_says_nothing_answers_it(client):
    rec, _, _ = public_pair(relation=ResponseRelation.ANTICIPATES, reform_date="2018")
    page = client.get(rec.get_absolute_url()).content.decode()
    assert "No reform in the tracker answers it yet." in page
    assert page.index("Reforms that anticipate it") < page.index("Anticipated by:")
    assert page.index("Anticipated by:") < page.index("Court law")
    assert page.count('id="responses-heading"') == 1


def test_the_reform_page_says_which_recommendations_it_answers_or_anticipates(client):
    rec, reform, _ = public_pair(relation=ResponseRelation.ANTICIPATES, reform_date="2018")
    page = client.get(reform.get_absolute_url()).content.decode()
    assert "Recommendations it anticipates" in page
    assert "Recommendations it answers" not in page
    other = RecommendationFactory(
        slug="free-press", title="Free the press", report=rec.report, position=2, published=True
    )
    ResponseFactory(recommendation=other, reform=reform, relation="answers")
    page = client.get(reform.get_absolute_url()).content.decode()
    assert page.index("Recommendations it answers") < page.index("Free the press")
    assert page.index("Free the press") < page.index("Recommendations it anticipates")
    assert page.index("Recommendations it anticipates") < page.index("Open the courts")


CONTENT = """
sources:
  - {slug: report-2019, title: A report, published_on: "2019-11-27", kind: report}
recommendations:
  - slug: grow-farms
    title: Grow farms
    text: Help farmers.
    audience: government
    report: report-2019
    position: 1
reforms:
  - {slug: farm-law, title: Farm law, summary: A law for farms., area: economy, status: adopted,
     adopted_on: "2016"}
  - {slug: farm-credit, title: Farm credit, summary: Credit for farms., area: economy,
     status: announced, announced_on: "2020"}
responses:
  - recommendation: grow-farms
    reform: farm-law
    relation: anticipates
    note: It came first.
  - recommendation: grow-farms
    reform: farm-credit
    note: It came after.
"""


def test_the_content_files_set_the_relation_and_default_to_answers(tmp_path):
    (tmp_path / "content.yaml").write_text(CONTENT, encoding="utf-8")
    call_command("load_content", str(tmp_path), stdout=StringIO())
    relations = dict(Response.objects.values_list("reform__slug", "relation"))
    assert relations == {"farm-law": "anticipates", "farm-credit": "answers"}


def test_an_unknown_relation_in_the_content_files_is_named(tmp_path):
    (tmp_path / "content.yaml").write_text(
        CONTENT.replace("relation: anticipates", "relation: inspires"), encoding="utf-8"
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("load_content", str(tmp_path), stdout=StringIO())
    message = str(excinfo.value)
    assert "content.yaml response grow-farms ← farm-law" in message
    assert "relation" in message and "inspires" in message
    assert not Response.objects.exists()


def test_the_scorecard_counts_only_answering_reforms_and_anticipating_apart(client):
    rec, _, _ = public_pair()
    for slug, relation in [("older-law", "anticipates"), ("nearby-law", "related")]:
        reform = ReformFactory(slug=slug, announced_on="2016", published=True)
        ResponseFactory(recommendation=rec, reform=reform, relation=relation)
    response = client.get("/recommendations/tracker/")
    (row,) = [r for g in response.context["groups"] for r in g["recommendations"]]
    assert (row.answered_by, row.anticipated_by) == (1, 1)
    assert "(+1 anticipating)" in response.content.decode()


def test_the_reform_listing_filter_says_it_counts_every_link(client):
    rec, reform, _ = public_pair(relation=ResponseRelation.ANTICIPATES, reform_date="2018")
    page = client.get("/reforms/", {"has_response": "true"}).content.decode()
    assert "Linked to a recommendation" in page
    assert "answers, anticipates or bears on a recommendation" in page
    assert "Answers a recommendation" not in page
    assert reform.title in page  # an anticipating reform is linked, and found
