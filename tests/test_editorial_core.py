"""The editorial core's promises (issue 22), each through a public surface: the content loader
never undoes editorial work (finding 1); stored history cannot be changed (3); every publish
records the version that went live, so what the public saw is read from history alone (4); no
one approves work they wrote any part of (10)."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.history import public_version_at
from institute.editorial.models import (
    EntryVersion,
    HistoryIsAppendOnly,
    PendingRevision,
    Publication,
    ReviewEvent,
)
from institute.editorial.publication_backfill import record_publications
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from institute.sources.models import Citation, Source
from reforms.models import Area, Reform, SecondaryArea

pytestmark = pytest.mark.django_db

SEED = """
topics:
  - {slug: farming, name: Farming, area: economy}
sources:
  - slug: report-2021
    title: A report
    kind: report
    published_on: "2021"
reforms:
  - slug: farm-law
    title: Farm law
    summary: A law for farms.
    area: economy
    topics: [farming]
    status: adopted
    adopted_on: "2020"
  - slug: farm-credit
    title: Farm credit
    summary: Credit for farms.
    area: economy
    status: announced
"""


def load(tmp_path, text: str = SEED, *options: str) -> str:
    (tmp_path / "seed.yaml").write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("load_content", str(tmp_path), *options, stdout=out)
    return out.getvalue()


def public_title(slug: str) -> str:
    page = Client().get(f"/reforms/{slug}/")
    assert page.status_code == 200
    return page.context["reform"].title


def review_and_publish(entry, *, author, reviewer, publisher):
    workflow.submit_for_review(entry, by=author)
    workflow.approve(entry, by=reviewer)
    workflow.publish(entry, by=publisher)


# --- finding 1: the demo content is seed data, not the record ---------------------------------


def test_loading_again_keeps_what_editors_published(
    tmp_path, contributor, reviewer, publisher, client
):
    load(tmp_path)
    reform = Reform.objects.get(slug="farm-law")
    save_edit(reform, {**snapshot(reform), "title": "Farm law (as amended)"}, by=contributor)
    review_and_publish(reform, author=contributor, reviewer=reviewer, publisher=publisher)
    assert public_title("farm-law") == "Farm law (as amended)"
    versions, events = EntryVersion.objects.count(), ReviewEvent.objects.count()

    out = load(tmp_path)

    assert "reforms: 0 new, 0 updated, 1 unchanged, 1 changed in the files but kept" in out
    assert public_title("farm-law") == "Farm law (as amended)"
    assert (EntryVersion.objects.count(), ReviewEvent.objects.count()) == (versions, events)


def test_loading_again_publishes_no_unsubmitted_working_copy(tmp_path, contributor):
    load(tmp_path)
    reform = Reform.objects.get(slug="farm-law")
    source = Source.objects.get(slug="report-2021")
    Citation.objects.create(reform=reform, source=source, locator="p. 9")  # a row editors added
    working = {
        **snapshot(reform),
        "title": "Unreviewed title",
        "secondary_areas": [{"area": Area.HUMAN_RIGHTS}],
    }
    save_edit(reform, working, by=contributor)  # saved, never submitted

    load(tmp_path)

    reform.refresh_from_db()
    assert reform.title == "Farm law"
    assert not SecondaryArea.objects.filter(reform=reform).exists()
    listing = Client().get("/reforms/", {"area": Area.HUMAN_RIGHTS}).content.decode()
    assert "Farm law" not in listing and "Unreviewed title" not in listing
    assert "Also filed under" not in Client().get("/reforms/farm-law/").content.decode()
    copy = PendingRevision.objects.for_entry(reform).get()
    assert (copy.data["title"], copy.state) == ("Unreviewed title", ReviewState.DRAFT)
    assert Citation.objects.filter(reform=reform, locator="p. 9").exists()


def test_update_proposes_the_changed_file_for_review_and_publishes_nothing(tmp_path, reviewer):
    load(tmp_path)
    out = load(tmp_path, SEED.replace("A law for farms.", "A law for all farms."), "--update")
    assert "reforms: 0 new, 1 updated, 1 unchanged" in out
    reform = Reform.objects.get(slug="farm-law")
    assert reform.summary == "A law for farms."  # the public row is untouched
    copy = PendingRevision.objects.for_entry(reform).get()
    assert (copy.data["summary"], copy.state) == ("A law for all farms.", ReviewState.IN_REVIEW)
    note = ReviewEvent.objects.for_entry(reform).first()
    assert note.action == "submit" and "load_content --update" in note.comment
    # Reviewed like any edit: a reviewer may approve it (the loader is no one's own work).
    workflow.approve(reform, by=reviewer)


# --- finding 3: stored history never changes -------------------------------------------------


def test_a_stored_version_cannot_be_changed_or_deleted(tmp_path):
    load(tmp_path)
    version = EntryVersion.objects.first()
    with pytest.raises(HistoryIsAppendOnly):
        EntryVersion.objects.filter(pk=version.pk).update(comment="rewritten")
    with pytest.raises(HistoryIsAppendOnly):
        EntryVersion.objects.filter(pk=version.pk).delete()
    version.comment = "rewritten"
    with pytest.raises(HistoryIsAppendOnly):
        version.save()
    with pytest.raises(HistoryIsAppendOnly):
        version.delete()
    with pytest.raises(HistoryIsAppendOnly):
        Publication.objects.all().delete()
    if connection.vendor == "postgresql":  # and to any client, not only through Django
        for sql in (
            "UPDATE institute_entryversion SET data = '{}'::jsonb",
            "DELETE FROM institute_entryversion",
            "DELETE FROM institute_publication",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql)
    assert EntryVersion.objects.get(pk=version.pk).comment != "rewritten"


# --- finding 4: every publish records what went live -----------------------------------------


def test_an_entry_built_outside_the_write_path_is_in_history_once_published(
    contributor, reviewer, publisher
):
    reform = Reform.objects.create(  # the shell, a data migration: no version written
        slug="from-the-shell",
        title="From the shell",
        summary="Built by hand.",
        area="economy",
        status="adopted",
    )
    assert not EntryVersion.objects.for_entry(reform).exists()
    review_and_publish(reform, author=contributor, reviewer=reviewer, publisher=publisher)
    publication = Publication.objects.for_entry(reform).get()
    reform.refresh_from_db()
    assert publication.version.data == snapshot(reform)
    assert (publication.kind, publication.created_by) == ("published", publisher)
    assert public_version_at(reform, timezone.now()) == publication.version


def test_what_the_public_saw_is_read_from_history(tmp_path, contributor, reviewer, publisher):
    load(tmp_path)
    reform = Reform.objects.get(slug="farm-law")
    first = snapshot(reform)
    before_edit = timezone.now()
    save_edit(reform, {**first, "title": "Farm law, second text"}, by=contributor)
    assert public_version_at(reform, timezone.now()).data == first  # a working copy: not live
    review_and_publish(reform, author=contributor, reviewer=reviewer, publisher=publisher)
    after_publish = timezone.now()
    reform.refresh_from_db()
    assert public_version_at(reform, before_edit).data == first
    assert public_version_at(reform, after_publish).data == snapshot(reform)
    assert public_version_at(reform, after_publish).data["title"] == "Farm law, second text"
    workflow.archive(reform, by=publisher)
    assert public_version_at(reform, timezone.now()) is None
    kinds = list(Publication.objects.for_entry(reform).values_list("kind", flat=True))
    assert kinds == ["withdrawn", "published", "published"]  # newest first


def test_every_published_entry_of_the_demo_content_has_its_row_as_live_version():
    call_command("load_content", stdout=StringIO())
    for reform in Reform.objects.published():
        live = Publication.objects.for_entry(reform).get().version
        assert live.data == snapshot(reform), reform.slug


# --- finding 10: no approval of one's own work ------------------------------------------------


def test_approval_cannot_be_laundered_through_a_second_contributor(
    make_role_user, reviewer, publisher
):
    both = make_role_user("contributor", username="writes-and-reviews")
    both.groups.add(Group.objects.get(name="reviewer"))
    other = make_role_user("contributor", username="second-contributor")
    reform = Reform.objects.create(
        slug="laundered",
        title="Original",
        summary="Text.",
        area="economy",
        status="adopted",
        review_state=ReviewState.PUBLISHED,
        published_at=timezone.now(),
    )
    save_edit(reform, {**snapshot(reform), "title": "Retitled by both"}, by=both)
    workflow.submit_for_review(reform, by=both)
    workflow.request_changes(reform, by=reviewer, comment="Fix the summary.")
    reform.refresh_from_db()
    data = PendingRevision.objects.for_entry(reform).get().data
    save_edit(reform, {**data, "summary": "Text, fixed."}, by=other)
    workflow.submit_for_review(reform, by=other)
    with pytest.raises(PermissionDenied):
        workflow.approve(reform, by=both)
    workflow.approve(reform, by=reviewer)  # someone who wrote none of it may
    workflow.publish(reform, by=publisher)
    reform.refresh_from_db()
    assert reform.title == "Retitled by both"
    # After the publish, a new round: what `both` did before is no longer in review.
    save_edit(reform, {**snapshot(reform), "summary": "Text, again."}, by=other)
    workflow.submit_for_review(reform, by=other)
    workflow.approve(reform, by=both)


def test_an_entry_once_public_cannot_be_deleted_in_the_admin(tmp_path, client, superuser):
    load(tmp_path)
    reform = Reform.objects.get(slug="farm-law")
    client.force_login(superuser)
    delete = f"/admin/reforms/reform/{reform.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [reform.pk], "post": "yes"}
    assert client.post("/admin/reforms/reform/", bulk).status_code == 403
    assert Reform.objects.filter(pk=reform.pk).exists()
    never_public = Reform.objects.create(
        slug="scratch", title="Scratch", summary="A draft.", area="economy", status="adopted"
    )
    assert (
        client.post(f"/admin/reforms/reform/{never_public.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert not Reform.objects.filter(pk=never_public.pk).exists()


def test_the_data_migration_records_what_is_public_today(contributor):
    """What migration 0013 and the apps' next ones run on a database of today: each published
    entry gets a publication of the version its review log says went live, and one built
    without versions gets its current state recorded first."""
    logged = Reform.objects.create(
        slug="logged", title="Logged", summary="S.", area="economy", status="adopted"
    )
    save_edit(logged, {**snapshot(logged), "title": "Logged, edited"}, by=contributor)
    logged.refresh_from_db()
    ReviewEvent.objects.create(
        content_type=ContentType.objects.get_for_model(Reform),
        object_id=logged.pk,
        action="publish",
        from_state="in-review",
        to_state="published",
        version=logged.version,
        actor=contributor,
    )
    Reform.objects.filter(pk=logged.pk).update(
        review_state="published", published_at=timezone.now()
    )
    bare = Reform.objects.create(
        slug="bare",
        title="Bare",
        summary="S.",
        area="economy",
        status="adopted",
        review_state="published",
        published_at=timezone.now(),
    )
    draft = Reform.objects.create(
        slug="draft", title="Draft", summary="S.", area="economy", status="adopted"
    )
    record_publications(apps, "reforms", "reform")
    record_publications(apps, "reforms", "reform")  # twice: once each
    for entry in (logged, bare):
        entry.refresh_from_db()
        publication = Publication.objects.for_entry(entry).get()
        assert publication.version.data == snapshot(entry)
    assert Publication.objects.for_entry(logged).get().created_by == contributor
    assert not Publication.objects.for_entry(draft).exists()
