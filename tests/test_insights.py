"""/insights/ and the home page's charts: every number is the count of the listing its link
opens (with the same filters), drafts never count, the SVG is a well-formed, named image, the
CSV holds the numbers, and the queries do not grow with the rows."""

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from institute.insights.palettes import PALETTES, contrast, text_on
from institute.insights.timeline import LINE, REFORM
from reforms.models import Response
from tests.factories import (
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
BAR_CHARTS = ("reforms-by-year", "status-by-area", "scorecard")
CHARTS = (*BAR_CHARTS, "answers-timeline")
# Topic choices; the by-year counts; the status counts; theme and report choices; the scorecard
# by audience and by theme; the timeline's recommendations, how many reforms answer each, and
# the first of them; the session-free page makes no other query.
INSIGHTS_QUERIES = 10


def make_content():
    """Published reforms over areas, statuses and years (one undated), recommendations of a
    published report with themes and answering reforms, and drafts of each that must not count."""
    a = ReformFactory(published=True, area="economy", status="adopted", adopted_on="2019-09")
    b = ReformFactory(
        published=True,
        area="economy",
        status="implemented",
        announced_on="2018",
        adopted_on="2019",
    )
    c = ReformFactory(published=True, area="human-rights", status="adopted", adopted_on="2019-09")
    ReformFactory(published=True, area="human-rights", status="stalled", adopted_on="2021")
    ReformFactory(
        published=True,
        area="political-participation",
        status="announced",
        adopted_on="",
        announced_on="2022-03",
    )
    undated = ReformFactory(
        published=True, area="justice-anti-corruption", status="reversed", adopted_on=""
    )
    draft = ReformFactory(area="economy", status="reversed", adopted_on="1990")

    report = SourceFactory(published=True, published_on="2019-06")
    rule = ThemeFactory(slug="rule-of-law", name="Rule of law")
    region = ThemeFactory(slug="regional-ties", name="Regional ties")
    one = RecommendationFactory(
        published=True, report=report, implementation="implemented", themes=[rule, region]
    )
    two = RecommendationFactory(
        published=True,
        report=report,
        audience="western",
        implementation="not-implemented",
        themes=[rule],
    )
    RecommendationFactory(published=True, report=report, implementation="partly-implemented")
    RecommendationFactory(
        published=True, report=report, implementation="implemented", themes=[rule]
    )
    hidden = RecommendationFactory(report=report, implementation="implemented", themes=[rule])
    for recommendation, reform in [(one, a), (one, b), (one, draft), (one, undated), (two, c)]:
        ResponseFactory(recommendation=recommendation, reform=reform)
    ResponseFactory(recommendation=hidden, reform=a)
    return {"one": one, "two": two, "hidden": hidden, "a": a, "b": b, "c": c}


def chart_csv(client, name: str, query: str = "") -> list[dict]:
    response = client.get(reverse("insights-chart", args=[name, "csv"]) + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def listing_count(client, url: str) -> int:
    path = url.removeprefix("http://testserver")
    html = client.get(path).content.decode()
    return int(re.search(r'id="result-count">(\d+)', html).group(1))


COUNT_COLUMN = {
    "reforms-by-year": "reforms",
    "status-by-area": "reforms",
    "scorecard": "recommendations",
}


@pytest.mark.parametrize("name", BAR_CHARTS)
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?area=economy&area=human-rights",
        "?status=adopted&year_from=2019",
        "?audience=western",
        # The first recommendation is under both themes: its other theme gets no bar of its
        # own, whose link would lose the choice.
        "?theme=regional-ties",
    ],
)
def test_every_bar_counts_the_rows_of_the_listing_it_links_to(client, name, query):
    make_content()
    rows = chart_csv(client, name, query)
    assert rows
    for row in rows:
        assert int(row[COUNT_COLUMN[name]]) == listing_count(client, row["url"]), row


