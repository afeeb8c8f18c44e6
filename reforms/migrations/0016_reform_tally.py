"""The reforms' pre-aggregated counts (reforms.tally), kept exact by triggers in the writer's
own transaction, on PostgreSQL (statement triggers over transition tables) and SQLite (row
triggers).

Two tables:

- `reforms_tally_row`: one row per published reform, what it counts under: its area, status,
  initiator, whether it answers a published recommendation, its year (of `first_date`, "" when
  undated), its topics' ids and its secondary areas (its own excluded), each list led by "".
  It is the ledger that lets a change take back exactly what the reform counted before.
- `reforms_tally`: the counts. Each ledger row counts once in two slices:
  the topic slice, per (topic, secondary area) pair of its lists (year "" when undated, else
  "*"), and the year slice (topic "*"), per secondary area of its list. A topic "" or a
  secondary area "" is the reform itself, so ("", "") is every reform once.

A write to a table the counts read (a reform, its topics, secondary areas and responses, a
recommendation's or a report's review state) refreshes the ledger rows of the reforms it
touches: the old row's counts taken away, the new row's added.
"""

from django.db import migrations

KEY = "topic, year, also_area, area, status, initiated_by, answers"
PUBLISHED = "'published'"

# ---------------------------------------------------------------------------------------------
# PostgreSQL

PG_TABLES = f"""
CREATE TABLE reforms_tally_row (
  reform_id bigint PRIMARY KEY, area text NOT NULL, status text NOT NULL,
  initiated_by text NOT NULL, answers boolean NOT NULL, year text NOT NULL,
  topics text[] NOT NULL, also text[] NOT NULL
);
CREATE TABLE reforms_tally (
  topic text NOT NULL, year text NOT NULL, also_area text NOT NULL, area text NOT NULL,
  status text NOT NULL, initiated_by text NOT NULL, answers boolean NOT NULL,
  n bigint NOT NULL, PRIMARY KEY ({KEY})
);
CREATE VIEW reforms_tally_source AS
SELECT r.id AS reform_id, r.area::text, r.status::text, r.initiated_by::text,
  EXISTS (
    SELECT 1 FROM recommendations_response x
    JOIN recommendations_recommendation m ON m.id = x.recommendation_id
    JOIN institute_source s ON s.id = m.report_id
    WHERE x.reform_id = r.id AND m.review_state = {PUBLISHED} AND s.review_state = {PUBLISHED}
  ) AS answers,
  substr(r.first_date, 1, 4)::text AS year,
  ARRAY['']::text[] || ARRAY(
    SELECT t.topic_id::text FROM reforms_reform_topics t WHERE t.reform_id = r.id
  ) AS topics,
  ARRAY['']::text[] || ARRAY(
    SELECT DISTINCT a.area::text FROM reforms_secondaryarea a
    WHERE a.reform_id = r.id AND a.area <> r.area
  ) AS also
FROM reforms_reform r WHERE r.review_state = {PUBLISHED};
"""


def _pg_cells(source: str) -> str:
    return f"""
    SELECT t.topic, CASE WHEN g.year = '' THEN '' ELSE '*' END AS year, a.also_area,
      g.area, g.status, g.initiated_by, g.answers
    FROM {source} g, unnest(g.topics) t(topic), unnest(g.also) a(also_area)
    UNION ALL
    SELECT '*', g.year, a.also_area, g.area, g.status, g.initiated_by, g.answers
    FROM {source} g, unnest(g.also) a(also_area)"""


