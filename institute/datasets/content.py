"""Loading the curated content in fixtures/content/*.yaml through the import engine.

Each YAML entry is read into the snapshot it should have and checked (content_files), then
planned and written by the engine the CSV import uses (institute.datasets.plan, .apply): new
entries in bulk as drafts, changed ones through the edit service (a working copy for a published
entry), unchanged ones not at all. Then the loader publishes what it wrote by the system path
`publish_loaded` (the content is reviewed in the repository by diff), which writes one review
event per entry published. Every entry the load creates or changes gets one version in its
history (kind "imported"), the entry complete: a recommendation that a new reform answers gets
its version once that response exists.

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
from institute.editorial.models import EntryVersion, VersionKind
from institute.editorial.states import PUBLISHED
from institute.editorial.versions import (
    bump_version,
    children_of,
    record_version,
    scalar_fields,
    scalar_values,
    snapshot,
)
from institute.editorial.workflow import publish_loaded

__all__ = ["ContentError", "LoadSummary", "content_load"]

COMMENT = "Loaded from the curated content (fixtures/content)."


@dataclass
class LoadSummary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def count(self, label: str, action: str) -> None:
        {NEW: self.created, UPDATED: self.updated, UNCHANGED: self.unchanged}[action][label] += 1

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return [
            f"{kind}: {self.created[kind]} new, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in kinds
        ]


class _Load:
    """One load: the content, what its slugs resolve to, the problems found, what it did."""

    def __init__(self, content: dict, by):
        self.content, self.by = content, by
        self.slugs = Slugs(content)
        self.problems: list[str] = []
        self.summary = LoadSummary()
        # Per link section: the owner's slug → its rows there (read once, not per owner).
        self.links = {
            section: _by_owner(content[section], link_child(section).owner_field)
            for section in LINKS
        }
        # The entries at the other end of a link row that changed (recommendations), by model.
        self.other_ends: dict[type, set[int]] = {}

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

    # --- vocabularies: a plain upsert by slug --------------------------------------------------

    def load_vocabulary(self, section: str) -> None:
        model = apps.get_model(VOCABULARIES[section])
        existing = {o.slug: o for o in model._default_manager.all()}
        fields = [f for f in scalar_fields(model) if f.name != "slug"]
        for name, item in self.content[section]:

            def upsert(item=item):
                obj = existing.get(item["slug"]) or model(slug=item["slug"])
                before = None if obj.pk is None else scalar_values(obj)
                fill(obj, item, fields, self.slugs)
                if before is not None and scalar_values(obj) == before:
                    return UNCHANGED
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
                self.count_links(link_section, child, old.get(child.name) or [], rows)
                new[child.name] = merge_links(old.get(child.name) or [], rows, child.key)
            return new

        return build

    def count_links(self, section: str, child, old: list[dict], rows: list[dict]) -> None:
        before = {tuple(r[k] for k in child.key): r for r in old}
        for row in rows:
            key = tuple(row[k] for k in child.key)
            was = before.get(key)
            self.summary.count(
                section, NEW if was is None else UNCHANGED if was == row else UPDATED
            )
            # What the other end's snapshot keeps of the row: the child's own fields.
            if was is None or any(was.get(f) != row.get(f) for f in child.fields):
                other = child.get_model()._meta.get_field(child.key[0]).related_model
                self.other_ends.setdefault(other, set()).add(key[0])

    def load_entries(self, section: str) -> Plan:
        targets = [
            (n, item["slug"], self.target(section, item))
            for n, (_, item) in enumerate(self.content[section], start=1)
        ]
        plan = plan_targets(Plan(TABLES[ENTRIES[section]]), targets)
        created, updated = apply_plan(plan, by=self.by, comment=COMMENT, kind=VersionKind.IMPORTED)
        # New drafts, and the working copies written for published entries; an entry someone
        # has taken off the public site or into review keeps its state, with the change.
        for entry in [*created, *(e for e in updated if e.review_state == PUBLISHED)]:
            publish_loaded(entry, by=self.by)
        for outcome in plan.outcomes:
            self.summary.count(section, outcome.action)
        self.slugs.forget()  # new entries have their keys now
        return plan

    def finish_other_ends(self, plans: dict[str, Plan]) -> None:
        """The entries whose snapshot link rows changed (a recommendation a new reform answers)
        get their version complete: this load's version when it wrote one, else a new one."""
        for section, plan in plans.items():
            model = entry_model(section)
            if model in self.other_ends:
                self.finish(model, plan, self.other_ends[model])

    def finish(self, model, plan: Plan, pks: set[int]) -> None:
        written = {p.entry.pk for p in plan.updates.values() if p.new != p.old}
        new_slugs = [snap["slug"] for _, snap in plan.creates]
        written |= set(
            model._default_manager.filter(slug__in=new_slugs).values_list("pk", flat=True)
        )
        for entry in model._default_manager.filter(pk__in=pks):
            if entry.pk in written:
                versions = EntryVersion.objects.for_entry(entry).filter(number=entry.version)
                versions.update(data=snapshot(entry))
            else:
                bump_version(entry)
                record_version(entry, by=self.by, kind=VersionKind.IMPORTED, comment=COMMENT)


def _by_owner(items: list[tuple[str, dict]], owner_field: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for _, item in items:
        out.setdefault(item.get(owner_field), []).append(item)
    return out


@transaction.atomic
def content_load(*, directory: Path, by=None) -> LoadSummary:
    """Upsert every topic, theme, source, reform, recommendation and response in `directory`."""
    load = _Load(read_content(directory), by)
    load.check_unique()
    load.raise_problems()
    for section in VOCABULARIES:
        load.load_vocabulary(section)
    load.check()
    load.raise_problems()
    load.slugs.checking = False
    load.slugs.forget()
    try:
        plans = {section: load.load_entries(section) for section in ENTRIES}
    except ImportRefused as exc:
        raise ContentError([str(p) for p in exc.problems]) from exc
    except (ValidationError, IntegrityError, DatabaseError) as exc:
        raise ContentError([f"The database refused the content, which was undone: {exc}"]) from exc
    load.finish_other_ends(plans)
    return load.summary
