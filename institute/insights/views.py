"""/insights/: the charts of the listings, with their tables, and each as SVG and CSV."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from institute.datasets.export import attachment
from institute.datasets.tables import escape_formula
from institute.insights.bars import render_horizontal, render_vertical
from institute.insights.charts import BarChart, Timeline, listing_url
from institute.insights.definitions import CHARTS, MARKS_PER_ROW, Filters, year_range_date
from institute.insights.timeline import render_timeline


def draw(chart: BarChart | Timeline, ident: str, *, compact: bool = False, base: str = "") -> str:
    if isinstance(chart, Timeline):
        return render_timeline(chart, ident, compact=compact, base=base)
    render = render_vertical if chart.orientation == "vertical" else render_horizontal
    return render(chart, ident, compact=compact, base=base)


def chart_context(filters: Filters, *, compact: bool = False, prefix: str = "chart") -> list[dict]:
    """Each chart of the parameters, drawn, with what its table and links need."""
    # Every parameter but the page, for the downloads: each chart reads those of its listing.
    query = filters.reforms.url_with().rstrip("?")
    out = []
    for definition in CHARTS.values():
        chart = definition.build(filters)
        ident = f"{prefix}-{definition.name}"
        out.append(
            {
                "name": definition.name,
                "ident": ident,
                "chart": chart,
                "svg": draw(chart, ident, compact=compact),
                "table": _table(chart),
                "svg_url": reverse("insights-chart", args=[definition.name, "svg"]) + query,
                "csv_url": reverse("insights-chart", args=[definition.name, "csv"]) + query,
                "listing_url": listing_url(
                    reverse(definition.listing), filters.of(definition.listing)
                ),
            }
        )
    return out


def _table(chart: BarChart | Timeline) -> dict:
    """The chart's data table: for bars, each bar's count per series in the legend's order,
    each with its link; for the timeline, its rows."""
    if isinstance(chart, Timeline):
        return {"rows": chart.rows}
    used = chart.used_series()
    return {
        "series": used,
        "columns": len(used) + 2,
        "rows": [
            {"bar": bar, "cells": [chart.count_of(bar, s.key) for s in used]} for bar in chart.bars
        ],
    }


# The filters the page offers itself (the others come from the listings, and are kept).
FORM_FACETS = (("reforms", "area"), ("reforms", "status"))
FORM_FACETS_RECOMMENDATIONS = (("recommendations", "audience"), ("recommendations", "theme"))
FORM_FIELDS = {"area", "status", "audience", "theme", "year_from", "year_to", "page"}


def _form(filters: Filters) -> dict:
    """The filter form of the page: a few facets of each listing as checkboxes (their choices
    are those the FilterSets have read already), the years, and every other parameter kept as
    a hidden field."""

    def facets(pairs):
        out = []
        for listing, name in pairs:
            filterset = getattr(filters, listing)
            chosen = set(filterset.params().get(name, []))
            values = [
                (str(v), label, str(v) in chosen) for v, label in filterset.facet_choices(name)
            ]
            out.append({"name": name, "label": filterset.facets[name][0], "values": values})
        return out

    params = filters.reforms.params()
    return {
        "reform_facets": facets(FORM_FACETS),
        "recommendation_facets": facets(FORM_FACETS_RECOMMENDATIONS),
        "year_from": (params.get("year_from") or [""])[0],
        "year_to": (params.get("year_to") or [""])[0],
        "date_name": year_range_date(filters.reforms)[1],
        "hidden": [(k, v) for k, vs in params.items() if k not in FORM_FIELDS for v in vs if v],
    }


def insights(request):
    filters = Filters(request.GET)
    return render(
        request,
        "institute/insights.html",
        {
            "charts": chart_context(filters),
            "problems": filters.problems(),
            # A search is a filter of both listings: one chip for it, not two.
            "chips": list(dict.fromkeys(filters.reforms.chips() + filters.recommendations.chips())),
            "form": _form(filters),
        },
    )


def chart_download(request, name: str, fmt: str):
    definition = CHARTS.get(name)
    if definition is None or fmt not in ("svg", "csv"):
        raise Http404("No such chart or format; the charts are listed on /insights/.")
    base = request.build_absolute_uri("/").rstrip("/")
    # The CSV lists every linked reform; the drawing keeps the page's marks per row.
    chart = definition.build(
        Filters(request.GET, marks_per_row=None if fmt == "csv" else MARKS_PER_ROW)
    )
    filename = f"{name}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "svg":
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + draw(chart, name, base=base)
        response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(chart.csv_header())
        # Titles are free text: one starting like a formula must not run in a spreadsheet.
        writer.writerows(
            [escape_formula(c) if isinstance(c, str) else c for c in row]
            for row in chart.csv_rows(base)
        )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return attachment(response, filename)
