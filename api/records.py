"""A record of the API is a row of a dataset table: the table's columns, under the CSV header's
names, with the values of the JSON export (lists for ';'-joined cells). The serializers are made
from the columns, so a column added to a table is in the API and its schema at once."""

from __future__ import annotations

from functools import cache

from django.core.validators import RegexValidator
from rest_framework import serializers

from institute.datasets.columns import Column
from institute.datasets.export import json_record
from institute.datasets.tables import TABLES, Table
from recommendations.models import Theme
from reforms.models import Topic


def record(table: Table, obj, base_url: str) -> dict:
    """One row as the JSON export writes it."""
    return json_record(table, table.row(obj, base_url))


def column_field(column: Column) -> serializers.Field:
    """The column's type, vocabulary and meaning, for the schema."""
    common = {"help_text": column.description, "read_only": True}
    if column.multi:
        return serializers.ListField(child=serializers.CharField(), **common)
    if column.type == "integer":
        return serializers.IntegerField(min_value=1, **common)
    if column.vocabulary:
        return serializers.ChoiceField(
            choices=column.vocabulary, allow_blank=not column.required, **common
        )
    validators = []
    if column.pattern and column.required:
        validators.append(RegexValidator(column.pattern))
    return serializers.CharField(allow_blank=not column.required, validators=validators, **common)


class TableRecord(serializers.Serializer):
    """Writes `record()`; its declared fields only describe it."""

    table_name = ""

    def to_representation(self, instance) -> dict:
        request = self.context["request"]
        return record(TABLES[self.table_name], instance, request.build_absolute_uri("/"))


@cache
def record_serializer(table_name: str) -> type[TableRecord]:
    """The serializer of a table's records, named after its model (`Reform`). Made once the
    tables are registered (the first request or schema), so every app's columns are in."""
    table = TABLES[table_name]
    fields = {column.name: column_field(column) for column in table.columns}
    name = table.get_model()._meta.object_name
    return type(name, (TableRecord,), {**fields, "table_name": table_name, "__module__": __name__})


class TopicRecord(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["slug", "name", "area"]


class ThemeRecord(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name"]


class Problem(serializers.Serializer):
    """What every error (400, 404, 405, 429) answers."""

    detail = serializers.CharField()
    problems = serializers.ListField(child=serializers.CharField(), required=False)
    parameters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
