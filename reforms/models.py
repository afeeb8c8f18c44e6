"""Reforms: what was announced, adopted, done or undone, with the evidence for it."""

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from institute.dates import (
    DateQualifier,
    PartialDateField,
    date_qualifier_constraints,
    date_qualifier_field,
    partial_date_constraint,
    qualified_date_label,
    undated_last,
)
from institute.editorial.models import Editorial, editorial_constraints
from institute.editorial.versions import Children, citations
from institute.translations import translation_of
from recommendations.models import RELATION_EXPLANATIONS, ResponseRelation
from reforms.querysets import ReformQuerySet


class Area(models.TextChoices):
    ECONOMY = "economy", _("Economy")
    HUMAN_RIGHTS = "human-rights", _("Human rights")
    POLITICAL_PARTICIPATION = "political-participation", _("Political participation")
    JUSTICE_ANTI_CORRUPTION = "justice-anti-corruption", _("Judicial reform and anti-corruption")


class ReformStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    # "Adopted" alone would read as the adoption date, which reforms of every later status have
    # too: the label says which of the two it is (the value never changes).
    ADOPTED = "adopted", _("Adopted (not yet shown working)")
    IN_PROGRESS = "in-progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    PARTIALLY_IMPLEMENTED = "partially-implemented", _("Partially implemented")
    STALLED = "stalled", _("Stalled")
    REVERSED = "reversed", _("Reversed")


def in_status_order() -> models.Expression:
    """An order term: a reform's status as its place in the vocabulary (announced first,
    reversed last), the listing's status order. The index reform_public_status holds the same
    expression, so PostgreSQL reads that order from it; a status added to the vocabulary changes
    both, and `makemigrations` makes the index again."""
    return models.Case(
        *[models.When(status=v, then=models.Value(i)) for i, v in enumerate(ReformStatus.values)],
        output_field=models.IntegerField(),
    )


STATUS_EXPLANATIONS = {
    ReformStatus.ANNOUNCED: _("Announced or proposed; not yet adopted."),
    ReformStatus.ADOPTED: _(
        "A law, decree or programme was adopted (it may be in force), but the sources do not yet "
        "show it carried out."
    ),
    ReformStatus.IN_PROGRESS: _("Being carried out; the work is under way."),
    ReformStatus.IMPLEMENTED: _("Reported as carried out."),
    ReformStatus.PARTIALLY_IMPLEMENTED: _("Carried out in part."),
    ReformStatus.STALLED: _("Adopted or begun, but stuck."),
    ReformStatus.REVERSED: _("Terminated, abolished or moved back."),
}


class Initiator(models.TextChoices):
    PRESIDENT = "president", _("The president")
    GOVERNMENT = "government", _("The government")
    PARLIAMENT = "parliament", _("Parliament")
    MINISTRY = "ministry", _("A ministry")
    AGENCY = "agency", _("A state agency")
    JUDICIARY = "judiciary", _("The judiciary")
    OTHER = "other", _("Other")


class Actor(models.TextChoices):
    """Who acted: the government of Kazakhstan, or a named foreign government or international
    institution. Only the government of Kazakhstan is in the vocabulary of `initiated_by`,
    which says which part of it acted."""

    KAZAKHSTAN = "kazakhstan", _("Government of Kazakhstan")
    OECD = "oecd", _("OECD")
    OSCE = "osce", _("OSCE")
    UNDP = "undp", _("UNDP")
    COUNCIL_OF_EUROPE = "council-of-europe", _("Council of Europe")
    EUROPEAN_UNION = "european-union", _("European Union")
    OTHER_GOVERNMENT = "other-government", _("Another foreign government")
    OTHER_INSTITUTION = "other-institution", _("Another international institution")


