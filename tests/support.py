"""Helpers several test files share (fixtures live in conftest.py, model builders in
factories.py): the roles and moves the matrices run over, admin URLs and forms as a browser
posts them, and the query counts the public listings are held to."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

from django.contrib.messages import get_messages
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from institute.editorial import workflow
from institute.editorial.states import ReviewState

ROLE_NAMES = ("anonymous", "staff", "contributor", "reviewer", "publisher", "superuser")
KINDS = ("reform", "recommendation", "source")

# move → (state it starts from, state it reaches, roles that may take it)
MATRIX = {
    "submit": (ReviewState.DRAFT, ReviewState.IN_REVIEW, {"contributor", "superuser"}),
    "request_changes": (
        ReviewState.IN_REVIEW,
        ReviewState.CHANGES_REQUESTED,
        {"reviewer", "superuser"},
    ),
    "publish": (ReviewState.IN_REVIEW, ReviewState.PUBLISHED, {"publisher", "superuser"}),
    "archive": (ReviewState.PUBLISHED, ReviewState.ARCHIVED, {"publisher", "superuser"}),
    "reopen": (ReviewState.ARCHIVED, ReviewState.DRAFT, {"publisher", "superuser"}),
}
SERVICES = {
    "submit": workflow.submit_for_review,
    "request_changes": workflow.request_changes,
    "publish": workflow.publish,
    "archive": workflow.archive,
    "reopen": workflow.reopen,
}
CASES = [(kind, move, role) for kind in KINDS for move in MATRIX for role in ROLE_NAMES]


def case_id(case) -> str:
    kind, move, role = case
    allowed = role in MATRIX[move][2]
    return f"{kind}-{move}-{role}-{'allowed' if allowed else 'refused'}"


# The first request of a filter state (or the first after any write to a public table): topic
# choices, the content generation, the cache (summary and page ids, one read), the facets on
# columns with the row count, the topic facet, the summary cached (5: cull count, savepoint,
# read, insert, release), the page's ids, those cached (5), the rows, their topics.
REFORM_LISTING_QUERIES = 18
# A search reads the topics whose names hold it too (reforms.filters.named), once a request,
# warm too (the page's rows are read through the filter, for their snippets). Its counts are
# read from its rows, not the tally: on PostgreSQL its topic facet is counted in the grouped
# query with the others (reforms.row_cells.topics_in_groups), one query fewer.
REFORM_SEARCH_QUERIES = REFORM_LISTING_QUERIES + 1 - (connection.vendor == "postgresql")
# The same request again: topic choices, generation, cache read, rows, topics. (Another page of
# a counted state: 7 fewer than the first, the facets and the summary's caching.)
REFORM_LISTING_QUERIES_WARM = 5
REFORM_SEARCH_QUERIES_WARM = REFORM_LISTING_QUERIES_WARM + 1
# Theme and report choices, then as above (the report facet, a foreign key, in the grouped
# query; the theme facet on its own).
RECOMMENDATION_LISTING_QUERIES = 19
RECOMMENDATION_LISTING_QUERIES_WARM = 6
# the entry, topics, its secondary areas ("Also filed under"), citations (+ sources), responses
# (+ recommendation), related reforms, its publications (the dates "Cite this" gives)
REFORM_DETAIL_QUERIES = 7
# the entry (+ report), themes, citations (+ sources), responses (+ reform), their citations,
# its publications (the dates "Cite this" gives)
RECOMMENDATION_DETAIL_QUERIES = 6


def admin_url(entry, view: str, *args) -> str:
    opts = entry._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[entry.pk, *args])


def login(client, user):
    if user is not None:
        client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def change_form_data(page) -> dict:
    """What the browser would post back unchanged from a change form page: the main form and
    every inline formset."""

    def value(v):
        return str(getattr(v, "pk", v))

    def add(data, form, prefix_fn):
        for name, field in form.fields.items():
            initial = form.initial.get(name, field.initial)
            if initial is None or name == "DELETE":
                continue
            if isinstance(initial, list | tuple):
                data[prefix_fn(name)] = [value(v) for v in initial]
            else:
                data[prefix_fn(name)] = value(initial)

    data: dict = {}
    form = page.context["adminform"].form
    add(data, form, lambda n: n)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.forms))
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(formset.initial_form_count())
        data[f"{formset.prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{formset.prefix}-MAX_NUM_FORMS"] = "1000"
        for f in formset.forms:
            add(data, f, f.add_prefix)
    return data


def entry_form_data(client, entry) -> dict:
    """The change form of `entry`, opened by `client`, as the browser would post it back."""
    return change_form_data(client.get(admin_url(entry, "change")))


DOCS = Path(__file__).resolve().parent.parent / "docs"
PNG = b"\x89PNG\r\n\x1a\n"


def screenshot(page, name: str, **options) -> bytes:
    """A screenshot of what the test sees, checked to be an image; written to docs/<name> only
    with SCREENSHOTS=1 (`make screenshots`), so that a test run leaves the checkout as it was."""
    image = page.screenshot(**options)
    assert image.startswith(PNG) and len(image) > 10_000, "a blank or broken screenshot"
    if os.environ.get("SCREENSHOTS") == "1":
        (DOCS / name).write_bytes(image)
    return image


# The management forms of a reform's admin form with no inline row, as a browser posts them.
NO_REFORM_INLINE_ROWS = {
    f"{inline}-{count}": "0"
    for inline in ("citations", "responses", "secondary_areas")
    for count in ("TOTAL_FORMS", "INITIAL_FORMS")
}


def database_url() -> str:
    """The test database as DATABASE_URL, for a process a test starts (a server, the worker)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = f"{db['USER']}:{db['PASSWORD']}" if db["PASSWORD"] else db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_manage(*args: str, drop=(), **env: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a process of its own, with this environment but for the variables in
    `drop` (the settings a test means to choose), plus `env`."""
    clean = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(__file__).resolve().parent.parent,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_web_server(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """The production web server (`python -m institute.web_server`, what `make serve` runs) in a
    process of its own with `env`, its output appended to `log_path`; the caller stops it."""
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "institute.web_server"],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for_log_line(log_path: Path, text: str, timeout: float = 15.0) -> str:
    """The log once it holds `text` (else as it is after `timeout` seconds): a server writes an
    answer's access line only after the answer has left, a moment after its client read it."""
    deadline = time.monotonic() + timeout
    while text not in (log := log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log


SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_pages(client) -> list[bytes]:
    """Every page /sitemap.xml's index lists, as a search engine reads them, in its order."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    index = ElementTree.fromstring(response.content)
    pages = []
    for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS):
        page = client.get(loc.text.removeprefix("http://testserver"))
        assert page.status_code == 200, loc.text
        pages.append(page.content)
    return pages


def sitemap_urls(client) -> list[ElementTree.Element]:
    """The <url> elements of every page of the sitemap, in order."""
    return [
        url
        for page in sitemap_pages(client)
        for url in ElementTree.fromstring(page).findall("s:url", SITEMAP_NS)
    ]


def enumerate_routes(patterns=None, prefix: str = "") -> list[str]:
    """Every URL pattern's full route, depth first, through every include (admin included)."""
    routes = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(enumerate_routes(pattern.url_patterns, route))
        else:
            assert isinstance(pattern, URLPattern)
            routes.append(route)
    return routes
