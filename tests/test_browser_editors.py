"""The editors' admin screens in a real Chromium (issue 14, "Editors"): the change form fits a
laptop's screen, and what a reviewer sees of a working copy's evidence (saved as a screenshot
for the docs)."""

import pytest

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from reforms.models import Reform
from tests.factories import CitationFactory, entry_in_state
from tests.support import screenshot
from tests.test_browser_review import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
# Test text, not content: long enough to widen any cell that does not wrap it.
LONG_QUOTE = "A long quote that wraps in its cell instead of widening the form. " * 6


def page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_the_entry_forms_fit_a_laptop_screen(live_server, browser_page, make_role_user):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    make_role_user("contributor", username="carla")
    reform = entry_in_state("reform", ReviewState.DRAFT, title="Land code moratorium")
    CitationFactory(
        reform=reform, locator="A long locator, chapter and section " * 6, quote=LONG_QUOTE
    )
    sign_in(page, live_server, "carla")

    page.goto(f"{live_server.url}/admin/reforms/reform/add/")
    citations = page.locator("#citations-group")
    # A new entry starts with one empty citation row to fill in.
    assert citations.locator("tr.form-row:not(.empty-form)").count() == 1
    assert page_width(page) <= LAPTOP["width"]

    page.goto(f"{live_server.url}/admin/reforms/reform/{reform.pk}/change/")
    assert citations.locator("tr.form-row:not(.empty-form)").count() == 1  # no extra row here
    assert page_width(page) <= LAPTOP["width"]

    page.goto(f"{live_server.url}/admin/recommendations/recommendation/add/")
    assert citations.locator("tr.form-row:not(.empty-form)").count() == 1
    assert page_width(page) <= LAPTOP["width"]


# The seed's words (000_e71fe138608bcaf0.txt, lines 2464-2466), without the footnote number.
CPI_PASSAGE = (
    "Between 2007 and 2018, the country’s rank hovered anywhere between 120 and 150 out of 180 "
    "countries. In 2019, the country jumped to 113 and again in 2020 to 94"
)


def test_a_reviewer_sees_the_evidence_under_review(
    live_server, browser_page, make_role_user, demo_content
):
    """A working copy of a published reform quotes more of its source: the reviewer sees the
    copy's citations (not an empty table, not the published ones) and the diff; the page is
    saved as docs/review-screen.png."""
    page = browser_page
    page.set_viewport_size(LAPTOP)
    carla = make_role_user("contributor", username="carla")
    make_role_user("reviewer", username="rita")
    reform = Reform.objects.get(slug="anti-corruption-strategy-2015-2025")
    data = snapshot(reform)
    cpi = next(row for row in data["citations"] if "113" in row["quote"])
    cpi["quote"] = CPI_PASSAGE
    cpi["supports"] = "Corruption Perceptions Index ranks from 2007 to 2020, given in the body"
    save_edit(reform, data, by=carla)
    workflow.submit_for_review(reform, by=carla)

    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/admin/reforms/reform/{reform.pk}/change/")
    assert page.locator(".review-state").inner_text() == "In review"
    citations = page.locator("#citations-group")
    rows = citations.locator("tr.form-row:not(.empty-form)")
    assert rows.count() == len(data["citations"])
    assert CPI_PASSAGE in citations.inner_text()
    assert citations.locator("textarea, input[type=text]").count() == 0  # read-only
    assert not any(link.is_visible() for link in citations.locator(".inline-deletelink").all())
    diff = page.locator('#review-diff tr[data-field="citations"]')
    assert "In 2019, the country jumped to 113 and again in 2020 to 94" in diff.inner_text()
    assert "out of 180 countries" in diff.locator(".diff-new").inner_text()
    assert "out of 180 countries" not in diff.locator(".diff-old").inner_text()
    words = page.locator('#review-diff tr[data-words-of="citations"]')
    assert words.locator("ins").first.inner_text().startswith("Between 2007 and 2018,")
    assert page_width(page) <= LAPTOP["width"]
    screenshot(page, "review-screen.png", full_page=True)
