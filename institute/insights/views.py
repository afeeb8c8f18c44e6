"""/insights/: the charts of the listings, with their tables, each as SVG, PNG and CSV, and
the snippet that embeds it elsewhere."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from institute.datasets.export import attachment
from institute.datasets.tables import escape_formula
from institute.insights.bars import render_horizontal, render_vertical
from institute.insights.charts import BarChart, ChartDefinition, Timeline, listing_url
from institute.insights.credit import LICENCE, Credit, chart_credit
from institute.insights.definitions import CHARTS, MARKS_PER_ROW, Filters, year_range_date
from institute.insights.raster import png
from institute.insights.timeline import render_timeline

FORMATS = ("svg", "png", "csv")


def draw(chart: BarChart | Timeline, ident: str, **layout) -> str:
    """The chart as SVG; `layout`: compact, narrow, base (links made absolute), credit."""
    if isinstance(chart, Timeline):
        return render_timeline(chart, ident, **layout)
    render = render_vertical if chart.orientation == "vertical" else render_horizontal
    return render(chart, ident, **layout)


def credit_of(request, definition: ChartDefinition, chart, filters: Filters) -> Credit:
    """The credit a download of the chart carries: its title, its filters as the page's chips
    name them, the page it is drawn on, today."""
    chips = [chip.label for chip in filters.of(definition.listing).chips()]
    query = filters.reforms.url_with().rstrip("?")
    return chart_credit(
        title=chart.title,
        filters=list(dict.fromkeys(chips)),
        address=request.build_absolute_uri(reverse("insights") + query),
        day=timezone.localdate(),
    )


def chart_context(
    filters: Filters, *, compact: bool = False, prefix: str = "chart", request=None
) -> list[dict]:
    """Each chart of the parameters, drawn (wide, and narrow for a phone), with what its table,
    links and downloads need, and the snippet that embeds it in another page."""
    # Every parameter but the page, for the downloads: each chart reads those of its listing.
    query = filters.reforms.url_with().rstrip("?")
    out = []
    for definition in CHARTS.values():
        chart = definition.build(filters)
        ident = f"{prefix}-{definition.name}"
        urls = {
            f"{fmt}_url": reverse("insights-chart", args=[definition.name, fmt]) + query
            for fmt in FORMATS
        }
        out.append(
            {
                "name": definition.name,
                "ident": ident,
                "chart": chart,
                "svg": draw(chart, ident, compact=compact),
                "svg_narrow": draw(chart, f"{ident}-narrow", narrow=True),
                "table": _table(chart),
                **urls,
                "embed": _embed(request, chart, urls["svg_url"]) if request else "",
                "listing_url": listing_url(
                    reverse(definition.listing), filters.of(definition.listing)
                ),
            }
        )
    return out


def _embed(request, chart: BarChart | Timeline, svg_url: str) -> str:
    """HTML that shows the chart in another page: its SVG (which carries its own title, filters,
    source and licence), sized to its column, and the credit as a link back."""
    source = request.build_absolute_uri(reverse("insights"))
    site = format_html('<a href="{}">{}</a>', source, _("Kazakhstan Reform Tracker"))
    # The words escaped, then the link put in: a translation holds no markup.
    caption = mark_safe(
        escape(_("Source: %(site)s, %(licence)s")) % {"site": site, "licence": escape(LICENCE)}
    )
    return format_html(
        '<figure><img src="{}" alt="{}" style="max-width:100%;height:auto">'
        "<figcaption>{}</figcaption></figure>",
        request.build_absolute_uri(svg_url),
        f"{chart.title}. {chart.description}",
        caption,
    )


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
            "charts": chart_context(filters, request=request),
            "problems": filters.problems(),
            # A search is a filter of both listings: one chip for it, not two.
            "chips": list(dict.fromkeys(filters.reforms.chips() + filters.recommendations.chips())),
            "form": _form(filters),
        },
    )


def chart_download(request, name: str, fmt: str):
    """A chart as SVG or PNG (with its credit drawn in: title, filters, source, date, licence)
    or its numbers as CSV, for the same parameters as the page."""
    definition = CHARTS.get(name)
    if definition is None or fmt not in FORMATS:
        raise Http404("No such chart or format; the charts are listed on /insights/.")
    base = request.build_absolute_uri("/").rstrip("/")
    # The CSV lists every linked reform; the drawing keeps the page's marks per row.
    filters = Filters(request.GET, marks_per_row=None if fmt == "csv" else MARKS_PER_ROW)
    chart = definition.build(filters)
    filename = f"{name}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt in ("svg", "png"):
        svg = draw(chart, name, base=base, credit=credit_of(request, definition, chart, filters))
        if fmt == "svg":
            body = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
            response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
        else:
            response = HttpResponse(png(svg), content_type="image/png")
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
