"""/insights/ in a real Chromium: the four charts drawn from the demo content, no serious
accessibility violation, a bar's count is the count of the listing it opens, and a screenshot
for the documentation (docs/insights.png)."""

import re

import pytest

from tests.support import screenshot
from tests.test_browser_public import result_count, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_insights_renders_accessibly_and_its_bars_lead_to_their_rows(
    live_server, browser_page, demo_content
):
    page = browser_page
    response = page.goto(f"{live_server.url}/insights/")
    assert response.status == 200
    charts = page.locator("svg[role=img]:visible")
    assert charts.count() == 4
    for i in range(4):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
    assert serious_violations(page) == []
    screenshot(page, "insights.png", full_page=True)

    # A segment of the status chart, followed: the listing shows as many rows as it says.
    segment = page.locator("#status-by-area .chart-wide svg a").nth(1)
    label = segment.locator("title").first.text_content()
    count = int(re.search(r": (\d+) reforms?$", label).group(1))
    segment.click()
    page.wait_for_url(re.compile(r"/reforms/\?.*status="))
    assert result_count(page) == count

    # A label, clicked where its words end, opens what it names: the layer of links over the
    # drawing holds the box each label is written in, not a copy of its words.
    page.goto(f"{live_server.url}/insights/")
    for chart, opens in (
        ("status-by-area", r"/reforms/\?.*area=economy"),
        ("answers-timeline", r"/recommendations/[^/?]+/$"),
    ):
        drawn = page.locator(
            f"#{chart} .chart-wide svg.chart g.row text, #{chart} .chart-wide svg.chart g.bar text"
        )
        label = drawn.filter(has_text="Economy").first if chart == "status-by-area" else drawn.first
        label.scroll_into_view_if_needed()
        box = label.bounding_box()  # in the viewport's coordinates, as the mouse's are
        page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
        page.wait_for_url(re.compile(opens))
        page.go_back()

    # The page's own filters: ticking an area applies it (the listings' script), and the
    # status chart then has that area's bar alone.
    page.goto(f"{live_server.url}/insights/")
    page.get_by_role("checkbox", name="Economy", exact=True).check()
    page.wait_for_url(re.compile(r"area=economy"))
    assert page.locator("#status-by-area svg.chart:visible g.bar").count() == 1

    # The table holds the same numbers for the keyboard; opened, it is still accessible.
    page.goto(f"{live_server.url}/insights/?area=human-rights")
    page.locator("#scorecard .chart-data summary").click()
    assert page.locator("#scorecard table").is_visible()
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", ["/", "/insights/"])
def test_charts_fit_a_phone(live_server, browser_page, demo_content, path):
    """The page does not scroll sideways: a chart wider than the screen scrolls in its own
    frame, which the keyboard can reach."""
    browser_page.set_viewport_size({"width": 375, "height": 740})
    browser_page.goto(f"{live_server.url}{path}")
    assert browser_page.locator("svg[role=img]:visible").count() == 4
    assert browser_page.evaluate("document.documentElement.scrollWidth") <= 375
    assert serious_violations(browser_page) == []
