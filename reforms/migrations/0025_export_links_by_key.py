"""A reform's link cells (reforms/0022) computed from its own links outward, each target found
by its key, whatever the planner knows of the target tables.

The trigger joined the links to their targets and left the join's order to the planner, which
plans a trigger's statements once, generically: on a sources table it has no figures for (a new
database; a server with autovacuum off), it read every published source and probed the reform's
citations for each, rather than the reform's few citations and a source each. A row's cells now
come from its links (by the reform's key) and each link's target by its primary key, an order
fixed by the lateral subquery (OFFSET 0 keeps the planner from flattening it). The cells are the
same (the 20,000 reforms of `benchmarks/rows.py`, written both ways in one transaction: none
differs); an `INSERT … SELECT` of those 20,000 draft reforms, their links in place, took 3.3–3.5 s
with the old function and 2.0–2.1 s with this one (0.7 s with no link cells at all).
"""

from django.db import migrations

# What both functions share: the function around the link cells, and the secondary areas (a
# column of the link's own row, nothing to join).
FUNCTION = """
CREATE OR REPLACE FUNCTION reforms_reform_export_links() RETURNS trigger AS $$
BEGIN
{links}  NEW.export_secondary_areas := (
    SELECT coalesce(string_agg(s.area, ';' ORDER BY s.area COLLATE "C"), '')
    FROM reforms_secondaryarea s WHERE s.reform_id = NEW.id);
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

BY_KEY = FUNCTION.replace(
    "{links}",
    """  NEW.export_topics := (
    SELECT coalesce(string_agg(x.slug, ';' ORDER BY x.slug COLLATE "C"), '')
    FROM reforms_reform_topics l
    CROSS JOIN LATERAL (SELECT t.slug FROM reforms_topic t WHERE t.id = l.topic_id OFFSET 0) x
    WHERE l.reform_id = NEW.id);
  NEW.export_sources := (
    SELECT coalesce(string_agg(d.s, ';' ORDER BY d.s COLLATE "C"), '') FROM (
      SELECT DISTINCT x.slug AS s FROM institute_citation l
      CROSS JOIN LATERAL (
        SELECT s.slug FROM institute_source s
        WHERE s.id = l.source_id AND s.review_state = 'published' OFFSET 0) x
      WHERE l.reform_id = NEW.id) d);
  -- Published recommendations of published reports (Recommendation.objects.published()), in
  -- the database's collation, as the Python rows order them (by the ORM).
  NEW.export_responds_to := (
    SELECT coalesce(string_agg(x.slug, ';' ORDER BY x.slug), '')
    FROM recommendations_response l
    CROSS JOIN LATERAL (
      SELECT m.slug FROM recommendations_recommendation m
      JOIN institute_source report ON report.id = m.report_id
      WHERE m.id = l.recommendation_id AND m.review_state = 'published'
        AND report.review_state = 'published' OFFSET 0) x
    WHERE l.reform_id = NEW.id);
""",
)

JOINED = FUNCTION.replace(
    "{links}",
    """  NEW.export_topics := (
    SELECT coalesce(string_agg(x.slug, ';' ORDER BY x.slug COLLATE "C"), '')
    FROM reforms_reform_topics l JOIN reforms_topic x ON x.id = l.topic_id
    WHERE l.reform_id = NEW.id);
  NEW.export_sources := (
    SELECT coalesce(string_agg(d.s, ';' ORDER BY d.s COLLATE "C"), '') FROM (
      SELECT DISTINCT x.slug AS s FROM institute_citation l
      JOIN institute_source x ON x.id = l.source_id
      WHERE l.reform_id = NEW.id AND x.review_state = 'published') d);
  NEW.export_responds_to := (
    SELECT coalesce(string_agg(x.slug, ';' ORDER BY x.slug), '')
    FROM recommendations_response l
    JOIN recommendations_recommendation x ON x.id = l.recommendation_id
    JOIN institute_source report ON report.id = x.report_id
    WHERE l.reform_id = NEW.id AND x.review_state = 'published'
      AND report.review_state = 'published');
""",
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BY_KEY)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JOINED)


class Migration(migrations.Migration):
    dependencies = [("reforms", "0024_search_vector_published_only")]

    operations = [migrations.RunPython(forward, backward)]
