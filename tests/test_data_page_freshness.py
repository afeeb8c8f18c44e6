"""The data page keeps the package's version and size in the cache; the key follows the
public content (review events and saved versions), so a publish shows a new version at once."""

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