def test_the_charts_count_what_the_unfiltered_listings_count(client):
    make_content()
    by_year = chart_csv(client, "reforms-by-year")
    status = chart_csv(client, "status-by-area")
    # Six published reforms: one undated is left out of the years, not of the areas.
    assert sum(int(r["reforms"]) for r in by_year) == 5
    assert sum(int(r["reforms"]) for r in status) == 6
    assert sum(int(r["reforms"]) for r in status) == listing_count(client, reverse("reforms:list"))
    assert {(r["year"], r["area"]): int(r["reforms"]) for r in by_year} == {
        ("2018", "economy"): 1,
        ("2019", "economy"): 1,
        ("2019", "human-rights"): 1,
        ("2021", "human-rights"): 1,
        ("2022", "political-participation"): 1,
    }
    scorecard = chart_csv(client, "scorecard")
    audience = [r for r in scorecard if r["group"] == "By audience"]
    assert sum(int(r["recommendations"]) for r in audience) == 4
    theme = {(r["category"], r["implementation"]): int(r["recommendations"]) for r in scorecard}
    rule = next(r["category"] for r in scorecard if r["category_label"] == "Rule of law")
    assert theme[(rule, "implemented")] == 2  # the draft recommendation of the theme is not
    assert theme[(rule, "not-implemented")] == 1


def test_filters_change_the_charts(client):
    content = make_content()
    everything = chart_csv(client, "status-by-area")
    economy = chart_csv(client, "status-by-area", "?area=economy")
    assert sum(int(r["reforms"]) for r in economy) == 2 < sum(int(r["reforms"]) for r in everything)
    assert {r["area"] for r in economy} == {"economy"}
    years = chart_csv(client, "reforms-by-year", "?year_from=2020")
    assert {r["year"] for r in years} == {"2021", "2022"}
    western = chart_csv(client, "scorecard", "?audience=western")
    assert {r["implementation"] for r in western} == {"not-implemented"}
    timeline = chart_csv(client, "answers-timeline", "?audience=western")
    assert {r["reform"] for r in timeline} == {content["c"].slug}


def test_drafts_and_what_is_not_shown_never_count(client):
    content = make_content()
    by_year = chart_csv(client, "reforms-by-year")
    assert "1990" not in {r["year"] for r in by_year}
    page = client.get(reverse("insights")).content.decode()
    assert content["hidden"].title not in page
    assert "1 undated not shown" in page
    timeline = chart_csv(client, "answers-timeline")
    assert content["hidden"].slug not in {r["recommendation"] for r in timeline}
    assert "1990" not in {r["reform_first_date"] for r in timeline}


def test_the_timeline_has_the_reforms_each_recommendation_page_lists(client):
    content = make_content()
    timeline = chart_csv(client, "answers-timeline")
    by_recommendation: dict[str, set[str]] = {}
    for row in timeline:
        by_recommendation.setdefault(row["recommendation"], set()).add(row["url"])
        assert row["recommendation_date"] == "2019-06"
    assert set(by_recommendation) == {content["one"].slug, content["two"].slug}
    for slug, urls in by_recommendation.items():
        detail = client.get(reverse("recommendations:detail", args=[slug])).content.decode()
        section = detail.split('id="responses-heading"')[1].split("</section>")[0]
        linked = set(re.findall(r'<p><a href="(/reforms/[^"]+)"', section))
        # The chart draws the dated ones: the undated reform is in the page, named in a note.
        assert {u.removeprefix("http://testserver") for u in urls} <= linked
    one = {r["reform"]: r for r in timeline if r["recommendation"] == content["one"].slug}
    assert set(one) == {content["a"].slug, content["b"].slug}
    assert one[content["b"].slug]["reform_first_date"] == "2018"


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_is_a_well_formed_svg_with_title_and_description(client, name):
    make_content()
    response = client.get(reverse("insights-chart", args=[name, "svg"]) + "?area=economy")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert "attachment" in response["Content-Disposition"]
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and "published" in desc.text
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    # A downloaded file's links lead back to the site.
    assert links and all(href.startswith("http://testserver/") for href in links)


def test_the_page_draws_every_chart_with_its_table_and_downloads(client):
    make_content()
    response = client.get(reverse("insights"), {"area": "economy"})
    assert response.status_code == 200
    html = response.content.decode()
    for name in CHARTS:
        assert f'id="chart-{name}-title"' in html
        assert f"/insights/{name}.svg?area=economy" in html
        assert f"/insights/{name}.csv?area=economy" in html
    assert html.count("<table") == len(CHARTS)
    assert "Area: Economy" in html  # the filter in force, removable
    # In the page the links stay on the site, relative.
    assert 'href="/reforms/?area=economy&amp;year_from=2019&amp;year_to=2019"' in html


