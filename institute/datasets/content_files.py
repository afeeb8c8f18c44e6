"""The curated content's YAML files read into what the import engine plans: vocabularies, and
for each entry the snapshot it should have (institute.editorial.versions), checked field by field.

An entry's keys are its model's field names; a foreign key or a many-to-many field names its
targets by slug; a child (citations, a response's evidence) is a list of mappings of the child's
fields. See fixtures/content/README.md for the schema.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from institute import translations
from institute.datasets.tables import TABLES
from institute.editorial.versions import (
    Children,
    children_of,
    m2m_fields,
    scalar_fields,
    scalar_values,
)

# Vocabularies (not reviewed: an upsert by slug) and entries (through the engine), in the order
# they load: what an entry refers to is written before it.
VOCABULARIES = {"topics": "reforms.Topic", "themes": "recommendations.Theme"}
ENTRIES = {"sources": "sources", "recommendations": "recommendations", "reforms": "reforms"}
# Rows of a section written as children of another section's entries (section → the owners'
# section, the child's name there): a response is the reform's, whose review judges its evidence.
LINKS = {"responses": ("reforms", "responses")}
SECTIONS = (*VOCABULARIES, *ENTRIES, *LINKS)
# Folded text: whitespace runs become one space, as YAML's `>` would leave them.
FOLDED = {
    name
    for field in ("summary", "note")
    for name in (field, *(translations.column(field, lang) for lang in translations.TRANSLATIONS))
}


class ContentError(Exception):
    """The content files are wrong; `problems` lists every one found, with where."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def entry_model(section: str) -> type[models.Model]:
    return TABLES[ENTRIES[section]].get_model()


def link_child(section: str) -> Children:
    """The child spec the rows of a link section are, on their owners' model."""
    owner_section, name = LINKS[section]
    return next(c for c in children_of(entry_model(owner_section)) if c.name == name)


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
                if not isinstance(entry, dict):
                    problems.append(f"{path.name} {section}: expected a mapping, got {entry!r}.")
                    continue
                merged[section].append((path.name, entry))
    problems += merge_translations(directory, merged)
    if problems:
        raise ContentError(problems)
    return merged


def merge_translations(directory: Path, merged: dict[str, list[tuple[str, dict]]]) -> list[str]:
    """The translations kept apart in translations/<language>/*.yaml (a translator's file per
    source file: `language`, then the section's entries by slug with their translated fields),
    set on the entries as their `<field>_<language>` columns; the problems found."""
    problems = []
    for path in sorted(directory.glob("translations/*/*.yaml")):
        where = f"translations/{path.parent.name}/{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            problems.append(f"{where}: not valid YAML: {exc}")
            continue
        language = data.pop("language", None) if isinstance(data, dict) else None
        if language not in translations.TRANSLATIONS or language != path.parent.name:
            problems.append(
                f"{where}: “language” must be the folder's, one of "
                f"{', '.join(translations.TRANSLATIONS)}."
            )
            continue
        for section, items in data.items():
            if section not in ENTRIES and section not in VOCABULARIES:
                problems.append(f"{where}: unknown section “{section}”.")
                continue
            model = (
                entry_model(section)
                if section in ENTRIES
                else apps.get_model(VOCABULARIES[section])
            )
            fields = translations.translated_fields(model)
            entries = {entry.get("slug"): entry for _, entry in merged[section]}
            for item in items or []:
                slug = item.get("slug") if isinstance(item, dict) else None
                if slug not in entries:
                    problems.append(f"{where} {section}: no entry “{slug}” to translate.")
                    continue
                for name, value in item.items():
                    if name == "slug":
                        continue
                    if name not in fields:
                        problems.append(f"{where} {section} “{slug}”: “{name}” is not translated.")
                        continue
                    entries[slug][translations.column(name, language)] = value
    return problems


class Slugs:
    """Slug → primary key of the models entries refer to, read from the database when first
    asked (again after `forget`, once a section is written). While checking, a slug the files
    define but the database does not have yet resolves to None."""

    def __init__(self, content: dict):
        labels = {**VOCABULARIES, **{s: TABLES[t].model for s, t in ENTRIES.items()}}
        self.defined = {
            label.lower(): {entry.get("slug") for _, entry in content[section]}
            for section, label in labels.items()
        }
        self.checking = True
        self._keys: dict[str, dict] = {}

    def forget(self) -> None:
        self._keys.clear()

    def pk(self, model: type[models.Model], slug, what: str):
        label = model._meta.label_lower
        if label not in self._keys:
            self._keys[label] = dict(model._default_manager.values_list("slug", "pk"))
        if slug in self._keys[label]:
            return self._keys[label][slug]
        if self.checking and slug in self.defined.get(label, ()):
            return None
        raise ValidationError(f"unknown {what} “{slug}”.")


def _text(name: str, value) -> str:
    if value is None:
        return ""
    text = str(value)  # YAML reads an unquoted 2020-09-01 as a date
    return " ".join(text.split()) if name in FOLDED else text.strip()


