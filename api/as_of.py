"""`?as_of=`: the API's answer as the public data stood at a moment. Read by `views.Endpoint`
(which replays the moment, institute.editorial.as_of); declared here as a filter backend that
filters nothing, so that the list endpoints document it and accept it."""

from rest_framework.filters import BaseFilterBackend


class AsOf(BaseFilterBackend):
    query_param = "as_of"

    def filter_queryset(self, request, queryset, view):
        return queryset  # the whole request is read at the moment, not this queryset alone

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.query_param,
                "in": "query",
                "required": False,
                "description": (
                    "The rows as the public saw them at this moment, rebuilt from the published "
                    "history (a date, YYYY-MM-DD: the end of that day, UTC; or an ISO 8601 "
                    "date-time). Entries withdrawn since are included, later corrections are "
                    "not; the X-As-Of header names the moment (a later one than now answers "
                    "for now)."
                ),
                "schema": {"type": "string", "format": "date-time"},
            }
        ]
