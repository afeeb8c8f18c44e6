"""Recommendations made to Western governments and to the government of Kazakhstan. The reforms
that answer one are the reforms' responses (reforms.models.Response), read through the reverse
relation `responses`; the vocabulary of how a reform stands to a recommendation is defined here,
where both apps read it."""

from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from institute.dates import PartialDateField, partial_date_constraint
from institute.editorial.models import Editorial, EditorialQuerySet, editorial_constraints
from institute.editorial.states import ReviewState
from institute.editorial.versions import citations
from institute.sources.models import Citation, Source
from institute.translations import translation_of


class Audience(models.TextChoices):
    WESTERN = "western", _("Western governments and institutions")
    GOVERNMENT = "government", _("Government of Kazakhstan")


class Implementation(models.TextChoices):
    NOT_ASSESSED = "not-assessed", _("Not assessed")
    NOT_IMPLEMENTED = "not-implemented", _("Not implemented")
    PARTLY_IMPLEMENTED = "partly-implemented", _("Partly implemented")
    IMPLEMENTED = "implemented", _("Implemented")


class ResponseRelation(models.TextChoices):
    """How a reform stands to a recommendation, in time: "answers" means it came after."""

    ANSWERS = "answers", _("Answers it")
    ANTICIPATES = "anticipates", _("Anticipates it")
    RELATED = "related", _("Related")


RELATION_EXPLANATIONS = {
    ResponseRelation.ANSWERS: _("The reform came after the recommendation and answers it."),
    ResponseRelation.ANTICIPATES: _(
        "The reform came before the recommendation, but goes the way it asks."
    ),
    ResponseRelation.RELATED: _("The reform bears on the recommendation without answering it."),
}


IMPLEMENTATION_EXPLANATIONS = {
    Implementation.NOT_ASSESSED: _("Our sources say nothing we could assess it on."),
    Implementation.NOT_IMPLEMENTED: _("No step that answers it is recorded."),
    Implementation.PARTLY_IMPLEMENTED: _("Some steps answer it; others are missing."),
    Implementation.IMPLEMENTED: _("Answered in full."),
}


class Theme(models.Model):
    """A theme of recommendations, such as rule of law or regional cooperation."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    # Its name in Russian and Kazakh (institute.translations), shown in facets and on pages.
    translated_fields = ("name",)
    name_ru = translation_of(name, "ru", _("name"))
    name_kk = translation_of(name, "kk", _("name"))

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RecommendationQuerySet(EditorialQuerySet):
    def published(self):
        """Published recommendations of published reports: the report is shown with each one
        (title, citation, data package link), so a draft or archived report hides them all."""
        return super().published().filter(report__review_state=ReviewState.PUBLISHED)

    def for_listing(self):
        return self.select_related("report").prefetch_related("themes")

    def for_detail(self):
        return self.select_related("report").prefetch_related(
            "themes",
            Prefetch("citations", queryset=Citation.objects.published().select_related("source")),
        )


class Recommendation(Editorial):
    """One recommendation of a report, with our assessment of how far it has been implemented."""

    # Verbose names as Django would derive them from the field names, marked for translation:
    # the public history names each changed field by them.
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(
        pgettext_lazy("entry field", "text"),
        help_text=_("The recommendation in full, in our own words."),
    )
    # What a visitor reads, in Russian and Kazakh (institute.translations): part of the version.
    translated_fields = ("title", "text")
    title_ru = translation_of(title, "ru", _("title"))
    title_kk = translation_of(title, "kk", _("title"))
    text_ru = translation_of(text, "ru", pgettext_lazy("entry field", "text"))
    text_kk = translation_of(text, "kk", pgettext_lazy("entry field", "text"))
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, db_index=True
    )
    themes = models.ManyToManyField(
        Theme, blank=True, related_name="recommendations", verbose_name=_("themes")
    )
    report = models.ForeignKey(
        "institute.Source",
        on_delete=models.PROTECT,
        related_name="recommendations",
        verbose_name=pgettext_lazy("entry field", "report"),
    )
    position = models.PositiveSmallIntegerField(
        pgettext_lazy("entry field", "position"), help_text=_("Its order in the report, from 1.")
    )
    implementation = models.CharField(
        _("implementation"),
        max_length=30,
        choices=Implementation.choices,
        default=Implementation.NOT_ASSESSED,
    )
    implementation_note = models.TextField(_("implementation note"), blank=True)
    assessed_on = PartialDateField(_("assessed on"), help_text=_("“As of” date of the assessment."))

    objects = RecommendationQuerySet.as_manager()

    # Its citations only. The reforms that answer it are their responses, which the reforms own
    # (written, versioned and reviewed with the reform): this entry shows them, read-only, and no
    # move on it writes them. Versions recorded before still hold a "responses" list; applying
    # one reads only the children declared here, so that list is ignored.
    snapshot_children = (citations("recommendation"),)
    area_lookup = "responses__reform__area"

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"], name="recommendation_unique_position_per_report"
            ),
            models.CheckConstraint(
                name="recommendation_audience_known", condition=Q(audience__in=Audience.values)
            ),
            models.CheckConstraint(
                name="recommendation_implementation_known",
                condition=Q(implementation__in=Implementation.values),
            ),
            models.CheckConstraint(
                name="recommendation_position_positive", condition=Q(position__gte=1)
            ),
            partial_date_constraint("assessed_on", "recommendation"),
            *editorial_constraints("recommendation"),
        ]
        permissions = [
            ("submit_recommendation", "Can submit a recommendation for review"),
            ("review_recommendation", "Can review a recommendation"),
            ("publish_recommendation", "Can publish a recommendation"),
            ("import_recommendation", "Can import recommendations from CSV"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("recommendations:detail", kwargs={"slug": self.slug})

    def publish_blockers(self) -> list[str]:
        report = Source.objects.filter(pk=self.report_id).first()
        if report is not None and not report.is_published:
            return [
                f"its report “{report}” is not published; a recommendation is shown with its "
                "report, so publish the report first."
            ]
        return []

    @property
    def implementation_explanation(self) -> str:
        return IMPLEMENTATION_EXPLANATIONS.get(self.implementation, "")
