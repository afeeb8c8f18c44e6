"""The Content-Security-Policy allows no inline script or style ('unsafe-inline' is never sent),
so no page may carry one: not our templates, nor any page an editor or a visitor opens, Django's
admin and django-import-export's screens included. A browser would block them silently."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
    TopicFactory,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Not executed, so not a script as far as CSP goes (`json_script` writes these).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class InlineFinder(HTMLParser):
    """Collects what script-src / style-src 'self' would block in an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attributes.items():
            javascript_url = (value or "").strip().lower().startswith("javascript:")
            if name == "style" or name.startswith("on") or javascript_url:
                self.found.append(f'<{tag} {name}="{value}">')
        if tag == "style":
            self.found.append("<style> block")
        script_type = (attributes.get("type") or "").lower()
        if tag == "script" and not attributes.get("src") and script_type not in DATA_SCRIPT_TYPES:
            self._script = attributes.get("id") or "(no id)"

    def handle_data(self, data):
        if self._script is not None and data.strip():
            self.found.append(f"inline <script> {self._script}: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


def test_the_finder_sees_what_the_policy_blocks():
    page = (
        '<p style="color: red">x</p><button onclick="go()">go</button><style>p{}</style>'
        '<script>alert(1)</script><a href="javascript:go()">x</a>'
        '<script src="/static/x.js"></script><script type="application/json">{}</script>'
    )
    assert len(inline_code(page)) == 5


INLINE_IN_SOURCE = re.compile(
    r"""\sstyle\s*=|<style[\s>]|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|javascript:""",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_our_templates_carry_no_inline_script_or_style(template):
    source = template.read_text()
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", source, flags=re.S)
    assert INLINE_IN_SOURCE.findall(source) == []


@pytest.fixture
def entries(db):
    topic, theme = TopicFactory(), ThemeFactory()
    reform = ReformFactory(published=True, topics=[topic])
    recommendation = RecommendationFactory(published=True, themes=[theme])
    source = SourceFactory(published=True)
    CitationFactory(reform=reform, source=source)
    response = ResponseFactory(reform=reform, recommendation=recommendation)
    return {
        "reform": reform,
        "recommendation": recommendation,
        "source": source,
        "response": response,
    }


PUBLIC_PAGES = [
    ("home", None),
    ("reforms:list", None),
    ("reforms:detail", "reform"),
    ("recommendations:list", None),
    ("recommendations:tracker", None),
    ("recommendations:detail", "recommendation"),
    ("data", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "entry"), PUBLIC_PAGES)
def test_public_pages_carry_no_inline_script_or_style(client, entries, name, entry):
    kwargs = {"slug": entries[entry].slug} if entry else {}
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "entry"), PUBLIC_PAGES)
def test_a_page_from_the_page_cache_carries_the_policy_it_was_kept_with(
    client, entries, settings, name, entry
):
    """The policy is set inside the page cache and kept with the answer: every answer the
    cache gives carries what the page computed anew carries."""
    url = reverse(name, kwargs={"slug": entries[entry].slug} if entry else {})
    settings.PAGE_CACHE = False
    policy = client.get(url)["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    settings.PAGE_CACHE = True
    answers = [client.get(url, HTTP_ACCEPT_ENCODING=coding) for coding in ("", "gzip", "")]
    assert [a["X-Page-Cache"] for a in answers] == ["miss", "hit", "hit"]
    assert [a["Content-Security-Policy"] for a in answers] == [policy] * 3


def admin_pages(entries) -> list[str]:
    reform, recommendation, source = (entries[k] for k in ("reform", "recommendation", "source"))
    pages = [reverse("admin:index"), reverse("admin:institute_review_queue")]
    for opts, obj in (
        (reform._meta, reform),
        (recommendation._meta, recommendation),
        (source._meta, source),
        (entries["response"]._meta, entries["response"]),
    ):
        info = f"admin:{opts.app_label}_{opts.model_name}"
        pages += [
            reverse(f"{info}_changelist"),
            reverse(f"{info}_change", args=[obj.pk]),
            reverse(f"{info}_history", args=[obj.pk]),
        ]
        if opts.model_name != "response":  # read-only: no add page
            pages.append(reverse(f"{info}_add"))
    for opts in (reform._meta, recommendation._meta, source._meta):
        info = f"admin:{opts.app_label}_{opts.model_name}"
        pages += [reverse(f"{info}_import"), reverse(f"{info}_export")]
    pages += [
        reverse("admin:institute_importjob_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:password_change"),
    ]
    return pages


@pytest.mark.django_db
def test_admin_pages_carry_no_inline_script_or_style(admin_client, entries):
    pages = admin_pages(entries)
    problems = {}
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response, url
        if found := inline_code(response.content.decode()):
            problems[url] = found
    assert problems == {}
    assert any(url.endswith("/export/") for url in pages)


@pytest.mark.django_db
def test_the_sign_in_page_carries_no_inline_script_or_style(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert inline_code(response.content.decode()) == []