PG_REFRESH = f"""
CREATE FUNCTION reforms_tally_refresh(ids bigint[]) RETURNS void AS $$
BEGIN
  IF cardinality(ids) = 0 THEN RETURN; END IF;
  WITH gone AS (
    DELETE FROM reforms_tally_row g USING unnest(ids) i(id) WHERE g.reform_id = i.id
    RETURNING g.*
  ), cells AS (
    SELECT {KEY}, count(*) AS n FROM ({_pg_cells("gone")}) c GROUP BY {KEY}
  )
  UPDATE reforms_tally c SET n = c.n - cells.n FROM cells
  WHERE (c.topic, c.year, c.also_area, c.area, c.status, c.initiated_by, c.answers)
      = (cells.topic, cells.year, cells.also_area, cells.area, cells.status,
         cells.initiated_by, cells.answers);
  WITH fresh AS (
    INSERT INTO reforms_tally_row
    SELECT s.* FROM reforms_tally_source s JOIN unnest(ids) i(id) ON s.reform_id = i.id
    RETURNING *
  ), cells AS (
    SELECT {KEY}, count(*) AS n FROM ({_pg_cells("fresh")}) c GROUP BY {KEY}
  )
  -- In key order: two writers adding to the same counts take their row locks alike.
  INSERT INTO reforms_tally ({KEY}, n) SELECT * FROM cells ORDER BY {KEY}
  ON CONFLICT ({KEY}) DO UPDATE SET n = reforms_tally.n + EXCLUDED.n;
END
$$ LANGUAGE plpgsql;
"""

# Which reforms a statement touches, per table and event (new_rows / old_rows: the statement's
# transition tables). Rows of drafts are left out where that is cheap to see: an import of
# drafts pays for no refresh.
_LEDGERED = "SELECT reform_id FROM reforms_tally_row"
_PUBLISHED_REFORMS = f"SELECT id FROM reforms_reform WHERE review_state = {PUBLISHED}"
_CHILD = {
    "INSERT": f"SELECT reform_id FROM new_rows WHERE reform_id IN ({_PUBLISHED_REFORMS})",
    "DELETE": f"SELECT reform_id FROM old_rows WHERE reform_id IN ({_LEDGERED})",
    "UPDATE": f"SELECT reform_id FROM new_rows WHERE reform_id IN ({_PUBLISHED_REFORMS}) "
    f"UNION SELECT reform_id FROM old_rows WHERE reform_id IN ({_LEDGERED})",
}
_RESPONDING = (
    "SELECT x.reform_id FROM recommendations_response x "
    "JOIN recommendations_recommendation m ON m.id = x.recommendation_id "
)
PG_WATCHED = {
    "reforms_reform": {
        "INSERT": f"SELECT id FROM new_rows WHERE review_state = {PUBLISHED}",
        "DELETE": f"SELECT id FROM old_rows WHERE id IN ({_LEDGERED})",
        "UPDATE": (
            "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
            f"WHERE (n.review_state = {PUBLISHED} OR o.review_state = {PUBLISHED}) AND "
            "(n.review_state, n.area, n.status, n.initiated_by, n.first_date) IS DISTINCT FROM "
            "(o.review_state, o.area, o.status, o.initiated_by, o.first_date)"
        ),
    },
    "reforms_reform_topics": _CHILD,
    "reforms_secondaryarea": _CHILD,
    "recommendations_response": _CHILD,
    "recommendations_recommendation": {
        "UPDATE": (
            f"{_RESPONDING} JOIN new_rows n ON n.id = m.id JOIN old_rows o ON o.id = n.id "
            "WHERE (n.review_state, n.report_id) IS DISTINCT FROM (o.review_state, o.report_id)"
        ),
    },
    "institute_source": {
        "UPDATE": (
            f"{_RESPONDING} JOIN new_rows n ON n.id = m.report_id JOIN old_rows o ON o.id = n.id "
            "WHERE n.review_state IS DISTINCT FROM o.review_state"
        ),
    },
}


def _pg_triggers() -> str:
    out = []
    for table, events in PG_WATCHED.items():
        for event, reforms in events.items():
            name = f"reforms_tally_{table}_{event.lower()}"
            transitions = {
                "INSERT": "NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows",
                "UPDATE": "NEW TABLE AS new_rows OLD TABLE AS old_rows",
            }[event]
            out.append(
                f"""
CREATE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
  PERFORM reforms_tally_refresh(ARRAY(SELECT DISTINCT id FROM ({reforms}) r(id)));
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transitions}
  FOR EACH STATEMENT EXECUTE FUNCTION {name}();"""
            )
    return "\n".join(out)


