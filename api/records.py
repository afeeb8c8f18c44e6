"""A record of the API is a row of a dataset table: the table's columns, under the CSV header's
names, with the values of the JSON export (lists for ';'-joined cells). Each column is one
serializer field, which writes the column's value and whose type is what the schema says of it,
so a column added to a table is in the API and its schema at once, and neither can say what the
other does not."""

from __future__ import annotations

from functools import cache, cached_property

from django.core.validators import RegexValidator
from rest_framework import serializers

from institute.datasets.columns import Column
from institute.datasets.export import json_value
from institute.datasets.tables import TABLES
from recommendations.models import Theme
from reforms.models import Topic


class ColumnField(serializers.Field):
    """One column of a record: the row's cell as the table writes it (`Table.row`), as the JSON
    export writes it (`json_record`). Read from the whole row (`source="*"`), since a column
    may read more than one attribute (a page's address, linked entries' slugs)."""

    def __init__(self, column: Column, **kwargs):
        self.column = column
        super().__init__(source="*", read_only=True, help_text=column.description, **kwargs)

    def to_representation(self, row):
        return json_value(self.column, self.column.value(row, self.parent.base_url))


# The column's type, vocabulary and meaning, given by the DRF field it is written by; the
# schema maps these as it maps any DRF field.
class ListColumn(ColumnField, serializers.ListField):
    pass


class IntegerColumn(ColumnField, serializers.IntegerField):
    pass


class ChoiceColumn(ColumnField, serializers.ChoiceField):
    pass


class TextColumn(ColumnField, serializers.CharField):
    pass


def column_field(column: Column) -> ColumnField:
    if column.multi:
        return ListColumn(column, child=serializers.CharField())
    if column.type == "integer":
        return IntegerColumn(column, min_value=1)
    if column.vocabulary:
        return ChoiceColumn(column, choices=column.vocabulary, allow_blank=not column.required)
    validators = []
    if column.pattern and column.required:
        validators.append(RegexValidator(column.pattern))
    return TextColumn(column, allow_blank=not column.required, validators=validators)


class TableRecord(serializers.Serializer):
    """A row of a table, one field per column (see record_serializer)."""

    @cached_property
    def base_url(self) -> str:
        """Where the records' links point (a page's `url`): this API's own host, read once for
        all the rows of a page."""
        return self.context["request"].build_absolute_uri("/")


@cache
def record_serializer(table_name: str) -> type[TableRecord]:
    """The serializer of a table's records, named after its model (`Reform`) and described as
    the table is (the schema shows its docstring). Made once the tables are registered (the
    first request or schema), so every app's columns are in."""
    table = TABLES[table_name]
    fields = {column.name: column_field(column) for column in table.columns}
    name = table.get_model()._meta.object_name
    return type(
        name, (TableRecord,), {**fields, "__doc__": table.description, "__module__": __name__}
    )


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
