"""Invariants hold in the database itself: update() and raw writes skip forms, not constraints."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Value

from institute.sources.models import Citation, Source
from recommendations.models import Recommendation
from reforms.models import Reform, Topic
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_duplicate_slugs_are_rejected():
    ReformFactory(slug="jury-trials")
    assert_rejected(lambda: ReformFactory(slug="jury-trials"))
    SourceFactory(slug="the-report")
    assert_rejected(lambda: SourceFactory(slug="the-report"))


@pytest.mark.parametrize(
    ("model", "factory", "field", "value"),
    [
        (Reform, ReformFactory, "status", "finished"),
        (Reform, ReformFactory, "area", "culture"),
        (Reform, ReformFactory, "initiated_by", "aliens"),
        (Reform, ReformFactory, "review_state", "approved"),
        (Reform, ReformFactory, "announced_on", "2019-13"),
        (Reform, ReformFactory, "adopted_on", "2019--05"),
        (Reform, ReformFactory, "effective_on", "Dec. 2019"),
        (Recommendation, RecommendationFactory, "audience", "everyone"),
        (Recommendation, RecommendationFactory, "implementation", "done"),
        (Recommendation, RecommendationFactory, "assessed_on", "21"),
        (Source, SourceFactory, "kind", "blog"),
        (Source, SourceFactory, "published_on", "2021-1"),
    ],
)
def test_out_of_vocabulary_values_are_rejected_by_the_database(model, factory, field, value):
    entry = factory()
    assert_rejected(lambda: model.objects.filter(pk=entry.pk).update(**{field: value}))
    entry.refresh_from_db()
    assert getattr(entry, field) != value


def test_topic_area_is_in_vocabulary():
    assert_rejected(lambda: Topic.objects.create(slug="x", name="X", area="sports"))


def test_published_entry_needs_a_publication_time():
    reform = ReformFactory(published=True)
    assert_rejected(lambda: Reform.objects.filter(pk=reform.pk).update(published_at=None))


def test_position_is_unique_per_report():
    first = RecommendationFactory(position=3)
    assert_rejected(lambda: RecommendationFactory(report=first.report, position=3))
    assert RecommendationFactory(position=3).report != first.report


def test_position_starts_at_one():
    assert_rejected(lambda: RecommendationFactory(position=0))


def test_citation_belongs_to_exactly_one_entry():
    reform, recommendation = ReformFactory(), RecommendationFactory()
    assert_rejected(lambda: CitationFactory(reform=None))
    assert_rejected(lambda: CitationFactory(reform=reform, recommendation=recommendation))
    CitationFactory(reform=reform, locator="Chapter 1")
    assert Citation.objects.filter(reform=reform).count() == 1


def test_same_source_and_locator_is_cited_once_per_entry():
    citation = CitationFactory(reform=ReformFactory(), locator="p. 4")
    assert_rejected(
        lambda: CitationFactory(reform=citation.reform, source=citation.source, locator="p. 4")
    )
    CitationFactory(reform=citation.reform, source=citation.source, locator="p. 5")


def test_a_reform_answers_a_recommendation_once():
    response = ResponseFactory()
    assert_rejected(
        lambda: ResponseFactory(recommendation=response.recommendation, reform=response.reform)
    )


BROKEN = {
    "nothing": {},
    "an unknown area": {"area": "culture"},
    "a status and an actor unknown": {"status": "finished", "acted_by": "aliens"},
    "a date that is no date": {"announced_on": "2019-13"},
    "a qualifier without its date": {"adopted_on": "", "adopted_qualifier": "by"},
    "published without a time": {"review_state": "published", "published_at": None},
    # A value that is an expression is asked by a query built for the row, as Django asks it.
    "an unknown area, as an expression": {"area": Value("culture")},
}


@pytest.mark.parametrize("broken", BROKEN.values(), ids=BROKEN.keys())
@pytest.mark.parametrize("exclude", [None, {"area", "status", "adopted_qualifier"}])
def test_an_entrys_checks_asked_at_once_fail_as_djangos_one_by_one(broken, exclude):
    """An entry's check constraints are asked in one query (institute.constraint_checks): what
    fails, with which message, in which order, is what Django's own validation says."""
    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.db.models import Model
    from django.test.utils import CaptureQueriesContext

    reform = ReformFactory()
    for field, value in broken.items():
        setattr(reform, field, value)

    def errors(validate):
        try:
            validate(reform, exclude=exclude)
        except ValidationError as e:
            return e.message_dict
        return None

    with CaptureQueriesContext(connection) as ours:
        asked_at_once = errors(type(reform).validate_constraints)
    with CaptureQueriesContext(connection) as djangos:
        one_by_one = errors(Model.validate_constraints)
    assert asked_at_once == one_by_one
    if exclude is None:  # else a constraint reading a field left out is not asked
        assert (asked_at_once is None) == (not broken)
    # A savepoint, the query, its release: three, where Django asks three a constraint.
    assert len(ours.captured_queries) == 3 and len(djangos.captured_queries) > 30
