"""A reform's link columns as the public files write them, kept on its row (PostgreSQL only):
its topics', published sources' and published recommendations' slugs and its secondary areas,
each ';'-joined in the files' order. An export then reads the row alone, a plain scan, instead
of four subqueries a row (issue 24: 56k rows/s with them, 260k without, at 1M).

Django knows nothing of these columns (its writes leave them alone; SQLite has none and writes
its files in Python). Triggers keep them in the writer's transaction:

- a row's BEFORE trigger computes the four when it is inserted (an import writes a new entry's
  links first, institute.editorial.bulk_insert) and when it is touched: `SET id = id` (what a
  citation or a source's publication already does, for the search vector) or
  `SET export_topics = ''` (what a change to the row's other links does);
- a write to a topic link, a secondary area or a response touches the reforms of the rows it
  wrote; a topic, a source or a recommendation inserted, or its slug or review state changed
  (a recommendation's report, too), touches the reforms linked to it, a report's the reforms
  that respond to its recommendations.

The search vector's trigger fires now only when a column it reads is set (or `id`, the touch),
so that a touch of the links does not compute a reform's search vector again.
"""

from django.db import migrations

LINKS = """
CREATE FUNCTION reforms_reform_export_links() RETURNS trigger AS $$
BEGIN
  NEW.export_topics := (
    SELECT coalesce(string_agg(x.slug, ';' ORDER BY x.slug COLLATE "C"), '')
    FROM reforms_reform_topics l JOIN reforms_topic x ON x.id = l.topic_id
    WHERE l.reform_id = NEW.id);
  NEW.export_sources := (
    SELECT coalesce(string_agg(d.s, ';' ORDER BY d.s COLLATE "C"), '') FROM (
      SELECT DISTINCT x.slug AS s FROM institute_citation l
      JOIN institute_source x ON x.id = l.source_id
      WHERE l.reform_id = NEW.id AND x.review_state = 'published') d);
  -- Published recommendations of published reports (Recommendation.objects.published()), in
  -- the database's collation, as the Python rows order them (by the ORM).
  NEW.export_responds_to := (
    SELECT coalesce(string_agg(x.slug, ';' ORDER BY x.slug), '')
    FROM recommendations_response l
    JOIN recommendations_recommendation x ON x.id = l.recommendation_id
    JOIN institute_source report ON report.id = x.report_id
    WHERE l.reform_id = NEW.id AND x.review_state = 'published'
      AND report.review_state = 'published');
  NEW.export_secondary_areas := (
    SELECT coalesce(string_agg(s.area, ';' ORDER BY s.area COLLATE "C"), '')
    FROM reforms_secondaryarea s WHERE s.reform_id = NEW.id);
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER reforms_reform_export_links
  BEFORE INSERT OR UPDATE OF id, export_topics ON reforms_reform
  FOR EACH ROW EXECUTE FUNCTION reforms_reform_export_links();

CREATE FUNCTION reforms_export_links_touch_rows() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    UPDATE reforms_reform SET export_topics = ''
    WHERE id IN (SELECT DISTINCT reform_id FROM new_rows);
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE reforms_reform SET export_topics = ''
    WHERE id IN (SELECT DISTINCT reform_id FROM old_rows);
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

LINK_TABLES = ("reforms_reform_topics", "reforms_secondaryarea", "recommendations_response")
TRANSITIONS = {
    "INSERT": "NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
    "UPDATE": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
}

# (table, the columns whose change touches, the reforms linked to the rows `n`): the reforms
# linked to a row inserted (an import may write the links first) or changed.
TARGETS = [
    (
        "reforms_topic",
        ("slug",),
        "SELECT l.reform_id FROM reforms_reform_topics l JOIN {n} ON n.id = l.topic_id",
    ),
    (
        "recommendations_recommendation",
        ("slug", "review_state", "report_id"),
        "SELECT l.reform_id FROM recommendations_response l JOIN {n} ON n.id = l.recommendation_id",
    ),
    # A source's citations, and the responses to the recommendations of a report. (Its review
    # state also touches the reforms citing it, for the search vector: reforms/0006.)
    (
        "institute_source",
        ("slug", "review_state"),
        "SELECT l.reform_id FROM institute_citation l JOIN {n} ON n.id = l.source_id "
        "UNION SELECT l.reform_id FROM recommendations_response l "
        "JOIN recommendations_recommendation m ON m.id = l.recommendation_id "
        "JOIN {n} ON n.id = m.report_id",
    ),
]

SEARCH_VECTOR_READS = (
    "id",
    *(f"{field}{suffix}" for suffix in ("", "_ru", "_kk") for field in ("title", "summary", "body")),
)


def _forward_sql() -> str:
    out = [
        "ALTER TABLE reforms_reform "
        + ", ".join(
            f"ADD COLUMN export_{name} text NOT NULL DEFAULT ''"
            for name in ("topics", "sources", "responds_to", "secondary_areas")
        )
        + ";",
        LINKS,
    ]
    for table in LINK_TABLES:
        for event, transitions in TRANSITIONS.items():
            out.append(
                f"CREATE TRIGGER reforms_export_links_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {transitions} FOR EACH STATEMENT "
                "EXECUTE FUNCTION reforms_export_links_touch_rows();"
            )
    for table, columns, reforms in TARGETS:
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        inserted = reforms.format(n="new_rows n")
        row = reforms.format(n="(SELECT NEW.id AS id) n")
        out.append(
            f"""
