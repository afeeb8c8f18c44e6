"""A reform's full-text search vector, kept current by PostgreSQL triggers.

Triggers rather than Python: every path that writes (admin, inlines, imports, raw SQL) keeps the
vector current, including edits to a reform's citations and to the titles of the sources cited.
On SQLite the column exists but stays empty; search there uses a plain fallback.
"""

import django.contrib.postgres.search
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION reforms_reform_search_vector_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.body, '')), 'C') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(concat_ws(' ', s.title, s.authors, s.publisher, c.locator, c.quote), ' ')
      FROM institute_citation c JOIN institute_source s ON s.id = c.source_id
      WHERE c.reform_id = NEW.id), '')), 'D');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER reforms_reform_search_vector
  BEFORE INSERT OR UPDATE ON reforms_reform
  FOR EACH ROW EXECUTE FUNCTION reforms_reform_search_vector_update();

-- A citation added, changed or removed: recompute the reforms it belongs (or belonged) to.
CREATE OR REPLACE FUNCTION reforms_citation_touch_reform() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.reform_id IS NOT NULL THEN
    UPDATE reforms_reform SET id = id WHERE id = OLD.reform_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.reform_id IS NOT NULL THEN
    UPDATE reforms_reform SET id = id WHERE id = NEW.reform_id;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER reforms_citation_search_vector
  AFTER INSERT OR UPDATE OR DELETE ON institute_citation
  FOR EACH ROW EXECUTE FUNCTION reforms_citation_touch_reform();

-- A source's bibliographic text changed: recompute the reforms that cite it.
CREATE OR REPLACE FUNCTION reforms_source_touch_reforms() RETURNS trigger AS $$
BEGIN
  UPDATE reforms_reform SET id = id
  WHERE id IN (SELECT reform_id FROM institute_citation WHERE source_id = NEW.id);
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER reforms_source_search_vector
  AFTER UPDATE OF title, authors, publisher ON institute_source
  FOR EACH ROW EXECUTE FUNCTION reforms_source_touch_reforms();

CREATE INDEX reforms_reform_search_vector_gin ON reforms_reform USING gin (search_vector);

UPDATE reforms_reform SET id = id;
"""

BACKWARD = r"""
DROP INDEX IF EXISTS reforms_reform_search_vector_gin;
DROP TRIGGER IF EXISTS reforms_source_search_vector ON institute_source;
DROP TRIGGER IF EXISTS reforms_citation_search_vector ON institute_citation;
DROP TRIGGER IF EXISTS reforms_reform_search_vector ON reforms_reform;
DROP FUNCTION IF EXISTS reforms_source_touch_reforms();
DROP FUNCTION IF EXISTS reforms_citation_touch_reform();
DROP FUNCTION IF EXISTS reforms_reform_search_vector_update();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("reforms", "0001_initial"),
        ("institute", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reform",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
