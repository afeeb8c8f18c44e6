"""The site-wide record of published changes: the "Recent changes" page (/changes/) and its Atom
feed. Read from `history.publication_events` between two moments, so it shows what the public
saw change (entries published, changed, withdrawn), never drafts or working copies. Titles come from
the versions the public saw, not from today's rows (a row of an entry reopened as a draft holds
unpublished text)."""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institute import translations
from institute.control_characters import xml_safe
from institute.editorial.diffs import public_diff
from institute.editorial.history import PublishedChange, publication_events
from institute.editorial.models import EntryVersion, editorial_models
from institute.editorial.versions import m2m_fields, scalar_fields
from institute.listings.search import MAX_QUERY_LENGTH, terms

WINDOW_DAYS = 90  # what the page covers unless `since` says otherwise
PAGE_SIZE = 50
FEED_SIZE = 50


def public_models() -> dict[str, type]:
    """The entries with a public page, by the name the `type` parameter takes."""
    return {m._meta.model_name: m for m in editorial_models() if hasattr(m, "get_absolute_url")}


@dataclass(frozen=True)
class ChangeLine:
    change: PublishedChange
    type: str
    type_label: str
    title: translations.Text
    slug: str
    page: str | None  # its public page and history, if it is public now
    fields: list[str]


@dataclass
class ChangeQuery:
    """The request's filters, read like a listing's: a bad value is ignored and named."""

    types: list[str]
    since: datetime.datetime
    vocabulary: dict[str, set[str]]  # a choice field of the entries → the values asked for
    problems: list[str]
    # A listing's other filters, read from the version the public saw (not today's row, which
    # may hold unpublished text): `q`, its words in the entry's text in any language, and the
    # entries' vocabularies of slugs (`topic`, `theme`) → the ids asked for.
    q: str = ""
    related: dict[str, set[int]] = dataclasses.field(default_factory=dict)

    def matches(self, model, shown: dict) -> bool:
        if any(str(shown.get(name)) not in wanted for name, wanted in self.vocabulary.items()):
            return False
        for name, wanted in self.related.items():
            if name in shown and not wanted & set(shown.get(name) or []):
                return False
            if name not in shown and any(f.name == name for f in m2m_fields(model)):
                return False
        return not self.q or _text_matches(model, shown, self.q)


