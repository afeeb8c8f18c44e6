"""A reform's search text takes its Russian and Kazakh translations too.

Each language in its own text-search configuration, weighted as the English is (title A,
summary B, body C): Russian stemmed (`russian`: «полиция» finds «полиции»), Kazakh word for
word (`simple`: PostgreSQL has no Kazakh stemmer). The query side reads a search in all three
(institute.listings.search.CONFIGS). The vector is the published row's, so an unpublished
translation, which lives in a working copy, is never in it.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION reforms_reform_search_vector_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.body, '')), 'C') ||
    {translations}
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(concat_ws(' ', s.title, s.authors, s.publisher, c.locator, c.quote), ' ')
      FROM institute_citation c JOIN institute_source s ON s.id = c.source_id
      WHERE c.reform_id = NEW.id AND s.review_state = 'published'), '')), 'D');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

UPDATE reforms_reform SET id = id;
"""

TRANSLATIONS = r"""
    setweight(to_tsvector('russian', coalesce(NEW.title_ru, '')), 'A') ||
    setweight(to_tsvector('russian', coalesce(NEW.summary_ru, '')), 'B') ||
    setweight(to_tsvector('russian', coalesce(NEW.body_ru, '')), 'C') ||
    setweight(to_tsvector('simple', coalesce(NEW.title_kk, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(NEW.summary_kk, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(NEW.body_kk, '')), 'C') ||"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.replace("{translations}", TRANSLATIONS.strip()))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.replace("{translations}", ""))


class Migration(migrations.Migration):
    dependencies = [("reforms", "0017_translations")]

    operations = [migrations.RunPython(forward, backward)]
