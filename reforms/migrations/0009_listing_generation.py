"""The listing generation counter and the triggers that bump it (institute.listings.generation):
one statement-level trigger per table a public listing reads (row triggers on SQLite)."""

from django.db import migrations

TABLE = "listing_generation"
SLOTS = 16
WATCHED_TABLES = (
    "reforms_reform",
    "reforms_reform_topics",
    "reforms_topic",
    "recommendations_recommendation",
    "recommendations_recommendation_themes",
    "recommendations_theme",
    "recommendations_response",
    "institute_source",
    "institute_citation",
)


def _postgresql_forward() -> str:
    triggers = "\n".join(
        f"CREATE TRIGGER listing_generation_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION listing_generation_bump();"
        for table in WATCHED_TABLES
    )
    return f"""
CREATE TABLE {TABLE} (slot smallint PRIMARY KEY, value bigint NOT NULL DEFAULT 0);
INSERT INTO {TABLE} (slot, value) SELECT s, 0 FROM generate_series(0, {SLOTS - 1}) s;
CREATE FUNCTION listing_generation_bump() RETURNS trigger AS $$
BEGIN
  UPDATE {TABLE} SET value = value + 1 WHERE slot = pg_backend_pid() % {SLOTS};
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
{triggers}
"""


def _postgresql_backward() -> str:
    drops = "\n".join(
        f"DROP TRIGGER IF EXISTS listing_generation_bump ON {table};" for table in WATCHED_TABLES
    )
    return f"{drops}\nDROP FUNCTION IF EXISTS listing_generation_bump();\nDROP TABLE {TABLE};"


def _sqlite_forward() -> list[str]:
    # SQLite has row triggers only; it has one writer at a time, so one slot.
    out = [
        f"CREATE TABLE {TABLE} (slot integer PRIMARY KEY, value integer NOT NULL DEFAULT 0)",
        f"INSERT INTO {TABLE} (slot, value) VALUES (0, 0)",
    ]
    for table in WATCHED_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            out.append(
                f"CREATE TRIGGER listing_generation_{table}_{event.lower()} AFTER {event} "
                f"ON {table} BEGIN UPDATE {TABLE} SET value = value + 1 WHERE slot = 0; END"
            )
    return out


def _sqlite_backward() -> list[str]:
    out = [
        f"DROP TRIGGER IF EXISTS listing_generation_{table}_{event}"
        for table in WATCHED_TABLES
        for event in ("insert", "update", "delete")
    ]
    return [*out, f"DROP TABLE {TABLE}"]


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_postgresql_forward(), params=None)
    else:
        for statement in _sqlite_forward():
            schema_editor.execute(statement)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_postgresql_backward(), params=None)
    else:
        for statement in _sqlite_backward():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("reforms", "0008_one_history_drop_simple_history"),
        ("recommendations", "0005_one_history_drop_simple_history"),
        ("institute", "0012_import_job_previewed"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
