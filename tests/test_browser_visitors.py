"""What a visitor sees, in a real Chromium at 1366×900 (issue 28, items 1, 3, 9): facets that
never hide values in a scroll box, a new search sorted by relevance, the citation's copy button;
and the screenshots of the desktop listing and /about/ (written with SCREENSHOTS=1)."""

import re

import pytest

from institute.editorial.states import ReviewState
from tests.factories import RecommendationFactory, ResponseFactory, entry_in_state
from tests.support import screenshot
from tests.test_browser_review import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}


def facet_box(page, name: str) -> dict:
    """The facet's list as laid out: whether it scrolls, and which of its values are in view."""
    return page.eval_on_selector(
        f".facet-{name}",
        """el => {
            const list = el.querySelector('ul');
            const inside = [...list.querySelectorAll('li')].map(li => {
                const r = li.getBoundingClientRect(), l = list.getBoundingClientRect();
                return r.height > 0 && r.top >= l.top - 1 && r.bottom <= l.bottom + 1;
            });
            return {scrolls: list.scrollHeight > list.clientHeight + 1, shown: inside,
                    overflow: getComputedStyle(list).overflowY};
        }""",
    )


def test_short_facets_never_scroll_and_long_ones_say_how_many_more(
    live_server, browser_page, demo_content
):
    page = browser_page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/reforms/")
    status = facet_box(page, "status")
    assert not status["scrolls"], status
    assert len(status["shown"]) >= 6 and all(status["shown"]), status
    values = page.locator(".facet-status li")
    assert not page.locator(".facet-status .facet-more").count()
    for n in range(values.count()):
        assert values.nth(n).is_visible()
    listed = " ".join(values.all_inner_texts())
    for label in ("Announced", "Adopted (not yet shown working)", "Implemented", "Reversed"):
        assert label in listed

    screenshot(page, "listing-desktop.png")

    # The topics: the first ones listed, the rest behind a visible "N more" summary.
    more = page.locator(".facet-topic .facet-more summary")
    assert more.is_visible()
    hidden = int(re.match(r"(\d+) more", more.inner_text()).group(1))
    folded = page.locator(".facet-topic .facet-more li")
    assert folded.count() == hidden > 0
    assert not folded.first.is_visible()
    assert not facet_box(page, "topic")["scrolls"]
    more.click()
    assert folded.first.is_visible() and folded.last.is_visible()

    # A ticked value in the folded part keeps the fold open after the page reloads.
    value = folded.last.locator("input").get_attribute("value")
    folded.last.locator("input").check()
    page.wait_for_url(re.compile(rf"topic={value}"))
    assert page.locator(f".facet-topic input[value='{value}']").is_visible()


def test_a_new_search_is_sorted_by_relevance_unless_sorted_after_it(
    live_server, browser_page, demo_content
):
    page = browser_page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/reforms/")
    # The visitor sorts by title first (applies at once), then searches.
    page.select_option("#id_sort", "title")
    page.wait_for_url(re.compile(r"sort=title"))
    page.get_by_label("Search").fill("police")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"q=police"))
    assert page.locator("#id_sort").input_value() == "relevance"
    ranked = page.locator(".entry h2 a").all_inner_texts()
    # Then chooses an order for this search: it holds.
    page.select_option("#id_sort", "title")
    page.wait_for_url(re.compile(r"sort=title.*sort_for=police|sort_for=police.*sort=title"))
    assert page.locator("#id_sort").input_value() == "title"
    by_title = page.locator(".entry h2 a").all_inner_texts()
    assert by_title == sorted(by_title, key=str.casefold) or by_title == sorted(by_title)
    assert sorted(by_title) == sorted(ranked)


def test_cite_this_copies_the_citation(live_server, browser_page, demo_content):
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/reforms/peaceful-assemblies-notification-instead-of-permission/")
    button = page.get_by_role("button", name="Copy citation")
    assert button.is_visible()
    button.click()
    page.get_by_text("Copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#cite-text").inner_text().strip()
    assert copied.startswith("Kazakhstan Reform Tracker, “")


def test_about_page_screenshot(live_server, browser_page, demo_content):
    page = browser_page
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="About and methodology").click()
    page.wait_for_url(re.compile(r"/about/$"))
    assert page.get_by_role("heading", name="How a reform's status is given").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    screenshot(page, "about.png", full_page=True)


def test_the_reform_form_with_responses_fits_1366_px(live_server, browser_page, make_role_user):
    page = browser_page
    page.set_viewport_size(DESKTOP)
    make_role_user("contributor", username="carla")
    reform = entry_in_state("reform", ReviewState.DRAFT, title="Police answerable to assemblies")
    long_title = "Make the police answerable to elected local assemblies and courts " * 3
    for n in range(2):
        recommendation = RecommendationFactory(published=True, title=f"{long_title} {n}")
        ResponseFactory(reform=reform, recommendation=recommendation, note="A long note. " * 30)
    sign_in(page, live_server, "carla")
    page.goto(f"{live_server.url}/admin/reforms/reform/{reform.pk}/change/")
    rows = page.locator("#responses-group tr.form-row:not(.empty-form)")
    assert rows.count() == 2
    assert page.evaluate("document.scrollingElement.scrollWidth") <= DESKTOP["width"]
    delete = rows.first.locator("td.delete input[type=checkbox]")
    right = delete.evaluate("el => el.getBoundingClientRect().right")
    assert right <= DESKTOP["width"]
