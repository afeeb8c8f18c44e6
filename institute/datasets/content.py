"""Loading the curated content in fixtures/content/*.yaml: an idempotent upsert by slug.

The YAML files are the reviewable form of the demo content (see fixtures/content/README.md).
Loading runs in one transaction: one invalid entry and nothing is written. Loading the same files
twice changes nothing, not even the history, because an entry is saved only when it differs.

Review states go through institute.workflow like everywhere else: a new entry is created as a
draft, then published with `publish_loaded`, the system path kept for this loader (the content
is reviewed in the repository by diff; see its docstring). That writes one review event per new
entry. Every entry the load creates or changes gets a version in its history (kind "imported").
An update of a published entry is written to its row: loading is a publishing path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from institute.editorial.models import VersionKind
from institute.editorial.versions import bump_version, record_version
from institute.editorial.workflow import publish_loaded
from institute.sources.models import Citation, Source
from recommendations.models import Recommendation, Response, Theme
from reforms.models import Reform, Topic

SECTIONS = ("topics", "themes", "sources", "reforms", "recommendations", "responses")


class ContentError(Exception):
    """The content files are wrong; `problems` lists every one found, with where."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadSummary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return [
            f"{kind}: {self.created[kind]} new, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in kinds
        ]


def read_content(directory: Path) -> dict[str, list[tuple[str, dict]]]:
    """Every entry of every YAML file, by section, each with the file it came from."""
    merged: dict[str, list[tuple[str, dict]]] = {section: [] for section in SECTIONS}
    problems = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ContentError([f"{directory}: no .yaml files to load."])
    for path in files:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: not valid YAML: {exc}")
            continue
        if not isinstance(data, dict):
            problems.append(f"{path.name}: expected a mapping of sections at the top level.")
            continue
        for section, entries in data.items():
            if section not in SECTIONS:
                problems.append(f"{path.name}: unknown section “{section}”.")
                continue
            for entry in entries or []:
                merged[section].append((path.name, entry))
    if problems:
        raise ContentError(problems)
    return merged


def _date(value) -> str:
    return "" if value in (None, "") else str(value)


def _upsert(model, lookup: dict, values: dict, *, by, summary: LoadSummary, label: str):
    """Create or update one row; save only when something differs, after full validation."""
    obj = model.objects.filter(**lookup).first()
    created = obj is None
    if created:
        obj = model(**lookup)
    changed = created
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    if not changed:
        summary.unchanged[label] += 1
        return obj, False
    is_editorial = hasattr(obj, "review_state")
    if is_editorial:
        if created:
            obj.created_by = by  # created as a draft; _Touched.finish publishes it
        else:
            obj.version += 1
        obj.updated_by = by
    obj.full_clean(validate_constraints=True)
    obj.save()
    (summary.created if created else summary.updated)[label] += 1
    return obj, True


class _Touched:
    """The editorial entries a load created or changed, finished together at the end (once their
    responses are loaded too), so each recorded version is the entry complete."""

    def __init__(self):
        self.entries: dict[tuple[type, int], dict] = {}

    def mark(self, obj, *, created: bool = False, row_saved: bool = False) -> None:
        state = self.entries.setdefault(
            (type(obj), obj.pk), {"obj": obj, "created": False, "row_saved": False}
        )
        state["created"] |= created
        state["row_saved"] |= row_saved

    def finish(self, *, by) -> None:
        for state in self.entries.values():
            obj = state["obj"]
            if not state["created"] and not state["row_saved"]:
                bump_version(obj)  # only its topics, citations or responses changed
            record_version(obj, by=by, kind=VersionKind.IMPORTED)
            if state["created"]:
                publish_loaded(obj, by=by)


def _sync_m2m(obj, name: str, wanted: list, *, by) -> bool:
    manager = getattr(obj, name)
    if {o.pk for o in manager.all()} == {o.pk for o in wanted}:
        return False
    manager.set(wanted)
    return True


def _sync_citations(owner_field: str, owner, citations: list[dict], sources: dict, where: str):
    wanted = []
    for position, item in enumerate(citations or []):
        source = sources.get(item.get("source"))
        if source is None:
            raise ValidationError(f"{where}: citation to unknown source “{item.get('source')}”.")
        wanted.append(
            (
                source.pk,
                str(item.get("locator") or ""),
                str(item.get("quote") or "").strip(),
                str(item.get("supports") or "").strip(),
                position,
            )
        )
    current = [
        (c.source_id, c.locator, c.quote, c.supports, c.position)
        for c in Citation.objects.filter(**{owner_field: owner}).order_by("position", "pk")
    ]
    if current == wanted:
        return False
    Citation.objects.filter(**{owner_field: owner}).delete()
    for source_id, locator, quote, supports, position in wanted:
        citation = Citation(
            source_id=source_id,
            locator=locator,
            quote=quote,
            supports=supports,
            position=position,
            **{owner_field: owner},
        )
        citation.full_clean()
        citation.save()
    return True


