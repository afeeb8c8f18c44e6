"""The subscription flow in a real Chromium, with a real SMTP server in the test process: ask
from a filtered listing, confirm from the email, get a digest, unsubscribe from it. Its
screenshots are docs/alerts-*.png (`make screenshots`)."""

import io
import re

import pytest
from django.core.management import call_command

from institute.alerts.models import Subscription
from institute.editorial import workflow
from reforms.models import Area
from tests.factories import ReformFactory
from tests.smtp import links_in
from tests.support import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = "journalist@example.org"


def test_a_visitor_subscribes_to_a_search_and_unsubscribes_from_the_digest(
    live_server, browser_page, demo_content, smtp_inbox, settings, contributor, reviewer, publisher
):
    settings.SITE_URL = live_server.url
    page = browser_page
    page.goto(f"{live_server.url}/reforms/?area=economy")
    page.locator("#alert-link").click()
    page.wait_for_url(re.compile(r"/alerts/reforms/\?area=economy"))
    assert "Area: Economy" in page.locator("h1").inner_text()
    page.get_by_label("Your email address").fill(ADDRESS)
    screenshot(page, "alerts-subscribe.png")
    page.get_by_role("button", name="Send me the confirmation link").click()
    assert ADDRESS in page.locator("#check-inbox").inner_text()
    assert not Subscription.objects.exists()

    [message] = smtp_inbox.to(ADDRESS)
    [confirm] = [url for url in links_in(message) if "/alerts/confirm/" in url]
    page.goto(confirm)
    assert not Subscription.objects.exists()
    page.get_by_role("button", name="Confirm").click()
    assert "Area: Economy" in page.locator("#confirmed").inner_text()
    screenshot(page, "alerts-confirmed.png")
    assert Subscription.objects.get().email == ADDRESS

    reform = ReformFactory(title="Windfall tax on exporters abolished", area=Area.ECONOMY)
    workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    ReformFactory(title="Planted economy draft", area=Area.ECONOMY)
    smtp_inbox.messages.clear()
    call_command("send_alerts", stdout=io.StringIO())
    [digest] = smtp_inbox.to(ADDRESS)
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert "New: Windfall tax on exporters abolished" in text and "Planted" not in text
    [unsubscribe] = [url for url in links_in(digest) if "/alerts/unsubscribe/" in url]

    page.goto(unsubscribe)
    screenshot(page, "alerts-unsubscribe.png")
    page.get_by_role("button", name="Unsubscribe and delete my address").click()
    assert "your address deleted" in page.locator("#unsubscribed").inner_text()
    assert not Subscription.objects.exists()