class Topic(models.Model):
    """A theme within one area, such as agriculture or freedom of assembly."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    # Its name in Russian and Kazakh (institute.translations), shown in facets and on pages.
    translated_fields = ("name",)
    name_ru = translation_of(name, "ru", _("name"))
    name_kk = translation_of(name, "kk", _("name"))
    area = models.CharField(max_length=30, choices=Area.choices)

    class Meta:
        ordering = ["area", "name"]
        constraints = [
            models.CheckConstraint(name="topic_area_known", condition=Q(area__in=Area.values)),
        ]

    def __str__(self) -> str:
        return self.name


def _qualifier_field(verbose_name) -> models.CharField:
    """`date_qualifier_field()` with a verbose name (the public history shows it)."""
    field = date_qualifier_field()
    field.verbose_name = verbose_name
    return field


# Topics merged into another: old slug → the topic that holds their reforms now. Links and
# bookmarks with the old slug keep working: the listing redirects `?topic=<old>` to the new one
# (reforms.selectors.retired_topics_redirect), unless a topic of the old slug still exists (a
# database loaded before the merge, which the content loader never rewrites).
RETIRED_TOPICS = {"police-reform": "law-enforcement-reform"}


# The reform's columns with an index of their own (Reform.Meta.indexes).
PLAIN_INDEXES = ("area", "status", "first_date", "acted_by")


class Reform(Editorial):
    """A law, programme, strategy, institutional change, policy or reversal."""

    # Verbose names as Django would derive them from the field names, marked for translation:
    # the public history names each changed field by them.
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(
        _("summary"), help_text=_("Two to four sentences, in our own words.")
    )
    body = models.TextField(pgettext_lazy("entry field", "body"), blank=True)
    # What a visitor reads, in Russian and Kazakh (institute.translations): part of the version.
    translated_fields = ("title", "summary", "body")
    title_ru = translation_of(title, "ru", _("title"))
    title_kk = translation_of(title, "kk", _("title"))
    summary_ru = translation_of(summary, "ru", _("summary"))
    summary_kk = translation_of(summary, "kk", _("summary"))
    body_ru = translation_of(body, "ru", pgettext_lazy("entry field", "body"))
    body_kk = translation_of(body, "kk", pgettext_lazy("entry field", "body"))
    area = models.CharField(_("area"), max_length=30, choices=Area.choices)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="reforms", verbose_name=_("topics")
    )
    status = models.CharField(_("status"), max_length=30, choices=ReformStatus.choices)
    announced_on = PartialDateField(_("announced on"))
    adopted_on = PartialDateField(_("adopted on"))
    effective_on = PartialDateField(_("effective on"))
    # How the source bounds each date ("by 2016"): on, the default, unless it says otherwise.
    announced_qualifier = _qualifier_field(_("announced qualifier"))
    adopted_qualifier = _qualifier_field(_("adopted qualifier"))
    effective_qualifier = _qualifier_field(_("effective qualifier"))
    # The earliest of the three dates, kept by save(): listings sort and filter on one column.
    first_date = models.CharField(max_length=10, blank=True, default="", editable=False)
    initiated_by = models.CharField(
        _("initiated by"), max_length=20, choices=Initiator.choices, blank=True
    )
    initiated_by_detail = models.CharField(
        _("initiated by detail"),
        max_length=200,
        blank=True,
        help_text=_("Who exactly, where the vocabulary is too coarse."),
    )
    acted_by = models.CharField(
        _("acted by"),
        max_length=30,
        choices=Actor.choices,
        default=Actor.KAZAKHSTAN,
        db_default=Actor.KAZAKHSTAN,
        help_text=_(
            "Who acted: the government of Kazakhstan, or a foreign government or international "
            "institution (then name it in the detail)."
        ),
    )

    # Kept by PostgreSQL triggers (migration 0002): title, summary, body and citations, weighted.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ReformQuerySet.as_manager()

    # Edited, versioned and reviewed with the reform: its citations, and the recommendations it
    # answers, each with its evidence (the reform is what answers, and its review is where the
    # evidence is judged).
    snapshot_children = (
        citations("reform"),
        Children(
            "responses",
            _("Recommendations it answers"),
            "reforms.Response",
            "reform",
            ("recommendation", "relation", "note", "note_ru", "note_kk"),
            ("recommendation",),
            children=(citations("response", _("Evidence")),),
        ),
        Children(
            "secondary_areas",
            _("Also filed under"),
            "reforms.SecondaryArea",
            "reform",
            ("area",),
            ("area",),
        ),
    )
    area_lookup = "area"

    class Meta:
        verbose_name = _("reform")
        verbose_name_plural = _("reforms")
        ordering = ["-first_date", "title"]
        # The public listing's orders, read in index order up to the page shown, and its facet
        # counts, read from an index alone: all of published() only. Each order's index holds
        # the id too, which is all a page's first query reads: a deep page (`?page=20000`)
        # skips the rows before it in the index alone, where it read each of them from the
        # table (at 1M, the middle page's ids in 0.2-0.3 s instead of 3.4-3.8 s).
        indexes = [
            models.Index(
                fields=["-first_date", "title"],
                include=["id"],
                name="reform_public_newest",
                condition=Q(review_state="published"),
            ),
            # Undated reforms (first_date "") last, as in the newest-first order.
            models.Index(
                undated_last("first_date"),
                F("first_date"),
                F("title"),
                include=["id"],
                name="reform_public_oldest",
                condition=Q(review_state="published"),
            ),
            models.Index(
                fields=["title"],
                include=["id"],
                name="reform_public_title",
                condition=Q(review_state="published"),
            ),
            models.Index(
                in_status_order(),
                F("first_date").desc(),
                F("title"),
                # The status too: PostgreSQL computes the order's expression again from the
                # column (it does not read an expression's value out of the index).
                include=["id", "status"],
                name="reform_public_status",
                condition=Q(review_state="published"),
            ),
            # The feeds' order, the newest change first (institute.listings.feeds): a feed reads
            # its 50 entries from here, not by sorting every published reform.
            models.Index(
                F("published_at").desc(),
                F("id"),
                name="reform_public_changed",
                condition=Q(review_state="published"),
            ),
            models.Index(
                fields=["area", "status", "initiated_by", "first_date"],
                include=["id"],
                name="reform_public_facets",
                condition=Q(review_state="published"),
            ),
            # Every reform's, drafts too (the admin's filters). Declared here rather than as
            # `db_index=True`, which on PostgreSQL also builds a second index of each column
            # for `LIKE 'prefix%'` that no query asks, and that every write kept.
            *(models.Index(fields=[column], name=f"reform_{column}") for column in PLAIN_INDEXES),
        ]
        constraints = [
            models.CheckConstraint(name="reform_area_known", condition=Q(area__in=Area.values)),
            models.CheckConstraint(
                name="reform_status_known", condition=Q(status__in=ReformStatus.values)
            ),
            models.CheckConstraint(
                name="reform_initiator_known",
                condition=Q(initiated_by="") | Q(initiated_by__in=Initiator.values),
            ),
            partial_date_constraint("announced_on", "reform"),
            partial_date_constraint("adopted_on", "reform"),
            partial_date_constraint("effective_on", "reform"),
            *date_qualifier_constraints("announced", "reform"),
            *date_qualifier_constraints("adopted", "reform"),
            *date_qualifier_constraints("effective", "reform"),
            models.CheckConstraint(
                name="reform_actor_known", condition=Q(acted_by__in=Actor.values)
            ),
            *editorial_constraints("reform"),
        ]
        permissions = [
            ("submit_reform", "Can submit a reform for review"),
            ("review_reform", "Can review a reform"),
            ("publish_reform", "Can publish a reform"),
            ("import_reform", "Can import reforms, citations and responses from CSV"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reforms:detail", kwargs={"slug": self.slug})

    def refresh_first_date(self) -> None:
        """Keep `first_date` the earliest known date (bulk paths call this, save() does too)."""
        dates = [d for d in (self.announced_on, self.adopted_on, self.effective_on) if d]
        self.first_date = min(dates) if dates else ""

    def save(self, *args, **kwargs):
        self.refresh_first_date()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"announced_on", "adopted_on", "effective_on"} & set(
            update_fields
        ):
            kwargs["update_fields"] = {*update_fields, "first_date"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {
            f"{kind}_qualifier": _("“%(qualifier)s” bounds a date: give the %(kind)s date too.")
            % {"qualifier": getattr(self, f"{kind}_qualifier"), "kind": kind}
            for kind in ("announced", "adopted", "effective")
            if not getattr(self, f"{kind}_on")
            and getattr(self, f"{kind}_qualifier") != DateQualifier.ON
        }
        if errors:
            raise ValidationError(errors)

    @property
    def dates(self) -> list[tuple[str, object, str]]:
        """The known dates, in the order announced, adopted, effective: (label, date, the date in
        words with its qualifier, "by 2016")."""
        triples = [
            (_("Announced"), self.announced_on, self.announced_qualifier),
            (_("Adoption date"), self.adopted_on, self.adopted_qualifier),
            (_("In force from"), self.effective_on, self.effective_qualifier),
        ]
        return [
            (label, value, qualified_date_label(value, qualifier))
            for label, value, qualifier in triples
            if value
        ]

    @property
    def first_date_label(self) -> str:
        """The earliest date in words, with the qualifier of the date it is."""
        for _label, value, words in self.dates:
            if value == self.first_date:
                return words
        return qualified_date_label(self.first_date, DateQualifier.ON)

    @classmethod
    def normalized_snapshot(cls, data: dict, before: dict | None = None) -> dict:
        """A secondary area is never the reform's own area: the rule, stated once. An edit of
        `area` that makes a secondary area the own one drops that secondary area; a snapshot
        that lists the own area again by itself is refused."""
        own = data.get("area")
        rows = data.get("secondary_areas") or []
        if not own or all(row.get("area") != own for row in rows):
            return data
        was = before or {}
        moved_onto = was.get("area") != own and any(
            row.get("area") == own for row in was.get("secondary_areas") or []
        )
        if not moved_onto:
            raise ValidationError(
                {
                    "secondary_areas": [
                        f"lists the reform's own area ({own}) again: it is already the "
                        "reform's area."
                    ]
                }
            )
        return {**data, "secondary_areas": [row for row in rows if row.get("area") != own]}

    @property
    def status_explanation(self) -> str:
        return STATUS_EXPLANATIONS.get(self.status, "")

    @property
    def initiator_label(self) -> str:
        label = self.get_initiated_by_display() if self.initiated_by else ""
        if self.initiated_by_detail:
            # A colon, not brackets: the detail often has brackets of its own.
            return f"{label}: {self.initiated_by_detail}" if label else self.initiated_by_detail
        return label


class SecondaryArea(models.Model):
    """One more area a reform is filed under besides its own (`Reform.area`): a police reform
    filed under human rights is also found under judicial reform. Edited, versioned and reviewed
    with the reform (one of its snapshot's children)."""

    reform = models.ForeignKey(Reform, on_delete=models.CASCADE, related_name="secondary_areas")
    area = models.CharField(max_length=30, choices=Area.choices)

    class Meta:
        ordering = ["area"]
        verbose_name = "also filed under"
        verbose_name_plural = "also filed under"
        constraints = [
            models.UniqueConstraint(fields=["reform", "area"], name="secondary_area_once"),
            models.CheckConstraint(name="secondary_area_known", condition=Q(area__in=Area.values)),
        ]

    def __str__(self) -> str:
        return self.get_area_display()


class Response(models.Model):
    """A reform linked to a recommendation: whether it answers it (came after it), anticipates
    it (came before, going its way) or only bears on it, and how. The reform's: written,
    versioned and reviewed with it (one of its snapshot's children, with its evidence); the
    recommendation shows it read-only."""

    recommendation = models.ForeignKey(
        "recommendations.Recommendation", on_delete=models.CASCADE, related_name="responses"
    )
    reform = models.ForeignKey(Reform, on_delete=models.CASCADE, related_name="responses")
    relation = models.CharField(
        max_length=20,
        choices=ResponseRelation.choices,
        default=ResponseRelation.ANSWERS,
        help_text=_(
            "Answers it: the reform came after the recommendation. Anticipates it: it came "
            "before but goes its way. Related: it bears on it without answering it."
        ),
    )
    # Blank while a link made by an import waits for its note.
    note = models.TextField(blank=True, help_text=_("How the reform answers the recommendation."))
    translated_fields = ("note",)
    note_ru = translation_of(note, "ru", _("note"))
    note_kk = translation_of(note, "kk", _("note"))

    class Meta:
        # The table it had in the recommendations app, where it began: moving it to its owner's
        # app changed no row, constraint or permission.
        db_table = "recommendations_response"
        ordering = ["recommendation", "reform"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "reform"], name="response_unique_pair"
            ),
            models.CheckConstraint(
                name="response_relation_known",
                condition=Q(relation__in=ResponseRelation.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reform} → {self.recommendation}"

    @property
    def relation_explanation(self) -> str:
        return RELATION_EXPLANATIONS.get(self.relation, "")
