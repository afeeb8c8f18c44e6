"""The publisher's and reviewer's screen in a real Chromium (issue 28, item 13): one comment box
whose requirement follows the move pressed; "Archive (unpublish)" apart from the other moves,
in another colour, and asked again before anything changes."""

import pytest

from institute.editorial.states import ReviewState
from tests.factories import entry_in_state
from tests.test_browser_review import sign_in, state_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _background(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def test_archive_stands_apart_and_is_confirmed(live_server, browser_page, make_role_user):
    page = browser_page
    make_role_user("publisher", username="paul")
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Tenge float widened")
    change_url = f"{live_server.url}/admin/reforms/reform/{reform.pk}/change/"
    public_url = f"{live_server.url}{reform.get_absolute_url()}"
    sign_in(page, live_server, "paul")
    page.goto(change_url)

    assert page.locator("#review-form textarea").count() == 1  # one comment box
    archive = page.locator('[data-move="archive"]')
    others = page.locator(".review-buttons [data-move]")
    assert archive.count() == 1 and others.count() >= 1
    assert page.locator('.review-buttons [data-move="archive"]').count() == 0  # apart
    assert _background(archive) != _background(others.first)  # styled apart
    assert archive.bounding_box()["y"] > others.first.bounding_box()["y"]

    # The first press asks again; nothing has changed yet.
    page.locator("#review-comment").fill("Superseded by the 2024 law.")
    archive.click()
    page.wait_for_selector("#confirm-move")
    assert "off the public site" in page.locator("#confirm-move").inner_text()
    assert page.locator("#confirm-comment").input_value() == "Superseded by the 2024 law."
    assert page.request.get(public_url).status == 200
    reform.refresh_from_db()
    assert reform.review_state == ReviewState.PUBLISHED

    # "No" goes back with the entry still public; "Yes" archives it.
    page.get_by_role("link", name="No, keep it public").click()
    assert state_of(page) == "Published"
    page.locator('[data-move="archive"]').click()
    page.locator('[data-confirm="yes"]').click()
    assert state_of(page) == "Archived"
    assert page.request.get(public_url).status == 404


def test_the_comment_is_required_only_for_a_move_that_needs_one(
    live_server, browser_page, make_role_user
):
    page = browser_page
    make_role_user("reviewer", username="rita")
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, title="Land code moratorium")
    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/admin/reforms/reform/{reform.pk}/change/")
    box = page.locator("#review-comment")
    assert page.locator("#review-form textarea").count() == 1

    # Request changes with nothing written: the browser stops it, and says what is missing.
    page.locator('[data-move="request_changes"]').click()
    assert box.evaluate("element => element.validity.valueMissing") is True
    assert page.locator("#review-comment-label").inner_text() == "What to change (required)"
    reform.refresh_from_db()
    assert reform.review_state == ReviewState.IN_REVIEW

    # Approve needs no comment: the same empty box lets it through.
    page.locator('[data-move="approve"]').click()
    page.wait_for_selector(".messagelist")
    reform.refresh_from_db()
    assert reform.is_approved


def test_an_editor_sees_edit_on_public_pages_and_previews_work_in_review(
    live_server, browser_page, chromium_browser, make_role_user
):
    page = browser_page
    make_role_user("reviewer", username="rita")
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Tenge float widened")
    public_url = f"{live_server.url}{reform.get_absolute_url()}"

    anonymous = chromium_browser.new_page()
    anonymous.goto(public_url)
    assert anonymous.locator("[data-edit-link]").is_hidden()
    anonymous.close()

    sign_in(page, live_server, "rita")
    page.goto(public_url)
    edit = page.get_by_role("link", name="Edit this reform")
    assert edit.is_visible()
    edit.click()
    assert state_of(page) == "Published"
    page.locator("#preview-link").click()
    # A click returns once the next page has started, not loaded: is_visible() does not wait.
    page.wait_for_load_state()
    assert page.locator("#preview-banner").is_visible()
    assert "not public" in page.locator("#preview-banner").inner_text()
    assert page.locator("h1").inner_text() == "Tenge float widened"
