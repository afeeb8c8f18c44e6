"""Pieces shared by both apps: the editorial fields, sources and citations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from institute.dates import PartialDateField, partial_date_constraint
from institute.workflow import ReviewState


class EditorialQuerySet(models.QuerySet):
    def published(self):
        """What the public may see: the one definition every public path starts from."""
        return self.filter(review_state=ReviewState.PUBLISHED)


class Editorial(models.Model):
    """Review state and audit fields of every entry editors curate."""

    review_state = models.CharField(
        max_length=20,
        choices=ReviewState.choices,
        default=ReviewState.DRAFT,
        db_index=True,
        editable=False,
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Optimistic locking: a form posted against an older version is refused, not merged.
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def is_published(self) -> bool:
        return self.review_state == ReviewState.PUBLISHED


def editorial_constraints(label: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            name=f"{label}_review_state_known",
            condition=Q(review_state__in=ReviewState.values),
        ),
        models.CheckConstraint(
            name=f"{label}_published_has_date",
            condition=~Q(review_state=ReviewState.PUBLISHED) | Q(published_at__isnull=False),
        ),
    ]


class SourceKind(models.TextChoices):
    REPORT = "report", _("Report")
    LAW_DECREE = "law-decree", _("Law or decree")
    OFFICIAL_STATEMENT = "official-statement", _("Official statement")
    NEWS = "news", _("News")
    DATASET = "dataset", _("Dataset")
    OTHER = "other", _("Other")


class Source(Editorial):
    """A publication a claim rests on: a report, a law, a statement, an article, a dataset."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=500)
    authors = models.CharField(
        max_length=500, blank=True, help_text=_("As printed; several separated by “; ”.")
    )
    publisher = models.CharField(max_length=300, blank=True)
    published_on = PartialDateField()
    url = models.URLField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)

    history = HistoricalRecords()
    objects = EditorialQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                name="source_kind_known", condition=Q(kind__in=SourceKind.values)
            ),
            partial_date_constraint("published_on", "source"),
            *editorial_constraints("source"),
        ]
        permissions = [
            ("submit_source", "Can submit a source for review"),
            ("review_source", "Can review a source"),
            ("publish_source", "Can publish a source"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def citation_label(self) -> str:
        """A plain reference: authors, title, publisher, date."""
        parts = [self.authors.replace("; ", ", "), f"“{self.title}”", self.publisher]
        if self.published_on:
            parts.append(self.published_on.label)
        return ", ".join(p for p in parts if p)


class Citation(models.Model):
    """A source cited for one entry (a reform, a recommendation or a response), with where in it."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    reform = models.ForeignKey(
        "reforms.Reform", null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    recommendation = models.ForeignKey(
        "recommendations.Recommendation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="citations",
    )
    response = models.ForeignKey(
        "recommendations.Response",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="citations",
    )
    locator = models.CharField(
        max_length=300, help_text=_("Chapter, section, page or footnote within the source.")
    )
    quote = models.TextField(blank=True, help_text=_("A short quote, verbatim."))
    supports = models.CharField(
        max_length=500, blank=True, help_text=_("What this citation supports in the entry.")
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            # Exactly one owner: a citation belongs to one entry.
            models.CheckConstraint(
                name="citation_has_one_owner",
                condition=(
                    Q(reform__isnull=False, recommendation__isnull=True, response__isnull=True)
                    | Q(reform__isnull=True, recommendation__isnull=False, response__isnull=True)
                    | Q(reform__isnull=True, recommendation__isnull=True, response__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["reform", "source", "locator"],
                condition=Q(reform__isnull=False),
                name="citation_unique_locator_per_reform",
            ),
            models.UniqueConstraint(
                fields=["recommendation", "source", "locator"],
                condition=Q(recommendation__isnull=False),
                name="citation_unique_locator_per_recommendation",
            ),
            models.UniqueConstraint(
                fields=["response", "source", "locator"],
                condition=Q(response__isnull=False),
                name="citation_unique_locator_per_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} — {self.locator}"
