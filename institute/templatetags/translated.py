"""The content in the visitor's language, in templates (institute.translations).

    {% load translated %}
    <h1>{% text reform "title" %}</h1>
    {% text reform "body" paragraphs=True %}
    <meta name="description" content="{{ reform|in_language:'summary' }}">

`text` marks a text shown in another language than the page's (the original, until the entry
is translated) with its `lang`, so that a screen reader pronounces it right, and says in words
that it is not yet translated: never a blank. `in_language` is the plain text, for attributes.
"""

from django import template
from django.template.defaultfilters import linebreaks_filter
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from institute import languages, translations

register = template.Library()


@register.filter
def in_language(entry, name):
    return translations.translated(entry, name).value


@register.simple_tag
def text(entry, name=None, paragraphs=False):
    """`entry`'s field `name` in the page's language, or a text chosen already (a Text)."""
    shown = entry if isinstance(entry, translations.Text) else translations.translated(entry, name)
    if paragraphs:
        html = linebreaks_filter(shown.value, autoescape=True)
    else:
        html = conditional_escape(shown.value)
    if not shown.missing or not shown.value:
        return mark_safe(html)
    note = format_html('<small class="untranslated">{}</small>', gettext("not yet translated"))
    if paragraphs:
        return format_html('<div lang="{}">{}</div>{}', shown.tag, html, note)
    return format_html('<span lang="{}">{}</span> {}', shown.tag, html, note)


@register.simple_tag
def original(value, paragraphs=False):
    """Content that is not translated (a topic's name, an assessment's reasons), marked as
    English on a page in another language."""
    value = "" if value is None else str(value)
    html = linebreaks_filter(value, autoescape=True) if paragraphs else conditional_escape(value)
    language = translation.get_language() or translations.ORIGINAL
    if language == translations.ORIGINAL or not value:
        return mark_safe(html)
    tag = "div" if paragraphs else "span"
    return format_html(
        '<{} lang="{}">{}</{}>', tag, languages.hreflang(translations.ORIGINAL), html, tag
    )
