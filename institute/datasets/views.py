"""The public dataset surfaces: filtered exports, whole tables, the data package, /data/."""

import tempfile

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute.compression import accepts_gzip
from institute.datasets.export import finished_table, stream_table, too_many_rows
from institute.datasets.finished_files import GZIPPED_FORMATS, package_file, table_file
from institute.datasets.tables import TABLES
from institute.datasets.xlsx import TooManyRows
from institute.editorial.as_of import BadMoment, parse_moment, public_state_at
from institute.page_cache import ON_DISK_ALREADY
from institute.sharing import structured_data

FORMATS = ("csv", "json", "xlsx", "csv-excel")
# The finished file each format is sent from ("CSV for Excel": the CSV's, after a byte order mark).
FILE_FORMATS = {"csv": "csv", "json": "json", "xlsx": "xlsx", "csv-excel": "csv"}
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
    """A whole table: its finished file (institute.datasets.finished_files), else streamed as
    the rows are read; as it stood at a moment with `?as_of=`."""
    if table not in TABLES or fmt not in FORMATS:
        raise Http404("No such table or format.")
    dataset = TABLES[table]

    def streamed():
        return stream_table(dataset, dataset.queryset(), fmt=fmt, base_url=base_url(request))

    if "as_of" in request.GET:
        return as_of(request, streamed)
    try:
        found = table_file(table, FILE_FORMATS[fmt], base_url=base_url(request))
    except TooManyRows:
        return too_many_rows()
    # The file's compressed twin, for a client that accepts it (not "CSV for Excel", whose mark
    # goes before the file's bytes), once the worker has made it.
    twin = None
    if found and fmt in GZIPPED_FORMATS and accepts_gzip(request):
        twin = table_file(table, fmt, base_url=base_url(request), gzipped=True)
    try:
        handle = (twin or found).open("rb") if found else None
    except FileNotFoundError:  # its set was removed since (a newer one is kept)
        handle = None
    if handle is None:
        return streamed()
    response = finished_table(dataset, handle, fmt=fmt, gzipped=twin is not None)
    if fmt in GZIPPED_FORMATS:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


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


def package_not_ready() -> HttpResponse:
    response = HttpResponse(
        _(
            "The data package of the content as it is now is being made by the site's worker "
            "(about a minute for a large dataset). Try again shortly; every table is also a "
            "download of its own meanwhile."
        )
        + "\n",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(settings.DATA_PACKAGE_PREBUILD_SECONDS * 2)
    return response


def data_package_download(request):
    found = package_file(base_url=base_url(request))
    if found is None:
        return package_not_ready()
    path, version = found
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"kazakhstan-reform-tracker-{timezone.localdate().isoformat()}-{version}.zip",
        content_type="application/zip",
    )
    # A finished file already: the page cache sends it from there, never from a copy of its own.
    setattr(response, ON_DISK_ALREADY, True)
    return response


def package_summary(*, base_url: str) -> tuple[str, int] | tuple[None, None]:
    """(version, size) of the package of the content as it is now, or (None, None) while the
    worker is making it."""
    found = package_file(base_url=base_url)
    if found is None:
        return None, None
    path, version = found
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
    response = render(
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
    if version is None:
        # The package is being made, and no write will tell the page cache when it is done:
        # this answer is kept by no one.
        add_never_cache_headers(response)
    return response
