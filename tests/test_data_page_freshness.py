"""The data package is built once per content version and kept on disk; the key follows the
public content (review events and saved versions), so a publish shows a new version at once."""

import os
import time

import pytest
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.states import ReviewState
from tests.factories import entry_in_state

pytestmark = pytest.mark.django_db


def test_publishing_changes_the_version_the_data_page_shows(client, make_role_user):
    first = client.get(reverse("data")).context["version"]
    assert client.get(reverse("data")).context["version"] == first  # served from the cache
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True)
    workflow.publish(reform, by=make_role_user("publisher"))
    assert client.get(reverse("data")).context["version"] != first


def test_the_package_is_built_once_per_content_version(client, make_role_user, settings, tmp_path):
    settings.DATA_PACKAGE_DIR = tmp_path
    first = b"".join(client.get(reverse("data-package")).streaming_content)
    [built] = tmp_path.glob("*/package-*.zip")
    stamp = built.stat().st_mtime_ns
    assert b"".join(client.get(reverse("data-package")).streaming_content) == first
    assert client.get(reverse("data")).context["version"] in built.name
    kept = tmp_path.glob("*/package-*.zip")
    assert [p.stat().st_mtime_ns for p in kept] == [stamp]  # not rebuilt

    # Left by builds whose process died: one two hours ago, one (perhaps still going) now.
    abandoned, recent = tmp_path / "abandoned.part", tmp_path / "recent.part"
    abandoned.mkdir(), recent.mkdir()
    os.utime(abandoned, (time.time() - 7200, time.time() - 7200))

    reform = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True)
    workflow.publish(reform, by=make_role_user("publisher"))
    after = b"".join(client.get(reverse("data-package")).streaming_content)
    assert after != first
    assert len(list(tmp_path.glob("*/package-*.zip"))) == 2
    assert [p.name for p in tmp_path.glob("*.part")] == ["recent.part"]

    # A third: the current set and the one before are kept, the first is removed.
    workflow.publish(
        entry_in_state("reform", ReviewState.IN_REVIEW, approved=True),
        by=make_role_user("publisher"),
    )
    client.get(reverse("data-package"))
    assert len(list(tmp_path.glob("*/package-*.zip"))) == 2
    assert not built.exists()


def test_a_write_outside_the_workflow_makes_a_new_package(client, settings, tmp_path):
    from institute.sources.models import Source
    from tests.factories import SourceFactory

    settings.DATA_PACKAGE_DIR = tmp_path
    SourceFactory(slug="a-report", title="Old title", published=True)
    first = client.get(reverse("data")).context["version"]
    # A shell or a migration: no review event, no version, only the table's trigger sees it.
    Source.objects.filter(slug="a-report").update(title="New title")
    assert client.get(reverse("data")).context["version"] != first
