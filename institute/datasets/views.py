"""The public dataset surfaces: filtered exports, whole tables, the data package, /data/."""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute.datasets.export import data_package, stream_table
from institute.datasets.tables import TABLES
from institute.editorial.as_of import BadMoment, parse_moment, public_state_at
from institute.listings.generation import content_marker
from institute.sharing import structured_data

FORMATS = ("csv", "json", "xlsx", "csv-excel")
FORMAT_LABELS = {
    "csv": "CSV",
    "json": "JSON",
    "xlsx": "XLSX",
    "csv-excel": gettext_lazy("CSV for Excel"),
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
QUALIFIER_MAX = 80  # characters of the filter in a file name


def filter_qualifier(filterset) -> str:
    """The filter as words of a file name: `area-human-rights-year-from-2019`. Only the
    parameters that narrowed the rows (an ignored value, the sort or the page do not)."""
    active = filterset.active()
    words = []
    for name, values in filterset.params().items():
        # ASCII only (a header's plain filename=); a value with no ASCII word names nothing.
        said = [slugify(v) for v in values if slugify(v)]
        if name in active and said:
            words.append("-".join([slugify(name.replace("_", " ")), *said]))
    qualifier = "-".join(w for w in words if w)
    if len(qualifier) > QUALIFIER_MAX:
        qualifier = qualifier[:QUALIFIER_MAX].rsplit("-", 1)[0]
    return qualifier


def base_url(request) -> str:
    return request.build_absolute_uri("/")


def export_filtered(request, *, table_name: str, filterset, fmt: str):
    """A listing's rows as a file: the listing's own FilterSet and order, so the file holds
    exactly the rows on screen (every page of them)."""
    if fmt not in FORMATS:
        raise Http404(f"No {fmt!r} export; try one of {', '.join(FORMATS)}.")
    table = TABLES[table_name]
    return as_of(
        request,
        lambda: stream_table(
            table,
            filterset.qs,
            fmt=fmt,
            base_url=base_url(request),
            qualifier=filter_qualifier(filterset),
        ),
    )


def data_table(request, table, fmt):
    if table not in TABLES or fmt not in FORMATS:
        raise Http404("No such table or format.")
    dataset = TABLES[table]
    return as_of(
        request,
        lambda: stream_table(dataset, dataset.queryset(), fmt=fmt, base_url=base_url(request)),
    )


def as_of(request, build):
    """`build()`'s response, or with `?as_of=` the same response as the public data stood at
    that moment (institute.editorial.as_of): written whole to a temporary file inside the
    moment's rolled-back transaction, then sent, with `X-As-Of` naming the moment. A value
    that names no moment is a 400 saying why."""
    value = request.GET.get("as_of")
    if value is None:
        return build()
    try:
        when = parse_moment(value)
    except BadMoment as error:
        return HttpResponse(
            f"as_of: {error}\n", status=400, content_type="text/plain; charset=utf-8"
        )
    handle = tempfile.TemporaryFile()  # noqa: SIM115 -- FileResponse closes it when sent
    try:
        with public_state_at(when):
            response = build()
            body = response.streaming_content if response.streaming else [response.content]
            for chunk in body:
                handle.write(chunk)
            # Not response.close(): that signals the request's end, which closes the database
            # connection in the middle of this one. Read to its end, a body holds no cursor.
            if isinstance(response, FileResponse):
                response.file_to_stream.close()
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    frozen = FileResponse(handle)
    for header in ("Content-Type", "Content-Disposition"):
        if header in response:
            frozen[header] = response[header]
    frozen["X-As-Of"] = when.isoformat()
    return frozen


def data_package_download(request):
    path, version = package_file(base_url=base_url(request))
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"kazakhstan-reform-tracker-{timezone.localdate().isoformat()}-{version}.zip",
        content_type="application/zip",
    )


KEEP_PACKAGES = 8  # packages kept on disk (one being read stays readable when it is removed)


def package_file(*, base_url: str) -> tuple[Path, str]:
    """The data package of the content as it is now, built once and kept on disk
    (DATA_PACKAGE_DIR) until the content changes; returns (path, version). The key is the
    listing generation, which every write to a table the package reads moves on; with the
    newest version and review event, so that a database made afresh, whose generation starts
    again, does not meet the packages of the one before."""
    marker = f"{base_url}|{content_marker()}".encode()
    key = hashlib.sha256(marker).hexdigest()[:16]
    folder = Path(settings.DATA_PACKAGE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob(f"{key}-*.zip"):
        return path, path.stem.split("-", 1)[1]
    # The package is one file for every visitor (/data/package.zip has no language), whichever
    # page first asked for it (/ru/data/ builds it too): always in the default language.
    with translation.override(settings.LANGUAGE_CODE):
        handle, version = data_package(base_url=base_url)
    with handle, tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
        shutil.copyfileobj(handle, part)
    path = folder / f"{key}-{version}.zip"
    os.replace(part.name, path)  # whole or not at all, for a request reading it meanwhile
    for old in sorted(folder.glob("*.zip"), key=lambda p: p.stat().st_mtime)[:-KEEP_PACKAGES]:
        old.unlink(missing_ok=True)
    return path, version


def package_summary(*, base_url: str) -> tuple[str, int]:
    path, version = package_file(base_url=base_url)
    return version, path.stat().st_size


DATASET_DESCRIPTION = gettext_lazy(
    "Kazakhstan's reforms (laws, programmes, institutional changes and reversals) with their "
    "status and dates, the recommendations made to Western governments and to the government of "
    "Kazakhstan with how far each was implemented, and the sources behind every entry, as "
    "curated and reviewed by the institute."
)


def data_page(request):
    """The dataset page: codebook, downloads, version and how to cite."""
    version, size = package_summary(base_url=base_url(request))
    address = request.build_absolute_uri
    distributions = [(_("Data package (ZIP)"), address(reverse("data-package")), "application/zip")]
    distributions += [
        (
            _("%(table)s (%(format)s)") % {"table": table.title, "format": FORMAT_LABELS[fmt]},
            address(reverse("data-table", args=[name, fmt])),
            media,
        )
        for name, table in TABLES.items()
        for fmt, media in MEDIA_TYPES.items()
    ]
    dataset = structured_data.dataset(
        url=address(reverse("data")),
        base_url=base_url(request),
        version=version,
        description=str(DATASET_DESCRIPTION),
        distributions=distributions,
        temporal=structured_data.temporal_coverage(),
    )
    return render(
        request,
        "institute/data.html",
        {
            "tables": list(TABLES.values()),
            "formats": list(FORMAT_LABELS.items()),
            "version": version,
            "package_size": size,
            "today": timezone.localdate(),
            "structured_data": structured_data.as_script(dataset),
            "licence_url": structured_data.LICENCE_URL,
        },
    )
