"""Email alerts (issue 28, item 6): double opt-in, a daily digest of published changes only,
one-click unsubscribe, addresses kept only with consent. Every message goes over SMTP to a
real server in the test process (tests/smtp.py)."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from institute.alerts import services
from institute.alerts.models import Subscription
from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.versions import snapshot
from recommendations.models import Audience
from reforms.models import Area
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory, UserFactory
from tests.smtp import body_of, links_in
from tests.support import login

pytestmark = pytest.mark.django_db

ADDRESS = "reader@example.org"


@pytest.fixture
def publish(contributor, reviewer, publisher):
    """Publish an entry (or the working copy of a published one) through the workflow, so the
    public history records it as the site does."""

    def _publish(entry):
        workflow.submit_for_review(entry, by=contributor)
        workflow.approve(entry, by=reviewer)
        workflow.publish(entry, by=publisher)
        entry.refresh_from_db()
        return entry

    return _publish


@pytest.fixture
def edit(contributor):
    def _edit(entry, **changes):
        save_edit(entry, {**snapshot(entry), **changes}, by=contributor)
        return entry

    return _edit


def _confirm_link(inbox, address=ADDRESS) -> str:
    [message] = inbox.to(address)
    [link] = [url for url in links_in(message) if "/alerts/confirm/" in url]
    return link.removeprefix("http://testserver")


def _subscribe(client, inbox, url, address=ADDRESS) -> Subscription:
    response = client.post(url, {"email": address})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert "Check your inbox" in response.content.decode()
    link = _confirm_link(inbox, address)
    inbox.messages.clear()
    assert "Confirm" in client.get(link).content.decode()
    assert client.post(link).status_code == 200
    return Subscription.objects.get(email=address)


def test_a_search_alert_sends_only_published_changes_in_the_search(
    client, smtp_inbox, publish, edit, contributor
):
    followed = publish(ReformFactory(title="Tenge float widened", area=Area.ECONOMY))
    in_review = publish(ReformFactory(title="Published then edited", area=Area.ECONOMY))
    url = reverse("alerts:search", kwargs={"listing": "reforms"}) + "?area=economy&sort=title"
    page = client.get(url)
    assert "Area: Economy" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]

    # Asking stores nothing: the confirmation link carries the request.
    response = client.post(url, {"email": ADDRESS})
    assert response.status_code == 200
    assert not Subscription.objects.exists()
    [message] = smtp_inbox.to(ADDRESS)
    assert "Confirm your alert" in message["Subject"]
    link = _confirm_link(smtp_inbox)
    assert client.get(link).status_code == 200
    assert not Subscription.objects.exists()  # a link scanner's GET subscribes nobody
    client.post(link)
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.listing, subscription.query) == (
        ADDRESS,
        "reforms",
        "area=economy",
    )
    smtp_inbox.messages.clear()

    new = publish(ReformFactory(title="Customs union tariffs cut", area=Area.ECONOMY))
    publish(edit(followed, title="Tenge float widened further"))
    publish(ReformFactory(title="Ombudsman office created", area=Area.HUMAN_RIGHTS))
    ReformFactory(title="Planted economy draft", area=Area.ECONOMY)
    edit(in_review, title="Working copy never to be mailed")
    workflow.submit_for_review(in_review, by=contributor)

    out = io.StringIO()
    call_command("send_alerts", stdout=out)
    assert "1 sent" in out.getvalue()
    [digest] = smtp_inbox.to(ADDRESS)
    text = body_of(digest)
    assert "Updated: Tenge float widened further" in text
    assert f"New: {new.title}" in text
    assert digest["Subject"] == "2 changes to reforms, Area: Economy"
    for absent in ("Ombudsman", "Planted", "Working copy", "Published then edited"):
        assert absent not in text
    unsubscribe = reverse("alerts:unsubscribe", kwargs={"token": subscription.token})
    assert f"http://testserver{unsubscribe}" in text
    # (a long header is folded; unfolded, it may keep the fold's space)
    assert digest["List-Unsubscribe"].strip() == f"<http://testserver{unsubscribe}>"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Nothing new: nothing sent the next day.
    smtp_inbox.messages.clear()
    call_command("send_alerts", stdout=io.StringIO())
    assert smtp_inbox.messages == []


def test_a_new_entry_is_new_and_an_edited_one_updated(client, smtp_inbox, publish, edit):
    old = publish(ReformFactory(title="Older reform", area=Area.ECONOMY))
    _subscribe(client, smtp_inbox, reverse("alerts:search", kwargs={"listing": "reforms"}))
    publish(ReformFactory(title="Brand new reform"))
    publish(edit(old, title="Older reform, amended"))
    call_command("send_alerts", stdout=io.StringIO())
    [digest] = smtp_inbox.to(ADDRESS)
    assert digest["Subject"] == "2 changes to all reforms"
    text = body_of(digest)
    assert "New: Brand new reform" in text
    assert "Updated: Older reform, amended" in text


def test_an_entry_alert_follows_that_entry_only(client, smtp_inbox, publish, edit):
    mine = publish(RecommendationFactory(title="Release political prisoners"))
    other = publish(RecommendationFactory(title="Another recommendation"))
    url = reverse("alerts:entry", kwargs={"listing": "recommendations", "slug": mine.slug})
    assert (
        "Email me when this recommendation changes"
        in client.get(mine.get_absolute_url()).content.decode()
    )
    subscription = _subscribe(client, smtp_inbox, url)
    assert subscription.entry_id == mine.pk and subscription.query == ""
    publish(edit(other, title="Another, edited"))
    call_command("send_alerts", stdout=io.StringIO())
    assert smtp_inbox.messages == []
    publish(edit(mine, title="Release all political prisoners"))
    call_command("send_alerts", stdout=io.StringIO())
    [digest] = smtp_inbox.to(ADDRESS)
    assert "Updated: Release all political prisoners" in body_of(digest)


def test_no_alert_for_a_draft_entry(client, smtp_inbox):
    draft = ReformFactory(title="Planted draft")
    url = reverse("alerts:entry", kwargs={"listing": "reforms", "slug": draft.slug})
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": ADDRESS}).status_code == 404
    assert smtp_inbox.messages == []


def test_unsubscribing_deletes_the_address(client, smtp_inbox, publish):
    publish(ReformFactory())
    subscription = _subscribe(
        client, smtp_inbox, reverse("alerts:search", kwargs={"listing": "reforms"})
    )
    url = reverse("alerts:unsubscribe", kwargs={"token": subscription.token})
    page = client.get(url)
    assert ADDRESS in page.content.decode()
    assert Subscription.objects.exists()  # a GET (a link scanner) cancels nothing
    # The mail client's one-click: a POST without any CSRF token (RFC 8058).
    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "your address deleted" in response.content.decode()
    assert not Subscription.objects.filter(email=ADDRESS).exists()
    again = client.post(url)
    assert again.status_code == 404 and "already cancelled" in again.content.decode()


def test_bad_requests_get_clear_errors_and_store_nothing(client, smtp_inbox):
    url = reverse("alerts:search", kwargs={"listing": "reforms"})
    response = client.post(url, {"email": "not an address"})
    assert response.status_code == 400
    assert "valid email address" in response.content.decode()
    bad_filter = client.get(url + "?area=atlantis")
    assert bad_filter.status_code == 400 and "atlantis" in bad_filter.content.decode()
    assert client.get("/alerts/nowhere/").status_code == 404
    tampered = client.post(reverse("alerts:confirm", kwargs={"token": "abc:def"}))
    assert tampered.status_code == 400 and "changed" in tampered.content.decode()
    assert smtp_inbox.messages == [] and not Subscription.objects.exists()


def test_an_expired_confirmation_link_is_refused(client, smtp_inbox, monkeypatch):
    client.post(reverse("alerts:search", kwargs={"listing": "reforms"}), {"email": ADDRESS})
    link = _confirm_link(smtp_inbox)
    monkeypatch.setattr(services, "CONFIRM_MAX_AGE", timedelta(seconds=-1))  # days later
    response = client.post(link)
    assert response.status_code == 400 and "three days" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_mail_server_down_stores_nothing_and_says_so(client, smtp_down):
    response = client.post(
        reverse("alerts:search", kwargs={"listing": "reforms"}), {"email": ADDRESS}
    )
    assert response.status_code == 503
    assert "could not be sent" in response.content.decode()
    assert not Subscription.objects.exists()


def test_a_refused_digest_is_sent_again_on_the_next_run(client, smtp_inbox, publish):
    _subscribe(client, smtp_inbox, reverse("alerts:search", kwargs={"listing": "reforms"}))
    publish(ReformFactory(title="News that must arrive"))
    smtp_inbox.refuse.add(ADDRESS)
    with pytest.raises(CommandError, match="Not sent"):
        call_command("send_alerts", stdout=io.StringIO())
    assert smtp_inbox.messages == []
    smtp_inbox.refuse.clear()
    call_command("send_alerts", stdout=io.StringIO())
    [digest] = smtp_inbox.to(ADDRESS)
    assert "New: News that must arrive" in body_of(digest)


def test_addresses_are_in_no_export_and_the_admin_needs_the_permission(
    client, smtp_inbox, publish, make_role_user
):
    publish(ReformFactory())
    _subscribe(client, smtp_inbox, reverse("alerts:search", kwargs={"listing": "reforms"}))
    package = client.get(reverse("data-package"))
    assert package.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(package.streaming_content)))
    assert all(ADDRESS.encode() not in archive.read(name) for name in archive.namelist())
    dumped = io.StringIO()
    call_command("dumpdata", "--exclude", "institute.Subscription", stdout=dumped)
    assert ADDRESS not in dumped.getvalue()

    changelist = reverse("admin:institute_subscription_changelist")
    staff = UserFactory(is_staff=True)
    login(client, staff)
    assert client.get(changelist).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_subscription"))
    page = client.get(changelist)
    assert page.status_code == 200 and ADDRESS in page.content.decode()


def test_listing_pages_link_their_own_alert_and_feed(client, publish):
    publish(RecommendationFactory(audience=Audience.WESTERN))
    body = client.get(reverse("recommendations:list") + "?audience=western").content.decode()
    assert 'href="/alerts/recommendations/?audience=western"' in body
    assert 'href="/recommendations/feed/?audience=western"' in body


def test_an_alert_asked_for_in_russian_is_written_in_russian(client, smtp_inbox, publish):
    publish(ReformFactory(title="Tenge float widened", title_ru="Расширен коридор тенге"))
    response = client.post("/ru/alerts/reforms/?area=economy", {"email": ADDRESS})
    assert response.status_code == 200
    [message] = smtp_inbox.to(ADDRESS)
    assert "Подтвердите" in message["Subject"], message["Subject"]
    link = _confirm_link(smtp_inbox)
    assert link.startswith("/ru/alerts/confirm/")
    smtp_inbox.messages.clear()
    client.post(link)
    assert Subscription.objects.get().language == "ru"
    publish(ReformFactory(title="Customs tariffs cut", title_ru="Снижены таможенные пошлины"))
    call_command("send_alerts", stdout=io.StringIO())
    [digest] = smtp_inbox.to(ADDRESS)
    text = body_of(digest)
    assert "Снижены таможенные пошлины" in text, text
    assert "http://testserver/ru/reforms/" in text
    assert "Новое: Снижены таможенные пошлины" in text


def test_a_search_whose_recommendation_is_archived_follows_nothing_else(
    client, smtp_inbox, publish, edit, publisher
):
    """An alert on one recommendation's reforms (`responds_to`) sends their changes; once the
    recommendation is archived, the search cannot be asked any more, and the alert does not
    widen to every reform (which the listing, dropping the filter, would show)."""
    rec = RecommendationFactory(slug="open-courts", title="Open the courts", published=True)
    linked = publish(ReformFactory(title="Court law"))
    ResponseFactory(recommendation=rec, reform=linked)
    url = reverse("alerts:search", kwargs={"listing": "reforms"}) + "?responds_to=open-courts"
    assert "Open the courts" in client.get(url).content.decode()
    subscription = _subscribe(client, smtp_inbox, url)
    assert subscription.query == "responds_to=open-courts"

    publish(edit(linked, title="Court law amended"))
    publish(ReformFactory(title="Unrelated tax reform"))
    call_command("send_alerts", stdout=io.StringIO())
    [digest] = smtp_inbox.to(ADDRESS)
    assert "Court law amended" in body_of(digest)
    assert "Unrelated" not in body_of(digest)
    smtp_inbox.messages.clear()

    workflow.archive(rec, by=publisher)
    publish(edit(linked, title="Court law amended again"))
    publish(ReformFactory(title="Another unrelated reform"))
    out = io.StringIO()
    call_command("send_alerts", stdout=out)
    assert smtp_inbox.messages == []
