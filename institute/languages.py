"""The site's languages: English (the default, without a prefix, so that every address published
before keeps working), Russian under /ru/ and Kazakh under /kk/.

The language of a public page is its address's: a page is one language, so it can be cached and
linked as such. The only exception is a first visit: a visitor who has no language cookie yet
and whose browser prefers Russian or Kazakh to English is sent once to the same page in that
language (`FirstVisitLanguageMiddleware`); the redirect sets the cookie, so it never happens
again, and following the switcher back to English sticks. An English answer to a visitor
varies on Accept-Language and Cookie, so a shared cache keeps the two apart.

The admin follows the same rule (/ru/admin/ is the admin in Russian); the API, the data files,
the feeds of files and the health check have no language prefix (api.views reads `?lang=`).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

DEFAULT = settings.LANGUAGE_CODE


def codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def hreflang(code: str) -> str:
    """The BCP 47 tag for `<html lang>` and `hreflang` (en-gb → en-GB)."""
    language, _, region = code.partition("-")
    return f"{language}-{region.upper()}" if region else language


def of_path(path: str) -> str:
    """The language an address is in: its prefix's, or the default."""
    return translation.get_language_from_path(path) or DEFAULT


def unprefixed(path: str) -> str:
    """The address without its language prefix (/ru/reforms/ → /reforms/)."""
    language = translation.get_language_from_path(path)
    if language and language != DEFAULT:
        return path[len(language) + 1 :] or "/"
    return path


def in_language(request: HttpRequest, code: str) -> str:
    """This page's address in another language, with its query (filters, page, sort) kept."""
    path = request.get_full_path()
    return translate_url(path, code)


def alternates(request: HttpRequest) -> list[dict]:
    """One entry per language, for the switcher and the `hreflang` links."""
    current = translation.get_language()
    return [
        {
            "code": code,
            "tag": hreflang(code),
            "name": name,
            "url": in_language(request, code),
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]


def preferred(request: HttpRequest) -> str | None:
    """The language the browser ranks first among ours, if it is not the default."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for accepted, _ in parse_accept_lang_header(header):
        if accepted == "*":
            return None
        try:
            code = translation.get_supported_language_variant(accepted)
        except LookupError:
            continue
        return None if code == DEFAULT else code
    return None


def follows_language(path: str) -> bool:
    """A page in a language: not a file (a last segment with an extension), the API or the
    health check (LANGUAGE_NEUTRAL_PATHS)."""
    if path.startswith(tuple(settings.LANGUAGE_NEUTRAL_PATHS)):
        return False
    return "." not in path.rstrip("/").rpartition("/")[2]


class FirstVisitLanguageMiddleware:
    """A first visit in the browser's language (see the module's docstring). Before the page
    cache: the cached English answer is never given to a visitor who is to be redirected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        default_page = translation.get_language_from_path(path) is None and follows_language(path)
        first_visit = (
            default_page
            and request.method in ("GET", "HEAD")
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        )
        if first_visit and (code := preferred(request)):
            target = "/" + code + path
            if request.GET:
                target += "?" + urlencode(request.GET, doseq=True)
            response = HttpResponseRedirect(target)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                code,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Accept-Language", "Cookie"])
            return response
        response = self.get_response(request)
        if default_page:
            # Whether it was given or a redirect depends on these, for every visitor alike.
            patch_vary_headers(response, ["Accept-Language", "Cookie"])
        return response


def context(request: HttpRequest) -> dict:
    """`languages` for the switcher and the `hreflang` links; `language_tag` for `<html lang>`;
    `translated_page` on a page in another language than the original's."""
    current = translation.get_language() or DEFAULT
    return {
        "languages": lambda: alternates(request),
        "language_tag": hreflang(current),
        "translated_page": current != DEFAULT,
    }


def forget_language(**kwargs) -> None:
    """At the end of every request: the next thing this thread does (a worker's job, a command,
    the next request before its middleware) is in the default language, not this visitor's."""
    translation.deactivate()


class InEveryLanguage:
    """A sitemap (django.contrib.sitemaps) whose every page is listed in each language, with its
    `hreflang` alternates and an `x-default` (the English, at its own address).

    Paged without reading every item: Django's own i18n sitemap makes a list of every (item,
    language) pair to page it, which at a million reforms is a million rows read and three
    million pairs made for each page of 50,000 addresses (`LanguagePairs`)."""

    i18n = True
    alternates = True
    x_default = True

    @property
    def paginator(self) -> Paginator:
        return Paginator(LanguagePairs(self.items(), self._languages()), self.limit)

    def location(self, item):
        """The item's address in the active language, worked out once a request: Django's
        sitemap asks for each address five times (as the `loc` of its language and as an
        alternate of every language's), and reversing it was most of a page's time."""
        known = self.__dict__.setdefault("_locations", {})
        key = (getattr(item, "pk", item), translation.get_language())
        if key not in known:
            known[key] = super().location(item)
        return known[key]


class LanguagePairs(Sequence):
    """(item, language) for every item of `items` (a list or a queryset) and language, in
    Django's order (an item in each language, then the next item); a slice reads only the
    items it holds."""

    def __init__(self, items, languages: list[str]):
        self.items, self.languages = items, languages

    def __len__(self) -> int:
        count = self.items.count() if isinstance(self.items, QuerySet) else len(self.items)
        return count * len(self.languages)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            index = index + len(self) if index < 0 else index
            return self[index : index + 1][0]
        # The paginator's slices are from and to a row number; anything else is counted first.
        start, stop = index.start or 0, index.stop
        if stop is None or start < 0 or stop < 0 or index.step not in (None, 1):
            start, stop, _ = index.indices(len(self))
        per = len(self.languages)
        first = start // per
        items = self.items[first : -(-stop // per)]
        pairs = [(item, language) for item in items for language in self.languages]
        return pairs[start - first * per : stop - first * per]
