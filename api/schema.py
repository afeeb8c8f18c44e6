"""The OpenAPI description: drf-spectacular's, with each list's parameters taken from its
listing's FilterSet (names, vocabularies, bounds) and the error answers every endpoint gives."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular.openapi import AutoSchema

from api.records import Problem

UPDATED_SINCE = {
    "name": "updated_since",
    "in": "query",
    "required": False,
    "description": (
        "Only rows whose public content may have changed since this moment (ISO 8601; a date, "
        "or a date-time, UTC when it has no offset): entries published since, and rows linking "
        "to entries published since. Withdrawn entries are not listed: compare slugs with a "
        "full read to find them."
    ),
    "schema": {"type": "string", "format": "date-time"},
}


def field_schema(field: forms.Field) -> dict:
    """A filter's form field as a query parameter's schema. An empty value of a one-value
    field is no filter, as on the listing (whose form sends every field, empty or not)."""
    if isinstance(field, forms.MultipleChoiceField):
        return {"type": "array", "items": {"type": "string", "enum": choices(field)}}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [*choices(field), ""]}
    if isinstance(field, forms.DecimalField | forms.IntegerField):
        # The strictest bounds: a DecimalField adds a loose one of its own.
        lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
        highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
        number = {"type": "number" if isinstance(field, forms.DecimalField) else "integer"}
        if lows:
            number["minimum"] = int(max(lows))
        if highs:
            number["maximum"] = int(min(highs))
        return {"anyOf": [number, EMPTY]}
    return {"type": "string"}


EMPTY = {"type": "string", "maxLength": 0}


def choices(field) -> list[str]:
    return [str(value) for value, _label in field.choices if value != ""]


def filter_parameters(filterset) -> list[dict]:
    out = []
    for name, field in filterset.form.fields.items():
        schema = field_schema(field)
        parameter = {
            "name": name,
            "in": "query",
            "required": False,
            "description": f"{field.label}: as on the listing page (`?{name}=`).",
            "schema": schema,
        }
        if schema.get("type") == "array":
            parameter.update(style="form", explode=True)
        out.append(parameter)
    return out


class ApiSchema(AutoSchema):
    def _get_filter_parameters(self):
        # Raw OpenAPI parameters (enums, bounds, arrays), which the public hook does not take.
        if not self._is_list_view():
            return []
        view = self.view
        params = []
        if getattr(view, "selector", None):
            params += filter_parameters(view.selector(params={}))
        if getattr(view, "table_name", "") and self._is_list_view():
            params.append(UPDATED_SINCE)
        return params

    def get_response_serializers(self):
        answers = {200: self.view.get_serializer_class(), 400: Problem, 429: Problem}
        if "{slug}" in self.path:
            answers[404] = Problem
        return answers

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if status_code == "429":
            response["description"] = "Too many requests from this address: see Retry-After."
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds until the next request is accepted.",
                }
            }
        return response
