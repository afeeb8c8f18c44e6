"""Loading the curated content in fixtures/content/*.yaml: seed data, not the record.

Each YAML entry is read into the snapshot it should have and checked (content_files), then
planned by the engine the CSV import uses (institute.datasets.plan). What is missing is created
through the write path's batch form (institute.editorial.edits) and published by the system
path `publish_loaded` (the content is reviewed in the repository by diff): one version and one
publication each. An entry, topic or theme that exists is never touched: editors may have
changed it since it was loaded, and what they published stays as they published it. A YAML
entry that differs from its entry is counted as kept; with `update=True` (`load_content
--update`) it is proposed instead: saved as a new version in review (the working copy of a
published entry), with a note saying where it came from, for a reviewer and a publisher to
take or leave. The loader never publishes a change to an existing entry.

Loading runs in one transaction: one invalid entry and nothing is written, and the error lists
every problem found, with the file and the entry. Loading the same files twice changes nothing,
not even the history.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from institute import translations
from institute.control_characters import refuse_control_characters
from institute.datasets.apply import apply_plan
from institute.datasets.content_files import (
    ENTRIES,
    LINKS,
    VOCABULARIES,
    ContentError,
    Slugs,
    child_rows,
    entry_model,
    entry_snapshot,
    fill,
    link_child,
    merge_links,
    read_content,
)
from institute.datasets.parse import ImportRefused
from institute.datasets.plan import NEW, UNCHANGED, UPDATED, Plan, plan_targets
from institute.datasets.tables import TABLES
from institute.editorial.models import VersionKind
from institute.editorial.versions import children_of, scalar_fields, scalar_values
from institute.editorial.workflow import propose_loaded, publish_loaded

__all__ = ["ContentError", "LoadSummary", "content_load"]

COMMENT = "Loaded from the curated content (fixtures/content)."
PROPOSAL = (
    "Proposed by the curated content (fixtures/content, load_content --update): the file says "
    "otherwise than this entry. Review it like any edit; nothing is public until published."
)
KEPT = "kept"  # a YAML entry that differs from what editors left: not written


@dataclass
class LoadSummary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)  # proposed for review (--update)
    unchanged: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)  # differs from the file, left as it is

    def count(self, label: str, action: str) -> None:
        counters = {NEW: self.created, UPDATED: self.updated, UNCHANGED: self.unchanged}
        counters.get(action, self.kept)[label] += 1

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged) | set(self.kept))
        return [
            f"{kind}: {self.created[kind]} new, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            + (
                f", {self.kept[kind]} changed in the files but kept as editors left them "
                "(load_content --update proposes the files' version for review)"
                if self.kept[kind]
                else ""
            )
            for kind in kinds
        ]


class _Load:
    """One load: the content, what its slugs resolve to, the problems found, what it did."""

    def __init__(self, content: dict, by, update: bool):
        self.content, self.by, self.update = content, by, update
        self.slugs = Slugs(content)
        self.problems: list[str] = []
        self.summary = LoadSummary()
        # Per link section: the owner's slug → its rows there (read once, not per owner).
        self.links = {
            section: _by_owner(content[section], link_child(section).owner_field)
            for section in LINKS
        }
        # The slugs of the entries that existed before this load, by section.
        self.existing: dict[str, set[str]] = {}

    def attempt(self, where: str, fn):
        try:
            return fn()
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                messages = [f"{k}: {'; '.join(v)}" for k, v in exc.message_dict.items()]
            else:
                messages = exc.messages
            self.problems.append(f"{where}: {'; '.join(messages)}")
        except (KeyError, TypeError, ValueError) as exc:
            self.problems.append(f"{where}: {exc!r}")
        return None

    def raise_problems(self) -> None:
        if self.problems:
            raise ContentError(self.problems)

    def check_unique(self) -> None:
        for section in (*VOCABULARIES, *ENTRIES):
            seen = Counter(entry.get("slug") for _, entry in self.content[section])
            for value, n in seen.items():
                if n > 1:
                    self.problems.append(f"{section}: “{value}” appears {n} times.")

    def check(self) -> None:
        """Every entry and link row read once before anything is written: every problem."""
        for section in ENTRIES:
            model = entry_model(section)
            for name, item in self.content[section]:
                self.attempt(
                    f"{name} {model._meta.model_name} {item.get('slug')}",
                    lambda item=item, model=model: entry_snapshot(model, item, self.slugs),
                )
        for section in LINKS:
            child = link_child(section)
            owner = entry_model(LINKS[section][0])
            for name, item in self.content[section]:
                ends = " ← ".join(str(item.get(k)) for k in (*child.key, child.owner_field))

                def check_link(item=item, child=child, owner=owner):
                    self.slugs.pk(owner, item.get(child.owner_field), child.owner_field)
                    child_rows(child, [item], self.slugs)

                self.attempt(f"{name} {section[:-1]} {ends}", check_link)

    def written(self, section: str, slug: str, action: str) -> str:
        """What becomes of a planned change to an existing entry: proposed with --update, else
        kept as it is."""
        if action == UPDATED and slug in self.existing[section] and not self.update:
            return KEPT
        return action

    # --- vocabularies: created when missing ----------------------------------------------------

    def load_vocabulary(self, section: str) -> None:
        model = apps.get_model(VOCABULARIES[section])
        existing = {o.slug: o for o in model._default_manager.all()}
        fields = [f for f in scalar_fields(model) if f.name != "slug"]
        untranslated = set(translations.all_columns(model))
        for name, item in self.content[section]:

            def upsert(item=item):
                obj = existing.get(item["slug"]) or model(slug=item["slug"])
                before = None if obj.pk is None else scalar_values(obj)
                # A translation the files do not give is the vocabulary's own.
                given = [f for f in fields if f.name not in untranslated or f.name in item]
                fill(obj, item, given, self.slugs)
                if before is not None and scalar_values(obj) == before:
                    return UNCHANGED
                if before is not None and not self.update:
                    return KEPT  # editors may have renamed it: theirs stands
                refuse_control_characters(model, scalar_values(obj))
                obj.full_clean(validate_constraints=False)
                obj.save()
                return NEW if before is None else UPDATED

            action = self.attempt(f"{name} {section[:-1]} {item.get('slug')}", upsert)
            if action:
                self.summary.count(section, action)

    # --- entries: through the import engine ----------------------------------------------------

    def target(self, section: str, item: dict):
        """How one YAML item's entry should be, from how it is now: `build(old) → new`."""
        model = entry_model(section)
        target = entry_snapshot(model, item, self.slugs)
        links = [
            (
                s,
                link_child(s),
                child_rows(link_child(s), self.links[s].get(item["slug"]), self.slugs),
            )
            for s, (owner_section, _) in LINKS.items()
            if owner_section == section
        ]

        def build(old: dict) -> dict:
            new = {**old, **target}
            for child in children_of(model):
                if child.name not in item:  # a child the item does not list stays as it is
                    new[child.name] = list(old.get(child.name) or [])
            for link_section, child, rows in links:
                self.count_links(link_section, item["slug"], child, old.get(child.name), rows)
                new[child.name] = merge_links(old.get(child.name) or [], rows, child.key)
            return new

        return build

    def count_links(self, section: str, owner: str, child, old: list | None, rows: list[dict]):
        owner_section = LINKS[section][0]
        before = {tuple(r[k] for k in child.key): r for r in old or []}
        for row in rows:
            was = before.get(tuple(row[k] for k in child.key))
            action = NEW if was is None else UNCHANGED if was == row else UPDATED
            if action != UNCHANGED and owner in self.existing[owner_section]:
                action = UPDATED if self.update else KEPT
            self.summary.count(section, action)

    def load_entries(self, section: str) -> Plan:
        model = entry_model(section)
        slugs = [item["slug"] for _, item in self.content[section]]
        self.existing[section] = set(
            model._default_manager.filter(slug__in=slugs).values_list("slug", flat=True)
        )
        targets = [
            (n, item["slug"], self.target(section, item))
            for n, (_, item) in enumerate(self.content[section], start=1)
        ]
        plan = plan_targets(Plan(TABLES[ENTRIES[section]]), targets)
        proposals = [p for p in plan.updates.values() if p.new != p.old]
        plan.updates = {}  # an existing entry is never written here (see propose)
        created, _ = apply_plan(plan, by=self.by, comment=COMMENT, kind=VersionKind.IMPORTED)
        for entry in created:
            publish_loaded(entry, by=self.by)
        in_review = set()  # entries whose work is in review already: their editors' stands
        if self.update:
            for planned in proposals:
                if not propose_loaded(planned.entry, planned.new, by=self.by, comment=PROPOSAL):
                    in_review.add(planned.entry.slug)
        for outcome in plan.outcomes:
            action = self.written(section, outcome.key, outcome.action)
            self.summary.count(section, KEPT if outcome.key in in_review else action)
        self.slugs.forget()  # new entries have their keys now
        return plan


def _by_owner(items: list[tuple[str, dict]], owner_field: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for _, item in items:
        out.setdefault(item.get(owner_field), []).append(item)
    return out


@transaction.atomic
def content_load(*, directory: Path, by=None, update: bool = False) -> LoadSummary:
    """Create every topic, theme, source, reform, recommendation and response of `directory`
    that is missing; with `update`, propose the changed ones for review (see above)."""
    load = _Load(read_content(directory), by, update)
    load.check_unique()
    load.raise_problems()
    for section in VOCABULARIES:
        load.load_vocabulary(section)
    load.check()
    load.raise_problems()
    load.slugs.checking = False
    load.slugs.forget()
    try:
        for section in ENTRIES:
            load.load_entries(section)
    except ImportRefused as exc:
        raise ContentError([str(p) for p in exc.problems]) from exc
    except (ValidationError, IntegrityError, DatabaseError) as exc:
        raise ContentError([f"The database refused the content, which was undone: {exc}"]) from exc
    return load.summary
