"""The review flow in a real Chromium: a contributor submits, a reviewer requests changes, the
contributor fixes and resubmits, the reviewer approves, a publisher publishes, and the public
page shows it."""

import re

import pytest

from institute.editorial.states import ReviewState
from reforms.models import Reform
from tests.factories import entry_in_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's


def sign_in(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def state_of(page) -> str:
    return page.locator(".review-state").inner_text()


def test_review_flow_from_draft_to_public_page(live_server, browser_page, make_role_user):
    page = browser_page
    carla = make_role_user("contributor", username="carla")
    make_role_user("reviewer", username="rita")
    make_role_user("publisher", username="paul")
    reform = entry_in_state(
        "reform", ReviewState.DRAFT, title="Land code moratorium", created_by=carla
    )
    change_url = f"{live_server.url}/admin/reforms/reform/{reform.pk}/change/"
    public_url = f"{live_server.url}{reform.get_absolute_url()}"

    # Not public while a draft.
    assert page.goto(public_url).status == 404

    # The contributor submits it.
    sign_in(page, live_server, "carla")
    page.goto(change_url)
    assert state_of(page) == "Draft"
    assert page.locator('[data-move="publish"]').count() == 0
    page.locator('[data-move="submit"]').click()
    assert state_of(page) == "In review"

    # The reviewer finds it in the queue and requests changes, saying what.
    sign_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/admin/institute/reviewevent/queue/")
    page.get_by_role("link", name="Land code moratorium").click()
    page.wait_for_load_state()  # count() does not wait for the page the click opened
    assert page.locator('[data-move="publish"]').count() == 0
    request_form = page.locator("form", has=page.locator('[data-move="request_changes"]'))
    request_form.locator("textarea").fill("Give the year of the moratorium in the title.")
    request_form.locator('[data-move="request_changes"]').click()
    assert state_of(page) == "Changes requested"
    assert "Give the year of the moratorium" in page.locator("#review-log").inner_text()

    # The contributor fixes the title and resubmits.
    sign_in(page, live_server, "carla")
    page.goto(change_url)
    page.locator("#id_title").fill("Land code moratorium (2016)")
    page.locator('input[name="_continue"]').click()
    page.wait_for_load_state()
    assert page.locator("#id_title").input_value() == "Land code moratorium (2016)"
    page.locator('[data-move="submit"]').click()
    assert state_of(page) == "In review"

    # Another reviewer's approval of this version is what lets it be published.
    sign_in(page, live_server, "rita")
    page.goto(change_url)
    assert page.locator(".review-approval").get_attribute("data-approved") == "no"
    page.locator('[data-move="approve"]').click()
    assert page.locator(".review-approval").get_attribute("data-approved") == "yes"

    # The publisher sees the change and publishes.
    sign_in(page, live_server, "paul")
    page.goto(change_url)
    assert "Land code moratorium (2016)" in page.locator("#review-diff").inner_text()
    page.locator('[data-move="publish"]').click()
    assert state_of(page) == "Published"

    # The public page shows it.
    page.context.clear_cookies()
    assert page.goto(public_url).status == 200
    assert page.get_by_role("heading", name="Land code moratorium (2016)").is_visible()
    reform.refresh_from_db()
    assert reform.review_state == Reform.objects.published().get(pk=reform.pk).review_state
