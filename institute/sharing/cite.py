"""Citing a public entry: the line "Cite this" shows, and the same reference as BibTeX and RIS.

An entry's dates are the public history's (institute.editorial.history.public_dates): when it
was first published and when what the public sees last changed, never the time a row was
loaded or edited out of sight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from institute.editorial.history import PublicDates, public_dates

PUBLISHER = "Kazakhstan Reform Tracker"  # the site's name in English (publisher(): as shown)
FORMATS = {"bib": "application/x-bibtex", "ris": "application/x-research-info-systems"}


@dataclass(frozen=True)
class Reference:
    key: str
    title: str
    url: str
    first_published: datetime | None
    last_updated: datetime | None
    accessed: date

    @property
    def updated_since(self) -> bool:
        """Whether the entry changed after it was first published (to the day)."""
        first, last = self.first_published, self.last_updated
        return bool(first and last and last.date() > first.date())


def reference(entry, *, url: str, kind: str, dates: PublicDates | None = None) -> Reference:
    """The reference of a published entry at `url` (its permanent address); `dates`, its
    public dates if the caller has read them already."""
    first, last = dates if dates is not None else public_dates(entry)
    local = timezone.localtime
    return Reference(
        key=f"krt-{kind}-{entry.slug}",
        title=entry.title,
        url=url,
        first_published=local(first) if first else None,
        last_updated=local(last) if last else None,
        accessed=timezone.localdate(),
    )


_BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_^~])")


def _bibtex_text(text: str) -> str:
    def escape(match):
        char = match.group(1)
        return {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}.get(char, "\\" + char)

    return _BIBTEX_SPECIAL.sub(escape, " ".join(text.split()))


def publisher() -> str:
    """The site's name in the language of the request, as a reference names its publisher."""
    return _("Kazakhstan Reform Tracker")


def _last_updated(ref: Reference) -> str:
    return _("Last updated %(date)s") % {"date": ref.last_updated.date().isoformat()}


def as_bibtex(ref: Reference) -> str:
    """A biblatex `@online` entry (BibTeX reads it as @misc-like); braces keep the title's case."""
    fields = [
        ("title", "{" + _bibtex_text(ref.title) + "}"),
        ("organization", _bibtex_text(publisher())),
    ]
    if ref.first_published:
        fields += [
            ("date", ref.first_published.date().isoformat()),
            ("year", str(ref.first_published.year)),
        ]
    if ref.updated_since:
        fields.append(("note", _bibtex_text(_last_updated(ref))))
    fields += [("url", ref.url), ("urldate", ref.accessed.isoformat())]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@online{{{ref.key},\n{body}\n}}\n"


def _ris_date(value: date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}/"


def as_ris(ref: Reference) -> str:
    """An RIS record (type ELEC, a web page), CRLF line ends as the format asks."""
    lines = [("TY", "ELEC"), ("TI", " ".join(ref.title.split())), ("PB", publisher())]
    if ref.first_published:
        day = ref.first_published.date()
        lines += [("PY", str(day.year)), ("DA", _ris_date(day))]
    if ref.updated_since:
        lines.append(("N1", _last_updated(ref)))
    lines += [("UR", ref.url), ("Y2", _ris_date(ref.accessed)), ("ER", "")]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines)


def reference_download(request, entry, *, kind: str, fmt: str) -> HttpResponse:
    """The reference of a published entry as a file (`fmt`: "bib" or "ris")."""
    if fmt not in FORMATS:
        raise Http404("No such citation format.")
    ref = reference(entry, url=request.build_absolute_uri(entry.get_absolute_url()), kind=kind)
    text = as_bibtex(ref) if fmt == "bib" else as_ris(ref)
    response = HttpResponse(text, content_type=f"{FORMATS[fmt]}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ref.key}.{fmt}"'
    return response
