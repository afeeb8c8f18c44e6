"""A source (a report, a law, a statement, an article, a dataset) and a citation of it by one
entry: a reform, a recommendation or a response."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from institute.dates import PartialDateField, partial_date_constraint
from institute.editorial.models import Editorial, EditorialQuerySet, editorial_constraints
from institute.editorial.states import ReviewState
from institute.translations import translation_of


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
    # The title in Russian and Kazakh, where the source has one or the institute gives one.
    translated_fields = ("title",)
    title_ru = translation_of(title, "ru", _("title"))
    title_kk = translation_of(title, "kk", _("title"))
    authors = models.CharField(
        max_length=500, blank=True, help_text=_("As printed; several separated by “; ”.")
    )
    publisher = models.CharField(max_length=300, blank=True)
    published_on = PartialDateField()
    url = models.URLField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)

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
            ("import_source", "Can import sources from CSV"),
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


class CitationQuerySet(models.QuerySet):
    def published(self):
        """Citations the public may read: of published sources only. The entry they belong to is
        the caller's filter (a published reform's citations, a published response's)."""
        return self.filter(source__review_state=ReviewState.PUBLISHED)


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
        "reforms.Response",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="citations",
    )
    # Blank when a source is known to support the entry but not yet where (an import's link).
    locator = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Chapter, section, page or footnote within the source."),
    )
    quote = models.TextField(blank=True, help_text=_("A short quote, verbatim."))
    supports = models.CharField(
        max_length=500, blank=True, help_text=_("What this citation supports in the entry.")
    )
    # What it supports, in Russian and Kazakh; the quote stays in the source's own language.
    translated_fields = ("supports",)
    supports_ru = translation_of(supports, "ru", _("supports"))
    supports_kk = translation_of(supports, "kk", _("supports"))
    position = models.PositiveSmallIntegerField(default=0)

    objects = CitationQuerySet.as_manager()

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
