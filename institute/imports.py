"""CSV import of the dataset tables: upsert by natural key, all or nothing, every problem named.

The file is read, checked whole and planned before anything is written: one invalid row and
nothing changes, and the report lists every bad row with its line, column, value and reason. A
row whose key exists updates that entry (a published entry gets a working copy for review, not a
live change); an identical row is reported unchanged and not written; a new row lands as a draft.
Writes go in bulk statements, with their versions recorded in bulk too.

The columns are those of institute.datasets.TABLES: what the exports write, this reads back.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models

from institute.datasets import (
    SLUG_PATTERN,
    TABLES,
    Table,
    split,
    unescape_formula,
)
from institute.dates import parse_partial_date
from institute.editorial.edits import StaleEdit, save_edit

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
PLAN_CHUNK = 500  # entries whose current state is read in one go
PREVIEW_LIMIT = 500  # rows whose field-by-field changes are worked out for a preview
SLUG_RE = re.compile(SLUG_PATTERN)


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported, located as precisely as we can."""

    reason: str
    line: int | None = None
    column: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column “{self.column}”")
        value = f" (value “{self.value[:80]}”)" if self.value else ""
        prefix = ", ".join(where).capitalize() + ": " if where else ""
        return f"{prefix}{self.reason}{value}"


class ImportRefused(Exception):
    """The file cannot be imported; nothing was written."""

    def __init__(self, problems: list[Problem], *, rows: list[tuple[int, dict]] | None = None):
        self.problems = problems
        self.rows = rows or []
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ParsedFile:
    table: Table
    header: list[str]
    rows: list[tuple[int, dict]]  # (line number, {column: raw value}) for known columns
    notices: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 text of an upload, with or without a BOM; a clear refusal for anything else."""
    if not data or not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportRefused([Problem("The file is empty: there is no header row and no data.")])
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            [
                Problem(
                    f"The file is {len(data) / 1_048_576:.1f} MB; the limit is "
                    f"{MAX_BYTES // 1_048_576} MB. Split it into smaller files."
                )
            ]
        )
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:8192]:
        raise ImportRefused(
            [
                Problem(
                    "This is not a CSV file: it looks like a spreadsheet workbook or another "
                    "binary file. Save it as “CSV UTF-8 (comma-delimited)” and upload that."
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(
            [
                Problem(
                    f"The file is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be read). "
                    "Save it as “CSV UTF-8” and upload it again.",
                    line=line,
                )
            ]
        ) from exc


def parse(data: bytes, *, table: Table) -> ParsedFile:
    """Read the CSV: header checks, row shapes and sizes. Values are checked by `validate`."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise ImportRefused([Problem(f"The header cannot be read as CSV: {exc}.", line=1)]) from exc
    header = [h.strip().lstrip("\ufeff") for h in raw_header]
    known = set(table.header)
    duplicates = [name for name, n in Counter(header).items() if n > 1 and name]
    for name in duplicates:
        problems.append(Problem(f"The column “{name}” appears more than once.", line=1))
    required = [c.name for c in table.columns if c.required]
    missing = [name for name in required if name not in header]
    if missing:
        problems.append(
            Problem(
                f"Required column(s) missing: {', '.join(missing)}. The {table.name} table's "
                f"columns are: {', '.join(table.header)}.",
                line=1,
            )
        )
    if problems:
        raise ImportRefused(problems)
    notices = []
    extra = [h for h in header if h not in known]
    if extra:
        notices.append(
            f"Ignored column(s) not in the {table.name} table: "
            + ", ".join(f"“{h}”" if h else "(unnamed)" for h in extra)
            + "."
        )
    rows: list[tuple[int, dict]] = []
    blank = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"This line is not valid CSV: {exc}.", line=reader.line_num))
            break
        line = reader.line_num
        if not any(c.strip() for c in cells):
            blank += 1
            continue
        if len(cells) > len(header):
            problems.append(
                Problem(
                    f"This row has {len(cells)} cells but the header has {len(header)} columns; "
                    "a value may contain an unquoted comma.",
                    line=line,
                )
            )
            continue
        cells += [""] * (len(header) - len(cells))
        rows.append(
            (
                line,
                {h: unescape_formula(v) for h, v in zip(header, cells, strict=True) if h in known},
            )
        )
        if len(rows) > MAX_ROWS:
            raise ImportRefused(
                [Problem(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.")]
            )
    if blank:
        notices.append(f"Skipped {blank} empty line(s).")
    if not rows and not problems:
        problems.append(Problem("The file has a header but no data rows."))
    if problems:
        raise ImportRefused(problems)
    return ParsedFile(table=table, header=header, rows=rows, notices=notices)


# --- values -----------------------------------------------------------------------------------
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
    from institute.sources.models import SourceKind
    from recommendations.models import Audience, Implementation
    from reforms.models import Area, Initiator, ReformStatus

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
        from django.core.validators import URLValidator

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
        from django.apps import apps

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


# --- planning ---------------------------------------------------------------------------------
NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass
class Outcome:
    """What one row does: create, update or nothing, and (for a preview) what changes."""

    line: int
    key: str
    action: str
    changes: list = field(default_factory=list)


@dataclass
class ImportReport:
    table: str
    outcomes: list[Outcome]
    notices: list[str]
    dry_run: bool

    @property
    def counts(self) -> Counter:
        counts = Counter({NEW: 0, UPDATED: 0, UNCHANGED: 0})
        counts.update(o.action for o in self.outcomes)
        return counts

    def summary(self) -> str:
        c = self.counts
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.table}: {c[NEW]} new, {c[UPDATED]} updated, {c[UNCHANGED]} unchanged "
            f"({'dry run: nothing ' + verb + ' written' if self.dry_run else 'written'}), 0 errors."
        )


