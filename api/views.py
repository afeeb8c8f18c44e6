"""The endpoints: a list and a record per dataset table, topics and themes. Thin: the rows come
from the table (published only) or the listing's selector, the records from the columns."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext  # by its name: `_` is discarded below
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from api import language as api_language
from api.as_of import AsOf
from api.freshness import UpdatedSince, etag, first_seen
from api.paging import CursorPages
from api.records import ThemeRecord, TopicRecord, record_serializer
from institute import languages, page_cache
from institute.client_address import client_address
from institute.datasets.tables import TABLES
from institute.editorial.as_of import BadMoment, parse_moment, public_state_at
from institute.listings.generation import content_marker
from recommendations.models import Theme
from recommendations.selectors import recommendation_filter_public
from reforms.models import Topic
from reforms.selectors import reform_filter_public


class AnonymousPerAddress(AnonRateThrottle):
    """Anonymous requests per client address (behind one of TRUSTED_PROXIES, the client it
    names; API_NUM_PROXIES says which), counted in the shared cache; the rate is the setting
    API_THROTTLE_RATE (None: no limit)."""

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def get_ident(self, request):
        # DRF's own believes X-Forwarded-For from anyone once NUM_PROXIES is set, so a client
        # reaching the web server directly could name a new address on every request.
        return client_address(request)


class Endpoint(generics.GenericAPIView):
    authentication_classes: list = []  # anonymous and read-only: no session, no CSRF
    throttle_classes = [AnonymousPerAddress]
    pagination_class = CursorPages
    as_of = None  # the moment `?as_of=` names, once initial() has read it

    def get_throttles(self):
        # The copy of a request another thread answers to keep it (institute.page_cache) is not
        # one more request: its visitor's was counted.
        return [] if page_cache.recomputing(self.request) else super().get_throttles()

    def initial(self, request, *args, **kwargs):
        """The language of the answer's words (api.language), DRF's checks (the throttle first,
        outside any replay of history), then `as_of`."""
        self.language = api_language.requested(request)
        translation.activate(self.language)
        super().initial(request, *args, **kwargs)
        value = request.query_params.get("as_of")
        if value is not None and self.takes_as_of:
            try:
                self.as_of = parse_moment(value)
            except BadMoment as error:
                raise ValidationError({"as_of": str(error)}) from None

    takes_as_of = True

    def conditional(self, request, make: Callable[[], Response]) -> Response:
        """A 304 if the client holds this representation of the content as it is now, else
        `make()`, with the validators a client sends back. With `?as_of=`, `make()` as the
        public data stood then (institute.editorial.as_of), named by `X-As-Of`, without
        validators: what the history says of a moment is read afresh each time."""
        if self.as_of is not None:
            with public_state_at(self.as_of):
                response = make()
                response["X-As-Of"] = self.as_of.isoformat()
                return response
        if page_cache.recomputing(request):
            # Answered on another thread to be kept, as serve() keeps what it computes here.
            return self.rendered(request, make)
        marker = content_marker()
        tag, modified = quote_etag(etag(request, marker)), first_seen(marker)
        stamp = int(modified.timestamp())
        response = get_conditional_response(request, etag=tag, last_modified=stamp)
        if response is None and page_cache.enabled():
            # After the throttle (in `initial()`), so a cached answer counts as a request too.
            response = page_cache.serve(
                request,
                partial(self.rendered, request, make),
                marker=marker,
                validators=False,
                detach=page_cache.view_detach(request._request),
            )
            if (previous := page_cache.kept_under(response)) not in (None, marker):
                # The previous answer, given while this one is computed: the ETag of its own
                # state, which the current one's never matches, and no date, which a client
                # could only compare with the current one's (the previous state's first sight,
                # should the cache have lost it, is now: later).
                tag, stamp = quote_etag(etag(request, previous)), None
        elif response is None:
            response = make()
        if response.status_code in (200, 304):
            response["ETag"] = tag
            if stamp is not None:
                response["Last-Modified"] = http_date(stamp)
            # Stored by caches, but revalidated on every use: a 304 costs the marker and its
            # time (two queries, besides the throttle's).
            patch_cache_control(response, public=True, no_cache=True)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "language", None):
            response["Content-Language"] = languages.hreflang(self.language)
        patch_vary_headers(response, ["Accept-Language"])
        return response

    def rendered(self, request, make: Callable[[], Response]) -> Response:
        """`make()`'s answer rendered now, so its bytes can be kept (DRF renders on the way
        out; rendering twice is a no-op)."""
        response = self.finalize_response(request, make())
        response.render()
        return response

    def documented_parameters(self) -> list[str]:
        """The query parameters the filter backends and the paginator read (and document)."""
        found = [p for b in self.filter_backends for p in b().get_schema_operation_parameters(self)]
        if self.paginator is not None:
            found += self.paginator.get_schema_operation_parameters(self)
        return [p["name"] for p in found]

    def refuse_unknown(self, params, known) -> None:
        unknown = sorted(set(params) - set(known))
        if unknown:
            if known:
                message = gettext("is not a parameter here (it takes %(known)s)") % {
                    "known": ", ".join(sorted(known))
                }
            else:
                message = gettext("is not a parameter here (it takes none)")
            raise ValidationError(dict.fromkeys(unknown, message))


class TableList(Endpoint, generics.ListAPIView):
    """Published rows of a dataset table: a listing's rows in its order (`sort`) where the table
    has a listing, else in the file's order."""

    table_name = ""
    # The listing's selector (`params` → bound FilterSet over published rows), if it has one.
    selector: Callable | None = None
    filter_backends = [UpdatedSince, AsOf, api_language.Language]

    def get_serializer_class(self):
        return record_serializer(self.table_name)

    def list(self, request, *args, **kwargs):
        if self.as_of is not None:
            # The parameters are checked against today's vocabularies, outside the replay: a
            # filter value valid now is valid at any moment (it may match nothing then).
            self.rows = self.get_queryset()
        return self.conditional(request, partial(super().list, request, *args, **kwargs))

    rows = None  # the rows to page, when list() read them before the replay

    def get_queryset(self):
        """The rows to page (what a row reads prefetched): the listing's, its FilterSet bound to
        the request's parameters by the selector, else the table's published rows; filtered
        next by the filter backends (updated_since). A parameter nothing reads is refused
        first: a misspelt filter would otherwise list everything."""
        if self.rows is not None:
            return self.rows
        params = self.request.query_params
        table = TABLES[self.table_name]
        filterset = self.selector(params=params) if self.selector else None
        filters = list(filterset.filters) if filterset is not None else []
        self.refuse_unknown(params, [*filters, *self.documented_parameters()])
        if filterset is not None:
            if not filterset.is_valid():
                # Refused, not ignored as the page does: a program would not see the notice.
                raise ValidationError(dict(filterset.form.errors))
            rows = filterset.qs
        else:
            rows = table.queryset()
        return table.prepare(rows)