def test_the_page_form_shows_the_filters_and_keeps_the_others(client):
    make_content()
    html = client.get(reverse("insights"), {"area": "economy", "topic": "x", "q": "tax"}).content
    html = html.decode()
    assert 'name="area" value="economy" checked' in html
    assert 'name="area" value="human-rights">' in html
    assert 'name="theme" value="rule-of-law">' in html
    # Parameters the form has no field for travel on with it.
    assert '<input type="hidden" name="topic" value="x">' in html
    assert '<input type="hidden" name="q" value="tax">' in html


def test_the_home_page_has_the_charts_small(client):
    make_content()
    html = client.get(reverse("home")).content.decode()
    for name in CHARTS:
        assert f'id="home-{name}-title"' in html
    assert 'viewBox="0 0 640' in html


@pytest.mark.parametrize("query", ["", "?year_from=2100&audience=western&q=nothingmatches"])
def test_nothing_to_count_draws_empty_charts(client, query):
    if query:
        make_content()
    response = client.get(reverse("insights") + query)
    assert response.status_code == 200
    assert "Nothing published matches these filters." in response.content.decode()
    for name in CHARTS:
        svg = client.get(reverse("insights-chart", args=[name, "svg"]) + query).content
        assert ET.fromstring(svg).find(f"{SVG}desc").text.startswith("0 published")
        assert chart_csv(client, name, query) == []


def test_a_title_starting_like_a_formula_is_inert_in_the_csv(client):
    content = make_content()
    content["one"].title = "=HYPERLINK(1)"
    content["one"].save()
    rows = chart_csv(client, "answers-timeline")
    assert {r["recommendation_title"] for r in rows} >= {"'=HYPERLINK(1)"}


def test_an_unknown_chart_or_format_is_not_found(client):
    assert client.get("/insights/nothing.svg").status_code == 404
    assert client.get("/insights/scorecard.pdf").status_code == 404


def test_a_listing_links_to_the_charts_of_its_results(client):
    make_content()
    html = client.get(reverse("reforms:list"), {"area": "economy"}).content.decode()
    assert 'href="/insights/?area=economy">Charts of these results' in html
    html = client.get(reverse("recommendations:list"), {"audience": "western"}).content.decode()
    assert 'href="/insights/?audience=western">Charts of these results' in html


def test_a_bad_filter_value_is_named_not_a_500(client):
    make_content()
    response = client.get(reverse("insights"), {"area": "astrology"})
    assert response.status_code == 200
    assert "Ignored area" in response.content.decode()


def test_insights_queries_do_not_grow_with_rows(client, django_assert_num_queries):
    make_content()
    with django_assert_num_queries(INSIGHTS_QUERIES):
        client.get(reverse("insights"), {"area": "economy"})
    theme = ThemeFactory()
    for year in range(2000, 2012):
        reform = ReformFactory(published=True, adopted_on=str(year), status="stalled")
        rec = RecommendationFactory(published=True, themes=[theme])
        ResponseFactory(recommendation=rec, reform=reform)
    with django_assert_num_queries(INSIGHTS_QUERIES):
        client.get(reverse("insights"), {"area": "economy"})


def test_home_queries_do_not_grow_with_rows(client, django_assert_num_queries):
    make_content()
    # The home page's own counts, then the charts' (INSIGHTS_QUERIES, unfiltered): measured
    # here rather than written down, so that a count added to the page does not fail this.
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("home"))
    assert len(first) >= INSIGHTS_QUERIES
    for year in range(2000, 2012):
        ReformFactory(published=True, adopted_on=str(year))
        RecommendationFactory(published=True, audience="western")
    with django_assert_num_queries(len(first)):
        client.get(reverse("home"))


def drawn_marks(svg: bytes) -> dict:
    """Each reform's mark as drawn, found under its link: the link's (invisible) copy lies on
    the drawn circle, at the same centre."""
    root = ET.fromstring(svg)
    hits = {id(c) for a in root.iter(f"{SVG}a") for c in a.iter(f"{SVG}circle")}
    drawn = {(c.get("cx"), c.get("cy")): c for c in root.iter(f"{SVG}circle") if id(c) not in hits}
    return {
        a.get("href").rsplit("/reforms/", 1)[1].strip("/"): drawn[
            (a.find(f"{SVG}circle").get("cx"), a.find(f"{SVG}circle").get("cy"))
        ]
        for a in root.iter(f"{SVG}a")
        if "/reforms/" in a.get("href")
    }


