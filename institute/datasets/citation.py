"""How to cite a dataset release: plain text, BibTeX, CSL-JSON and the package's CITATION.cff
(Citation File Format 1.2). One record, written four ways."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

# The names in the machine formats (BibTeX, CSL-JSON, CITATION.cff: the last frozen in each
# release) stay as they are; the plain citation a visitor reads is in the page's language.
PUBLISHER = "Kazakhstan Reform Tracker"
TITLE = "Kazakhstan Reform Tracker dataset"


@dataclass(frozen=True)
class DatasetCitation:
    label: str
    released: date
    url: str

    def plain(self) -> str:
        return _("%(publisher)s (%(year)s). %(title)s, release %(label)s (%(date)s). %(url)s") % {
            "publisher": _("Kazakhstan Reform Tracker"),
            "year": self.released.year,
            "title": _("Kazakhstan Reform Tracker dataset"),
            "label": self.label,
            "date": self.released.isoformat(),
            "url": self.url,
        }

    def bibtex(self) -> str:
        key = "kzreformtracker" + "".join(ch for ch in self.label if ch.isalnum())
        fields = {
            "author": "{" + PUBLISHER + "}",  # braces: an institution, not a person's name
            "title": TITLE,
            "version": self.label,
            "year": str(self.released.year),
            "month": str(self.released.month),
            "date": self.released.isoformat(),
            "url": self.url,
            "publisher": PUBLISHER,
        }
        body = ",\n".join(f"  {name} = {{{_bibtex_text(value)}}}" for name, value in fields.items())
        return f"@dataset{{{key},\n{body}\n}}\n"

    def csl(self) -> dict:
        return {
            "id": f"kazakhstan-reform-tracker-{self.label}",
            "type": "dataset",
            "title": TITLE,
            "version": self.label,
            "author": [{"literal": PUBLISHER}],
            "publisher": PUBLISHER,
            "issued": {
                "date-parts": [[self.released.year, self.released.month, self.released.day]]
            },
            "URL": self.url,
        }

    def csl_json(self) -> str:
        return json.dumps([self.csl()], indent=2, ensure_ascii=False) + "\n"

    def cff(self) -> str:
        # JSON strings are YAML strings: every value quoted, whatever it holds.
        def q(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)

        return "\n".join(
            [
                "cff-version: 1.2.0",
                f"message: {q('If you use this dataset, please cite it as below.')}",
                "type: dataset",
                f"title: {q(TITLE)}",
                f"version: {q(self.label)}",
                f"date-released: {q(self.released.isoformat())}",
                f"url: {q(self.url)}",
                "authors:",
                f"  - name: {q(PUBLISHER)}",
                "license: CC-BY-4.0",
                "",
            ]
        )


def _bibtex_text(value: str) -> str:
    # Characters TeX would read as commands; a release label or URL has none, but say so once.
    for char in "\\{}":
        value = value.replace(char, "")
    for char in "%&#_$":
        value = value.replace(char, "\\" + char) if not value.startswith("http") else value
    return value
