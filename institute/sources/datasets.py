"""The sources table of the published datasets (the CSV contract: see institute.datasets)."""

from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from institute.datasets.columns import (
    DATE_RULE,
    Choice,
    Column,
    PartialDate,
    Slug,
    Url,
    translation_columns,
)
from institute.datasets.tables import Table, register
from institute.sources.models import Source, SourceKind


def published_sources() -> QuerySet:
    return Source.objects.published().order_by("slug")


SOURCES = Table(
    name="sources",
    title=gettext_lazy("Sources"),
    description=gettext_lazy("Publications the entries rest on."),
    model="institute.Source",
    primary_key=["slug"],
    queryset=published_sources,
    position=30,
    import_permission="institute.import_source",
    columns=[
        Column("slug", gettext_lazy("Permanent identifier."), Slug(), required=True),
        Column("title", gettext_lazy("Title as published."), required=True),
        Column("authors", gettext_lazy("Authors as printed, '; '-separated.")),
        Column("publisher", gettext_lazy("Publisher or site.")),
        Column(
            "published_on",
            format_lazy("{} {}", gettext_lazy("Publication date."), DATE_RULE),
            PartialDate(),
        ),
        Column("kind", gettext_lazy("Kind of source."), Choice(SourceKind.choices), required=True),
        Column(
            "url", gettext_lazy("Where it can be read, if online. Not the tracker's page."), Url()
        ),
        *translation_columns({"title": gettext_lazy("The title")}),
    ],
)

register(SOURCES)
