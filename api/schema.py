"""The OpenAPI description: drf-spectacular's, from what answers each request: the record
serializers (api.records), the paginator (api.paging), the filter backends (updated_since), and
each list's parameters from its listing's FilterSet (names, vocabularies, bounds), with the
error answers every endpoint gives."""

from __future__ import annotations

from functools import cached_property

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from api.records import Problem

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    description="Seconds until the next request is accepted.",
    response=[429],
)
TOO_MANY = OpenApiResponse(
    Problem, description="Too many requests from this address: see Retry-After."
)


def field_schema(field: forms.Field) -> dict:
    """A filter's form field as a query parameter's schema. An empty value of a one-value
    field is no filter, as on the listing (whose form sends every field, empty or not)."""
    if isinstance(field, forms.MultipleChoiceField):
        return {"type": "array", "items": {"type": "string", "enum": choices(field)}}
    if isinstance(field, forms.ChoiceField):
        return {"type": "string", "enum": [*choices(field), ""]}
    if hasattr(field, "known_values"):
        # A key of another table (a recommendation's slug): the ones it takes now.
        return {"type": "string", "enum": [*field.known_values(), ""]}
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
    # Django's form fields refuse a NUL character (400): the schema says so.
    return {"type": "string", "pattern": NO_NUL}


NO_NUL = "^[^\\x00]*$"


EMPTY = {"type": "string", "maxLength": 0}


def choices(field) -> list[str]:
    return [str(value) for value, _label in field.choices if value != ""]


def filter_parameters(filterset) -> list[OpenApiParameter]:
    out = []
    for name, field in filterset.form.fields.items():
        schema = field_schema(field)
        many = schema.get("type") == "array"
        out.append(
            OpenApiParameter(
                name,
                # A raw schema (enums, bounds, arrays), which drf-spectacular passes on as it is.
                type=schema,
                location=OpenApiParameter.QUERY,
                required=False,
                description=f"{field.label}: as on the listing page (`?{name}=`).",
                style="form" if many else None,
                explode=True if many else None,
            )
        )
    return out


class ApiSchema(AutoSchema):
    @cached_property
    def listing_parameters(self) -> list[OpenApiParameter]:
        """The parameters of the listing's FilterSet, where the view lists through one (its
        selector): they are not a DRF filter backend's, since the selector is the one place
        the listing's rows come from. Read once per operation: the choices are queries."""
        selector = getattr(self.view, "selector", None)
        return filter_parameters(selector(params={})) if selector else []

    def get_override_parameters(self):
        return [*super().get_override_parameters(), *self.listing_parameters, RETRY_AFTER]

    def get_response_serializers(self):
        answers = {200: self.view.get_serializer_class(), 400: Problem, 429: TOO_MANY}
        if "{slug}" in self.path:
            answers[404] = Problem
        return answers
