"""The page of every list endpoint: `?page_size=` rows after `?cursor=`, and the next cursor."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from api import cursor as keyset

# Said in the schema, where a client looks for a total and finds none.
NO_TOTAL = (
    "A page gives no total count of the rows: counting every matching row on each page would "
    "cost a scan of the whole filtered table per request, where a page costs its own rows "
    "only. Follow `next` to the end to have them all; the number of rows a filter gives is on "
    "the listing page with the same parameters (`/reforms/?…`, `/recommendations/?…`), and "
    "whole tables are on `/data/`."
)


class CursorPages(BasePagination):
    """Keyset pages (api.cursor) in the order the rows come in: the page's rows, then
    `{"next": the URL of the page after, or null, "results": the records}`. DRF's own
    CursorPagination sorts by fixed fields and encodes positions and offsets; a listing sorts
    by expressions too (a CASE over statuses, relevance), and clients hold our cursors."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return settings.API_PAGE_SIZE
        # ASCII digits only: int() takes other scripts' digits and surrounding spaces too.
        if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= settings.API_MAX_PAGE_SIZE:
            raise ValidationError(
                {
                    self.page_size_query_param: _("must be a whole number from 1 to %(most)s")
                    % {"most": settings.API_MAX_PAGE_SIZE}
                }
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None) -> list:
        """The page's rows; the next page's URL is kept for get_paginated_response. One query
        (and the queryset's prefetches), however deep the page."""
        params = request.query_params
        size = self.get_page_size(request)
        keys = keyset.order_keys(queryset)
        rows = keyset.with_keys(queryset, keys)
        if params.get(self.cursor_query_param):
            try:
                values = keyset.decode(params[self.cursor_query_param], keys)
            except keyset.BadCursor as error:
                raise ValidationError({self.cursor_query_param: str(error)}) from None
            rows = keyset.after(rows, keys, values)
        page = list(rows[: size + 1])
        self.next_url = None
        if len(page) > size:
            page = page[:size]
            token = keyset.encode(keyset.row_values(page[-1], rows, keys), keys)
            query = [
                (k, v) for k in params for v in params.getlist(k) if k != self.cursor_query_param
            ]
            self.next_url = request.build_absolute_uri(
                request.path + "?" + urlencode([*query, (self.cursor_query_param, token)])
            )
        return page

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.next_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "description": NO_TOTAL,
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "The next page (null on the last one): follow it as it is.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Where the page starts: copied from the `next` of the page before.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Rows per page (default {settings.API_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            },
        ]
