"""What a finished import wrote, as entries ("Where did my import go?"), and submitting them for
review in one go. Read from the job's report: the keys of the rows it created or changed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from institute.datasets.models import ImportJob
from institute.datasets.tables import TABLES
from institute.editorial.moves import MOVES
from institute.editorial.states import CHANGES_REQUESTED, DRAFT
from institute.editorial.versions import with_working_state


def imported_entries(job: ImportJob) -> QuerySet | None:
    """The entries a finished import created or changed; None for a table whose rows are not
    entries of their own (responses, citations: their entry owns them)."""
    table = TABLES.get(job.table)
    if table is None or table.plan is not None or table.primary_key != ["slug"]:
        return None
    keys = [row["key"] for row in (job.report or {}).get("rows", [])]
    return table.get_model()._default_manager.filter(slug__in=keys)


def submit_imported(entries: QuerySet, *, by) -> tuple[int, list[str]]:
    """Submit for review each entry (or working copy) still in draft or sent back, each through
    the submit move (its own permission check, lock and log line). Returns how many were
    submitted and, for each refused, why."""
    done, refused = 0, []
    for entry in with_working_state(entries).order_by("pk"):
        if entry.working_state not in (DRAFT, CHANGES_REQUESTED):
            continue
        try:
            MOVES["submit"](entry, by=by).run()
        except (PermissionDenied, ValidationError) as error:
            messages = getattr(error, "messages", None) or [str(error)]
            refused.append(f"{entry}: {' '.join(messages)}")
        else:
            done += 1
    return done, refused
