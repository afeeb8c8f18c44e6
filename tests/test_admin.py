"""Every admin page an editor uses renders, in queries that do not grow with the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from institute.editorial.models import EntryVersion
from institute.sources.models import Source
from recommendations.models import Recommendation, Theme
from reforms.models import Reform, Response, Topic
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
    TopicFactory,
)
from tests.support import NO_REFORM_INLINE_ROWS

pytestmark = pytest.mark.django_db

MODELS = [Reform, Recommendation, Source, Topic, Theme, Response]


def make_rows(n: int) -> None:
    for _ in range(n):
        topic, theme = TopicFactory(), ThemeFactory()
        reform = ReformFactory(topics=[topic])
        recommendation = RecommendationFactory(themes=[theme])
        CitationFactory(reform=reform)
        ResponseFactory(reform=reform, recommendation=recommendation)


def changelist_queries(client, model) -> int:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    make_rows(2)
    few = changelist_queries(admin_client, model)
    make_rows(8)
    many = changelist_queries(admin_client, model)
    assert few == many


# Session, user, filtered count, total count, rows; reforms add their topic filter choices,
# recommendations their theme and report filter choices. A change is a reason to look for an N+1.
CHANGELIST_QUERIES = {
    "reform": 6,
    "recommendation": 7,
    "source": 5,
    "topic": 5,
    "theme": 5,
    "response": 5,
}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_within_budget(admin_client, model, django_assert_num_queries):
    make_rows(10)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with django_assert_num_queries(CHANGELIST_QUERIES[model._meta.model_name]):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == model.objects.count()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_add_and_change_pages_render(admin_client, model):
    make_rows(1)
    opts = model._meta
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # Responses are read-only on their own (tests/test_responses_read_only.py).
    assert add.status_code == (403 if model is Response else 200)
    obj = model.objects.first()
    change = admin_client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    )
    assert change.status_code == 200
    assert str(obj) in change.content.decode()


def test_review_state_is_not_editable_in_the_form(admin_client):
    reform = ReformFactory(draft=True)
    url = reverse("admin:reforms_reform_change", args=[reform.pk])
    page = admin_client.get(url)
    assert 'name="review_state"' not in page.content.decode()
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "title": "New title",
            "slug": reform.slug,
            "summary": reform.summary,
            "area": reform.area,
            "status": reform.status,
            "adopted_on": "2020-05",
            "review_state": "published",
            **NO_REFORM_INLINE_ROWS,
        }
    )
    data.pop("topics", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    reform.refresh_from_db()
    assert reform.title == "New title"
    assert reform.review_state == "draft"
    assert reform.updated_by.username == "admin"


def test_admin_rejects_a_bad_partial_date_with_a_message(admin_client):
    response = admin_client.post(
        reverse("admin:reforms_reform_add"),
        {
            "title": "Bad date",
            "slug": "bad-date",
            "summary": "Two sentences. Here.",
            "area": "economy",
            "status": "adopted",
            "announced_on": "2019-02-30",
            **NO_REFORM_INLINE_ROWS,
        },
    )
    assert response.status_code == 200
    assert "has no day 30" in response.content.decode()
    assert not Reform.objects.filter(slug="bad-date").exists()


@pytest.mark.parametrize("total", ["101", "99999", "9" * 30])
def test_a_forged_row_count_builds_at_most_the_cap_of_inline_rows(admin_client, total):
    response = admin_client.post(
        reverse("admin:reforms_reform_add"),
        {
            "title": "Many rows",
            "slug": "many-rows",
            "summary": "Two sentences. Here.",
            "area": "economy",
            "status": "adopted",
            "citations-TOTAL_FORMS": total,
            "citations-INITIAL_FORMS": "0",
            "responses-TOTAL_FORMS": "0",
            "responses-INITIAL_FORMS": "0",
            "secondary_areas-TOTAL_FORMS": "0",
            "secondary_areas-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Please submit at most 100 forms." in response.content.decode()
    (citations,) = [
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "citations"
    ]
    assert len(citations.formset.forms) == 100
    assert not Reform.objects.filter(slug="many-rows").exists()


def test_history_is_reachable_and_records_the_editor(admin_client):
    reform = ReformFactory(draft=True)
    admin_client.post(
        reverse("admin:reforms_reform_change", args=[reform.pk]),
        {
            "title": "Edited",
            "slug": reform.slug,
            "summary": reform.summary,
            "area": reform.area,
            "status": reform.status,
            "adopted_on": "2020",
            "expected_version": str(reform.version),
            **NO_REFORM_INLINE_ROWS,
        },
    )
    latest = EntryVersion.objects.for_entry(reform).first()
    assert latest.data["title"] == "Edited"
    assert latest.created_by.username == "admin"
    page = admin_client.get(reverse("admin:reforms_reform_history", args=[reform.pk]))
    assert page.status_code == 200
    assert "Edited" in page.content.decode()


def test_autocomplete_finds_sources(admin_client):
    SourceFactory(title="Tested by Transition")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Transition",
            "app_label": "institute",
            "model_name": "citation",
            "field_name": "source",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Tested by Transition"]