def fill(obj: models.Model, item: dict, fields, slugs: Slugs) -> list[str]:
    """Set `fields` of `obj` from the YAML item (foreign keys by slug); the names of the
    foreign keys, which the caller checks itself (the target may not be written yet)."""
    relations = []
    for f in fields:
        value = item.get(f.name)
        if f.is_relation:
            relations.append(f.name)
            if value in (None, "") and not f.null:
                raise ValidationError({f.name: ["This field is required."]})
            try:
                value = None if value in (None, "") else slugs.pk(f.related_model, value, f.name)
            except ValidationError as exc:
                raise ValidationError({f.name: exc.messages}) from exc
        elif value is None or value == "":
            default = f.get_default()
            value = "" if default is None and not f.null else default
        elif isinstance(value, str) or f.get_internal_type() in ("CharField", "TextField"):
            value = _text(f.name, value)
        setattr(obj, f.attname, value)
    return relations


def _validate(obj: models.Model, *, exclude: list[str], full: bool) -> None:
    if full:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    else:
        obj.clean_fields(exclude=exclude)


def child_rows(child: Children, items, slugs: Slugs) -> list[dict]:
    """The YAML list of one child (citations, responses) as snapshot rows, in order. A child
    of one field may list plain values (`secondary_areas: [justice-anti-corruption]`)."""
    model = child.get_model()
    fields = [model._meta.get_field(name) for name in child.fields if name != "position"]
    rows, read = [], []
    for position, item in enumerate(items or []):
        if not isinstance(item, dict) and len(fields) == 1:
            item = {fields[0].name: item}
        read.append(item)
        row = model()
        relations = fill(row, item, fields, slugs)
        _validate(row, exclude=[child.owner_field, *relations], full=False)
        values = {f.name: getattr(row, f.attname) for f in fields}
        if "position" in child.fields:
            values["position"] = position
        for grandchild in child.children:
            values[grandchild.name] = child_rows(grandchild, item.get(grandchild.name), slugs)
        rows.append(values)
    _check_unique_rows(model, child.owner_field, read)
    if child.key and "position" not in child.fields:
        # In the order the stored rows are read back (versions.row_order): a reload compares equal.
        rows.sort(key=lambda r: tuple(str(r[k]) for k in child.key))
    return rows


def _check_unique_rows(model: type[models.Model], owner_field: str, items: list[dict]) -> None:
    """Two rows of one entry that the database would refuse as the same (a citation of one
    source at one locator, an area listed twice), named here with the values as the file
    writes them, not later as a constraint's error."""
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint) or not constraint.fields:
            continue
        if owner_field not in constraint.fields:
            continue  # not a constraint within one entry's rows
        fields = [n for n in constraint.fields if n != owner_field]
        seen = Counter(tuple(str(item.get(name, "")) for name in fields) for item in items)
        twice = [values for values, n in seen.items() if n > 1]
        if twice:
            shown = "; ".join(
                ", ".join(f"{name} “{value}”" for name, value in zip(fields, values, strict=True))
                for values in twice
            )
            raise ValidationError(f"Listed twice (each must differ): {shown}.")


def entry_snapshot(model: type[models.Model], item: dict, slugs: Slugs) -> dict:
    """The snapshot a YAML entry says the entry should have (without the children that other
    sections write), validated field by field: ValidationError with every problem."""
    obj = model()
    relations = fill(obj, item, scalar_fields(model), slugs)
    _validate(obj, exclude=relations, full=True)
    data = scalar_values(obj)
    for name in translations.all_columns(model):
        if name not in item:  # a translation the files do not give is the entry's own
            del data[name]
    problems = {}
    for f in m2m_fields(model):
        try:
            pks = [
                slugs.pk(f.related_model, slug, f.related_model._meta.verbose_name)
                for slug in item.get(f.name) or []
            ]
        except ValidationError as exc:
            problems[f.name] = exc.messages
            continue
        data[f.name] = [] if None in pks else sorted(pks)  # None: not written yet (checking)
    for child in children_of(model):
        if child.name in item:
            try:
                data[child.name] = child_rows(child, item[child.name], slugs)
            except ValidationError as exc:
                problems[child.name] = exc.messages
    if not problems:
        try:  # the model's rules across its parts (Editorial.normalized_snapshot)
            data = model.normalized_snapshot(data)
        except ValidationError as exc:
            problems.update(exc.message_dict)
    if problems:
        raise ValidationError(problems)
    return data


def merge_links(old: list[dict], new: list[dict], key: tuple[str, ...]) -> list[dict]:
    """Children of an entry as another section leaves them: the section's rows replace those
    with the same key, the others stay; in the snapshot's order (by key)."""
    merged = {tuple(r[k] for k in key): r for r in old}
    merged.update({tuple(r[k] for k in key): r for r in new})
    return [merged[k] for k in sorted(merged)]
