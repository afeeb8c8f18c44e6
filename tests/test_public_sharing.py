"""Found, shared and cited (issue 28, items 5, 9, 10 and the small ones of 16): /about/, the
licence and the API on every page, OpenGraph and Twitter cards, canonical links, schema.org
JSON-LD, the sitemap and robots.txt, "Cite this" with BibTeX and RIS dated by the public history.
Each read back by parsing what a crawler or a reference manager would parse; a planted draft in
none of them."""

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from institute.editorial.history import record_publication
from reforms.sitemaps import ReformSitemap
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    SourceFactory,
    TopicFactory,
)
from tests.support import SITEMAP_NS, sitemap_urls

pytestmark = pytest.mark.django_db

DRAFT_TITLE = "Planted draft that must stay unseen"


class Head(HTMLParser):
    """The <meta>, <link> and JSON-LD of a page, as a crawler reads them."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.jsonld, self.anchors = {}, {}, [], []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs.get("name")] = attrs.get("content")
        elif tag == "link" and "rel" in attrs:
            self.links[attrs["rel"]] = attrs.get("href")
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_jsonld = True
        elif tag == "a" and "href" in attrs:
            self.anchors.append(attrs["href"])

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(json.loads(data))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_jsonld = False


def head_of(client, path) -> Head:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = Head()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def entries():
    """A published reform and recommendation, each with its publication recorded in the
    history (as the workflow records it), and a draft of each."""
    source = SourceFactory(published=True, title="The 2021 report")
    reform = ReformFactory(
        published=True,
        slug="police-reform",
        title="Police reform",
        summary="The police answer to local assemblies.",
        adopted_on="2020-05",
    )
    CitationFactory(reform=reform, source=source, locator="Human Rights, c. p. 56", quote="")
    recommendation = RecommendationFactory(
        published=True, slug="free-courts", title="Free the courts", text="Courts free of pressure."
    )
    draft = ReformFactory(slug="planted-draft", title=DRAFT_TITLE)
    RecommendationFactory(slug="planted-draft-rec", title=DRAFT_TITLE)
    for entry in (reform, recommendation):
        record_publication(entry, by=None)
    return {"reform": reform, "recommendation": recommendation, "draft": draft}


PUBLIC_PAGES = [
    "/",
    "/reforms/",
    "/reforms/?area=economy&q=police",
    "/reforms/police-reform/",
    "/recommendations/",
    "/recommendations/tracker/",
    "/recommendations/free-courts/",
    "/insights/",
    "/data/",
    "/about/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_cards_a_canonical_link_and_links_to_about_and_the_api(
    client, entries, path
):
    head = head_of(client, path)
    canonical = head.links["canonical"]
    # The address without its query: a filtered listing's canonical page is the listing.
    assert canonical == "http://testserver" + path.split("?")[0]
    assert head.meta["og:url"] == canonical
    for name in ("og:title", "og:description", "og:type", "og:site_name", "twitter:card"):
        assert head.meta[name], name
    assert head.meta["twitter:title"] == head.meta["og:title"]
    assert reverse("about") in head.anchors
    assert reverse("api:docs") in head.anchors
    assert "https://creativecommons.org/licenses/by/4.0/" in head.anchors
    assert head.links["icon"].endswith(".svg")
    everything = json.dumps([head.meta, head.links, head.jsonld])
    assert DRAFT_TITLE not in everything
    assert DRAFT_TITLE not in client.get(path).content.decode()


def test_a_reforms_card_and_structured_data_describe_it(client, entries):
    head = head_of(client, "/reforms/police-reform/")
    assert head.meta["og:title"] == "Police reform"
    assert head.meta["og:type"] == "article"
    assert head.meta["og:description"] == "The police answer to local assemblies."
    (work,) = head.jsonld
    assert work["@context"] == "https://schema.org"
    assert work["@type"] == "CreativeWork"
    assert work["name"] == "Police reform"
    assert work["url"] == "http://testserver/reforms/police-reform/"
    assert work["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert work["dateCreated"] == "2020-05"
    assert work["isPartOf"]["url"] == "http://testserver/data/"


def test_the_data_page_is_a_dataset_with_its_licence_and_downloads(client, entries):
    html = client.get("/data/").content.decode()
    assert "CC BY 4.0" in html
    assert 'href="/api/v1/docs/"' in html
    head = head_of(client, "/data/")
    (dataset,) = head.jsonld
    assert dataset["@type"] == "Dataset"
    assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert dataset["creator"]["name"] == "Kazakhstan Reform Tracker"
    assert dataset["spatialCoverage"]["name"] == "Kazakhstan"
    assert dataset["temporalCoverage"] == "2020/2020"  # the published reform only
    downloads = {d["contentUrl"] for d in dataset["distribution"]}
    assert "http://testserver/data/package.zip" in downloads
    assert "http://testserver/data/reforms.csv" in downloads
    # Each an address of the site's downloads (test_downloads.py fetches them).
    for address in downloads:
        match = resolve(address.removeprefix("http://testserver"))
        assert match.url_name in ("data-table", "data-package"), address
        if match.url_name == "data-table":
            assert match.kwargs["fmt"] in ("csv", "json", "xlsx")


def test_structured_data_cannot_close_its_script_element(client):
    ReformFactory(published=True, slug="hostile", title="</script><script>alert(1)</script>")
    html = client.get("/reforms/hostile/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert json.loads(block)["name"] == "</script><script>alert(1)</script>"


def test_sitemap_lists_every_published_entry_with_its_last_publication(client, entries):
    urls = {
        u.find("s:loc", SITEMAP_NS).text: getattr(u.find("s:lastmod", SITEMAP_NS), "text", None)
        for u in sitemap_urls(client)
    }
    assert "http://testserver/reforms/police-reform/" in urls
    assert "http://testserver/recommendations/free-courts/" in urls
    assert "http://testserver/about/" in urls
    assert "http://testserver/reforms/" in urls
    assert not any("planted-draft" in loc for loc in urls)
    reform = entries["reform"]
    latest = record_publication(reform, by=None).created_at  # an update went live since
    lastmods = {
        u.find("s:loc", SITEMAP_NS).text: u.find("s:lastmod", SITEMAP_NS).text
        for u in sitemap_urls(client)
        if u.find("s:lastmod", SITEMAP_NS) is not None
    }
    assert lastmods["http://testserver/reforms/police-reform/"] == latest.date().isoformat()
    # The index dates each section by its latest publication, read in one query.
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    dated = {
        s.find("s:loc", SITEMAP_NS).text: s.find("s:lastmod", SITEMAP_NS)
        for s in index.findall("s:sitemap", SITEMAP_NS)
    }
    assert dated["http://testserver/sitemap-reforms.xml"].text.startswith(latest.date().isoformat())
    assert dated["http://testserver/sitemap-pages.xml"] is None  # the pages have no date


def test_the_sitemap_is_an_index_of_pages_that_each_hold_at_most_its_limit(client, monkeypatch):
    """Every published reform once in each language, across as many pages as the limit makes
    (a search engine reads 50,000 addresses a file), each page reading only its own reforms."""
    monkeypatch.setattr(ReformSitemap, "limit", 7)
    slugs = [f"reform-{n}" for n in range(5)]
    for slug in slugs:
        ReformFactory(published=True, slug=slug)
    ReformFactory(slug="a-draft")
    index = ElementTree.fromstring(client.get("/sitemap.xml").content)
    listed = [loc.text for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    reform_pages = [loc for loc in listed if "/sitemap-reforms.xml" in loc]
    assert reform_pages == [
        "http://testserver/sitemap-reforms.xml",
        "http://testserver/sitemap-reforms.xml?p=2",
        "http://testserver/sitemap-reforms.xml?p=3",
    ]
    found = []
    for address in reform_pages:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(address.removeprefix("http://testserver"))
        urls = ElementTree.fromstring(page.content).findall("s:url", SITEMAP_NS)
        assert 0 < len(urls) <= 7
        found += [u.find("s:loc", SITEMAP_NS).text for u in urls]
        # The reforms a page shows are read with a limit (its seven addresses are three
        # reforms at most, or four across a boundary): never every reform for one page.
        read = [
            q["sql"]
            for q in queries
            if 'FROM "reforms_reform"' in q["sql"] and "COUNT(" not in q["sql"]
        ]
        limits = [re.search(r"LIMIT (\d+)( OFFSET \d+)?$", sql) for sql in read]
        assert read and all(limit and int(limit[1]) <= 4 for limit in limits), read
    assert found == [
        f"http://testserver{prefix}/reforms/{slug}/"
        for slug in slugs
        for prefix in ("", "/ru", "/kk")
    ]
    assert client.get("/sitemap-reforms.xml?p=4").status_code == 404


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out_of_admin_and_filters(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    for path in ("/admin/", "/api/", "/reforms/?", "/recommendations/?"):
        assert f"Disallow: {path}" in lines
    sitemap = next(line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap: "))
    assert sitemap == "http://testserver/sitemap.xml"
    assert client.get(sitemap.removeprefix("http://testserver")).status_code == 200


# --- Cite this -----------------------------------------------------------------------------
def test_cite_this_dates_come_from_the_public_history(client, entries):
    reform = entries["reform"]
    # The row says it was published long ago (a load date); the history is what counts.
    type(reform).objects.filter(pk=reform.pk).update(published_at=datetime(2001, 1, 1, tzinfo=UTC))
    html = client.get(reform.get_absolute_url()).content.decode()
    today = timezone.localdate()
    cite = re.search(r'<p class="cite-text" id="cite-text">(.*?)</p>', html).group(1)
    assert f"published {today.day} {today:%B %Y}" in cite
    assert "2001" not in cite
    assert "Copy citation" in html
    assert 'href="/reforms/police-reform/cite.bib"' in html
    assert 'href="/reforms/police-reform/cite.ris"' in html


def test_bibtex_and_ris_read_back(client, entries):
    today = timezone.localdate().isoformat()
    bib = client.get("/reforms/police-reform/cite.bib")
    assert bib["Content-Type"].startswith("application/x-bibtex")
    assert 'filename="krt-reform-police-reform.bib"' in bib["Content-Disposition"]
    text = bib.content.decode()
    assert text.startswith("@online{krt-reform-police-reform,\n")
    fields = dict(re.findall(r"^  (\w+) = \{(.*)\},?$", text, re.M))
    assert fields["title"] == "{Police reform}"
    assert fields["url"] == "http://testserver/reforms/police-reform/"
    assert fields["date"] == today and fields["urldate"] == today
    assert text.count("{") == text.count("}")

    ris = client.get("/recommendations/free-courts/cite.ris")
    lines = ris.content.decode().split("\r\n")
    tags = dict(line.split("  - ", 1) for line in lines if "  - " in line)
    assert lines[0] == "TY  - ELEC"
    assert tags["TI"] == "Free the courts"
    assert tags["UR"] == "http://testserver/recommendations/free-courts/"
    assert tags["DA"] == today.replace("-", "/") + "/"
    assert lines[-2] == "ER  - "

    assert client.get("/reforms/planted-draft/cite.bib").status_code == 404
    assert client.get("/reforms/police-reform/cite.pdf").status_code == 404


def test_bibtex_escapes_what_latex_would_read(client):
    ReformFactory(published=True, slug="odd", title="50% of {braces} & R$ #1_a\\b")
    text = client.get("/reforms/odd/cite.bib").content.decode()
    title = re.search(r"^  title = \{(.*)\},$", text, re.M).group(1)
    assert title == r"{50\% of \{braces\} \& R\$ \#1\_a\textbackslash{}b}"


# --- About and the small ones ---------------------------------------------------------------
def test_about_explains_coverage_ratings_sources_corrections_and_the_licence(client, entries):
    html = client.get(reverse("about")).content.decode()
    text = re.sub(r"<[^>]+>", "", html)
    holds = re.search(r"It holds [^.]*\.", text).group(0)
    # Sources: the cited report, and the published report of each recommendation (the draft's
    # too: a report is public whatever its recommendations are).
    assert holds == "It holds 1 reform, dated from 2020 to 2020, 1 recommendation and 3 sources."
    for label in ("Adopted (not yet shown working)", "Partially implemented", "Partly implemented"):
        assert label in text
    assert "the status Adopted (not yet shown working), and a reform's adoption date" in text
    assert "circa page 56" in text
    assert 'id="corrections"' in html
    assert "CC BY 4.0" in text
    assert DRAFT_TITLE not in html


def test_circa_page_locators_explain_themselves(client, entries):
    html = client.get("/reforms/police-reform/").content.decode()
    assert (
        'Human Rights, <a class="circa" href="/about/#circa-page"><abbr title="circa page: the '
        'page estimated, see About">c. p.</abbr></a> 56'
    ) in html


def test_the_scorecard_is_the_current_item_in_the_navigation(client):
    html = client.get(reverse("recommendations:tracker")).content.decode()
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', html)
    assert current == [reverse("recommendations:tracker")]
    listing = client.get(reverse("recommendations:list")).content.decode()
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', listing) == [
        reverse("recommendations:list")
    ]


def test_favicon_is_served_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")


def test_the_admin_is_named_for_the_institute(client):
    html = client.get("/admin/login/").content.decode()
    assert "Kazakhstan Reform Tracker" in html
    assert "Django administration" not in html


def test_a_merged_topics_old_slug_redirects_to_the_topic_that_holds_its_reforms(client):
    merged = TopicFactory(slug="law-enforcement-reform", name="Law enforcement and police reform")
    ReformFactory(published=True, title="Three-tier division of powers", topics=[merged])
    response = client.get("/reforms/?topic=police-reform&area=economy&q=powers")
    assert response.status_code == 301
    assert response["Location"] == "/reforms/?topic=law-enforcement-reform&area=economy&q=powers"
    followed = client.get(response["Location"])
    assert [r.title for r in followed.context["reforms"]] == ["Three-tier division of powers"]
    export = client.get("/reforms/export.csv?topic=police-reform")
    assert export["Location"] == "/reforms/export.csv?topic=law-enforcement-reform"
    # Where the old topic still exists (loaded before the merge), it is a filter like any.
    TopicFactory(slug="police-reform", name="Police and Interior Ministry reform")
    assert client.get("/reforms/?topic=police-reform").status_code == 200


def test_the_api_schema_says_why_lists_have_no_total(client):
    schema = client.get("/api/v1/schema/").json()
    page = schema["paths"]["/api/v1/reforms/"]["get"]["responses"]["200"]["content"]
    body = page["application/json"]["schema"]
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert "no total count" in body["description"]
    assert "count" not in body["properties"]
    # The footer links the API's documentation, which links the schema.
    assert client.get("/api/v1/docs/").status_code == 200
