"""A GIN index of a published reform's secondary areas as the row keeps them (the link cell of
reforms/0022, ';'-joined), so that the area filter (reforms.filters.in_areas) is answered by an
index on both of its sides: the reform's own area by the facets' index, its secondary ones by
this one.

The filter asked the secondary areas as a subquery (`id IN (SELECT reform_id …)`), which no
index of the reforms answers: PostgreSQL read every row the other conditions kept and checked
each against a hash of the subquery. At 1M reforms, `q=tenge&area=human-rights` read all 153,176
matches of the search for its ranked page, and an export of `area=economy&status=adopted` all
142,743 adopted reforms; with the index each reads only the rows both sides name (EXPLAIN, the
connection's settings: 503–531 ms → 361–372 ms, and 539–675 ms → 410–429 ms by COPY to
nothing). The expression is the filter's own, which is what lets the planner use it; only
published rows are indexed, as only the public listings filter so. 1.4 MB at 1M.

PostgreSQL only: SQLite keeps no link cells and asks the relations. The table is analyzed so
that the planner has figures for the expression at once, not after autovacuum's next pass.
"""

from django.db import migrations

FORWARD = """
CREATE INDEX reforms_reform_secondary_areas_gin ON reforms_reform
  USING gin (string_to_array(export_secondary_areas, ';'))
  WHERE review_state = 'published';
ANALYZE reforms_reform;
"""

BACKWARD = "DROP INDEX IF EXISTS reforms_reform_secondary_areas_gin;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("reforms", "0026_generation_from_its_creation")]

    operations = [migrations.RunPython(forward, backward)]
