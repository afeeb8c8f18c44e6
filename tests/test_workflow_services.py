"""The review workflow through its services (institute.editorial.workflow) and the `review` command:
the permission matrix, the allowed moves, the review log, locking."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.models import PendingRevision, ReviewAction, ReviewEvent
from institute.editorial.moves import TRANSITION_MOVES
from institute.editorial.states import TRANSITIONS, ReviewState
from institute.editorial.versions import snapshot
from institute.roles import ROLES
from institute.sources.models import Source
from tests.factories import entry_in_state
from tests.support import CASES, MATRIX, SERVICES, case_id

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_permission_matrix_through_services(case, make_role_user):
    kind, move, role = case
    start, end, allowed_roles = MATRIX[move]
    # An entry in review carries an approval: publishing takes one (its absence: see
    # tests/test_approval_and_lost_updates.py).
    entry = entry_in_state(kind, start, approved=start == ReviewState.IN_REVIEW)
    user = make_role_user(role)
    if role in allowed_roles:
        result = SERVICES[move](entry, by=user, comment="Looks wrong: fix the date.")
        assert result.review_state == end
        entry.refresh_from_db()
        assert entry.review_state == end
        event = ReviewEvent.objects.for_entry(entry).get()
        assert (event.from_state, event.to_state, event.actor) == (start, end, user)
    else:
        with pytest.raises(PermissionDenied):
            SERVICES[move](entry, by=user, comment="Looks wrong: fix the date.")
        entry.refresh_from_db()
        assert entry.review_state == start
        assert not ReviewEvent.objects.for_entry(entry).exists()


def test_the_matrix_names_every_move_the_workflow_has():
    # A move added to the workflow without a row here would go untested by the matrix above.
    assert set(MATRIX) == set(TRANSITION_MOVES)


@pytest.mark.parametrize("move", list(MATRIX))
def test_every_other_move_is_refused_and_says_which(move, make_role_user):
    """From every state a move does not start from, it is refused with a ValidationError that
    names the move and the state, and nothing is written."""
    admin = make_role_user("superuser")
    start, end, _ = MATRIX[move]
    for state in ReviewState.values:
        if (state, end) in TRANSITIONS:
            continue
        entry = entry_in_state("reform", state)
        with pytest.raises(ValidationError) as excinfo:
            SERVICES[move](entry, by=admin, comment="because")
        message = " ".join(excinfo.value.messages)
        assert f"from {ReviewState(state).label.lower()} to {end.label.lower()}" in message
        entry.refresh_from_db()
        assert entry.review_state == state
        assert not ReviewEvent.objects.for_entry(entry).exists()


# The review states' graph as README's "Editorial workflow" documents it: (from, to) → the verb
# (permission) the move takes.
DOCUMENTED_GRAPH = {
    ("draft", "in-review"): "submit",
    ("changes-requested", "in-review"): "submit",
    ("in-review", "changes-requested"): "review",
    ("in-review", "published"): "publish",
    ("published", "archived"): "publish",
    ("archived", "draft"): "publish",
}


def test_the_services_take_exactly_the_documented_transitions(make_role_user):
    """Every move tried from every state by a superuser: the moves that succeed are the edges of
    the documented graph, and each takes the documented permission (a user with only that
    verb's group may take it)."""
    admin = make_role_user("superuser")
    verb_roles = {"submit": "contributor", "review": "reviewer", "publish": "publisher"}
    taken = {}
    for move, service in SERVICES.items():
        for state in ReviewState.values:
            entry = entry_in_state("reform", state, approved=state == ReviewState.IN_REVIEW)
            try:
                result = service(entry, by=admin, comment="because")
            except ValidationError:
                continue
            taken[(state, result.review_state)] = move
    assert set(taken) == set(DOCUMENTED_GRAPH)
    for (start, end), verb in DOCUMENTED_GRAPH.items():
        entry = entry_in_state("reform", start, approved=start == ReviewState.IN_REVIEW)
        user = make_role_user(verb_roles[verb], username=f"{verb}-{start}-{end}")
        assert SERVICES[taken[(start, end)]](entry, by=user, comment="ok").review_state == end


def test_full_cycle_writes_one_event_per_move(contributor, reviewer, publisher):
    reform = entry_in_state("reform", ReviewState.DRAFT)
    workflow.submit_for_review(reform, by=contributor, comment="Ready")
    workflow.request_changes(reform, by=reviewer, comment="Cite the decree")
    workflow.submit_for_review(reform, by=contributor, comment="Cited")
    workflow.approve(reform, by=reviewer, comment="Checked")
    published = workflow.publish(reform, by=publisher)
    assert published.published_at is not None
    workflow.archive(reform, by=publisher, comment="Superseded")
    workflow.reopen(reform, by=publisher)
    events = list(ReviewEvent.objects.for_entry(reform).order_by("created_at", "pk"))
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in events] == [
        (ReviewAction.SUBMIT, "draft", "in-review", contributor),
        (ReviewAction.REQUEST_CHANGES, "in-review", "changes-requested", reviewer),
        (ReviewAction.SUBMIT, "changes-requested", "in-review", contributor),
        (ReviewAction.APPROVE, "in-review", "in-review", reviewer),
        (ReviewAction.PUBLISH, "in-review", "published", publisher),
        (ReviewAction.ARCHIVE, "published", "archived", publisher),
        (ReviewAction.REOPEN, "archived", "draft", publisher),
    ]
    assert events[1].comment == "Cite the decree"
    reform.refresh_from_db()
    assert reform.review_state == "draft"


