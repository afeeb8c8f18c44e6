"""A phone (390 × 844) in a real Chromium: no public page scrolls sideways, every chart fits its
frame with its data drawn inside it, the chart filters fold away, the listings' Apply button
stays in reach, and a downloaded chart's picture for docs/ (SCREENSHOTS=1; the phone listing's is
test_browser_layout's).
"""

import pytest

from tests.support import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Pages reached without a link from the header or footer: one of each kind of detail page.
DETAILS = ("reforms:detail", "recommendations:detail")


def public_pages(page, base: str) -> list[str]:
    """The site's own pages linked from the home page's header and footer (so a page added to
    the navigation is checked too), the data and chart pages, and a detail page of each kind."""
    page.goto(f"{base}/")
    found = page.eval_on_selector_all(
        "header a[href^='/'], footer a[href^='/'], main a[href^='/reforms/'], "
        "main a[href^='/recommendations/']",
        "links => links.map(a => a.getAttribute('href'))",
    )
    paths = {"/", "/reforms/", "/recommendations/", "/recommendations/tracker/", "/insights/"}
    paths |= {"/data/", "/api/v1/docs/"}
    # One visit a page: a fragment is the same document, and the home page's charts link the
    # listings under every filter of their bars (the listing itself is visited).
    paths |= {p.split("#")[0] for p in found if not p.startswith("/admin") and "?" not in p}
    return sorted(paths)


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_no_public_page_scrolls_sideways_on_a_phone(live_server, browser_page, demo_content):
    from recommendations.models import Recommendation
    from reforms.models import Reform

    page = browser_page
    page.set_viewport_size(PHONE)
    paths = public_pages(page, live_server.url)
    paths += [
        f"/reforms/{Reform.objects.published().order_by('slug').first().slug}/",
        f"/recommendations/{Recommendation.objects.published().order_by('slug').first().slug}/",
    ]
    assert len(paths) >= 9
    wide = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        if scroll_width(page) > PHONE["width"]:
            wide[path] = scroll_width(page)
    assert wide == {}


# The drawn data of a chart: bar segments and timeline marks.
DATA = "rect.segment, circle.mark"


@pytest.mark.parametrize("path", ["/insights/", "/"])
def test_each_chart_fits_its_frame_with_its_data_visible(
    live_server, browser_page, demo_content, path
):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{path}")
    frames = page.locator(".chart-frame")
    assert frames.count() == 4
    for i in range(4):
        frame = frames.nth(i)
        frame.scroll_into_view_if_needed()
        box = frame.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # The frame does not scroll: all of the chart is in it.
        assert frame.evaluate("f => f.scrollWidth <= f.clientWidth"), i
        charts = frame.locator("svg.chart:visible")
        assert charts.count() == 1
        chart = charts.first.bounding_box()
        assert chart["x"] >= box["x"] - 0.5
        assert chart["x"] + chart["width"] <= box["x"] + box["width"] + 0.5
        # Every mark of data is drawn, and inside the frame (not off to its side).
        shapes = (
            frame.locator("svg.chart:visible")
            .locator(DATA)
            .evaluate_all(
                "els => els.map(e => { const r = e.getBoundingClientRect();"
                " return [r.left, r.right, r.width, r.height]; })"
            )
        )
        assert shapes, f"chart {i} draws no data"
        for left, right, width, height in shapes:
            assert width > 0 and height > 0
            assert box["x"] - 0.5 <= left and right <= box["x"] + box["width"] + 0.5
        # Its labels are still read at a phone's size: the drawing is not shrunk below 80%.
        scale = frame.locator("svg.chart:visible").evaluate(
            "s => s.getBoundingClientRect().width / s.viewBox.baseVal.width"
        )
        assert scale >= 0.8, scale


def test_the_year_chart_shows_its_years_with_data_on_a_phone(
    live_server, browser_page, demo_content
):
    """The first round opened the year chart on its empty first decade: now its last bar, the
    busiest years, is in view beside its first."""
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/insights/")
    frame = page.locator("#reforms-by-year .chart-frame")
    box = frame.bounding_box()
    bars = frame.locator("svg.chart:visible g.bar").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().right)"
    )
    assert len(bars) > 10
    assert max(bars) <= box["x"] + box["width"] + 0.5


def test_on_a_phone_the_first_chart_is_on_the_first_screen(live_server, browser_page, demo_content):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/insights/?area=economy")
    top = page.locator(".chart-frame").first.bounding_box()["y"]
    assert top < PHONE["height"], top
    assert "(1 active)" in page.locator(".filters-panel > summary").inner_text()
    # The filters open from their summary, and apply.
    page.locator(".filters-panel > summary").click()
    page.get_by_role("checkbox", name="Human rights", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**area=human-rights**")


@pytest.mark.parametrize("path", ["/reforms/", "/recommendations/"])
def test_the_listing_apply_button_stays_in_reach(live_server, browser_page, demo_content, path):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{path}")
    page.locator(".filters-panel > summary").click()
    button = page.get_by_role("button", name="Apply filters")
    # Opened, the panel is taller than the screen, yet the button is on it without scrolling.
    panel = page.locator(".filters-panel").bounding_box()
    assert panel["height"] > PHONE["height"]
    box = button.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    # And it is the button, not something over it, that a tap reaches.
    assert button.evaluate(
        "b => { const r = b.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b; }"
    )


def test_a_downloaded_chart_as_its_picture(live_server, browser_page, demo_content):
    """The PNG download, opened as a visitor would: an image with its credit drawn in."""
    page = browser_page
    response = page.request.get(f"{live_server.url}/insights/status-by-area.png?area=economy")
    assert response.status == 200
    assert response.headers["content-type"] == "image/png"
    page.set_content(
        '<img id="chart" alt="chart" src="data:image/png;base64,'
        + __import__("base64").b64encode(response.body()).decode()
        + '">'
    )
    size = page.locator("#chart").evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size[0] == 1920 and size[1] > 300
    screenshot(page.locator("#chart"), "chart-download.png")
