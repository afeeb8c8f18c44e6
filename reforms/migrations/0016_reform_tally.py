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

The SQL is made from a `Shape` (the dimensions a reform counts under, its year, the reform
columns that change them), so that a later migration that adds a dimension (reforms/0021)
takes this one's objects away and puts its own in their place with the same statements.
"""

from dataclasses import dataclass

from django.db import migrations

PUBLISHED = "'published'"


@dataclass(frozen=True)
class Shape:
    # The dimensions a reform counts under, after topic, year and secondary area; `answers`
    # (a boolean) last.
    dims: tuple[str, ...]
    # The ledger row's year: of the earliest date, "" when undated.
    year: str
    # The reform columns whose change changes what a published reform counts under.
    watched: tuple[str, ...]

    @property
    def key(self) -> str:
        return ", ".join(("topic", "year", "also_area", *self.dims))

    def columns(self, prefix: str) -> str:
        return ", ".join(f"{prefix}{dim}" for dim in self.dims)

    def text_columns(self, boolean: str) -> str:
        return ", ".join(
            f"{dim} {boolean if dim == 'answers' else 'text'} NOT NULL" for dim in self.dims
        )


FIRST = Shape(
    dims=("area", "status", "initiated_by", "answers"),
    year="substr(r.first_date, 1, 4)",
    watched=("review_state", "area", "status", "initiated_by", "first_date"),
)

_ANSWERS = f"""EXISTS (
    SELECT 1 FROM recommendations_response x
    JOIN recommendations_recommendation m ON m.id = x.recommendation_id
    JOIN institute_source s ON s.id = m.report_id
    WHERE x.reform_id = r.id AND m.review_state = {PUBLISHED} AND s.review_state = {PUBLISHED}
  ) AS answers"""


def _source_dims(shape: Shape, cast: str) -> str:
    return ", ".join(
        _ANSWERS if dim == "answers" else f"r.{dim}{cast}" for dim in shape.dims
    )


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def _pg_tables(shape: Shape) -> str:
    return f"""
CREATE TABLE reforms_tally_row (
  reform_id bigint PRIMARY KEY, {shape.text_columns("boolean")}, year text NOT NULL,
  topics text[] NOT NULL, also text[] NOT NULL
);
CREATE TABLE reforms_tally (
  topic text NOT NULL, year text NOT NULL, also_area text NOT NULL,
  {shape.text_columns("boolean")},
  n bigint NOT NULL, PRIMARY KEY ({shape.key})
);
CREATE VIEW reforms_tally_source AS
SELECT r.id AS reform_id, {_source_dims(shape, "::text")},
  {shape.year}::text AS year,
  ARRAY['']::text[] || ARRAY(
    SELECT t.topic_id::text FROM reforms_reform_topics t WHERE t.reform_id = r.id
  ) AS topics,
  ARRAY['']::text[] || ARRAY(
    SELECT DISTINCT a.area::text FROM reforms_secondaryarea a
    WHERE a.reform_id = r.id AND a.area <> r.area
  ) AS also
FROM reforms_reform r WHERE r.review_state = {PUBLISHED};
"""


def _pg_cells(shape: Shape, source: str) -> str:
    dims = shape.columns("g.")
    return f"""
    SELECT t.topic, CASE WHEN g.year = '' THEN '' ELSE '*' END AS year, a.also_area, {dims}
    FROM {source} g, unnest(g.topics) t(topic), unnest(g.also) a(also_area)
    UNION ALL
    SELECT '*', g.year, a.also_area, {dims}
    FROM {source} g, unnest(g.also) a(also_area)"""


def _pg_refresh(shape: Shape) -> str:
    key = shape.key
    return f"""
