"""Translations of the content: the Russian and Kazakh text of what a visitor reads.

Each translated field has one column per other language beside the English original, on the
entry's own row (`title_ru`, `title_kk` beside `title`), declared with `translation_of()`. They
are ordinary fields of the entry, so a translation is part of the entry's version like any
edit: kept in its snapshot and working copy, shown in the review diff, public only once the
entry is published, and written by the one write path every edit takes.

Why plain columns and not django-modeltranslation or django-parler: modeltranslation makes the
original attribute answer in the active language (`reform.title` is the Russian title in a
Russian request, and assigning it writes the Russian column), so a snapshot, a diff or an
export would depend on the language of the request that made it; parler moves every
translated field, English included, to a table of its own, which the stored search vectors,
the listing triggers and the COPY exports read from the entry's row. The columns here are what
modeltranslation would add, without the rewiring.

Reading: `translated(entry, "title")` is the text in the active language, or the first
language of that language's fallback order (CONTENT_LANGUAGE_FALLBACKS) that has it, with the
language it is in, so a page can mark it (`lang`, "not yet translated"). Quotes from sources are
never translated: they stay in the language of the source.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import migrations, models
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from institute import languages

# The languages a field is translated into: every language of the site but the original's.
TRANSLATIONS = ("ru", "kk")
ORIGINAL = languages.DEFAULT

LANGUAGE_NAMES = {"ru": gettext_lazy("Russian"), "kk": gettext_lazy("Kazakh")}


def column(name: str, language: str) -> str:
    return f"{name}_{language}"


def translation_of(field: models.Field, language: str, label: str) -> models.Field:
    """The column of `field` in `language`: the same kind and length, blank (a translation may
    be missing), named for the editor ("Title (Russian)")."""
    _, _, args, kwargs = field.deconstruct()
    kwargs.update(
        blank=True,
        default="",
        # In the schema too: a writer of raw SQL (a COPY, a seeder) need not name the column.
        db_default="",
        verbose_name=format_lazy("{} ({})", label, LANGUAGE_NAMES[language]),
        help_text="",
    )
    return field.__class__(*args, **kwargs)


def fallbacks(language: str) -> list[str]:
    """The order in which a visitor reading `language` is given a text: the setting's list for
    that language, else the language itself, then the original."""
    order = settings.CONTENT_LANGUAGE_FALLBACKS.get(language) or [language]
    return [*order, ORIGINAL] if ORIGINAL not in order else list(order)


@dataclass(frozen=True)
class Text:
    """A text as shown: its value, the language it is in, and whether it stands in for a
    translation the visitor's language does not have yet."""

    value: str
    language: str
    requested: str

    @cached_property
    def missing(self) -> bool:
        return self.language != self.requested

    @property
    def tag(self) -> str:
        return languages.hreflang(self.language)

    def __str__(self) -> str:
        return self.value


def translated(entry, name: str, language: str | None = None) -> Text:
    """`entry`'s field `name` in `language` (the active one by default), or in the first
    language of its fallback order that has it."""
    return in_snapshot(_Fields(entry), name, language)


class _Fields:
    """An entry read as a mapping of its fields (a deferred one loaded as attributes are)."""

    def __init__(self, entry):
        self.entry = entry

    def get(self, name: str, default=None):
        return getattr(self.entry, name, default)


def in_snapshot(data, name: str, language: str | None = None) -> Text:
    """`translated()` of a snapshot (a published version's data) or any mapping of field names
    to values, such as a `.values()` row."""
    requested = language or translation.get_language() or ORIGINAL
    if requested not in TRANSLATIONS:
        requested = ORIGINAL
    for candidate in fallbacks(requested):
        key = name if candidate == ORIGINAL else column(name, candidate)
        if value := data.get(key):
            return Text(value, candidate, requested)
    return Text("", ORIGINAL, requested)


def translated_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The fields of `model` that have translation columns (`translated_fields` on the model)."""
    return getattr(model, "translated_fields", ())


def all_columns(model: type[models.Model]) -> list[str]:
    """The model's translation columns, in the CSV's order: each language, each field."""
    return [column(name, lang) for lang in TRANSLATIONS for name in translated_fields(model)]


class AddTranslationColumn(migrations.AddField):
    """A translation column added in place on SQLite too (ALTER TABLE … ADD COLUMN … DEFAULT
    ''), where Django would rebuild the table for a NOT NULL column: a rebuild drops the table's
    triggers (the listing generation's, the tally's) and fails outright on a table a view reads
    (reforms_tally_source reads institute_source)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        clause = "ALTER TABLE {table} ADD COLUMN {column} {kind} NOT NULL DEFAULT ''"
        self._on_sqlite(schema_editor, to_state.apps, app_label, clause)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        clause = "ALTER TABLE {table} DROP COLUMN {column}"
        self._on_sqlite(schema_editor, from_state.apps, app_label, clause)

    def _on_sqlite(self, schema_editor, state_apps, app_label: str, clause: str) -> None:
        model = state_apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        schema_editor.execute(
            clause.format(
                table=schema_editor.quote_name(model._meta.db_table),
                column=schema_editor.quote_name(field.column),
                kind=field.db_type(schema_editor.connection),
            )
        )


def admin_fieldset(model: type[models.Model]) -> tuple:
    """The admin's fieldset of a model's translations, right after the English they translate:
    the Russian, then the Kazakh."""
    return (
        gettext_lazy("Translations (Russian, Kazakh)"),
        {
            "fields": all_columns(model),
            "description": gettext_lazy(
                "Published with the entry, after review, like any edit. Leave a field empty "
                "until it is translated: visitors then read the English, marked as not yet "
                "translated. Quotes are never translated."
            ),
        },
    )
