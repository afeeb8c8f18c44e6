"""The reforms' plain indexes of area, status, first date and acting party, without the second
index PostgreSQL was given of each.

Django gives a `CharField` with `db_index=True` two indexes on PostgreSQL: a btree, and a copy
in `varchar_pattern_ops` for `LIKE 'prefix%'`. No query asks these columns for a prefix (they
hold vocabulary slugs and ISO dates; the year range compares them), so the copies only cost
every write: an import writes each new reform into every index of the table. The btrees are
kept, under names of their own (`Reform.Meta.indexes`); renaming them rebuilds nothing. The
review state's copy (institute.editorial, shared by every entry) and the slug's (its unique
constraint's) stay.
"""

from django.conf import settings
from django.db import migrations, models

# column: (the btree Django named, its name in Reform.Meta.indexes)
RENAMED = {
    "area": ("reforms_reform_area_c8b85668", "reform_area"),
    "status": ("reforms_reform_status_5407e113", "reform_status"),
    "first_date": ("reforms_reform_first_date_6d7f986a", "reform_first_date"),
    "acted_by": ("reforms_reform_acted_by_bc55c64e", "reform_acted_by"),
}


def _rename(schema_editor, *, forward: bool):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for column, (django_name, own_name) in RENAMED.items():
        old, new = (django_name, own_name) if forward else (own_name, django_name)
        if postgresql:
            schema_editor.execute(f'ALTER INDEX "{old}" RENAME TO "{new}"')
            if forward:
                schema_editor.execute(f'DROP INDEX "{django_name}_like"')
            else:
                schema_editor.execute(
                    f'CREATE INDEX "{django_name}_like" ON "reforms_reform" '
                    f'("{column}" varchar_pattern_ops)'
                )
        else:
            # SQLite cannot rename an index; it never had the pattern copies.
            schema_editor.execute(f'DROP INDEX "{old}"')
            schema_editor.execute(f'CREATE INDEX "{new}" ON "reforms_reform" ("{column}")')


def forward(apps, schema_editor):
    _rename(schema_editor, forward=True)


def backward(apps, schema_editor):
    _rename(schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ('reforms', '0030_public_feed_order_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.AlterField(
                model_name='reform',
                name='acted_by',
                field=models.CharField(choices=[('kazakhstan', 'Government of Kazakhstan'), ('oecd', 'OECD'), ('osce', 'OSCE'), ('undp', 'UNDP'), ('council-of-europe', 'Council of Europe'), ('european-union', 'European Union'), ('other-government', 'Another foreign government'), ('other-institution', 'Another international institution')], db_default='kazakhstan', default='kazakhstan', help_text='Who acted: the government of Kazakhstan, or a foreign government or international institution (then name it in the detail).', max_length=30, verbose_name='acted by'),
            ),
            migrations.AlterField(
                model_name='reform',
                name='area',
                field=models.CharField(choices=[('economy', 'Economy'), ('human-rights', 'Human rights'), ('political-participation', 'Political participation'), ('justice-anti-corruption', 'Judicial reform and anti-corruption')], max_length=30, verbose_name='area'),
            ),
            migrations.AlterField(
                model_name='reform',
                name='first_date',
                field=models.CharField(blank=True, default='', editable=False, max_length=10),
            ),
            migrations.AlterField(
                model_name='reform',
                name='status',
                field=models.CharField(choices=[('announced', 'Announced'), ('adopted', 'Adopted (not yet shown working)'), ('in-progress', 'In progress'), ('implemented', 'Implemented'), ('partially-implemented', 'Partially implemented'), ('stalled', 'Stalled'), ('reversed', 'Reversed')], max_length=30, verbose_name='status'),
            ),
            migrations.AddIndex(
                model_name='reform',
                index=models.Index(fields=['area'], name='reform_area'),
            ),
            migrations.AddIndex(
                model_name='reform',
                index=models.Index(fields=['status'], name='reform_status'),
            ),
            migrations.AddIndex(
                model_name='reform',
                index=models.Index(fields=['first_date'], name='reform_first_date'),
            ),
            migrations.AddIndex(
                model_name='reform',
                index=models.Index(fields=['acted_by'], name='reform_acted_by'),
            ),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