# TRUNCATE (a flush of the whole database) has no transition table: a truncated reforms table
# empties the tally, any other table refreshes every reform counted.
PG_TRUNCATE = f"""
CREATE FUNCTION reforms_tally_truncated() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'reforms_reform' THEN
    DELETE FROM reforms_tally; DELETE FROM reforms_tally_row;
  ELSE
    PERFORM reforms_tally_refresh(ARRAY({_LEDGERED}));
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
""" + "\n".join(
    f"CREATE TRIGGER reforms_tally_{table}_truncate AFTER TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION reforms_tally_truncated();"
    for table in PG_WATCHED
)


def _pg_backward() -> str:
    out = [f"DROP TRIGGER IF EXISTS reforms_tally_{table}_truncate ON {table};" for table in PG_WATCHED]
    out.append("DROP FUNCTION IF EXISTS reforms_tally_truncated();")
    for table, events in PG_WATCHED.items():
        for event in events:
            name = f"reforms_tally_{table}_{event.lower()}"
            out.append(
                f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP FUNCTION IF EXISTS {name}();"
            )
    out.append(
        "DROP FUNCTION IF EXISTS reforms_tally_refresh(bigint[]); DROP VIEW reforms_tally_source; "
        "DROP TABLE reforms_tally; DROP TABLE reforms_tally_row;"
    )
    return "\n".join(out)


PG_FILL = "SELECT reforms_tally_refresh(ARRAY(SELECT reform_id FROM reforms_tally_source));"

# ---------------------------------------------------------------------------------------------
# SQLite: row triggers, each refreshing the reforms of one row, set-based all the same (a
# recommendation's row refreshes every reform that responds to it).

SQLITE_TABLES = [
    """CREATE TABLE reforms_tally_row (
  reform_id integer PRIMARY KEY, area text NOT NULL, status text NOT NULL,
  initiated_by text NOT NULL, answers integer NOT NULL, year text NOT NULL,
  topics text NOT NULL, also text NOT NULL)""",
    f"""CREATE TABLE reforms_tally (
  topic text NOT NULL, year text NOT NULL, also_area text NOT NULL, area text NOT NULL,
  status text NOT NULL, initiated_by text NOT NULL, answers integer NOT NULL,
  n integer NOT NULL, PRIMARY KEY ({KEY}))""",
    f"""CREATE VIEW reforms_tally_source AS
SELECT r.id AS reform_id, r.area, r.status, r.initiated_by,
  EXISTS (
    SELECT 1 FROM recommendations_response x
    JOIN recommendations_recommendation m ON m.id = x.recommendation_id
    JOIN institute_source s ON s.id = m.report_id
    WHERE x.reform_id = r.id AND m.review_state = {PUBLISHED} AND s.review_state = {PUBLISHED}
  ) AS answers,
  substr(r.first_date, 1, 4) AS year,
  json_insert((SELECT json_group_array(CAST(t.topic_id AS TEXT)) FROM reforms_reform_topics t
               WHERE t.reform_id = r.id), '$[#]', '') AS topics,
  json_insert((SELECT json_group_array(DISTINCT a.area) FROM reforms_secondaryarea a
               WHERE a.reform_id = r.id AND a.area <> r.area), '$[#]', '') AS also
FROM reforms_reform r WHERE r.review_state = {PUBLISHED}""",
]


def _sqlite_cells(ids: str) -> str:
    return f"""
    SELECT t.value AS topic, CASE WHEN g.year = '' THEN '' ELSE '*' END AS year,
      a.value AS also_area, g.area, g.status, g.initiated_by, g.answers
    FROM reforms_tally_row g, json_each(g.topics) t, json_each(g.also) a
    WHERE g.reform_id IN ({ids})
    UNION ALL
    SELECT '*', g.year, a.value, g.area, g.status, g.initiated_by, g.answers
    FROM reforms_tally_row g, json_each(g.also) a WHERE g.reform_id IN ({ids})"""