class TableRecord(Endpoint, generics.RetrieveAPIView):
    """One published row of a dataset table, by slug."""

    table_name = ""
    pagination_class = None
    lookup_field = "slug"

    def get_serializer_class(self):
        return record_serializer(self.table_name)

    def retrieve(self, request, *args, **kwargs):
        self.refuse_unknown(request.query_params, ["as_of", api_language.QUERY_PARAM])
        return self.conditional(request, partial(super().retrieve, request, *args, **kwargs))

    def get_queryset(self):
        table = TABLES[self.table_name]
        return table.prepare(table.queryset())

    def get_object(self):
        slug = self.kwargs[self.lookup_field]
        row = self.get_queryset().filter(slug=slug).first()
        if row is None:
            model = TABLES[self.table_name].get_model()
            raise Http404(
                gettext("No published %(kind)s “%(slug)s”.")
                % {"kind": model._meta.verbose_name, "slug": slug[:100]}
            )
        return row


class VocabularyList(Endpoint, generics.ListAPIView):
    """Every value of a vocabulary the tables refer to by slug (topics, themes)."""

    takes_as_of = False  # vocabularies are not versioned: no history to read
    filter_backends = [api_language.Language]

    def list(self, request, *args, **kwargs):
        return self.conditional(request, partial(super().list, request, *args, **kwargs))

    def get_queryset(self):
        self.refuse_unknown(self.request.query_params, self.documented_parameters())
        return super().get_queryset()


def table_views(name: str, selector=None) -> tuple[type, type]:
    kind = name.capitalize()
    listing = type(
        f"{kind}List",
        (TableList,),
        {"table_name": name, "selector": staticmethod(selector) if selector else None},
    )
    record = type(f"{kind}Record", (TableRecord,), {"table_name": name})
    listing.__doc__ = f"Published {name}. " + (TableList.__doc__ or "")
    record.__doc__ = f"One published entry of {name}, by slug."
    return listing, record


ReformList, ReformRecord = table_views("reforms", reform_filter_public)
RecommendationList, RecommendationRecord = table_views(
    "recommendations", recommendation_filter_public
)
SourceList, SourceRecord = table_views("sources")
CitationList, _ = table_views("citations")
ResponseList, _ = table_views("responses")


class TopicList(VocabularyList):
    """Topics, the vocabulary of the reforms' `topics` column."""

    queryset = Topic.objects.order_by("area", "name")
    serializer_class = TopicRecord


class ThemeList(VocabularyList):
    """Themes, the vocabulary of the recommendations' `themes` column."""

    queryset = Theme.objects.order_by("name")
    serializer_class = ThemeRecord


def not_found(request):
    return JsonResponse(
        {
            "detail": gettext("No such endpoint: the endpoints are listed on %(docs)s.")
            % {"docs": reverse("api:docs")}
        },
        status=404,
    )
