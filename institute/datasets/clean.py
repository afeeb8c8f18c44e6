"""Checking every cell of a parsed file against its table's columns, and every reference
against what exists: the cleaned rows, or every problem with line, column, value and reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from institute.datasets.parse import ParsedFile, Problem
from institute.datasets.tables import SLUG_PATTERN, TABLES, Table, split
from institute.dates import parse_partial_date
from institute.sources.models import Source, SourceKind
from recommendations.models import Audience, Implementation, Recommendation, Response, Theme
from reforms.models import Area, Initiator, Reform, ReformStatus, Topic

SLUG_RE = re.compile(SLUG_PATTERN)


def check_slug(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError("is required")
    if not SLUG_RE.match(value) or len(value) > 100:
        raise ValidationError(
            "must be lowercase letters, digits and single hyphens (at most 100 characters)"
        )
    return value


def check_choice(value: str, choices, *, required: bool) -> str:
    value = value.strip()
    if not value:
        if required:
            raise ValidationError("is required")
        return ""
    allowed = [v for v, _ in choices]
    if value not in allowed:
        raise ValidationError(f"must be one of {', '.join(allowed)}")
    return value


def check_date(value: str) -> str:
    parsed = parse_partial_date(value.strip())
    return str(parsed) if parsed else ""


def check_refs(value: str, table: dict, what: str) -> list[str]:
    slugs = split(value)
    unknown = [s for s in slugs if s not in table]
    if unknown:
        raise ValidationError(f"unknown {what}: {', '.join(unknown)}")
    if len(set(slugs)) != len(slugs):
        raise ValidationError(f"lists the same {what} twice")
    return slugs


def check_text(value: str, *, required: bool, max_length: int | None = None) -> str:
    if required and not value.strip():
        raise ValidationError("is required")
    if max_length and len(value) > max_length:
        raise ValidationError(f"is {len(value)} characters long; the limit is {max_length}")
    return value


# --- tables -----------------------------------------------------------------------------------
def _choices(name: str):
    return {
        "area": Area.choices,
        "status": ReformStatus.choices,
        "initiated_by": Initiator.choices,
        "audience": Audience.choices,
        "implementation": Implementation.choices,
        "kind": SourceKind.choices,
    }[name]


def _field_max_length(model, name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


def clean_value(spec: TableSpec, column: str, raw: str, lookups: Lookups):
    """The value of one cell as the model wants it, or ValidationError in plain words."""
    kind = spec.columns[column]
    if kind == "key":
        return check_slug(raw)
    if kind == "choice":
        required = next(c.required for c in spec.table.columns if c.name == column)
        return check_choice(raw, _choices(column), required=required)
    if kind == "date":
        return check_date(raw)
    if kind in ("text", "required-text"):
        return check_text(
            raw,
            required=kind == "required-text",
            max_length=_field_max_length(spec.model, column),
        )
    if kind == "integer":
        try:
            number = int(raw.strip())
        except ValueError:
            raise ValidationError("must be a whole number") from None
        if number < 1:
            raise ValidationError("must be 1 or more")
        return number
    if kind == "url":
        value = raw.strip()
        if value:
            URLValidator()(value)
        return value
    if isinstance(kind, tuple) and kind[0] == "refs":
        return check_refs(raw, getattr(lookups, kind[1]), kind[2])
    if isinstance(kind, tuple) and kind[0] == "ref":
        value = raw.strip()
        if not value:
            raise ValidationError("is required")
        if value not in getattr(lookups, kind[1]):
            raise ValidationError(f"unknown {kind[2]}")
        return value
    if kind == "ignored":
        return None
    raise AssertionError(f"no checker for {column}")


@dataclass(frozen=True)
class TableSpec:
    name: str
    model_label: str
    columns: dict  # column → kind of check

    @property
    def table(self) -> Table:
        return TABLES[self.name]

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


SPECS = {
    "reforms": TableSpec(
        "reforms",
        "reforms.Reform",
        {
            "slug": "key",
            "title": "required-text",
            "summary": "required-text",
            "area": "choice",
            "topics": ("refs", "topics", "topic(s)"),
            "status": "choice",
            "announced_on": "date",
            "adopted_on": "date",
            "effective_on": "date",
            "initiated_by": "choice",
            "sources": ("refs", "sources", "source(s)"),
            "responds_to": ("refs", "recommendations", "recommendation(s)"),
            "url": "ignored",
            "body": "text",
            "initiated_by_detail": "text",
        },
    ),
    "recommendations": TableSpec(
        "recommendations",
        "recommendations.Recommendation",
        {
            "slug": "key",
            "title": "required-text",
            "text": "required-text",
            "audience": "choice",
            "themes": ("refs", "themes", "theme(s)"),
            "report": ("ref", "sources", "source"),
            "position": "integer",
            "implementation": "choice",
            "implementation_note": "text",
            "assessed_on": "date",
            "related_reforms": ("refs", "reforms", "reform(s)"),
            "url": "ignored",
        },
    ),
    "sources": TableSpec(
        "sources",
        "institute.Source",
        {
            "slug": "key",
            "title": "required-text",
            "authors": "text",
            "publisher": "text",
            "published_on": "date",
            "kind": "choice",
            "url": "url",
        },
    ),
    "citations": TableSpec(
        "citations",
        "institute.Citation",
        {
            "entry_type": "choice-entry",
            "entry": "entry",
            "source": ("ref", "sources", "source"),
            "locator": "text",
            "quote": "text",
            "supports": "text",
        },
    ),
    "responses": TableSpec(
        "responses",
        "recommendations.Response",
        {
            "recommendation": ("ref", "recommendations", "recommendation"),
            "reform": ("ref", "reforms", "reform"),
            "note": "text",
        },
    ),
}


class Lookups:
    """Every natural key a file may refer to, read once: slug → primary key, and which of the
    targets are published (links to unpublished entries are never shown in public files, so an
    import keeps them rather than reading their absence as a removal)."""

    def __init__(self):
        self.topics = dict(Topic.objects.values_list("slug", "pk"))
        self.themes = dict(Theme.objects.values_list("slug", "pk"))
        self.sources = dict(Source.objects.values_list("slug", "pk"))
        self.reforms = dict(Reform.objects.values_list("slug", "pk"))
        self.recommendations = dict(Recommendation.objects.values_list("slug", "pk"))
        self.responses = set(Response.objects.values_list("recommendation_id", "reform_id"))
        self.published_sources = set(Source.objects.published().values_list("pk", flat=True))
        self.published_reforms = set(Reform.objects.published().values_list("pk", flat=True))
        self.published_recommendations = set(
            Recommendation.objects.published().values_list("pk", flat=True)
        )


def clean_rows(spec: TableSpec, parsed: ParsedFile, lookups: Lookups, progress=None):
    """Every row's cleaned values, or every problem with line, column, value and reason."""
    problems: list[Problem] = []
    cleaned: list[tuple[int, dict]] = []
    seen: dict = {}
    total = len(parsed.rows)
    for n, (line, raw) in enumerate(parsed.rows, start=1):
        row, ok = {}, True
        for column, value in raw.items():
            kind = spec.columns[column]
            if kind in ("choice-entry", "entry"):
                row[column] = value.strip()
                continue
            try:
                row[column] = clean_value(spec, column, value, lookups)
            except ValidationError as exc:
                ok = False
                problems.append(Problem(" ".join(exc.messages), line, column, value))
        if spec.name == "citations" and ok:
            ok = _clean_citation_entry(row, raw, line, lookups, problems)
        if ok:
            key = row_key(spec, row)
            if key in seen:
                problems.append(
                    Problem(
                        f"duplicates line {seen[key]}: each {spec.table.primary_key[0]} may "
                        "appear once in a file",
                        line,
                        spec.table.primary_key[0],
                        " / ".join(str(k) for k in key),
                    )
                )
                ok = False
            else:
                seen[key] = line
        if ok:
            cleaned.append((line, row))
        if progress and (n % 500 == 0 or n == total):
            progress("checked", n, total)
    return cleaned, problems