def _sqlite_refresh(ids: str) -> list[str]:
    """The statements that refresh the ledger rows of the reforms `ids` (an SQL list)."""
    cells = _sqlite_cells(ids)
    same = " AND ".join(f"c.{col} = reforms_tally.{col}" for col in KEY.split(", "))
    return [
        f"UPDATE reforms_tally SET n = n - (SELECT count(*) FROM ({cells}) c WHERE {same}) "
        f"WHERE ({KEY}) IN (SELECT {KEY} FROM ({cells}))",
        f"DELETE FROM reforms_tally_row WHERE reform_id IN ({ids})",
        "INSERT INTO reforms_tally_row SELECT * FROM reforms_tally_source "
        f"WHERE reform_id IN ({ids})",
        f"INSERT INTO reforms_tally ({KEY}, n) "
        f"SELECT {KEY}, count(*) FROM ({cells}) WHERE true GROUP BY {KEY} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n",
    ]


_S_RESPONDING = (
    "SELECT x.reform_id FROM recommendations_response x "
    "JOIN recommendations_recommendation m ON m.id = x.recommendation_id "
)


def _sqlite_child(table: str) -> list[tuple[str, str, str, str]]:
    published = f"SELECT id FROM reforms_reform WHERE review_state = {PUBLISHED}"
    return [
        (table, "INSERT", f"NEW.reform_id IN ({published})", "NEW.reform_id"),
        (table, "DELETE", f"OLD.reform_id IN ({_LEDGERED})", "OLD.reform_id"),
        (
            table,
            "UPDATE",
            f"NEW.reform_id IN ({published}) OR OLD.reform_id IN ({_LEDGERED})",
            "NEW.reform_id, OLD.reform_id",
        ),
    ]


# (table, event, when, the reforms to refresh)
SQLITE_WATCHED = [
    ("reforms_reform", "INSERT", f"NEW.review_state = {PUBLISHED}", "NEW.id"),
    ("reforms_reform", "DELETE", f"OLD.id IN ({_LEDGERED})", "OLD.id"),
    (
        "reforms_reform",
        "UPDATE",
        f"(NEW.review_state = {PUBLISHED} OR OLD.review_state = {PUBLISHED}) AND "
        "("
        + " OR ".join(
            f"NEW.{col} IS NOT OLD.{col}"
            for col in ("review_state", "area", "status", "initiated_by", "first_date")
        )
        + ")",
        "NEW.id",
    ),
    *_sqlite_child("reforms_reform_topics"),
    *_sqlite_child("reforms_secondaryarea"),
    *_sqlite_child("recommendations_response"),
    (
        "recommendations_recommendation",
        "UPDATE",
        "NEW.review_state IS NOT OLD.review_state OR NEW.report_id IS NOT OLD.report_id",
        f"{_S_RESPONDING} WHERE m.id = NEW.id",
    ),
    (
        "institute_source",
        "UPDATE",
        "NEW.review_state IS NOT OLD.review_state",
        f"{_S_RESPONDING} WHERE m.report_id = NEW.id",
    ),
]


def _sqlite_forward() -> list[str]:
    out = list(SQLITE_TABLES)
    for table, event, when, ids in SQLITE_WATCHED:
        out.append(
            f"CREATE TRIGGER reforms_tally_{table}_{event.lower()} AFTER {event} ON {table} "
            f"WHEN {when} BEGIN {'; '.join(_sqlite_refresh(ids))}; END"
        )
    out += _sqlite_refresh("SELECT reform_id FROM reforms_tally_source")
    return out


def _sqlite_backward() -> list[str]:
    out = [
        f"DROP TRIGGER IF EXISTS reforms_tally_{table}_{event.lower()}"
        for table, event, _when, _ids in SQLITE_WATCHED
    ]
    return [*out, "DROP VIEW reforms_tally_source", "DROP TABLE reforms_tally",
            "DROP TABLE reforms_tally_row"]


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            PG_TABLES + PG_REFRESH + _pg_triggers() + PG_TRUNCATE + PG_FILL, params=None
        )
    else:
        for statement in _sqlite_forward():
            schema_editor.execute(statement)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_pg_backward(), params=None)
    else:
        for statement in _sqlite_backward():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("reforms", "0015_reform_status_adopted_label"),
        ("recommendations", "0008_record_publications"),
        ("institute", "0014_publication_append_only_history"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
