"""Every public page and download of the content in the database, hashed: status, the first 16
hex digits of the body's SHA-256, its size and the URL, one line each. Run it on two commits
against databases loaded the same way (`manage.py load_content`) and `diff` the outputs: a
redesign that changes nothing the public sees prints the same lines. Per-request values (CSP
nonces, CSRF tokens) are blanked first.

    DATABASE_URL=… python benchmarks/public_hashes.py > before.txt
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "institute.settings.local")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from recommendations.models import Recommendation  # noqa: E402
from reforms.models import Reform  # noqa: E402

TABLES = ("reforms", "recommendations", "responses", "citations", "sources", "topics", "themes")
PAGES = [
    "/",
    "/reforms/",
    "/reforms/?area=justice-anti-corruption",
    "/reforms/?q=tenge",
    "/reforms/?sort=oldest&page=2",
    "/reforms/?area=human-rights&status=adopted",
    "/recommendations/",
    "/recommendations/tracker/",
    "/insights/",
    "/data/",
    "/reforms/export.csv",
    "/reforms/export.json",
    *(f"/api/v1/{t}/" for t in ("reforms", "recommendations", "responses", "citations")),
    "/api/v1/sources/",
    *(f"/data/{t}.{kind}" for t in TABLES for kind in ("csv", "json")),
]
PER_REQUEST = [(rb'nonce="[^"]+"', b'nonce=""'), (rb'csrfmiddlewaretoken" value="[^"]+"', b"")]


def main() -> None:
    client = Client(HTTP_HOST="localhost")
    urls = [
        *PAGES,
        *(r.get_absolute_url() for r in Reform.objects.published().order_by("slug")),
        *(r.get_absolute_url() for r in Recommendation.objects.published().order_by("slug")),
    ]
    for url in urls:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for pattern, blank in PER_REQUEST:
            body = re.sub(pattern, blank, body)
        print(response.status_code, hashlib.sha256(body).hexdigest()[:16], len(body), url)


if __name__ == "__main__":
    main()
