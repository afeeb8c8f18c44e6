"""The reform tally (reforms/0016) counts by who acted too, and its year slice puts a reform
whose earliest date the source gives only as a bound ("by 2016", "since 2017") under the year
"bound", which no year's bar or listing holds: the listing's facets (who acted is one) and the
insights' year chart read the tally again instead of counting the rows.

The objects of 0016 are taken away and made again in the new shape, filled from the reforms."""

import importlib

from django.db import migrations

first = importlib.import_module("reforms.migrations.0016_reform_tally")

_BOUND = " OR ".join(
    f"(r.{kind}_on = r.first_date AND r.{kind}_qualifier IN ('by', 'since'))"
    for kind in ("announced", "adopted", "effective")
)

WITH_ACTORS_AND_BOUNDS = first.Shape(
    dims=("area", "status", "initiated_by", "acted_by", "answers"),
    year=(
        f"(CASE WHEN r.first_date <> '' AND ({_BOUND}) THEN 'bound' "
        "ELSE substr(r.first_date, 1, 4) END)"
    ),
    watched=(
        *first.FIRST.watched,
        "acted_by",
        "announced_on",
        "adopted_on",
        "effective_on",
        "announced_qualifier",
        "adopted_qualifier",
        "effective_qualifier",
    ),
)


def forward(apps, schema_editor) -> None:
    first.uninstall_shape(first.FIRST, schema_editor)
    first.install_shape(WITH_ACTORS_AND_BOUNDS, schema_editor)


def backward(apps, schema_editor) -> None:
    first.uninstall_shape(WITH_ACTORS_AND_BOUNDS, schema_editor)
    first.install_shape(first.FIRST, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("reforms", "0020_editorial_field_labels")]

    operations = [migrations.RunPython(forward, backward)]
