"""What changed between two snapshots of an entry, field by field, ready to show a reviewer."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from institute.dates import PartialDateField
from institute.editorial.versions import Children, children_of, m2m_fields, scalar_fields


@dataclass
class Change:
    """One changed field between two snapshots, ready to show."""

    name: str
    label: str
    old: str | list[str]
    new: str | list[str]
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    # The changed words (word_diff) of a long text, or of each row changed in place: what a
    # reviewer would otherwise look for between two long lines that differ in one word.
    words: list[SafeString] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return isinstance(self.old, list)


EMPTY = "—"  # how an empty value is shown


def _display_scalar(f: models.Field, value) -> str:
    if value in (None, ""):
        return EMPTY
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f.is_relation:
        obj = f.related_model._default_manager.filter(pk=value).first()
        return str(obj) if obj else f"#{value} (deleted)"
    if isinstance(f, PartialDateField):
        try:
            return f.to_python(value).label
        except (ValueError, ValidationError):
            return str(value)
    return str(value)


def _names(model: type[models.Model], pks) -> dict:
    return {o.pk: str(o) for o in model._default_manager.filter(pk__in=list(pks))}


def _display_children(child: Children, rows: list[dict]) -> list[str]:
    model = child.get_model()
    related = {
        name: _names(
            model._meta.get_field(name).related_model, {r.get(name) for r in rows if r.get(name)}
        )
        for name in child.fields
        if model._meta.get_field(name).is_relation
    }
    lines = []
    for row in rows:
        parts = []
        for name in child.fields:
            value = row.get(name)
            if name == "position" or value in (None, ""):
                continue
            if name in related:
                value = related[name].get(value, f"#{value}")
            elif model._meta.get_field(name).choices:  # a vocabulary value: its label
                value = dict(model._meta.get_field(name).flatchoices).get(value, value)
            parts.append(str(value) if name in related else f"{name}: {value}")
        line = " — ".join(parts)
        lines.append(line)
        for grandchild in child.children:
            for nested in _display_children(grandchild, row.get(grandchild.name) or []):
                lines.append(f"{line} — {grandchild.label.lower()}: {nested}")
    return lines


# Words of unchanged text kept on each side of a change; a changed run longer than twice
# WORD_RUN is shown by its ends.
WORD_CONTEXT = 5
WORD_RUN = 12
LONG_TEXT = 60  # characters: a text longer than this gets its changed words shown too


def _ends(words: list[str], head: int, tail: int) -> list[str]:
    if len(words) <= head + tail + 1:
        return words
    return [*words[:head], "…", *words[len(words) - tail :]] if tail else [*words[:head], "…"]


def word_diff(old: str, new: str) -> SafeString:
    """The words that changed from `old` to `new`, as HTML: removed ones in <del>, added ones in
    <ins>, with a few unchanged words around each change and the rest of the text elided (“…”).
    Two long texts cut to their first characters look alike; their changed words do not."""
    a, b = old.split(), new.split()
    if a == b:
        return mark_safe("(only spacing changed)")
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    parts = []
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            words = a[i1:i2]
            if n == 0:
                words = _ends(words[::-1], WORD_CONTEXT, 0)[::-1]
            elif n == len(opcodes) - 1:
                words = _ends(words, WORD_CONTEXT, 0)
            else:
                words = _ends(words, WORD_CONTEXT, WORD_CONTEXT)
            parts.append(escape(" ".join(words)))
            continue
        if i2 > i1:
            parts.append(
                format_html("<del>{}</del>", " ".join(_ends(a[i1:i2], WORD_RUN, WORD_RUN)))
            )
        if j2 > j1:
            parts.append(
                format_html("<ins>{}</ins>", " ".join(_ends(b[j1:j2], WORD_RUN, WORD_RUN)))
            )
    return mark_safe(" ".join(parts))


def diff(model: type[models.Model], old: dict | None, new: dict) -> list[Change]:
    """Field by field, what differs between two snapshots of one entry (old may be None)."""
    old = old or {}
    changes = []
    for f in scalar_fields(model):
        a, b = old.get(f.name), new.get(f.name)
        if (a or "") != (b or "") and a != b:
            change = Change(
                f.name, str(f.verbose_name), _display_scalar(f, a), _display_scalar(f, b)
            )
            longest = max(len(change.old), len(change.new))
            if EMPTY not in (change.old, change.new) and longest > LONG_TEXT:
                change.words = [word_diff(change.old, change.new)]
            changes.append(change)
    for f in m2m_fields(model):
        a, b = old.get(f.name) or [], new.get(f.name) or []
        if sorted(a) != sorted(b):
            names = _names(f.related_model, {*a, *b})
            a_names = [names.get(pk, f"#{pk}") for pk in a]
            b_names = [names.get(pk, f"#{pk}") for pk in b]
            changes.append(
                Change(
                    f.name,
                    str(f.verbose_name),
                    a_names,
                    b_names,
                    removed=[n for n in a_names if n not in b_names],
                    added=[n for n in b_names if n not in a_names],
                )
            )
    for child in children_of(model):
        a, b = old.get(child.name) or [], new.get(child.name) or []
        if a != b:
            a_lines, b_lines = _display_children(child, a), _display_children(child, b)
            changes.append(
                Change(
                    child.name,
                    child.label,
                    a_lines,
                    b_lines,
                    removed=[line for line in a_lines if line not in b_lines],
                    added=[line for line in b_lines if line not in a_lines],
                    words=_changed_rows(a_lines, b_lines),
                )
            )
    return changes


def _changed_rows(old: list[str], new: list[str]) -> list[SafeString]:
    """The word diff of each row changed in place: a run of rows replaced by as many others
    is read as those rows edited, one for one."""
    out = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            out.extend(word_diff(a, b) for a, b in zip(old[i1:i2], new[j1:j2], strict=False))
    return out


def public_diff(model: type[models.Model], old: dict | None, new: dict) -> list[Change]:
    """`diff` for readers, of two versions the public saw: what a list of owned rows holds is
    not shown, only that it changed (a citation or a response may name an entry the public
    never saw), and a link to an entry is named only if that entry is published now."""
    owned = {child.name for child in children_of(model)}
    out = []
    for change in diff(model, old, new):
        if change.name in owned:
            out.append(Change(change.name, change.label, "", "changed"))
            continue
        field_ = model._meta.get_field(change.name)
        target = field_.related_model if field_.is_relation else None
        if target is not None and hasattr(target._default_manager, "published"):
            visible = target._default_manager.published()
            change.old, change.new = (
                _public_name(visible, (old or {}).get(change.name)),
                _public_name(visible, new.get(change.name)),
            )
        out.append(change)
    return out


def _public_name(published: models.QuerySet, pk) -> str:
    found = published.filter(pk=pk).first() if pk else None
    return str(found) if found is not None else EMPTY