def test_submit_records_who_and_when_and_publish_clears_the_reviewer(
    contributor, reviewer, publisher
):
    reform = entry_in_state("reform", ReviewState.DRAFT)
    workflow.submit_for_review(reform, by=contributor)
    workflow.assign_reviewer(reform, by=reviewer, reviewer=reviewer)
    reform.refresh_from_db()
    assert reform.submitted_by == contributor and reform.submitted_at is not None
    assert reform.assigned_reviewer == reviewer
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    reform.refresh_from_db()
    assert reform.assigned_reviewer is None


def test_request_changes_needs_a_comment(reviewer):
    reform = entry_in_state("reform", ReviewState.IN_REVIEW)
    with pytest.raises(ValidationError, match="comment"):
        workflow.request_changes(reform, by=reviewer, comment="  ")
    reform.refresh_from_db()
    assert reform.review_state == "in-review"
    assert not ReviewEvent.objects.for_entry(reform).exists()


def test_a_reviewer_in_the_publisher_group_too_can_publish(make_role_user):
    from django.contrib.auth.models import Group

    user = make_role_user("reviewer")
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True)
    with pytest.raises(PermissionDenied):
        workflow.publish(reform, by=user)
    user.groups.add(Group.objects.get(name="publisher"))
    user = type(user).objects.get(pk=user.pk)  # a fresh permission cache
    assert workflow.publish(reform, by=user).review_state == "published"


