"""The sources table of the published datasets (the CSV contract: see institute.datasets)."""

from django.db.models import QuerySet

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
    title="Sources",
    description="Publications the entries rest on.",
    model="institute.Source",
    primary_key=["slug"],
    queryset=published_sources,
    position=30,
    import_permission="institute.import_source",
    columns=[
        Column("slug", "Permanent identifier.", Slug(), required=True),
        Column("title", "Title as published.", required=True),
        Column("authors", "Authors as printed, '; '-separated."),
        Column("publisher", "Publisher or site."),
        Column("published_on", f"Publication date. {DATE_RULE}", PartialDate()),
        Column("kind", "Kind of source.", Choice(SourceKind.choices), required=True),
        Column("url", "Where it can be read, if online. Not the tracker's page.", Url()),
        *translation_columns({"title": "The title"}),
    ],
)

register(SOURCES)