def test_the_timeline_draws_a_reform_dated_before_its_recommendation_apart(client):
    content = make_content()
    svg = client.get(reverse("insights-chart", args=["answers-timeline", "svg"])).content
    marks = {slug: circle.get("class") for slug, circle in drawn_marks(svg).items()}
    assert "mark-before" in marks[content["b"].slug]  # 2018, before the report of June 2019
    assert "mark-before" not in marks[content["a"].slug]  # September 2019


def test_chart_colours_stand_out_from_the_page_and_carry_their_numbers():
    for colour in {c for palette in PALETTES.values() for c in palette.values()} | {REFORM, LINE}:
        assert contrast(colour, "#ffffff") >= 3, colour
        assert contrast(colour, text_on(colour)) >= 4.5, colour


def test_the_timeline_draws_only_answers_filled_and_says_each_relation(client):
    content = make_content()
    # c (September 2019, after the June 2019 report) answers by date, but is said to anticipate.
    Response.objects.filter(reform=content["c"]).update(relation="anticipates")
    svg = client.get(reverse("insights-chart", args=["answers-timeline", "svg"])).content
    circles = drawn_marks(svg)
    assert circles[content["c"].slug].get("fill") == "#ffffff"
    assert "mark-anticipates" in circles[content["c"].slug].get("class")
    assert circles[content["a"].slug].get("fill") != "#ffffff"
    rows = {r["reform"]: r["relation"] for r in chart_csv(client, "answers-timeline")}
    assert rows[content["c"].slug] == "anticipates"
    assert rows[content["a"].slug] == "answers"


def test_a_search_is_one_chip_and_the_year_legend_names_the_date_it_reads(client):
    make_content()
    page = client.get(reverse("insights"), {"q": "law"}).content.decode()
    assert page.count('aria-label="Remove filter Search: law"') == 1
    assert "Reforms: year of the earliest date" in page
    page = client.get(reverse("insights"), {"date_field": "adopted"}).content.decode()
    assert "Reforms: year of the adoption date" in page


def test_a_chart_download_is_an_attachment_named_for_the_chart_and_the_day(client):
    make_content()
    response = client.get(reverse("insights-chart", args=["status-by-area", "csv"]))
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="status-by-area-{today}.csv"'


# --- downloads that travel alone (issue 28, item 7) ---------------------------------------------
def svg_texts(content: bytes) -> list[str]:
    """Every line of text drawn in an SVG, in document order."""
    root = ET.fromstring(content)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("name", CHARTS)
def test_a_downloaded_chart_says_its_title_filters_source_date_and_licence(client, name):
    make_content()
    query = "?area=economy&audience=western"
    response = client.get(reverse("insights-chart", args=[name, "svg"]) + query)
    texts = svg_texts(response.content)
    title = ET.fromstring(response.content).find(f"{SVG}title").text
    assert texts[0] == title
    # Each chart names the filters of its own listing: areas for reforms, audiences for
    # recommendations.
    expected = "Area: Economy" if name in ("reforms-by-year", "status-by-area") else "Audience"
    assert any(t.startswith("Filters: ") and expected in t for t in texts), texts[:3]
    today = timezone.localdate()
    source = f"Source: Kazakhstan Reform Tracker (http://testserver/insights/{query}), "
    assert f"{source}{today.day} {today:%B %Y}" in texts
    assert any(t.startswith("Licence: CC BY 4.0 (https://creativecommons.org/") for t in texts)


def test_an_unfiltered_download_says_it_has_every_published_entry(client):
    make_content()
    texts = svg_texts(client.get(reverse("insights-chart", args=["scorecard", "svg"])).content)
    assert "All published entries." in texts