def _clean_citation_entry(row, raw, line, lookups, problems) -> bool:
    entry_type, entry = row.get("entry_type", ""), row.get("entry", "")
    tables = {
        "reform": lookups.reforms,
        "recommendation": lookups.recommendations,
    }
    if entry_type not in ("reform", "recommendation", "response"):
        problems.append(
            Problem(
                "must be one of reform, recommendation, response", line, "entry_type", entry_type
            )
        )
        return False
    if entry_type == "response":
        rec, _, reform = entry.partition("/")
        pair = (lookups.recommendations.get(rec), lookups.reforms.get(reform))
        if pair not in lookups.responses:
            problems.append(
                Problem(
                    "must be 'recommendation-slug/reform-slug' of an existing response "
                    "(import the responses file first)",
                    line,
                    "entry",
                    entry,
                )
            )
            return False
    elif entry not in tables[entry_type]:
        problems.append(Problem(f"unknown {entry_type}", line, "entry", entry))
        return False
    return True


def row_key(spec: TableSpec, row: dict) -> tuple:
    return tuple(row.get(k, "") for k in spec.table.primary_key)


def check_positions(spec: TableSpec, rows, lookups: Lookups) -> list[Problem]:
    """A recommendation's position is unique within its report: in the file and in the data."""
    if spec.name != "recommendations":
        return []
    taken = {
        (report_id, position): slug
        for report_id, position, slug in Recommendation.objects.values_list(
            "report_id", "position", "slug"
        )
    }
    in_file = {slug for _, row in rows for slug in [row.get("slug")]}
    taken = {k: v for k, v in taken.items() if v not in in_file}
    problems = []
    for line, row in rows:
        if "report" not in row or "position" not in row:
            continue
        key = (lookups.sources[row["report"]], row["position"])
        if key in taken:
            problems.append(
                Problem(
                    f"position {row['position']} in report {row['report']} is already taken by "
                    f"{taken[key]}",
                    line,
                    "position",
                    str(row["position"]),
                )
            )
        taken[key] = row["slug"]
    return problems
