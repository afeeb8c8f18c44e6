"""`?lang=`: the language of the API's words, read by `views.Endpoint` (which activates it);
declared here as a filter backend that filters nothing, so that the endpoints document it.

Records are the same in every language: each translated field has a column per language
(`title`, `title_ru`, `title_kk`; one column, one meaning), so a program reads the language it
wants by name. What the language changes is what the API says in words: its errors and
refusals. Without `?lang=`, Accept-Language decides; the answer names its language
(`Content-Language`) and varies on Accept-Language.
"""

from django.conf import settings
from django.utils import translation
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from institute import languages

QUERY_PARAM = "lang"


def requested(request) -> str:
    """The language `?lang=` names (a 400 if it is not one of ours), else the browser's."""
    asked = request.query_params.get(QUERY_PARAM)
    if asked is None:
        return languages.preferred(request) or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(asked.strip().lower())
    except LookupError:
        raise ValidationError(
            {
                QUERY_PARAM: translation.gettext(
                    "is not a language of the site (it takes %(codes)s)"
                )
                % {"codes": ", ".join(c.split("-")[0] for c in languages.codes())}
            }
        ) from None


class Language(BaseFilterBackend):
    query_param = QUERY_PARAM

    def filter_queryset(self, request, queryset, view):
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.query_param,
                "in": "query",
                "required": False,
                "description": (
                    "The language of the answer's messages: en, ru or kk (default: the "
                    "Accept-Language header, then English). Records are the same in every "
                    "language: translations are columns of their own (title_ru, title_kk)."
                ),
                "schema": {"type": "string", "enum": ["en", "ru", "kk"]},
            }
        ]
