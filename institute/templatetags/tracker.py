import re

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from institute.dates import date_label
from institute.listings.paging import page_window as window
from institute.listings.search import highlight as highlight_text

register = template.Library()


@register.simple_tag
def highlight(text, query, full=""):
    """A search snippet with the query's words marked, escaped whatever produced it."""
    return highlight_text(text or "", query or "", full or "")


@register.simple_tag(takes_context=True)
def absolute_url(context, path):
    return context["request"].build_absolute_uri(path)


@register.filter
def partial_date(value):
    """`2019-09` → "September 2019": a date at its precision, as the detail pages show it."""
    return date_label(value)


@register.simple_tag(takes_context=True)
def page_href(context, number):
    """The current address with only the page changed (filters, search and sort kept)."""
    request = context["request"]
    params = [(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs]
    return f"{request.path}?{urlencode([*params, ('page', number)])}"


@register.simple_tag
def page_window(page):
    return window(page.number, page.paginator.num_pages)


_CIRCA_PAGE = re.compile(r"\bc\. p\. (?=\d)")


@register.filter
def locator(value):
    """A citation's locator, escaped, its "c. p." (circa page: an estimated page) explained by
    a tooltip and a link to where /about/ says how the page was estimated. The locator is the
    source's text, so "c. p." stays as it is; only the tooltip is in the page's language."""
    about = reverse("about") + "#circa-page"
    abbr = format_html(
        '<a class="circa" href="{}"><abbr title="{}">c. p.</abbr></a> ',
        about,
        _("circa page: the page estimated, see About"),
    )
    return mark_safe(_CIRCA_PAGE.sub(lambda _m: abbr, escape(value or "")))
