"""django-import-export Resources for the admin's export screens, one per dataset table, with
the CSV contract's columns (institute.datasets.tables). Import has screens of its own on our
engine (institute.datasets.admin_import says why); a Resource names the table both use.
"""

from __future__ import annotations

import tablib
from import_export import resources
from import_export.fields import Field

from institute.datasets.tables import TABLES, escape_formula


class TableResource(resources.Resource):
    """One dataset table, exported with the CSV contract's columns."""

    table_name = ""

    @classmethod
    def get_display_name(cls):
        return TABLES[cls.table_name].title

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for column in TABLES[self.table_name].columns:
            self.fields[column.name] = Field(attribute=None, column_name=column.name)

    def get_user_visible_fields(self):
        return list(self.fields.values())

    # --- export ----------------------------------------------------------------------------
    def export(self, queryset=None, **kwargs):
        """Every column, every relation (editors see drafts too), formulas escaped."""
        table = TABLES[self.table_name]
        if queryset is None:
            queryset = table.queryset()
        queryset = table.prepare(queryset, public=False)
        # Columns the editor ticked on the export form, in the contract's order.
        chosen = kwargs.get("export_fields") or table.header
        keep = [i for i, name in enumerate(table.header) if name in chosen]
        dataset = tablib.Dataset(headers=[table.header[i] for i in keep])
        base_url = kwargs.get("base_url", "")
        for obj in queryset.iterator(chunk_size=500):
            cells = table.row(obj, base_url)
            dataset.append(
                [
                    cells[i] if isinstance(cells[i], int) else escape_formula(str(cells[i]))
                    for i in keep
                ]
            )
        return dataset


class ReformResource(TableResource):
    table_name = "reforms"


class RecommendationResource(TableResource):
    table_name = "recommendations"


class SourceResource(TableResource):
    table_name = "sources"


class CitationResource(TableResource):
    table_name = "citations"


class ResponseResource(TableResource):
    table_name = "responses"
