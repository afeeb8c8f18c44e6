"""Exports on their own small data: published entries only, formulas escaped."""

import csv
import io

import pytest
from django.urls import reverse

from institute.datasets.tables import escape_formula, unescape_formula
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.mark.django_db
def test_exports_show_published_entries_only(client):
    public = ReformFactory(slug="public-one", published=True)
    ReformFactory(slug="draft-one", draft=True)
    ResponseFactory(
        reform=public, recommendation=RecommendationFactory(slug="secret-rec", draft=True)
    )
    ResponseFactory(
        reform=public, recommendation=RecommendationFactory(slug="open-rec", published=True)
    )
    rows = read_csv(client.get(reverse("reforms:export", kwargs={"fmt": "csv"})))
    assert [r["slug"] for r in rows] == ["public-one"]
    assert rows[0]["responds_to"] == "open-rec"
    for table in ("responses", "citations", "recommendations"):
        body = b"".join(
            client.get(
                reverse("data-table", kwargs={"table": table, "fmt": "csv"})
            ).streaming_content
        ).decode()
        assert "secret-rec" not in body and "draft-one" not in body


@pytest.mark.django_db
def test_formula_cells_are_escaped_and_the_escape_reverses_exactly(client):
    ReformFactory(
        slug="formula",
        title='=HYPERLINK("http://evil")',
        summary="+1 more; -2",
        body="'quoted",
        published=True,
    )
    row = read_csv(client.get(reverse("reforms:export", kwargs={"fmt": "csv"})))[0]
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert row["summary"] == "'+1 more; -2"
    assert row["body"] == "''quoted"
    for original in ("=SUM(A1)", "+1", "-", "@x", "\tx", "\rx", "'", "''", "'abc", "abc", ""):
        assert unescape_formula(escape_formula(original)) == original
    assert unescape_formula("'hello") == "'hello"  # a hand-typed apostrophe is kept