def read_filters(params) -> ChangeQuery:
    models = public_models()
    problems = []
    types = [t for t in params.getlist("type") if t in models]
    problems += [
        _("type: “%(value)s” is not one of %(known)s")
        % {"value": t[:40], "known": ", ".join(models)}
        for t in params.getlist("type")
        if t not in models
    ]
    since = timezone.now() - datetime.timedelta(days=WINDOW_DAYS)
    if params.get("since"):
        try:
            day = parse_date(params["since"])
        except ValueError:
            day = None
        if day is None:
            problems.append(
                _("since: “%(value)s” is not a date (YYYY-MM-DD)") % {"value": params["since"][:40]}
            )
        else:
            since = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    known: dict[str, set[str]] = {}  # each vocabulary field of the entries → its values
    for model in models.values():
        for field in scalar_fields(model):
            if field.choices:
                known.setdefault(field.name, set()).update(str(v) for v, _ in field.flatchoices)
    vocabulary: dict[str, set[str]] = {}
    for name, values in known.items():
        asked = params.getlist(name)
        problems += [
            _("%(name)s: “%(value)s” is not a known value") % {"name": name, "value": a[:40]}
            for a in asked
            if a not in values
        ]
        if any(a in values for a in asked):
            vocabulary[name] = {a for a in asked if a in values}
    q = (params.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    related: dict[str, set[int]] = {}
    for model in models.values():
        for m2m in m2m_fields(model):
            name = m2m.related_model._meta.model_name  # `topic`, `theme`: the listings' names
            asked = params.getlist(name)
            if not asked:
                continue
            # A value with a NUL is no slug, and PostgreSQL refuses one in text: not asked for.
            slugs = [a for a in asked if "\x00" not in a]
            found = dict(
                m2m.related_model._default_manager.filter(slug__in=slugs).values_list("slug", "pk")
            )
            problems += [
                _("%(name)s: “%(value)s” is not a known value") % {"name": name, "value": a[:40]}
                for a in asked
                if a not in found
            ]
            if found:
                related[m2m.name] = set(found.values())
    return ChangeQuery(types or list(models), since, vocabulary, problems, q, related)


def _text_matches(model, shown: dict, query: str) -> bool:
    """Every term of `query` (a term: any of its synonyms) begins a word of the version's own
    text, in any language: what a listing's search matches on SQLite."""
    fields = ["title", "summary", "body", "text", "note"]
    fields += [
        translations.column(name, language)
        for name in translations.translated_fields(model)
        for language in translations.TRANSLATIONS
    ]
    text = " ".join(str(shown.get(name) or "") for name in fields)
    return all(
        any(
            all(
                re.search(rf"(?<!\w){re.escape(word)}", text, re.IGNORECASE) for word in alt.split()
            )
            for alt in term
        )
        for term in terms(query)
    )


def change_lines(query: ChangeQuery, *, limit: int | None = None) -> list[ChangeLine]:
    models = public_models()
    chosen = [models[t] for t in query.types]
    changes = publication_events(since=query.since, until=timezone.now(), models=chosen)
    ids = {pk for c in changes for pk in (c.before, c.after) if pk is not None}
    data = dict(EntryVersion.objects.filter(pk__in=ids).values_list("pk", "data"))
    lines = []
    for change in changes:
        old, new = data.get(change.before), data.get(change.after)
        if not query.matches(change.model, new or old):
            continue
        lines.append(change)
        if limit and len(lines) >= limit:
            break
    public = {
        model: set(
            model._default_manager.published()
            .filter(pk__in=[c.object_id for c in lines if c.model is model])
            .values_list("pk", flat=True)
        )
        for model in chosen
    }
    return [_line(change, data, public[change.model]) for change in lines]


def _line(change: PublishedChange, data: dict, public: set[int]) -> ChangeLine:
    model = change.model
    old, new = data.get(change.before), data.get(change.after)
    shown = new or old
    fields = []
    if old is not None and new is not None:
        fields = [str(c.label) for c in public_diff(model, old, new)]
    page = None
    if change.object_id in public:  # its history is public while the entry is
        page = reverse(f"{model._meta.app_label}:history", kwargs={"slug": shown["slug"]})
    return ChangeLine(
        change=change,
        type=model._meta.model_name,
        type_label=str(model._meta.verbose_name).capitalize(),
        title=translations.in_snapshot(shown, "title"),
        slug=shown.get("slug", ""),
        page=page,
        fields=fields,
    )


def recent_changes(request):
    query = read_filters(request.GET)
    page = Paginator(change_lines(query), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    types = public_models()
    return render(
        request,
        "institute/recent_changes.html",
        {
            "page": page,
            "lines": page.object_list,
            "query": query,
            "types": types,
            # The checkboxes: each type's code and its name, plural ("Reforms").
            "type_choices": [
                (name, capfirst(model._meta.verbose_name_plural)) for name, model in types.items()
            ],
            "filters": params.urlencode(),
            # The filters the form does not show (a vocabulary, a topic), kept by its submit.
            "kept": [
                (name, value)
                for name in request.GET
                if name not in ("type", "since", "q", "page")
                for value in request.GET.getlist(name)
            ],
        },
    )


class RecentChangesFeed(Feed):
    """The recent changes as Atom, with the page's filters."""

    feed_type = Atom1Feed
    title = gettext_lazy("Kazakhstan Reform Tracker: recent changes")
    subtitle = gettext_lazy("Entries published, corrected or withdrawn, as the public saw them.")
    link = reverse_lazy("changes")

    def get_object(self, request, *args, **kwargs):
        return read_filters(request.GET)

    def items(self, query):
        return change_lines(query, limit=FEED_SIZE)

    def item_title(self, line):
        what = {
            "added": _("%(type)s “%(title)s” published"),
            "withdrawn": _("%(type)s “%(title)s” withdrawn"),
            "changed": _("%(type)s “%(title)s” changed"),
        }
        title = what[line.change.kind] % {"type": line.type_label, "title": line.title}
        return xml_safe(title)

    def item_description(self, line):
        parts = []
        if line.fields:
            parts.append(_("Changed: %(fields)s.") % {"fields": ", ".join(line.fields)})
        if line.change.note:
            parts.append(line.change.note)
        return escape(xml_safe(" ".join(parts) or "—"))

    def item_link(self, line):
        return line.page or f"{reverse('changes')}#{line.type}-{line.slug}"

    item_guid_is_permalink = False

    def item_guid(self, line):
        return f"{line.type}:{line.slug}:{line.change.at.isoformat()}"

    def item_pubdate(self, line):
        return line.change.at

    def item_updateddate(self, line):
        return line.change.at
