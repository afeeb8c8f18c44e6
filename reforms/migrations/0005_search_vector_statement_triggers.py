"""Recompute search vectors once per statement, not once per citation row.

A bulk import inserts thousands of citations in a few statements; a row-level trigger ran one
UPDATE of the reform per citation. Statement-level triggers with transition tables touch each
affected reform once per statement.
"""

from django.db import migrations

FORWARD = r"""
DROP TRIGGER IF EXISTS reforms_citation_search_vector ON institute_citation;
DROP FUNCTION IF EXISTS reforms_citation_touch_reform();

CREATE OR REPLACE FUNCTION reforms_citations_touch_reforms() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE reforms_reform SET id = id
    WHERE id IN (SELECT DISTINCT reform_id FROM new_rows WHERE reform_id IS NOT NULL);
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE reforms_reform SET id = id
    WHERE id IN (SELECT DISTINCT reform_id FROM old_rows WHERE reform_id IS NOT NULL);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER reforms_citation_search_vector_insert
  AFTER INSERT ON institute_citation REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reforms_citations_touch_reforms();
CREATE TRIGGER reforms_citation_search_vector_update
  AFTER UPDATE ON institute_citation REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reforms_citations_touch_reforms();
CREATE TRIGGER reforms_citation_search_vector_delete
  AFTER DELETE ON institute_citation REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reforms_citations_touch_reforms();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS reforms_citation_search_vector_insert ON institute_citation;
DROP TRIGGER IF EXISTS reforms_citation_search_vector_update ON institute_citation;
DROP TRIGGER IF EXISTS reforms_citation_search_vector_delete ON institute_citation;
DROP FUNCTION IF EXISTS reforms_citations_touch_reforms();

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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("reforms", "0004_reform_import_permission")]

    operations = [migrations.RunPython(forward, backward)]