@dataclass
class Plan:
    """Every change the file makes, decided before anything is written."""

    spec: TableSpec
    creates: list[tuple[int, dict]] = field(default_factory=list)  # (line, snapshot)
    updates: dict = field(default_factory=dict)  # (model label, pk) → [entry, old, new]
    outcomes: list[Outcome] = field(default_factory=list)
    preview: bool = False  # work out field-by-field changes for a person to read

    def wants_changes(self) -> bool:
        return self.preview and len(self.outcomes) < PREVIEW_LIMIT


class Lookups:
    """Every natural key a file may refer to, read once: slug → primary key, and which of the
    targets are published (links to unpublished entries are never shown in public files, so an
    import keeps them rather than reading their absence as a removal)."""

    def __init__(self):
        from institute.sources.models import Source
        from recommendations.models import Recommendation, Response, Theme
        from reforms.models import Reform, Topic

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


def _working_snapshot(entry) -> dict:
    """What an editor works on: the pending working copy of a published entry, else the row."""
    return _working_snapshots([entry])[entry.pk]


def _working_snapshots(entries: list) -> dict:
    """`_working_snapshot` of many entries of one model, in a fixed number of queries."""
    from django.contrib.contenttypes.models import ContentType

    from institute.editorial.models import PendingRevision
    from institute.editorial.versions import snapshots

    if not entries:
        return {}
    content_type = ContentType.objects.get_for_model(type(entries[0]))
    revisions = dict(
        PendingRevision.objects.filter(
            content_type=content_type, object_id__in=[e.pk for e in entries]
        ).values_list("object_id", "data")
    )
    out = snapshots([e for e in entries if e.pk not in revisions])
    out.update({pk: dict(data) for pk, data in revisions.items()})
    return out


def _blank_snapshot(model) -> dict:
    from institute.editorial.versions import children_of, m2m_fields, scalar_fields

    data = {}
    for f in scalar_fields(model):
        default = f.get_default()
        data[f.name] = "" if default is None and not f.null else default
    for f in m2m_fields(model):
        data[f.name] = []
    for child in children_of(model):
        data[child.name] = []
    return data


def _set_links(items: list[dict], key: str, wanted: list[int], published: set, blank: dict):
    """Links (citations by source, responses by target) after a file lists `wanted`: listed
    targets are kept or added; unlisted ones are removed unless unpublished (then kept)."""
    wanted_set = set(wanted)
    kept = [i for i in items if i[key] in wanted_set or i[key] not in published]
    have = {i[key] for i in kept}
    for pk in wanted:
        if pk not in have:
            kept.append({**blank, key: pk})
            have.add(pk)
    if blank.get("position") is not None:
        for n, item in enumerate(kept):
            item["position"] = n
    return kept


