"""schema.org JSON-LD for search engines and dataset search: a `Dataset` on /data/, a
`CreativeWork` on each entry's page. Built only from what the page shows (a published entry,
the published tables), so nothing unpublished can reach it.
"""

from __future__ import annotations

import json

from django.apps import apps
from django.db.models import Max, Min
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from institute.sharing.cite import Reference, publisher

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
KAZAKHSTAN = {"@type": "Country", "name": "Kazakhstan"}
# JSON inside <script> must not close it, nor open a comment: the characters json_script escapes.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def institute(base_url: str) -> dict:
    return {"@type": "Organization", "name": publisher(), "url": base_url}


def as_script(data: dict) -> SafeString:
    """`data` as a <script type="application/ld+json"> element (not run by browsers, so the
    page's Content-Security-Policy does not apply to it)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', SafeString(text))


def creative_work(
    ref: Reference, *, description: str, base_url: str, keywords: list[str], dataset_url: str
) -> dict:
    """An entry's page: what it is, who publishes it and when, under which licence."""
    data = {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "@id": ref.url,
        "url": ref.url,
        "name": ref.title,
        "headline": ref.title[:110],
        "description": description,
        "inLanguage": "en",
        "publisher": institute(base_url),
        "license": LICENCE_URL,
        "spatialCoverage": KAZAKHSTAN,
        "isPartOf": {"@type": "Dataset", "@id": dataset_url, "url": dataset_url},
    }
    if keywords:
        data["keywords"] = keywords
    if ref.first_published:
        data["datePublished"] = ref.first_published.isoformat()
    if ref.last_updated:
        data["dateModified"] = ref.last_updated.isoformat()
    return data


def temporal_coverage() -> str:
    """The years the published reforms span, as an ISO 8601 interval ("2019/2024"), "" when
    none is dated. The reforms model is found in the app registry: this package builds on no
    app."""
    reform = apps.get_model("reforms", "Reform")
    span = (
        reform.objects.published()
        .exclude(first_date="")
        .aggregate(first=Min("first_date"), last=Max("first_date"))
    )
    return f"{span['first'][:4]}/{span['last'][:4]}" if span["first"] else ""


def dataset(
    *,
    url: str,
    base_url: str,
    version: str | None,
    description: str,
    distributions: list[tuple[str, str, str]],
    temporal: str,
) -> dict:
    """The tracker's data as a schema.org `Dataset` (what Google Dataset Search reads):
    `distributions` are (name, address, media type) of each download. No `version` while the
    package that names it is being made."""
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": url,
        "url": url,
        "name": _("Kazakhstan Reform Tracker"),
        "description": description,
        "version": version,
        "license": LICENCE_URL,
        "isAccessibleForFree": True,
        "creator": institute(base_url),
        "publisher": institute(base_url),
        "spatialCoverage": KAZAKHSTAN,
        "inLanguage": "en",
        "keywords": [_("Kazakhstan"), _("reforms"), _("policy recommendations"), _("governance")],
        "distribution": [
            {"@type": "DataDownload", "name": name, "contentUrl": address, "encodingFormat": media}
            for name, address, media in distributions
        ],
    }
    if temporal:
        data["temporalCoverage"] = temporal
    if not version:
        del data["version"]
    return data
