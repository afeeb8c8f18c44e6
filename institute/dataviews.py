"""The public dataset surfaces: filtered exports, whole tables, the data package, /data/."""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone

from institute.datasets import TABLES
from institute.exports import data_package, stream_table
from recommendations.selectors import recommendation_filter_public
from reforms.selectors import reform_filter_public

FORMATS = ("csv", "json", "xlsx")


def base_url(request) -> str:
    return request.build_absolute_uri("/")


def _export(request, *, table_name: str, filterset, fmt: str):
    if fmt not in FORMATS:
        raise Http404(f"No {fmt!r} export; try one of {', '.join(FORMATS)}.")
    table = TABLES[table_name]
    # The listing's own FilterSet and order: the file holds exactly the rows on screen.
    return stream_table(table, table.prepare(filterset.qs), fmt=fmt, base_url=base_url(request))


def reform_export(request, fmt):
    return _export(
        request, table_name="reforms", filterset=reform_filter_public(params=request.GET), fmt=fmt
    )


def recommendation_export(request, fmt):
    return _export(
        request,
        table_name="recommendations",
        filterset=recommendation_filter_public(params=request.GET),
        fmt=fmt,
    )


def data_table(request, table, fmt):
    if table not in TABLES or fmt not in FORMATS:
        raise Http404("No such table or format.")
    dataset = TABLES[table]
    return stream_table(dataset, dataset.queryset(), fmt=fmt, base_url=base_url(request))


def data_package_download(request):
    handle, version = data_package(base_url=base_url(request))
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"kazakhstan-reform-tracker-{timezone.localdate().isoformat()}-{version}.zip",
        content_type="application/zip",
    )


def data_page(request):
    """The dataset page: codebook, downloads, version and how to cite."""
    handle, version = data_package(base_url=base_url(request))
    size = len(handle.read())
    handle.close()
    return render(
        request,
        "institute/data.html",
        {
            "tables": list(TABLES.values()),
            "formats": FORMATS,
            "version": version,
            "package_size": size,
            "today": timezone.localdate(),
        },
    )