def merge_entry(spec: TableSpec, snap: dict, row: dict, lk: Lookups) -> dict:
    """The entry's snapshot with the cleaned row's columns applied (absent columns untouched)."""
    new = {k: (list(v) if isinstance(v, list) else v) for k, v in snap.items()}
    for column, value in row.items():
        kind = spec.columns.get(column)
        if kind in ("ignored", None):
            continue
        if column == "topics":
            new["topics"] = sorted(lk.topics[s] for s in value)
        elif column == "themes":
            new["themes"] = sorted(lk.themes[s] for s in value)
        elif column == "report":
            new["report"] = lk.sources[value]
        elif column == "sources":
            new["citations"] = _set_links(
                [dict(i) for i in snap.get("citations", [])],
                "source",
                [lk.sources[s] for s in value],
                lk.published_sources,
                {"locator": "", "quote": "", "supports": "", "position": 0},
            )
        elif column == "responds_to":
            new["responses"] = _set_links(
                [dict(i) for i in snap.get("responses", [])],
                "recommendation",
                [lk.recommendations[s] for s in value],
                lk.published_recommendations,
                {"note": ""},
            )
        elif column == "related_reforms":
            new["responses"] = _set_links(
                [dict(i) for i in snap.get("responses", [])],
                "reform",
                [lk.reforms[s] for s in value],
                lk.published_reforms,
                {"note": ""},
            )
        else:
            new[column] = value
    return new


def clean_rows(spec: TableSpec, parsed: ParsedFile, lk: Lookups, progress=None):
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
                row[column] = clean_value(spec, column, value, lk)
            except ValidationError as exc:
                ok = False
                problems.append(Problem(" ".join(exc.messages), line, column, value))
        if spec.name == "citations" and ok:
            ok = _clean_citation_entry(row, raw, line, lk, problems)
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