def test_approve_and_comment_do_not_move_the_state(contributor, reviewer, publisher):
    reform = entry_in_state("reform", ReviewState.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        workflow.approve(reform, by=contributor)
    workflow.approve(reform, by=reviewer, comment="Good")
    workflow.add_comment(reform, by=contributor, comment="Thanks")
    reform.refresh_from_db()
    assert reform.review_state == "in-review"
    actions = list(ReviewEvent.objects.for_entry(reform).values_list("action", flat=True))
    assert sorted(actions) == ["approve", "comment"]
    with pytest.raises(ValidationError):
        workflow.approve(entry_in_state("reform", ReviewState.DRAFT), by=reviewer)


def test_staff_without_group_can_do_nothing(make_role_user):
    staff = make_role_user("staff")
    reform = entry_in_state("reform", ReviewState.IN_REVIEW)
    for call in (
        lambda: workflow.approve(reform, by=staff),
        lambda: workflow.add_comment(reform, by=staff, comment="hi"),
        lambda: workflow.assign_reviewer(reform, by=staff, reviewer=staff),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert workflow.allowed_moves(staff, reform) == []


def test_allowed_moves_are_what_the_role_may_take_now(make_role_user):
    unapproved = entry_in_state("reform", ReviewState.IN_REVIEW)
    assert workflow.allowed_moves(make_role_user("publisher", "p0"), unapproved) == []
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True)
    assert workflow.allowed_moves(make_role_user("contributor"), reform) == []
    assert workflow.allowed_moves(make_role_user("reviewer"), reform) == ["request_changes"]
    assert workflow.allowed_moves(make_role_user("publisher"), reform) == ["publish"]
    assert workflow.allowed_moves(make_role_user("superuser"), reform) == [
        "request_changes",
        "publish",
    ]
    assert workflow.allowed_moves(None, reform) == []


def test_publish_loaded_is_for_drafts_and_working_copies_only():
    draft = entry_in_state("source", ReviewState.DRAFT)
    assert workflow.publish_loaded(draft).review_state == "published"
    event = ReviewEvent.objects.for_entry(draft).get()
    assert event.actor is None and event.actor_label.startswith("system")
    with pytest.raises(ValidationError):
        workflow.publish_loaded(entry_in_state("source", ReviewState.IN_REVIEW))
    # A published entry: only its working copy, which publishing applies to the row.
    with pytest.raises(ValidationError, match="not a draft or a published entry with a working"):
        workflow.publish_loaded(draft)
    save_edit(draft, {**snapshot(draft), "title": "Loaded title"}, by=None)
    assert Source.objects.get(pk=draft.pk).title != "Loaded title"
    workflow.publish_loaded(draft)
    assert Source.objects.get(pk=draft.pk).title == "Loaded title"
    assert not PendingRevision.objects.exists()


def test_publishing_twice_one_wins_one_event(publisher):
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True)
    stale_copy = type(reform).objects.get(pk=reform.pk)
    workflow.publish(reform, by=publisher)
    with pytest.raises(ValidationError, match="from published to published"):
        workflow.publish(stale_copy, by=publisher)
    assert ReviewEvent.objects.for_entry(reform).filter(action="publish").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_publish_exactly_one_wins(make_role_user):
    """Two publishers click at the same moment: the row lock serialises them, the second sees
    the entry published and is refused; one review event."""
    from django.db import connections

    publisher = make_role_user("publisher")
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True)
    barrier = threading.Barrier(2)
    results = []

    def click():
        try:
            barrier.wait()
            workflow.publish(type(reform).objects.get(pk=reform.pk), by=publisher)
            results.append("won")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused", "won"]
    assert ReviewEvent.objects.for_entry(reform).filter(action="publish").count() == 1


def test_review_command_calls_the_services(make_role_user, capsys):
    make_role_user("contributor", username="carla")
    make_role_user("publisher", username="pat")
    make_role_user("reviewer", username="rita")
    reform = entry_in_state("reform", ReviewState.DRAFT)
    call_command("review", "reform", reform.slug, "submit", "--as", "carla")
    assert "now in-review" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no approval"):
        call_command("review", "reform", reform.slug, "publish", "--as", "pat")
    call_command("review", "reform", reform.slug, "approve", "--as", "rita")
    assert "approved by rita" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Refused"):
        call_command("review", "reform", reform.slug, "publish", "--as", "carla")
    with pytest.raises(CommandError, match="from in review to archived"):
        call_command("review", "reform", reform.slug, "archive", "--as", "pat")
    call_command("review", "reform", reform.slug, "publish", "--as", "pat")
    reform.refresh_from_db()
    assert reform.review_state == "published"
    assert ReviewEvent.objects.for_entry(reform).count() == 3  # submit, approve, publish


def test_roles_migration_matches_the_roles_module(db):
    """The groups migrate creates hold exactly the permissions institute.roles declares."""
    from django.contrib.auth.models import Group

    for name, perms in ROLES.items():
        group = Group.objects.get(name=name)
        held = {
            (p.content_type.app_label, p.codename)
            for p in group.permissions.select_related("content_type")
        }
        assert held == set(perms), name
    assert not any(codename.startswith("publish_") for _, codename in ROLES["contributor"])
    assert not any(codename.startswith("publish_") for _, codename in ROLES["reviewer"])