CREATE FUNCTION {table}_touch_export_links() RETURNS trigger AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    UPDATE reforms_reform SET export_topics = '' WHERE id IN ({inserted});
  ELSE
    UPDATE reforms_reform SET export_topics = '' WHERE id IN ({row});
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_insert_export_links AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION {table}_touch_export_links();
CREATE TRIGGER {table}_touch_export_links AFTER UPDATE OF {", ".join(columns)} ON {table}
  FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {table}_touch_export_links();"""
        )
    out.append(
        "DROP TRIGGER reforms_reform_search_vector ON reforms_reform;\n"
        "CREATE TRIGGER reforms_reform_search_vector BEFORE INSERT OR UPDATE OF "
        f"{', '.join(SEARCH_VECTOR_READS)} ON reforms_reform "
        "FOR EACH ROW EXECUTE FUNCTION reforms_reform_search_vector_update();"
    )
    out.append("UPDATE reforms_reform SET export_topics = '';")
    return "\n".join(out)


def _backward_sql() -> str:
    out = [
        "DROP TRIGGER reforms_reform_search_vector ON reforms_reform;\n"
        "CREATE TRIGGER reforms_reform_search_vector BEFORE INSERT OR UPDATE ON reforms_reform "
        "FOR EACH ROW EXECUTE FUNCTION reforms_reform_search_vector_update();"
    ]
    for table, *_ in TARGETS:
        out.append(
            f"DROP TRIGGER {table}_insert_export_links ON {table}; "
            f"DROP TRIGGER {table}_touch_export_links ON {table}; "
            f"DROP FUNCTION {table}_touch_export_links();"
        )
    for table in LINK_TABLES:
        for event in TRANSITIONS:
            out.append(f"DROP TRIGGER reforms_export_links_{event.lower()} ON {table};")
    out.append(
        "DROP FUNCTION reforms_export_links_touch_rows();\n"
        "DROP TRIGGER reforms_reform_export_links ON reforms_reform;\n"
        "DROP FUNCTION reforms_reform_export_links();\n"
        "ALTER TABLE reforms_reform "
        + ", ".join(
            f"DROP COLUMN export_{name}"
            for name in ("topics", "sources", "responds_to", "secondary_areas")
        )
        + ";"
    )
    return "\n".join(out)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_forward_sql(), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_backward_sql(), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reforms", "0021_reform_tally_acted_by_bounds"),
        ("recommendations", "0008_record_publications"),
        ("institute", "0014_publication_append_only_history"),
    ]

    operations = [migrations.RunPython(forward, backward)]
