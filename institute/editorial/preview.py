"""An entry's work in review drawn as its public page would look, for the editors who may see
it: the working copy of a published entry, or a draft as it stands.

The page is drawn by the public view itself (found by resolving the entry's public address), so
it cannot drift from the real page: inside a transaction that is always rolled back, the work
is applied to the entry's rows (`versions.apply_snapshot`) and the row is marked published;
the view reads that; the rollback undoes it. Nothing is committed: no version, no publication,
no change of the listings' generation, and no other connection ever sees it (PostgreSQL and
SQLite isolate an uncommitted transaction). The response is marked as a preview, never stored by
a cache (`Cache-Control: private, no-store`) and never indexed (`X-Robots-Tag: noindex`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.urls import resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from institute.editorial.models import Editorial
from institute.editorial.states import PUBLISHED
from institute.editorial.versions import apply_snapshot, pending_revision, snapshot


class _Discard(Exception):
    """Raised to leave the preview's transaction: it is always rolled back."""


def preview_response(request, entry: Editorial) -> HttpResponse:
    if not hasattr(entry, "get_absolute_url"):
        # A source is shown only inside the entries that cite it: it has no page of its own.
        raise Http404(f"A {entry._meta.verbose_name} has no public page to preview.")
    revision = pending_revision(entry)
    data = revision.data if revision is not None else snapshot(entry)
    banner = (
        _("Preview of version %(version)s (not public): the working copy under review")
        if revision is not None
        else _("Preview of version %(version)s (not public), as it would be published")
    )
    request.preview_banner = banner % {"version": entry.version}
    response: HttpResponse | None = None
    try:
        with transaction.atomic():
            locked = type(entry)._default_manager.select_for_update().get(pk=entry.pk)
            apply_snapshot(locked, data)
            if locked.review_state != PUBLISHED:
                locked.review_state, locked.published_at = PUBLISHED, timezone.now()
                locked.save(update_fields=["review_state", "published_at"])
            match = resolve(locked.get_absolute_url())
            response = match.func(request, *match.args, **match.kwargs)
            if hasattr(response, "render"):
                response.render()  # while the work is applied: a lazy response reads later
            raise _Discard
    except _Discard:
        pass
    except ValidationError as error:
        response = HttpResponse(
            _("This version cannot be previewed: %(reasons)s")
            % {"reasons": " ".join(error.messages)},
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