CREATE FUNCTION reforms_tally_refresh(ids bigint[]) RETURNS void AS $$
BEGIN
  IF cardinality(ids) = 0 THEN RETURN; END IF;
  WITH gone AS (
    DELETE FROM reforms_tally_row g USING unnest(ids) i(id) WHERE g.reform_id = i.id
    RETURNING g.*
  ), cells AS (
    SELECT {key}, count(*) AS n FROM ({_pg_cells(shape, "gone")}) c GROUP BY {key}
  )
  UPDATE reforms_tally c SET n = c.n - cells.n FROM cells
  WHERE (c.topic, c.year, c.also_area, {shape.columns("c.")})
      = (cells.topic, cells.year, cells.also_area, {shape.columns("cells.")});
  WITH fresh AS (
    INSERT INTO reforms_tally_row
    SELECT s.* FROM reforms_tally_source s JOIN unnest(ids) i(id) ON s.reform_id = i.id
    RETURNING *
  ), cells AS (
    SELECT {key}, count(*) AS n FROM ({_pg_cells(shape, "fresh")}) c GROUP BY {key}
  )
  -- In key order: two writers adding to the same counts take their row locks alike.
  INSERT INTO reforms_tally ({key}, n) SELECT * FROM cells ORDER BY {key}
  ON CONFLICT ({key}) DO UPDATE SET n = reforms_tally.n + EXCLUDED.n;
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


def _pg_watched(shape: Shape) -> dict[str, dict[str, str]]:
    new = ", ".join(f"n.{col}" for col in shape.watched)
    old = ", ".join(f"o.{col}" for col in shape.watched)
    return {
        "reforms_reform": {
            "INSERT": f"SELECT id FROM new_rows WHERE review_state = {PUBLISHED}",
            "DELETE": f"SELECT id FROM old_rows WHERE id IN ({_LEDGERED})",
            "UPDATE": (
                "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
                f"WHERE (n.review_state = {PUBLISHED} OR o.review_state = {PUBLISHED}) AND "
                f"({new}) IS DISTINCT FROM ({old})"
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
                f"{_RESPONDING} JOIN new_rows n ON n.id = m.report_id "
                "JOIN old_rows o ON o.id = n.id "
                "WHERE n.review_state IS DISTINCT FROM o.review_state"
            ),
        },
    }


def _pg_triggers(shape: Shape) -> str:
    out = []
    for table, events in _pg_watched(shape).items():
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
    for table in _pg_watched(FIRST)
)


def _pg_backward(shape: Shape) -> str:
    watched = _pg_watched(shape)
    out = [f"DROP TRIGGER IF EXISTS reforms_tally_{table}_truncate ON {table};" for table in watched]
    out.append("DROP FUNCTION IF EXISTS reforms_tally_truncated();")
    for table, events in watched.items():
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


def _sqlite_tables(shape: Shape) -> list[str]:
    return [
        f"""CREATE TABLE reforms_tally_row (
  reform_id integer PRIMARY KEY, {shape.text_columns("integer")}, year text NOT NULL,
  topics text NOT NULL, also text NOT NULL)""",
        f"""CREATE TABLE reforms_tally (
  topic text NOT NULL, year text NOT NULL, also_area text NOT NULL,
  {shape.text_columns("integer")},
  n integer NOT NULL, PRIMARY KEY ({shape.key}))""",
        f"""CREATE VIEW reforms_tally_source AS
SELECT r.id AS reform_id, {_source_dims(shape, "")},
  {shape.year} AS year,
  json_insert((SELECT json_group_array(CAST(t.topic_id AS TEXT)) FROM reforms_reform_topics t
               WHERE t.reform_id = r.id), '$[#]', '') AS topics,
  json_insert((SELECT json_group_array(DISTINCT a.area) FROM reforms_secondaryarea a
               WHERE a.reform_id = r.id AND a.area <> r.area), '$[#]', '') AS also
FROM reforms_reform r WHERE r.review_state = {PUBLISHED}""",
    ]


def _sqlite_cells(shape: Shape, ids: str) -> str:
    dims = shape.columns("g.")
    return f"""
    SELECT t.value AS topic, CASE WHEN g.year = '' THEN '' ELSE '*' END AS year,
      a.value AS also_area, {dims}
    FROM reforms_tally_row g, json_each(g.topics) t, json_each(g.also) a
    WHERE g.reform_id IN ({ids})
    UNION ALL
    SELECT '*', g.year, a.value, {dims}
    FROM reforms_tally_row g, json_each(g.also) a WHERE g.reform_id IN ({ids})"""


