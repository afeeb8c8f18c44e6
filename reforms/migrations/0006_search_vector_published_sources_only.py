"""A reform's search text takes citations of published sources only.

The search vector is public (a visitor's `q=` matches it), so the words of a draft or archived
source must not be in it: `?q=<draft source title>` would find the reform and leak that the
source exists. A source's review state moving now recomputes the reforms that cite it.
"""

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
      WHERE c.reform_id = NEW.id AND s.review_state = 'published'), '')), 'D');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS reforms_source_search_vector ON institute_source;
CREATE TRIGGER reforms_source_search_vector
  AFTER UPDATE OF title, authors, publisher, review_state ON institute_source
  FOR EACH ROW EXECUTE FUNCTION reforms_source_touch_reforms();

UPDATE reforms_reform SET id = id;
"""

BACKWARD = r"""
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

DROP TRIGGER IF EXISTS reforms_source_search_vector ON institute_source;
CREATE TRIGGER reforms_source_search_vector
  AFTER UPDATE OF title, authors, publisher ON institute_source
  FOR EACH ROW EXECUTE FUNCTION reforms_source_touch_reforms();

UPDATE reforms_reform SET id = id;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("reforms", "0005_search_vector_statement_triggers")]

    operations = [migrations.RunPython(forward, backward)]