def _clean_citation_entry(row, raw, line, lk, problems) -> bool:
    entry_type, entry = row.get("entry_type", ""), row.get("entry", "")
    tables = {
        "reform": lk.reforms,
        "recommendation": lk.recommendations,
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
        pair = (lk.recommendations.get(rec), lk.reforms.get(reform))
        if pair not in lk.responses:
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


def plan_import(
    spec: TableSpec, rows: list[tuple[int, dict]], lk: Lookups, progress=None, preview=False
) -> Plan:
    """Decide, per row, create / update / unchanged against what editors work on now."""
    from institute.editorial.diffs import diff

    plan = Plan(spec, preview=preview)
    total = len(rows)
    model = spec.model
    if spec.name in ("reforms", "recommendations", "sources"):
        blank = _blank_snapshot(model)
        for start in range(0, total, PLAN_CHUNK):
            chunk = rows[start : start + PLAN_CHUNK]
            slugs = [r["slug"] for _, r in chunk]
            existing = {e.slug: e for e in model._default_manager.filter(slug__in=slugs)}
            current = _working_snapshots(list(existing.values()))
            for line, row in chunk:
                entry = existing.get(row["slug"])
                if entry is None:
                    snap = merge_entry(spec, blank, row, lk)
                    plan.creates.append((line, snap))
                    changes = diff(model, None, snap) if plan.wants_changes() else []
                    plan.outcomes.append(Outcome(line, row["slug"], NEW, changes))
                    continue
                old = current[entry.pk]
                new = merge_entry(spec, old, row, lk)
                _record_update(plan, model, entry, old, new, line, row["slug"])
            if progress:
                progress("planned", min(start + PLAN_CHUNK, total), total)
        return plan
    if spec.name == "responses":
        return _plan_responses(plan, rows, lk)
    return _plan_citations(plan, rows, lk)


def _record_update(plan: Plan, model, entry, old, new, line, key):
    from institute.editorial.diffs import diff

    slot = plan.updates.get((model._meta.label, entry.pk))
    if slot is None:
        slot = plan.updates[(model._meta.label, entry.pk)] = [entry, old, old]
    before = slot[2]
    slot[2] = new
    if before == new:
        plan.outcomes.append(Outcome(line, key, UNCHANGED))
        return
    # Field-by-field changes are for the preview; past its length only the verdict counts.
    changes = diff(model, before, new) if plan.wants_changes() else []
    plan.outcomes.append(Outcome(line, key, UPDATED, changes))


def _preload_owners(plan: Plan, model, pks) -> None:
    """Read the current state of every entry a child-table file touches, in bulk."""
    wanted = [pk for pk in set(pks) if (model._meta.label, pk) not in plan.updates]
    for start in range(0, len(wanted), PLAN_CHUNK):
        entries = list(model._default_manager.filter(pk__in=wanted[start : start + PLAN_CHUNK]))
        for pk, snap in _working_snapshots(entries).items():
            entry = next(e for e in entries if e.pk == pk)
            plan.updates[(model._meta.label, pk)] = [entry, snap, snap]


def _owner_snapshot(plan: Plan, model, pk):
    slot = plan.updates.get((model._meta.label, pk))
    if slot is not None:
        return slot[0], slot[2]
    entry = model._default_manager.get(pk=pk)
    return entry, _working_snapshot(entry)


def _plan_responses(plan: Plan, rows, lk):
    from reforms.models import Reform

    _preload_owners(plan, Reform, [lk.reforms[row["reform"]] for _, row in rows])
    for line, row in rows:
        reform, snap = _owner_snapshot(plan, Reform, lk.reforms[row["reform"]])
        rec_pk = lk.recommendations[row["recommendation"]]
        new = {**snap, "responses": [dict(i) for i in snap.get("responses", [])]}
        item = next((i for i in new["responses"] if i["recommendation"] == rec_pk), None)
        note = row.get("note", item["note"] if item else "")
        if item is None:
            new["responses"].append({"recommendation": rec_pk, "note": note})
        else:
            item["note"] = note
        key = f"{row['recommendation']}/{row['reform']}"
        _record_update(plan, Reform, reform, snap, new, line, key)
        if item is None:
            plan.outcomes[-1].action = NEW
    return plan


def _plan_citations(plan: Plan, rows, lk):
    from recommendations.models import Recommendation
    from reforms.models import Reform

    for model, entry_type, table in (
        (Reform, "reform", lk.reforms),
        (Recommendation, "recommendation", lk.recommendations),
    ):
        _preload_owners(
            plan, model, [table[r["entry"]] for _, r in rows if r["entry_type"] == entry_type]
        )
    # A response's evidence is part of its reform's snapshot: reviewed with the reform.
    _preload_owners(
        plan,
        Reform,
        [
            lk.reforms[r["entry"].partition("/")[2]]
            for _, r in rows
            if r["entry_type"] == "response"
        ],
    )
    for line, row in rows:
        source_pk = lk.sources[row["source"]]
        locator = row.get("locator", "")
        values = {
            "quote": row.get("quote"),
            "supports": row.get("supports"),
        }
        key = f"{row['entry_type']}:{row['entry']}:{row['source']}:{locator}"
        if row["entry_type"] == "response":
            _plan_response_citation(plan, lk, line, row, key, source_pk, locator, values)
            continue
        model = Reform if row["entry_type"] == "reform" else Recommendation
        table = lk.reforms if model is Reform else lk.recommendations
        entry, snap = _owner_snapshot(plan, model, table[row["entry"]])
        new = {**snap, "citations": [dict(i) for i in snap.get("citations", [])]}
        item = next(
            (i for i in new["citations"] if i["source"] == source_pk and i["locator"] == locator),
            None,
        )
        if item is None:
            # A source listed in the entry's `sources` column gets a citation with no locator;
            # the first real citation of that source takes its place.
            placeholder = next(
                (
                    i
                    for i in new["citations"]
                    if i["source"] == source_pk
                    and not (i["locator"] or i["quote"] or i["supports"])
                ),
                None,
            )
            if placeholder is not None and locator:
                item = placeholder
                item["locator"] = locator
            else:
                item = {"source": source_pk, "locator": locator, "quote": "", "supports": ""}
                item["position"] = len(new["citations"])
                new["citations"].append(item)
            created = True
        else:
            created = False
        for k, v in values.items():
            if v is not None:
                item[k] = v
        _record_update(plan, model, entry, snap, new, line, key)
        if created:
            plan.outcomes[-1].action = NEW
    return plan


def _plan_response_citation(plan: Plan, lk, line, row, key, source_pk, locator, values):
    """Evidence for a response goes into its reform's working snapshot, never to the live row."""
    from reforms.models import Reform

    rec, _, reform = row["entry"].partition("/")
    rec_pk = lk.recommendations[rec]
    entry, snap = _owner_snapshot(plan, Reform, lk.reforms[reform])
    new = {**snap, "responses": [dict(i) for i in snap.get("responses", [])]}
    response = next((i for i in new["responses"] if i["recommendation"] == rec_pk), None)
    if response is None:
        # Cleaning found the response; the reform's working copy has since dropped it.
        raise ImportRefused(
            [
                Problem(
                    "the working copy of the reform no longer answers this recommendation; "
                    "publish or discard that copy first",
                    line,
                    "entry",
                    row["entry"],
                )
            ]
        )
    response["citations"] = [dict(i) for i in response.get("citations", [])]
    item = next(
        (i for i in response["citations"] if i["source"] == source_pk and i["locator"] == locator),
        None,
    )
    created = item is None
    if created:
        item = {"source": source_pk, "locator": locator, "quote": "", "supports": ""}
        item["position"] = len(response["citations"])
        response["citations"].append(item)
    for k, v in values.items():
        if v is not None:
            item[k] = v
    _record_update(plan, Reform, entry, snap, new, line, key)
    if created:
        plan.outcomes[-1].action = NEW


# --- applying ---------------------------------------------------------------------------------
def _real_user(by):
    return by if getattr(by, "pk", None) else None


def _create_in_bulk(plan: Plan, *, by, comment: str, progress=None) -> None:
    """New entries in bulk statements: rows, many-to-many, children, versions."""
    from django.contrib.contenttypes.models import ContentType

    from institute.editorial.models import EntryVersion, VersionKind
    from institute.editorial.versions import apply_scalars, children_of, m2m_fields

    model = plan.spec.model
    user = _real_user(by)
    objs, problems = [], []
    for line, snap in plan.creates:
        obj = model()
        apply_scalars(obj, snap)
        obj.created_by = obj.updated_by = user
        if hasattr(obj, "refresh_first_date"):
            obj.refresh_first_date()
        try:
            obj.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                problems.append(
                    Problem(" ".join(messages), line, column, str(snap.get(column, "")))
                )
        objs.append(obj)
    if problems:
        raise ImportRefused(problems)
    created = model._default_manager.bulk_create(objs, batch_size=500)
    if progress:
        progress("written", len(created), len(created))
    snaps = [snap for _, snap in plan.creates]
    for f in m2m_fields(model):
        through = f.remote_field.through
        a, b = f.m2m_field_name(), f.m2m_reverse_field_name()
        through.objects.bulk_create(
            [
                through(**{f"{a}_id": obj.pk, f"{b}_id": pk})
                for obj, snap in zip(created, snaps, strict=True)
                for pk in snap.get(f.name, [])
            ],
            batch_size=2000,
        )
    for child in children_of(model):
        child_model = child.get_model()
        rows = []
        for obj, snap in zip(created, snaps, strict=True):
            for values in snap.get(child.name, []):
                row = child_model(**{child.owner_field: obj})
                for name in child.fields:
                    setattr(row, child_model._meta.get_field(name).attname, values.get(name))
                rows.append(row)
        if rows:
            child_model._default_manager.bulk_create(rows, batch_size=1000)
        nested_rows = _nested_rows(child, created, snaps)
        for grandchild_model, grandchildren in nested_rows.items():
            grandchild_model._default_manager.bulk_create(grandchildren, batch_size=1000)
    content_type = ContentType.objects.get_for_model(model)
    EntryVersion.objects.bulk_create(
        [
            EntryVersion(
                content_type=content_type,
                object_id=obj.pk,
                number=obj.version,
                kind=VersionKind.CREATED,
                data=snap,
                comment=comment[:300],
                created_by=user,
            )
            for obj, snap in zip(created, snaps, strict=True)
        ],
        batch_size=1000,
    )


def _nested_rows(child, owners: list, snaps: list[dict]) -> dict:
    """The rows the new children own in turn (a response's evidence), unsaved, by model."""
    if not child.children:
        return {}
    wanted = {
        (owner.pk, *(values.get(k) for k in child.key)): values
        for owner, snap in zip(owners, snaps, strict=True)
        for values in snap.get(child.name, [])
    }
    saved = child.get_model()._default_manager.filter(
        **{f"{child.owner_field}__in": [o.pk for o in owners]}
    )
    out: dict = {}
    for row in saved:
        key = (
            getattr(row, row._meta.get_field(child.owner_field).attname),
            *(getattr(row, row._meta.get_field(k).attname) for k in child.key),
        )
        values = wanted.get(key, {})
        for grandchild in child.children:
            model = grandchild.get_model()
            for item in values.get(grandchild.name) or []:
                nested = model(**{grandchild.owner_field: row})
                for name in grandchild.fields:
                    setattr(nested, model._meta.get_field(name).attname, item.get(name))
                out.setdefault(model, []).append(nested)
    return out


def _update(entry, new: dict, *, by, comment: str) -> None:
    """One changed entry, through the edit service: a working copy when it is published, else
    the row itself. Planned against the version read then: a save since refuses the file."""
    try:
        save_edit(entry, new, by=_real_user(by), comment=comment, expected_version=entry.version)
    except StaleEdit as exc:
        raise ImportRefused(
            [Problem(f"“{entry}” was changed by someone else during the import; import again.")]
        ) from exc


def apply_plan(plan: Plan, *, by, comment: str, progress=None) -> None:
    if plan.creates:
        _create_in_bulk(plan, by=by, comment=comment, progress=progress)
    changed = [(e, new) for e, old, new in plan.updates.values() if new != old]
    for n, (entry, new) in enumerate(changed, start=1):
        _update(entry, new, by=by, comment=comment)
        if progress and (n % 100 == 0 or n == len(changed)):
            progress("written", n, len(changed))


def run_import(
    *,
    table: str,
    data: bytes,
    by=None,
    dry_run: bool = False,
    progress=None,
    source_name: str = "",
    preview: bool = False,
) -> ImportReport:
    """Check, plan and (unless `dry_run`) write one CSV file; ImportRefused if anything is wrong.

    A dry run does everything a real run does inside a transaction and rolls it back, so its
    report is exactly what the real run would do.
    """
    from django.db import DatabaseError, IntegrityError, transaction

    spec = SPECS[table]
    parsed = parse(data, table=spec.table)
    lookups = Lookups()
    rows, problems = clean_rows(spec, parsed, lookups, progress)
    problems += _check_positions(spec, rows, lookups)
    if problems:
        raise ImportRefused(sorted(problems, key=_problem_order), rows=parsed.rows)
    comment = f"CSV import{': ' + source_name if source_name else ''}"
    # Planning reads only; writing re-checks each entry's version under its row lock.
    plan = plan_import(spec, rows, lookups, progress=progress, preview=preview)
    with transaction.atomic():
        try:
            apply_plan(plan, by=by, comment=comment, progress=progress)
        except ImportRefused as exc:
            transaction.set_rollback(True)
            raise ImportRefused(exc.problems, rows=parsed.rows) from exc
        except ValidationError as exc:
            transaction.set_rollback(True)
            raise ImportRefused(
                [Problem(f"The import was undone: {' '.join(exc.messages)}")], rows=parsed.rows
            ) from exc
        except (IntegrityError, DatabaseError) as exc:
            transaction.set_rollback(True)
            raise ImportRefused(
                [Problem(f"The database refused the import, which was undone: {exc}")],
                rows=parsed.rows,
            ) from exc
        if dry_run:
            transaction.set_rollback(True)
    return ImportReport(table, plan.outcomes, parsed.notices, dry_run)


def _problem_order(problem: Problem):
    return (problem.line or 0, problem.column)


def _check_positions(spec: TableSpec, rows, lk: Lookups) -> list[Problem]:
    """A recommendation's position is unique within its report: in the file and in the data."""
    if spec.name != "recommendations":
        return []
    from recommendations.models import Recommendation

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
        key = (lk.sources[row["report"]], row["position"])
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


def failed_rows_csv(header: list[str], rows: list[tuple[int, dict]], problems) -> str:
    """The rows that failed, with a `problems` column, to fix and upload again."""
    by_line: dict[int, list[str]] = {}
    for p in problems:
        if p.line is not None:
            by_line.setdefault(p.line, []).append(str(p))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["line", *header, "problems"])
    for line, values in rows:
        if line in by_line:
            writer.writerow([line, *(values.get(h, "") for h in header), " | ".join(by_line[line])])
    return out.getvalue()
