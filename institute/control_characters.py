"""Control characters (C0, U+0000 to U+001F): refused in every text an editor or an import
writes, and left out by the XML writers (the feed, XLSX) from anything stored before the rule.

XML 1.0 cannot hold them, so one stored in a title made the feed and the spreadsheets fail; no
reader needs them. Tab, line feed and carriage return are kept where text may run over several
lines (a TextField); a single-line field (a CharField: titles, slugs, names) holds none.
"""

from __future__ import annotations

import functools
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

_ANY_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# What XML 1.0 cannot hold at all (https://www.w3.org/TR/xml/#charsets): the controls but tab and
# line breaks, lone surrogates and the two non-characters U+FFFE and U+FFFF.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_NAMES = {
    "\x00": "a NUL",
    "\t": "a tab",
    "\n": "a line break",
    "\r": "a carriage return",
    "\x1b": "an escape",
}


def describe(char: str) -> str:
    """“a NUL character (U+0000)”, “a control character (U+000B)”: what a person can look for."""
    return f"{_NAMES.get(char, 'a control')} character (U+{ord(char):04X})"


def control_character_problem(text: str, *, multiline: bool) -> str | None:
    """Why `text` cannot be stored, naming its first control character and where it is; None
    when it has none."""
    found = (_CONTROL_BUT_LINE_BREAKS if multiline else _ANY_CONTROL).search(text)
    if found is None:
        return None
    return (
        f"contains {describe(found.group())} at character {found.start() + 1}; remove it "
        "(it is invisible in most editors, and feeds and spreadsheets cannot hold it)."
    )


def allows_line_breaks(field) -> bool:
    return isinstance(field, models.TextField)


def text_fields(model) -> list:
    return [
        f for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)
    ]


@functools.cache
def _text_field_kinds(model) -> tuple[tuple[str, bool], ...]:
    # Asked for every row of every import: the fields' list is the model's, fixed at start.
    return tuple((field.name, allows_line_breaks(field)) for field in text_fields(model))


def control_character_errors(model, values: dict) -> dict[str, list[str]]:
    """Per text field of `model` given in `values` (field name → value), why it cannot be stored."""
    errors: dict[str, list[str]] = {}
    for name, multiline in _text_field_kinds(model):
        value = values.get(name)
        if isinstance(value, str):
            problem = control_character_problem(value, multiline=multiline)
            if problem:
                errors[name] = [problem]
    return errors


def refuse_control_characters(model, values: dict) -> None:
    """ValidationError naming each text field of `model` in `values` that holds one."""
    errors = control_character_errors(model, values)
    if errors:
        raise ValidationError(errors)


def refuse_in_one_line(value: str) -> None:
    """A form field's validator: single-line text (a review comment) holds none. A NUL is left to
    Django's own validator of every form CharField, which names it already."""
    problem = control_character_problem((value or "").replace("\x00", ""), multiline=False)
    if problem:
        raise ValidationError(problem)


class RefusesControlCharacters(forms.ModelForm):
    """A model form (a vocabulary's admin form) that refuses them in every text field."""

    def clean(self):
        cleaned = super().clean()
        for name, messages in control_character_errors(self._meta.model, cleaned).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        return cleaned


def shown(text: str) -> str:
    """`text` with each control character as its visible picture (U+2400 to U+241F: “␀”, “␋”),
    to quote a refused value where the character itself would not show."""
    return _ANY_CONTROL.sub(lambda found: chr(0x2400 + ord(found.group())), text)


def xml_safe(text: str) -> str:
    """`text` without what XML 1.0 cannot hold: for anything stored before the rule."""
    return _NOT_IN_XML.sub("", text)
