"""pg_trgm, for the search's "did you mean" (institute.listings.suggestions), where the
database user may create it (a trusted extension since PostgreSQL 13: a database owner may).
Where it may not, nothing fails: the suggestions compute the same similarity in Python."""

from django.db import DatabaseError, migrations, transaction


def create_if_allowed(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        pass  # not allowed here: the Python fallback serves


class Migration(migrations.Migration):
    dependencies = [("institute", "0014_publication_append_only_history")]

    # Left in place on the way back: other databases' objects may use it by then.
    operations = [migrations.RunPython(create_if_allowed, migrations.RunPython.noop)]
