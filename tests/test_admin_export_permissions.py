"""Export in the admin takes the model's view permission (issue 10: a staff user with no group
could download every draft, in-review and archived row from `…/export/`)."""

import warnings

import pytest
from django.urls import reverse

from institute.datasets.tables import TABLES
from tests.factories import RecommendationFactory, ReformFactory, SourceFactory
from tests.support import ROLE_NAMES

pytestmark = pytest.mark.django_db

LOGIN = "login"  # a redirect to the admin's login page

# url name → (the resource's form prefix, its table, the factory of its entries)
EXPORTS = {
    "admin:reforms_reform_export": ("reformresource", "reforms", ReformFactory),
    "admin:recommendations_recommendation_export": (
        "recommendationresource",
        "recommendations",
        RecommendationFactory,
    ),
    "admin:institute_source_export": ("sourceresource", "sources", SourceFactory),
}

# role → expected status of the export form (GET) and of the download (POST), on every table.
EXPECTED = {
    "anonymous": LOGIN,
    "staff": 403,
    "contributor": 200,
    "reviewer": 200,
    "publisher": 200,
    "superuser": 200,
}
assert set(EXPECTED) == set(ROLE_NAMES)

HIDDEN_STATES = ("draft", "in_review", "archived")


@pytest.fixture
def hidden_entries(db):
    """For each table, one entry in each state the public never sees, keyed by url name."""
    return {
        url_name: [
            factory(**{state: True}, slug=f"hidden-{state}-{table}") for state in HIDDEN_STATES
        ]
        for url_name, (_, table, factory) in EXPORTS.items()
    }


def role_client(client, make_role_user, role):
    user = make_role_user(role)
    if user is not None:
        client.force_login(user)
    return client


def assert_status(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected


def download_form(url_name: str, **extra) -> dict:
    prefix, table, _ = EXPORTS[url_name]
    form = {"format": "0", "resource": "0", **extra}  # CSV, the table's own resource
    form.update({f"{prefix}_{name}": "on" for name in TABLES[table].header})
    return form


@pytest.mark.parametrize("url_name", EXPORTS)
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_export_form_takes_view_permission(client, make_role_user, hidden_entries, role, url_name):
    client = role_client(client, make_role_user, role)
    response = client.get(reverse(url_name))
    assert_status(response, EXPECTED[role])
    offered = b'name="format"' in response.content
    assert offered is (EXPECTED[role] == 200)


@pytest.mark.parametrize("from_action", [False, True], ids=["whole-table", "selected-rows"])
@pytest.mark.parametrize("url_name", EXPORTS)
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_export_download_takes_view_permission(
    client, make_role_user, hidden_entries, role, url_name, from_action
):
    client = role_client(client, make_role_user, role)
    entries = hidden_entries[url_name]
    # django-import-export's export action posts chosen rows as export_items: the view takes
    # them from anyone who reaches it, so that path must be refused too.
    extra = {"export_items": [e.pk for e in entries]} if from_action else {}
    response = client.post(reverse(url_name), download_form(url_name, **extra))
    assert_status(response, EXPECTED[role])
    body = response.content.decode("utf-8-sig")
    for entry in entries:
        assert (entry.slug in body) is (EXPECTED[role] == 200), entry.slug
    if EXPECTED[role] == 200:
        assert response["Content-Type"].startswith("text/csv")


# role → status of a changelist POST naming an export action: the roles with a review action
# get the changelist back ("No action selected"); a reviewer, who has no action at all, gets
# the changelist itself; the others are refused as on the export view.
CHANGELIST_ACTION = {**EXPECTED, "contributor": 302, "publisher": 302, "superuser": 302}


@pytest.mark.parametrize("url_name", EXPORTS)
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_no_changelist_action_exports(client, make_role_user, hidden_entries, role, url_name):
    """The changelists have no export action (export is the Export button): posting
    django-import-export's action name to a changelist never returns a file."""
    client = role_client(client, make_role_user, role)
    entries = hidden_entries[url_name]
    changelist = reverse(url_name.replace("_export", "_changelist"))
    response = client.post(
        changelist, {"action": "export_admin_action", "_selected_action": [e.pk for e in entries]}
    )
    assert_status(response, CHANGELIST_ACTION[role])
    if CHANGELIST_ACTION[role] == 302:
        assert response["Location"] == changelist
    assert "Content-Disposition" not in response
    assert not response.get("Content-Type", "").startswith("text/csv")
    if EXPECTED[role] != 200:
        body = response.content.decode()
        assert not any(e.slug in body for e in entries)


@pytest.mark.parametrize("url_name", EXPORTS)
def test_an_export_of_chosen_rows_checks_only_the_rows_posted(
    client, make_role_user, hidden_entries, url_name
):
    client = role_client(client, make_role_user, "publisher")
    entries = hidden_entries[url_name]
    _, _, factory = EXPORTS[url_name]
    others = [factory(slug=f"other-{n}") for n in range(3)]
    chosen = [entries[0], others[1]]
    with warnings.catch_warnings():
        # django-import-export's check listed every row of the table (and warns so).
        warnings.simplefilter("error", DeprecationWarning)
        response = client.post(
            reverse(url_name), download_form(url_name, export_items=[e.pk for e in chosen])
        )
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert {e.slug for e in [*entries, *others] if e.slug in body} == {e.slug for e in chosen}
    # A row that does not exist, or that is not a number (a superscript digit is a digit to
    # Python, not to int()), is refused, and nothing is sent.
    for wrong in (max(e.pk for e in others) + 1000, "1 OR 1=1", "\u00b2"):
        response = client.post(
            reverse(url_name), download_form(url_name, export_items=[chosen[0].pk, wrong])
        )
        assert response.status_code == 200
        assert not response["Content-Type"].startswith("text/csv")
        assert "Select a valid choice" in response.content.decode()
