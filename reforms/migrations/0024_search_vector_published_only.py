"""A reform's search vector is kept for published rows only; every other row's is empty (NULL).

Only the public searches `search_vector` (`reform_filter_public`: `published()`, the feeds, the
API, saved searches, "as of" reads, which set past rows back to published), so a draft's vector
was computed and indexed for nothing: about 130 µs of the 250 µs a new draft row costs the
database (an `INSERT … SELECT` of 20,000 draft reforms: 4.9 s with the vector, 2.4 s without),
and every import writes drafts. The trigger now also fires on a change of `review_state`: a row
published gets its vector then, a row withdrawn or archived loses it.
"""

from django.db import migrations

VECTOR = r"""
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.body, '')), 'C') ||
    setweight(to_tsvector('russian', coalesce(NEW.title_ru, '')), 'A') ||
    setweight(to_tsvector('russian', coalesce(NEW.summary_ru, '')), 'B') ||
    setweight(to_tsvector('russian', coalesce(NEW.body_ru, '')), 'C') ||
    setweight(to_tsvector('simple', coalesce(NEW.title_kk, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.summary_kk, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(NEW.body_kk, '')), 'C') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(concat_ws(' ', s.title, s.authors, s.publisher, c.locator, c.quote), ' ')
      FROM institute_citation c JOIN institute_source s ON s.id = c.source_id
      WHERE c.reform_id = NEW.id AND s.review_state = 'published'), '')), 'D')"""

# The columns whose change recomputes the vector (reforms/0022's, and now the review state).
READS = ("id", *(f"{f}{s}" for s in ("", "_ru", "_kk") for f in ("title", "summary", "body")))


def _trigger(reads: tuple[str, ...]) -> str:
    return (
        "DROP TRIGGER reforms_reform_search_vector ON reforms_reform;\n"
        f"CREATE TRIGGER reforms_reform_search_vector BEFORE INSERT OR UPDATE OF {', '.join(reads)}"
        " ON reforms_reform FOR EACH ROW EXECUTE FUNCTION reforms_reform_search_vector_update();"
    )


FORWARD = f"""
CREATE OR REPLACE FUNCTION reforms_reform_search_vector_update() RETURNS trigger AS $$
BEGIN
  IF NEW.review_state IS DISTINCT FROM 'published' THEN
    NEW.search_vector := NULL;
    RETURN NEW;
  END IF;
  NEW.search_vector := {VECTOR.strip()};
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

{_trigger(("review_state", *READS))}

UPDATE reforms_reform SET id = id WHERE review_state <> 'published';
"""

BACKWARD = f"""
CREATE OR REPLACE FUNCTION reforms_reform_search_vector_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector := {VECTOR.strip()};
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

{_trigger(READS)}

UPDATE reforms_reform SET id = id WHERE review_state <> 'published';
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("reforms", "0023_reform_response_ledger")]

    operations = [migrations.RunPython(forward, backward)]
