"""Builders of test data. They build state (review_state included); they do not change it.

Entries are drafts by default: a test that needs published content says `published=True`.
"""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from institute.editorial.states import ReviewState
from institute.sources.models import Citation, Source, SourceKind
from recommendations.models import Audience, Recommendation, Theme
from reforms.models import Area, Reform, ReformStatus, Response, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class EditorialFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    # Drafts unless a test publishes on purpose (`published=True`): a leak of drafts must show.
    review_state = ReviewState.DRAFT
    published_at = None

    class Params:
        published = factory.Trait(
            review_state=ReviewState.PUBLISHED, published_at=factory.LazyFunction(timezone.now)
        )
        draft = factory.Trait(review_state=ReviewState.DRAFT, published_at=None)
        in_review = factory.Trait(review_state=ReviewState.IN_REVIEW, published_at=None)
        changes_requested = factory.Trait(
            review_state=ReviewState.CHANGES_REQUESTED, published_at=None
        )
        archived = factory.Trait(review_state=ReviewState.ARCHIVED)


class SourceFactory(EditorialFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Source number {n}")
    publisher = "Example Publisher"
    published_on = "2021"
    kind = SourceKind.REPORT


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Topic {n}")
    area = Area.ECONOMY


class ReformFactory(EditorialFactory):
    class Meta:
        model = Reform
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"reform-{n}")
    title = factory.Sequence(lambda n: f"Reform number {n}")
    summary = "A reform used in tests. It has two sentences."
    area = Area.ECONOMY
    status = ReformStatus.ADOPTED
    adopted_on = "2020-05"

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.Sequence(lambda n: f"Theme {n}")


class RecommendationFactory(EditorialFactory):
    class Meta:
        model = Recommendation
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"recommendation-{n}")
    title = factory.Sequence(lambda n: f"Recommendation number {n}")
    text = "Do the right thing."
    audience = Audience.GOVERNMENT
    # The report is published: a recommendation is public only with its report (a test about a
    # draft report passes one).
    report = factory.SubFactory(SourceFactory, published=True)
    position = factory.Sequence(lambda n: n + 1)

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(extracted)


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    locator = factory.Sequence(lambda n: f"p. {n + 1}")


class ResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Response

    recommendation = factory.SubFactory(RecommendationFactory)
    reform = factory.SubFactory(ReformFactory)
    note = "It answers it in part."


def entry_in_state(kind: str, state: str, *, approved: bool = False, **kwargs):
    """A reform, recommendation or source built in `state` (factories build state); with
    `approved`, its current version carries an approval by a reviewer of its own."""
    if approved:
        kwargs.setdefault("approved_by", UserFactory(username="approving-reviewer"))
        kwargs.setdefault("approved_at", timezone.now())
        kwargs.setdefault("approved_version", kwargs.get("version", 1))
    factory_class = {
        "reform": ReformFactory,
        "recommendation": RecommendationFactory,
        "source": SourceFactory,
    }[kind]
    published_at = (
        timezone.now() if state in (ReviewState.PUBLISHED, ReviewState.ARCHIVED) else None
    )
    return factory_class(review_state=state, published_at=published_at, **kwargs)
