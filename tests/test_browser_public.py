"""A visitor's path through the public site, in a real Chromium, with an accessibility scan."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def result_count(page) -> int:
    return int(re.match(r"(\d+)", page.locator("#result-count").inner_text()).group(1))


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s)"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def test_visitor_filters_searches_and_follows_evidence(live_server, browser_page, demo_content):
    page = browser_page
    page.goto(f"{live_server.url}/reforms/")
    total = result_count(page)
    assert total > 50

    # Ticking a facet applies it at once (JavaScript), and the URL carries the state.
    page.get_by_role("checkbox", name=re.compile(r"^Human rights")).check()
    page.wait_for_url(re.compile(r"area=human-rights"))
    by_area = result_count(page)
    assert 0 < by_area < total

    page.get_by_label("From").fill("2019")
    page.get_by_label("to", exact=True).fill("2020")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"year_from=2019.*year_to=2020|year_to=2020.*year_from=2019"))
    by_years = result_count(page)
    assert 0 < by_years <= by_area
    filtered_url = page.url

    # Reloading the URL reproduces the view.
    page.reload()
    assert result_count(page) == by_years
    assert page.get_by_role("checkbox", name=re.compile(r"^Human rights")).is_checked()

    # A phrase search, then the reform, then the recommendation it answers.
    page.get_by_label("Search").fill("peaceful assemblies")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"q=peaceful"))
    assert result_count(page) >= 1
    page.locator(".entry h2 a").first.click()
    assert page.locator("h1").inner_text().startswith("Law on peaceful assemblies")
    assert page.get_by_role("heading", name="Sources").is_visible()
    page.locator(".responses a").first.click()
    page.wait_for_url(re.compile(r"/recommendations/[\w-]+/$"))
    assert page.get_by_role("heading", name="Reforms that answer it").is_visible()
    answers = page.get_by_role("region", name="Reforms that answer it")
    assert "peaceful assemblies" in answers.locator(".timeline").inner_text().lower()

    # Its reforms in the listing, to filter and download: a facet ticked keeps them.
    linked = page.locator(".timeline > li").count()
    page.locator("#responses-listing").click()
    page.wait_for_url(re.compile(r"/reforms/\?responds_to=[\w-]+$"))
    assert result_count(page) == linked
    assert "linked to the recommendation" in page.locator("#answer-scope").inner_text()
    page.get_by_role("checkbox", name=re.compile(r"^Human rights")).check()
    page.wait_for_url(re.compile(r"area=human-rights"))
    assert "responds_to=" in page.url
    assert 0 < result_count(page) <= linked

    page.goto(filtered_url)
    assert result_count(page) == by_years


@pytest.mark.parametrize("language", ["", "/ru", "/kk"])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/reforms/",
        "/reforms/?area=economy&q=tenge",
        "/reforms/peaceful-assemblies-notification-instead-of-permission/",
        "/recommendations/",
        "/recommendations/tracker/",
        "/recommendations/gov-free-assembly-dissent-political-prisoners/",
        "/reforms/?responds_to=gov-free-assembly-dissent-political-prisoners",
    ],
)
def test_pages_have_no_serious_accessibility_violations(
    live_server, browser_page, demo_content, language, path
):
    response = browser_page.goto(f"{live_server.url}{language}{path}")
    assert response.status == 200
    assert serious_violations(browser_page) == []


@pytest.mark.parametrize("language", ["", "/ru", "/kk"])
def test_listing_is_usable_on_a_phone(live_server, browser_page, demo_content, language):
    browser_page.set_viewport_size({"width": 375, "height": 740})
    browser_page.goto(f"{live_server.url}{language}/reforms/")
    width = browser_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    browser_page.keyboard.press("Tab")
    assert browser_page.evaluate("document.activeElement.className") == "skip-link"


def test_a_visitor_switches_to_russian_and_keeps_the_filters(
    live_server, browser_page, demo_content
):
    page = browser_page
    page.goto(f"{live_server.url}/reforms/?area=human-rights&sort=title")
    english = result_count(page)
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Русский").click()
    page.wait_for_url(re.compile(r"/ru/reforms/\?area=human-rights&sort=title$"))
    assert page.locator("html").get_attribute("lang") == "ru"
    assert result_count(page) == english
    assert page.get_by_role("checkbox", name=re.compile(r"^Права человека")).is_checked()
    # A search in Russian, then the reform in Russian.
    page.get_by_label("Поиск").fill("пытк")
    page.get_by_role("button", name="Применить фильтры").click()
    page.wait_for_url(re.compile(r"q=%D0%BF"))
    page.locator(".entry h2 a", has_text="пыткам").first.click()
    assert page.locator("h1").inner_text() == "Политика нулевой терпимости к пыткам"
    # Back to English: the same page, and it stays English (the first visit is over).
    page.get_by_role("navigation", name="Язык").get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/reforms/zero-tolerance-policy-on-torture/$"))
    assert page.locator("h1").inner_text() == "Zero-tolerance policy on torture"