def test_single_series_bars_write_each_count_once(client):
    make_content()
    ReformFactory.create_batch(3, published=True, area="economy", adopted_on="2020")
    svg = client.get(reverse("insights-chart", args=["reforms-by-year", "svg"]) + "?area=economy")
    root = ET.fromstring(svg.content)
    bars = list(root.iter(f"{SVG}g"))
    bars = [g for g in bars if g.get("class") == "bar"]
    assert bars
    for bar in bars:
        counts = ["".join(t.itertext()) for t in bar.iter(f"{SVG}text")]
        numbers = [c for c in counts if c.isdigit()]
        # The year's label and its total, once; not the total again on its one segment.
        assert len(numbers) == len(set(numbers)), counts
    texts = svg_texts(svg.content)
    assert "3" in texts  # 2020's three reforms, written once
    # Two series on one bar: each segment's count, and the total.
    svg = client.get(reverse("insights-chart", args=["status-by-area", "svg"]))
    economy = next(
        g
        for g in ET.fromstring(svg.content).iter(f"{SVG}g")
        if g.get("class") == "bar" and "Economy" in "".join(g.itertext())
    )
    numbers = ["".join(t.itertext()) for t in economy.iter(f"{SVG}text")]
    *segments, total = [int(n) for n in numbers if n.isdigit()]
    assert len(segments) == 2 and sum(segments) == total, numbers


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert content[12:16] == b"IHDR"
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_downloads_as_png_drawn_from_its_svg(client, name):
    make_content()
    svg = client.get(reverse("insights-chart", args=[name, "svg"]) + "?area=economy")
    response = client.get(reverse("insights-chart", args=[name, "png"]) + "?area=economy")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="{name}-{today}.png"'
    root = ET.fromstring(svg.content)
    # Twice the SVG's size, for slides and high-density screens.
    assert png_size(response.content) == (2 * int(root.get("width")), 2 * int(root.get("height")))


def test_a_planted_draft_never_reaches_a_chart_download(client):
    make_content()
    urls = [reverse("insights-chart", args=[n, f]) for n in CHARTS for f in ("svg", "png", "csv")]
    before = {url: client.get(url).content for url in urls}
    draft_reform = ReformFactory(title="Planted draft reform", area="economy", adopted_on="2020")
    draft_rec = RecommendationFactory(title="Planted draft recommendation", themes=[])
    published_rec = RecommendationFactory._meta.model.objects.published().first()
    ResponseFactory(recommendation=published_rec, reform=draft_reform)
    published_reform = ReformFactory._meta.model.objects.published().first()
    ResponseFactory(recommendation=draft_rec, reform=published_reform)
    for url in urls:
        after = client.get(url).content
        assert b"Planted draft" not in after, url
        assert after == before[url], url
    # The comparison can fail: a published reform changes the same downloads.
    ReformFactory(published=True, area="economy", adopted_on="2020")
    url = reverse("insights-chart", args=["reforms-by-year", "png"])
    assert client.get(url).content != before[url]


def test_the_page_offers_an_embed_snippet_and_the_png(client):
    make_content()
    html = client.get(reverse("insights"), {"area": "economy"}).content.decode()
    assert 'href="/insights/scorecard.png?area=economy"' in html
    snippet = re.search(
        r'<textarea id="chart-status-by-area-embed"[^>]*>(.*?)</textarea>', html, re.S
    ).group(1)
    # Escaped once in the page: copied out, it is this HTML.
    assert snippet.startswith("&lt;figure&gt;&lt;img src=&quot;http://testserver/insights/")
    assert "status-by-area.svg?area=economy" in snippet
    assert "CC BY 4.0" in snippet and "Kazakhstan Reform Tracker" in snippet


def test_statuses_stack_in_the_order_a_reform_moves_through_them(client):
    make_content()
    svg = client.get(reverse("insights-chart", args=["status-by-area", "svg"])).content
    legend = next(g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "legend")
    labels = ["".join(t.itertext()) for t in legend.iter(f"{SVG}text")]
    # make_content has announced, adopted, implemented, stalled, reversed.
    assert labels == [
        "Announced",
        "Adopted (not yet shown working)",
        "Implemented",
        "Stalled",
        "Reversed",
    ]
    html = client.get(reverse("insights")).content.decode()
    section = html.split('id="status-by-area"')[1].split("</section>")[0]
    heads = re.findall(r'<th scope="col">([^<]+)</th>', section)
    assert heads[1:-1] == labels
