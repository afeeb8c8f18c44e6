"""What a reviewer sees of a working copy's evidence (issue 14, "Editors"): the citations under
review, row by row, read-only, with their diff against the published version."""

import re

import pytest

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    SourceFactory,
    TopicFactory,
    entry_in_state,
)
from tests.support import admin_url, change_form_data, login

pytestmark = pytest.mark.django_db


def citation_rows(page) -> list[dict]:
    """The citations inline's rows as the page shows them: each form's initial values."""
    inline = next(
        i for i in page.context["inline_admin_formsets"] if i.formset.prefix == "citations"
    )
    return [
        {name: getattr(form.form.instance, name) for name in ("locator", "quote")}
        | {"source": form.form.instance.source_id}
        for form in inline
        if not form.form.empty_permitted or form.form.initial
    ]


@pytest.fixture
def reform_with_submitted_citations(client, contributor):
    """A published reform (citation p. 1) whose working copy, submitted, cites p. 2 and a new
    source instead."""
    decree = SourceFactory(title="The decree")
    statement = SourceFactory(title="The statement")
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Public title")
    CitationFactory(reform=reform, source=decree, locator="p. 1")
    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data["citations-0-locator"] = "p. 2"
    data["citations-TOTAL_FORMS"] = "2"
    data["citations-1-source"] = str(statement.pk)
    data["citations-1-locator"] = "§ 4"
    data["citations-1-quote"] = "The moratorium is extended."
    data["citations-1-position"] = "1"
    assert client.post(admin_url(reform, "change"), data).status_code == 302
    assert client.post(admin_url(reform, "review", "submit")).status_code == 302
    return reform, decree, statement


def test_reviewer_sees_the_working_copys_citations_read_only(
    client, reviewer, reform_with_submitted_citations
):
    reform, decree, statement = reform_with_submitted_citations
    login(client, reviewer)
    page = client.get(admin_url(reform, "change"))
    assert page.status_code == 200
    html = page.content.decode()
    rows = citation_rows(page)
    assert [(r["source"], r["locator"]) for r in rows] == [
        (decree.pk, "p. 2"),
        (statement.pk, "§ 4"),
    ]
    # Read-only: no input of the inline, and the values are in the page as text.
    assert 'name="citations-0-locator"' not in html
    assert 'name="citations-1-source"' not in html
    assert "p. 2" in html and "The moratorium is extended." in html and "The statement" in html
    assert "Citations (working copy)" in html  # whose rows these are
    # The live (published) row is not what is shown as under review.
    assert "p. 1" not in [r["locator"] for r in rows]
    # The diff against the published version names both sides.
    changes = {c.name: c for c in page.context["review"]["changes"]}
    assert changes["citations"].removed == ["The decree — locator: p. 1"]
    assert changes["citations"].added == [
        "The decree — locator: p. 2",
        "The statement — locator: § 4 — quote: The moratorium is extended.",
    ]
    # The row changed in place is shown word by word too: which word of the locator changed.
    assert changes["citations"].words == ["The decree — locator: p. <del>1</del> <ins>2</ins>"]
    assert '<tr class="diff-words" data-words-of="citations">' in html
    assert "<li>The decree — locator: p. <del>1</del> <ins>2</ins></li>" in html


def test_author_of_a_copy_in_review_sees_its_citations_too(
    client, contributor, reform_with_submitted_citations
):
    """In review, the author may not edit either: the same read-only rows, not an empty table."""
    reform, decree, statement = reform_with_submitted_citations
    login(client, contributor)
    page = client.get(admin_url(reform, "change"))
    assert [r["locator"] for r in citation_rows(page)] == ["p. 2", "§ 4"]


def test_reviewer_sees_the_live_citations_of_an_entry_without_a_working_copy(client, reviewer):
    reform = entry_in_state("reform", ReviewState.IN_REVIEW)
    CitationFactory(reform=reform, locator="p. 9")
    login(client, reviewer)
    page = client.get(admin_url(reform, "change"))
    assert [r["locator"] for r in citation_rows(page)] == ["p. 9"]


def test_reviewer_sees_the_working_copys_topics_not_the_published_ones(
    client, contributor, reviewer
):
    """Read-only, Django shows a many-to-many field from the database: the published topics."""
    published, proposed = TopicFactory(name="Published topic"), TopicFactory(name="New topic")
    reform = entry_in_state("reform", ReviewState.PUBLISHED, topics=[published])
    data = snapshot(reform)
    data["topics"] = [proposed.pk]
    save_edit(reform, data, by=contributor)
    workflow.submit_for_review(reform, by=contributor)
    login(client, reviewer)
    html = client.get(admin_url(reform, "change")).content.decode()
    topics = re.search(r'field-topics">.*?<div class="readonly">(.*?)</div>', html, re.DOTALL)
    assert topics.group(1).strip() == "New topic"
    # The public page still has the published topic until the copy is published.
    assert list(reform.topics.values_list("name", flat=True)) == ["Published topic"]


def test_reviewer_sees_the_working_copys_responses_read_only(client, contributor, reviewer):
    recommendation = RecommendationFactory(title="Publish court decisions")
    reform = entry_in_state("reform", ReviewState.PUBLISHED)
    data = snapshot(reform)
    data["responses"] = [
        {"recommendation": recommendation.pk, "note": "Answers it in part.", "citations": []}
    ]
    save_edit(reform, data, by=contributor)
    workflow.submit_for_review(reform, by=contributor)
    login(client, reviewer)
    page = client.get(admin_url(reform, "change"))
    html = page.content.decode()
    inline = next(
        i for i in page.context["inline_admin_formsets"] if i.formset.prefix == "responses"
    )
    shown = [(f.form.instance.recommendation, f.form.instance.note) for f in inline]
    assert shown == [(recommendation, "Answers it in part.")]
    assert 'name="responses-0-note"' not in html
    assert "Publish court decisions" in html and "Answers it in part." in html
    assert "Linked recommendation (working copy)" in html
