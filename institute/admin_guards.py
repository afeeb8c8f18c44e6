"""Input the Django admin takes as given and fails on with a 500; here it is a form error.

Each was found by the fuzz (tests/test_fuzz.py), which posts what a browser would not:

- a value that is not a key of the related model ("x", or an integer beyond the database's
  range) in a related field: Django's autocomplete widget queries it when the invalid form is
  shown again (ValueError), and on SQLite `pk__in` raises OverflowError;
- an inline row equal to a row already stored, under a unique constraint Django's formsets do
  not check (conditional constraints, and a row posted as new while it exists);
- a date-hierarchy year Django cannot add a year to (9999) or hold in a C int.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import UniqueConstraint
from django.forms.models import BaseInlineFormSet
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _


def is_key(model, to_field_name: str | None, value) -> bool:
    """Whether `value` can be a key of `model` (its primary key, or `to_field_name`)."""
    field = model._meta.get_field(to_field_name) if to_field_name else model._meta.pk
    try:
        key = field.to_python(value)
    except (ValidationError, TypeError):
        return False
    if isinstance(key, int):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low is None or key >= low) and (high is None or key <= high)
    return True


class KeyCheckedModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if (
            value not in self.empty_values
            and not isinstance(value, self.queryset.model)
            and not is_key(self.queryset.model, self.to_field_name, value)
        ):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return super().to_python(value)


class KeyCheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if isinstance(value, list | tuple):
            for pk in value:
                if not is_key(self.queryset.model, self.to_field_name, pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super()._check_values(value)


class _KeyCheckedAutocomplete:
    """Shows again only the posted values that can be keys: the rest were refused by the field."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        to_field_name = getattr(remote, "field_name", None)
        value = [v for v in value if is_key(remote.model, to_field_name, v)]
        return super().optgroups(name, value, attr)


class KeyCheckedAutocompleteSelect(_KeyCheckedAutocomplete, AutocompleteSelect):
    pass


class KeyCheckedAutocompleteSelectMultiple(_KeyCheckedAutocomplete, AutocompleteSelectMultiple):
    pass


class KeyCheckedRelationsMixin:
    """For a ModelAdmin or an inline: related fields refuse values that cannot be keys."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", KeyCheckedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = KeyCheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", KeyCheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class UniqueRowsInlineFormSet(BaseInlineFormSet):
    """Checks the inline model's unique constraints on the parent's key, against the stored rows
    and between the posted ones, as a form error on the row.

    Django's formsets leave out conditional constraints (a citation's source and locator are
    unique per reform), and a row posted as new (a lowered INITIAL_FORMS) is not compared with
    the stored one it repeats; the database then refuses the insert with an IntegrityError.
    When the rows are not written to the table (`writes_rows`; a subclass says when: the
    working copy of a published entry, whose stored rows are the public ones the copy
    replaces), only the posted rows are compared.
    """

    def writes_rows(self) -> bool:
        return self.instance.pk is not None

    def _constraints(self):
        for constraint in self.model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and self.fk.name in constraint.fields:
                yield constraint
        for fields in self.model._meta.unique_together:
            if self.fk.name in fields:
                yield UniqueConstraint(fields=list(fields), name="unique_together")

    def clean(self):
        super().clean()
        forms_to_save = [
            form
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not self._should_delete_form(form)
        ]
        deleted = [form.instance.pk for form in self.deleted_forms if form.instance.pk]
        opts = self.model._meta
        for constraint in self._constraints():
            others = [name for name in constraint.fields if name != self.fk.name]
            message = _("Another row already has the same %(fields)s.") % {
                "fields": get_text_list(
                    [str(opts.get_field(n).verbose_name) for n in others], _("and")
                )
            }
            seen = set()
            for form in forms_to_save:
                values = {
                    name: getattr(form.instance, opts.get_field(name).attname) for name in others
                }
                if any(value is None for value in values.values()):
                    continue  # NULLs are distinct
                key = tuple(values.values())
                duplicate = key in seen
                seen.add(key)
                if not duplicate and self.writes_rows():
                    stored = self.model._default_manager.filter(
                        **{self.fk.name: self.instance}, **values
                    ).exclude(pk__in=deleted)
                    if constraint.condition is not None:
                        stored = stored.filter(constraint.condition)
                    if form.instance.pk is not None and form in self.initial_forms:
                        stored = stored.exclude(pk=form.instance.pk)
                    duplicate = stored.exists()
                if duplicate:
                    form.add_error(None, message)


class BoundedDateHierarchyMixin:
    """A date-hierarchy year, month or day out of range is an incorrect lookup (the changelist
    says so), not a 500: Django computes the end of year 9999 as year 10000."""

    def get_changelist_instance(self, request):
        if self.date_hierarchy:
            for part, low, high in (("year", 1, 9998), ("month", 1, 12), ("day", 1, 31)):
                value = request.GET.get(f"{self.date_hierarchy}__{part}")
                if value is None:
                    continue
                try:
                    number = int(value)
                except ValueError as exc:
                    raise IncorrectLookupParameters(exc) from exc
                if not low <= number <= high:
                    raise IncorrectLookupParameters(f"{part} {value} is out of range")
        return super().get_changelist_instance(request)