@transaction.atomic
def content_load(*, directory: Path, by=None) -> LoadSummary:
    """Upsert every topic, theme, source, reform, recommendation and response in `directory`."""
    content = read_content(directory)
    summary = LoadSummary()
    problems: list[str] = []

    def attempt(where: str, fn):
        try:
            return fn()
        except ValidationError as exc:
            messages = (
                [f"{k}: {'; '.join(v)}" for k, v in exc.message_dict.items()]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            problems.append(f"{where}: {'; '.join(messages)}")
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{where}: {exc!r}")
        return None

    def check_unique(section: str, key: str = "slug"):
        seen = Counter(entry.get(key) for _, entry in content[section])
        for value, n in seen.items():
            if n > 1:
                problems.append(f"{section}: “{value}” appears {n} times.")

    for section in ("topics", "themes", "sources", "reforms", "recommendations"):
        check_unique(section)
    if problems:
        raise ContentError(problems)

    topics, themes, sources, reforms, recommendations = {}, {}, {}, {}, {}
    touched = _Touched()
    for name, item in content["topics"]:
        obj = attempt(
            f"{name} topic {item.get('slug')}",
            lambda item=item: _upsert(
                Topic,
                {"slug": item["slug"]},
                {"name": item["name"], "area": item["area"]},
                by=by,
                summary=summary,
                label="topics",
            )[0],
        )
        topics[item.get("slug")] = obj
    for name, item in content["themes"]:
        obj = attempt(
            f"{name} theme {item.get('slug')}",
            lambda item=item: _upsert(
                Theme,
                {"slug": item["slug"]},
                {"name": item["name"]},
                by=by,
                summary=summary,
                label="themes",
            )[0],
        )
        themes[item.get("slug")] = obj
    for name, item in content["sources"]:
        values = {
            "title": item["title"],
            "authors": item.get("authors") or "",
            "publisher": item.get("publisher") or "",
            "published_on": _date(item.get("published_on")),
            "url": item.get("url") or "",
            "kind": item["kind"],
        }

        def load_source(item=item, values=values):
            existed = Source.objects.filter(slug=item["slug"]).exists()
            source, changed = _upsert(
                Source, {"slug": item["slug"]}, values, by=by, summary=summary, label="sources"
            )
            if changed:
                touched.mark(source, created=not existed, row_saved=True)
            return source

        obj = attempt(f"{name} source {item.get('slug')}", load_source)
        sources[item.get("slug")] = obj

    def lookup(table: dict, slugs, where: str, what: str) -> list:
        found = []
        for slug in slugs or []:
            if table.get(slug) is None:
                raise ValidationError(f"{where}: unknown {what} “{slug}”.")
            found.append(table[slug])
        return found

    def load_reform(name: str, item: dict):
        where = f"{name} reform {item['slug']}"
        values = {
            "title": item["title"],
            "summary": " ".join(str(item["summary"]).split()),
            "body": str(item.get("body") or "").strip(),
            "area": item["area"],
            "status": item["status"],
            "announced_on": _date(item.get("announced_on")),
            "adopted_on": _date(item.get("adopted_on")),
            "effective_on": _date(item.get("effective_on")),
            "initiated_by": item.get("initiated_by") or "",
            "initiated_by_detail": item.get("initiated_by_detail") or "",
        }
        existed = Reform.objects.filter(slug=item["slug"]).exists()
        reform, changed = _upsert(
            Reform, {"slug": item["slug"]}, values, by=by, summary=summary, label="reforms"
        )
        m2m = _sync_m2m(reform, "topics", lookup(topics, item.get("topics"), where, "topic"), by=by)
        cites = _sync_citations("reform", reform, item.get("citations"), sources, where)
        if (m2m or cites) and not changed:
            summary.unchanged["reforms"] -= 1
            summary.updated["reforms"] += 1
        if changed or m2m or cites:
            touched.mark(reform, created=not existed, row_saved=changed)
        return reform

    for name, item in content["reforms"]:
        reforms[item.get("slug")] = attempt(
            f"{name} reform {item.get('slug')}", lambda n=name, i=item: load_reform(n, i)
        )

    def load_recommendation(name: str, item: dict):
        where = f"{name} recommendation {item['slug']}"
        report = sources.get(item["report"])
        if report is None:
            raise ValidationError(f"{where}: unknown report “{item['report']}”.")
        values = {
            "title": item["title"],
            "text": str(item["text"]).strip(),
            "audience": item["audience"],
            "report_id": report.pk,
            "position": int(item["position"]),
            "implementation": item.get("implementation") or "not-assessed",
            "implementation_note": str(item.get("implementation_note") or "").strip(),
            "assessed_on": _date(item.get("assessed_on")),
        }
        existed = Recommendation.objects.filter(slug=item["slug"]).exists()
        rec, changed = _upsert(
            Recommendation,
            {"slug": item["slug"]},
            values,
            by=by,
            summary=summary,
            label="recommendations",
        )
        m2m = _sync_m2m(rec, "themes", lookup(themes, item.get("themes"), where, "theme"), by=by)
        cites = _sync_citations("recommendation", rec, item.get("citations"), sources, where)
        if (m2m or cites) and not changed:
            summary.unchanged["recommendations"] -= 1
            summary.updated["recommendations"] += 1
        if changed or m2m or cites:
            touched.mark(rec, created=not existed, row_saved=changed)
        return rec

    for name, item in content["recommendations"]:
        recommendations[item.get("slug")] = attempt(
            f"{name} recommendation {item.get('slug')}",
            lambda n=name, i=item: load_recommendation(n, i),
        )

    def load_response(name: str, item: dict):
        where = f"{name} response {item.get('recommendation')} ← {item.get('reform')}"
        rec = lookup(recommendations, [item["recommendation"]], where, "recommendation")[0]
        reform = lookup(reforms, [item["reform"]], where, "reform")[0]
        response, changed = _upsert(
            Response,
            {"recommendation": rec, "reform": reform},
            {"note": " ".join(str(item["note"]).split())},
            by=by,
            summary=summary,
            label="responses",
        )
        cites = _sync_citations("response", response, item.get("citations"), sources, where)
        if changed:  # a new or changed response is part of both entries' versions
            touched.mark(rec)
            touched.mark(reform)
        if cites and not changed:
            summary.unchanged["responses"] -= 1
            summary.updated["responses"] += 1

    for name, item in content["responses"]:
        attempt(f"{name} response", lambda n=name, i=item: load_response(n, i))

    if problems:
        raise ContentError(problems)
    touched.finish(by=by)
    return summary