def _sqlite_refresh(shape: Shape, ids: str) -> list[str]:
    """The statements that refresh the ledger rows of the reforms `ids` (an SQL list)."""
    key = shape.key
    cells = _sqlite_cells(shape, ids)
    same = " AND ".join(f"c.{col} = reforms_tally.{col}" for col in key.split(", "))
    return [
        f"UPDATE reforms_tally SET n = n - (SELECT count(*) FROM ({cells}) c WHERE {same}) "
        f"WHERE ({key}) IN (SELECT {key} FROM ({cells}))",
        f"DELETE FROM reforms_tally_row WHERE reform_id IN ({ids})",
        "INSERT INTO reforms_tally_row SELECT * FROM reforms_tally_source "
        f"WHERE reform_id IN ({ids})",
        f"INSERT INTO reforms_tally ({key}, n) "
        f"SELECT {key}, count(*) FROM ({cells}) WHERE true GROUP BY {key} "
        f"ON CONFLICT ({key}) DO UPDATE SET n = n + excluded.n",
    ]


def _sqlite_child(table: str) -> list[tuple[str, str, str, str]]:
    return [
        (table, "INSERT", f"NEW.reform_id IN ({_PUBLISHED_REFORMS})", "NEW.reform_id"),
        (table, "DELETE", f"OLD.reform_id IN ({_LEDGERED})", "OLD.reform_id"),
        (
            table,
            "UPDATE",
            f"NEW.reform_id IN ({_PUBLISHED_REFORMS}) OR OLD.reform_id IN ({_LEDGERED})",
            "NEW.reform_id, OLD.reform_id",
        ),
    ]


def _sqlite_watched(shape: Shape) -> list[tuple[str, str, str, str]]:
    """(table, event, when, the reforms to refresh)"""
    changed = " OR ".join(f"NEW.{col} IS NOT OLD.{col}" for col in shape.watched)
    return [
        ("reforms_reform", "INSERT", f"NEW.review_state = {PUBLISHED}", "NEW.id"),
        ("reforms_reform", "DELETE", f"OLD.id IN ({_LEDGERED})", "OLD.id"),
        (
            "reforms_reform",
            "UPDATE",
            f"(NEW.review_state = {PUBLISHED} OR OLD.review_state = {PUBLISHED}) AND ({changed})",
            "NEW.id",
        ),
        *_sqlite_child("reforms_reform_topics"),
        *_sqlite_child("reforms_secondaryarea"),
        *_sqlite_child("recommendations_response"),
        (
            "recommendations_recommendation",
            "UPDATE",
            "NEW.review_state IS NOT OLD.review_state OR NEW.report_id IS NOT OLD.report_id",
            f"{_RESPONDING} WHERE m.id = NEW.id",
        ),
        (
            "institute_source",
            "UPDATE",
            "NEW.review_state IS NOT OLD.review_state",
            f"{_RESPONDING} WHERE m.report_id = NEW.id",
        ),
    ]


def _sqlite_forward(shape: Shape) -> list[str]:
    out = _sqlite_tables(shape)
    for table, event, when, ids in _sqlite_watched(shape):
        out.append(
            f"CREATE TRIGGER reforms_tally_{table}_{event.lower()} AFTER {event} ON {table} "
            f"WHEN {when} BEGIN {'; '.join(_sqlite_refresh(shape, ids))}; END"
        )
    out += _sqlite_refresh(shape, "SELECT reform_id FROM reforms_tally_source")
    return out


def _sqlite_backward(shape: Shape) -> list[str]:
    out = [
        f"DROP TRIGGER IF EXISTS reforms_tally_{table}_{event.lower()}"
        for table, event, _when, _ids in _sqlite_watched(shape)
    ]
    return [
        *out,
        "DROP VIEW reforms_tally_source",
        "DROP TABLE reforms_tally",
        "DROP TABLE reforms_tally_row",
    ]


def install_shape(shape: Shape, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            _pg_tables(shape) + _pg_refresh(shape) + _pg_triggers(shape) + PG_TRUNCATE + PG_FILL,
            params=None,
        )
    else:
        for statement in _sqlite_forward(shape):
            schema_editor.execute(statement)


def uninstall_shape(shape: Shape, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_pg_backward(shape), params=None)
    else:
        for statement in _sqlite_backward(shape):
            schema_editor.execute(statement)


def install(apps, schema_editor) -> None:
    install_shape(FIRST, schema_editor)


def uninstall(apps, schema_editor) -> None:
    uninstall_shape(FIRST, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("reforms", "0015_reform_status_adopted_label"),
        ("recommendations", "0008_record_publications"),
        ("institute", "0014_publication_append_only_history"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
