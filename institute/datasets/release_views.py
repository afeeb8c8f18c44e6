"""The public release pages: the list, one release (notes, changelog, checksums, downloads, how
to cite), its files as stored, `latest` redirects and the Atom feed of releases."""

from __future__ import annotations

import json

from django.contrib.syndication.views import Feed
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute.control_characters import xml_safe
from institute.datasets.changelog import changelog_csv, previous_release, release_changelog
from institute.datasets.export import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from institute.datasets.models import Release
from institute.datasets.releases import (
    PACKAGE,
    latest_release,
    open_file,
    release_citation,
)
from institute.datasets.tables import TABLES

CONTENT_TYPES = {
    "csv": CSV_CONTENT_TYPE,
    "json": "application/json; charset=utf-8",
    "xlsx": XLSX_CONTENT_TYPE,
    "zip": "application/zip",
    "md": "text/markdown; charset=utf-8",
    "cff": "text/plain; charset=utf-8",
}
CHANGELOG_SHOWN = 500  # rows on the page; changes.csv has them all
IMMUTABLE = "public, max-age=31536000, immutable"


def release_list(request):
    return render(request, "institute/releases.html", {"releases": Release.objects.all()})


def release_detail(request, label):
    release = get_object_or_404(Release, label=label)
    changelog = release_changelog(release)
    counts: dict[str, dict[str, int]] = {}
    seen = set()
    for row in changelog:
        if (row.table, row.slug) not in seen:
            seen.add((row.table, row.slug))
            counts.setdefault(row.table, {"added": 0, "withdrawn": 0, "changed": 0})
            counts[row.table][row.change] += 1
    citation = release_citation(release)
    files = {f["name"]: f for f in release.files}
    return render(
        request,
        "institute/release_detail.html",
        {
            "release": release,
            "previous": previous_release(release),
            "changelog": changelog[:CHANGELOG_SHOWN],
            "changelog_total": len(changelog),
            "counts": counts,
            "tables": [
                (t, [files.get(f"{t.name}.{ext}") for ext in ("csv", "json", "xlsx")])
                for t in TABLES.values()
            ],
            "package": files.get(PACKAGE),
            "others": [
                files[n] for n in ("datapackage.json", "codebook.md", "CITATION.cff") if n in files
            ],
            "checksums": sorted(release.files, key=lambda f: f["name"]),
            "citation": citation,
            "csl_json": json.dumps(citation.csl(), indent=2, ensure_ascii=False),
        },
    )


def release_file(request, label, name):
    release = get_object_or_404(Release, label=label)
    if name == "changes.csv":
        response = HttpResponse(
            changelog_csv(release_changelog(release)), content_type=CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="changes-{release.label}.csv"'
        return response
    handle = open_file(release, name)
    if handle is None:
        raise Http404(f"Release {release.label} has no file “{name[:80]}”.")
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    response = FileResponse(
        handle,
        as_attachment=extension in ("csv", "json", "xlsx", "zip"),
        filename=f"kazakhstan-reform-tracker-{release.label}-{name}",
        content_type=CONTENT_TYPES.get(extension, "text/plain; charset=utf-8"),
    )
    # The file never changes: its checksum is its ETag, and caches may keep it.
    response["ETag"] = f'"{release.file(name)["sha256"]}"'
    response["Cache-Control"] = IMMUTABLE
    return response


def release_latest(request, name=""):
    """The newest release not withdrawn (a redirect, so that the address cited is the
    release's own)."""
    release = latest_release()
    if release is None:
        raise Http404("No release has been made yet.")
    if name:
        return redirect("data-release-file", label=release.label, name=name)
    return redirect("data-release", label=release.label)


class ReleasesFeed(Feed):
    feed_type = Atom1Feed
    title = gettext_lazy("Kazakhstan Reform Tracker: dataset releases")
    subtitle = gettext_lazy("Each numbered, frozen release of the tracker's data, with its notes.")
    link = reverse_lazy("data-releases")

    def items(self):
        return Release.objects.all()[:50]

    def item_title(self, item):
        if item.is_withdrawn:
            return xml_safe(_("Release %(label)s (withdrawn)") % {"label": item.label})
        return xml_safe(_("Release %(label)s") % {"label": item.label})

    def item_description(self, item):
        text = item.notes or _("No notes.")
        if item.is_withdrawn:
            withdrawn = _("Withdrawn: %(reason)s") % {"reason": item.withdrawn_reason}
            text = f"{withdrawn}\n\n{text}"
        return escape(xml_safe(text))

    def item_link(self, item):
        return reverse("data-release", kwargs={"label": item.label})

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.withdrawn_at or item.created_at
