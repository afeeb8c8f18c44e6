"""The page of every list endpoint: `?page_size=` rows after `?cursor=`, and the next cursor."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination

from api import cursor as keyset


def page_size(params) -> int:
    raw = params.get("page_size")
    if raw is None:
        return settings.API_PAGE_SIZE
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= settings.API_MAX_PAGE_SIZE:
        raise ValidationError(
            {"page_size": f"must be a whole number from 1 to {settings.API_MAX_PAGE_SIZE}"}
        )
    return int(raw)


def read_page(request, queryset, *, prepare=None) -> tuple[list, str | None]:
    """(the page's rows, the URL of the next page or None). `prepare` adds what a row reads
    (prefetches) to the page's query."""
    params = request.query_params
    size = page_size(params)
    keys = keyset.order_keys(queryset)
    rows = keyset.with_keys(queryset, keys)
    if params.get("cursor"):
        try:
            rows = keyset.after(rows, keys, keyset.decode(params["cursor"], keys))
        except keyset.BadCursor as error:
            raise ValidationError({"cursor": str(error)}) from None
    page = list((prepare(rows) if prepare else rows)[: size + 1])
    if len(page) <= size:
        return page, None
    page = page[:size]
    token = keyset.encode(keyset.row_values(page[-1], rows, keys), keys)
    query = [(k, v) for k in params for v in params.getlist(k) if k != "cursor"]
    next_url = request.build_absolute_uri(
        request.path + "?" + urlencode([*query, ("cursor", token)])
    )
    return page, next_url


class CursorPages(BasePagination):
    """How the schema describes the pages (read_page makes them)."""

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
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
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Where the page starts: copied from the `next` of the page before.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Rows per page (default {settings.API_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            },
        ]
