"""Import in the admin: upload, preview and confirm (our own screens on the engine), the failed
rows offered back as CSV, permissions, and large files as background jobs."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from institute.datasets.models import ImportJob
from institute.datasets.permissions import can_import
from institute.editorial.edits import save_edit
from institute.editorial.versions import snapshot
from institute.roles import sync_role_groups
from reforms.models import Reform
from tests.factories import TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:reforms_reform_import")
CONFIRM_URL = reverse("admin:reforms_reform_process_import")
GOOD = (
    b"slug,title,summary,area,topics,status,announced_on\r\n"
    b"first-one,First,One sentence. Two.,economy,farming,adopted,2019\r\n"
    b"second-one,Second,One sentence. Two.,human-rights,,announced,2020-05\r\n"
)


def upload(client, data: bytes, name="reforms.csv", resource="0"):
    return client.post(
        IMPORT_URL,
        {
            "resource": resource,
            "format": "0",
            "import_file": SimpleUploadedFile(name, data, content_type="text/csv"),
        },
    )


@pytest.fixture
def farming(db):
    return TopicFactory(slug="farming")


def test_preview_then_confirm_imports_the_file_as_drafts(admin_client, farming):
    preview = upload(admin_client, GOOD)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "reforms: 2 new, 0 updated, 0 unchanged" in html
    assert not Reform.objects.exists()  # a preview writes nothing
    confirm = preview.context["confirm_form"]
    response = admin_client.post(CONFIRM_URL, confirm.initial)
    assert response.status_code == 302
    assert set(Reform.objects.values_list("slug", "review_state")) == {
        ("first-one", "draft"),
        ("second-one", "draft"),
    }
    assert Reform.objects.get(slug="first-one").updated_by.username == "admin"


def test_a_bad_file_lists_every_problem_and_offers_the_failed_rows(admin_client, farming):
    bad = (
        GOOD
        + b"third-one,Third,Fine.,culture,,adopted,2019\r\n"
        + b"fourth,Fourth,Fine.,economy,,adopted,19\r\n"
    )
    response = upload(admin_client, bad)
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "Line 4, column “area”: must be one of" in html
    assert "Line 5, column “announced_on”" in html
    link = re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', html)
    assert link, "failed rows are offered as CSV"
    from urllib.parse import unquote

    failed = unquote(link.group(1).replace("&amp;", "&"))
    assert failed.splitlines()[0].startswith("line,slug,title")
    assert "third-one" in failed and "fourth" in failed and "first-one" not in failed
    assert "confirm_form" not in response.context or not response.context["confirm_form"]
    assert not Reform.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty"),  # Django's own form check comes first
        ("slug,title\ncaf\u00e9,x\n".encode("latin-1"), "not UTF-8"),
        (b"PK\x03\x04binary", "not a CSV file"),
        (b"slug,title\nx,y\n", "Required column(s) missing"),
    ],
)
def test_malformed_uploads_are_refused_in_plain_words(admin_client, data, message):
    response = upload(admin_client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Reform.objects.exists()


def test_import_needs_the_import_right(client, farming):
    assert client.get(IMPORT_URL).status_code == 302  # anonymous: to the login page
    staff = UserFactory(username="staff-only", is_staff=True)
    client.force_login(staff)
    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, GOOD).status_code == 403
    contributor = UserFactory(username="contrib", is_staff=True)
    sync_role_groups()  # a transactional test elsewhere may have flushed the groups
    contributor.groups.add(Group.objects.get(name="contributor"))
    client.force_login(contributor)
    assert client.get(IMPORT_URL).status_code == 200
    assert "2 new" in upload(client, GOOD).content.decode()


# The worker closes and reopens connections, as it does in production: committed data only.
@pytest.mark.django_db(transaction=True)
@override_settings(ADMIN_IMPORT_BACKGROUND_ROWS=1)
def test_a_large_file_imports_in_the_background_with_a_progress_page(admin_client, farming):
    response = upload(admin_client, GOOD)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:institute_importjob_change", args=[job.pk])
    page = admin_client.get(response["Location"]).content.decode()
    assert "<progress" in page and 'http-equiv="refresh"' in page
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.report
    assert job.report["counts"]["new"] == 2
    page = admin_client.get(response["Location"]).content.decode()
    assert "reforms: 2 new" in page and "<progress" not in page
    assert Reform.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@override_settings(ADMIN_IMPORT_BACKGROUND_ROWS=1)
def test_a_large_bad_file_is_refused_by_the_job_and_writes_nothing(admin_client, farming):
    upload(admin_client, GOOD + b"bad,Bad,Fine.,culture,,adopted,2019\r\n")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REFUSED
    assert any("Line 4" in p for p in job.report["problems"])
    assert "bad,Bad" in job.report["failed_rows_csv"]
    assert not Reform.objects.exists()


def test_admin_export_holds_drafts_and_every_column(admin_client, farming):
    upload_and_confirm = upload(admin_client, GOOD)
    admin_client.post(CONFIRM_URL, upload_and_confirm.context["confirm_form"].initial)
    from institute.datasets.tables import TABLES

    form = {"format": "0", "resource": "0"}
    form.update({f"reformresource_{name}": "on" for name in TABLES["reforms"].header})
    form["export_items"] = list(Reform.objects.values_list("pk", flat=True))
    response = admin_client.post(reverse("admin:reforms_reform_export"), form)
    body = response.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith(
        "slug,title,summary,area,topics,status,announced_on,adopted_on,effective_on"
    )
    assert "first-one" in body and "second-one" in body


def test_a_preview_is_confirmed_once_by_whoever_uploaded_it(admin_client, farming):
    preview = upload(admin_client, GOOD)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PREVIEWED and bytes(job.data) == GOOD
    confirm = preview.context["confirm_form"].initial
    # Another editor who may import cannot confirm someone else's preview.
    other = Client()  # admin_client is the `client` fixture
    other.force_login(UserFactory(username="other-admin", is_staff=True, is_superuser=True))
    refused = other.post(CONFIRM_URL, confirm, follow=True)
    assert "That preview is gone" in refused.content.decode()
    assert not Reform.objects.exists()
    assert admin_client.post(CONFIRM_URL, confirm).status_code == 302
    job.refresh_from_db()
    assert (job.status, job.report["counts"]["new"], bytes(job.data)) == ("done", 2, b"")
    again = admin_client.post(CONFIRM_URL, confirm, follow=True)
    assert "That preview is gone" in again.content.decode()
    assert Reform.objects.count() == 2


def test_the_preview_shows_the_changed_words_of_a_long_text(admin_client, farming):
    """Both versions cut to their first 57 characters looked the same (“…lowered from s… →
    …lowered from s…”): the preview shows the words that changed, with a few around them."""
    before = (
        b"Import duties on agricultural machinery and spare parts were lowered from seven to "
        b"five per cent. The change applies from January."
    )
    after = before.replace(b"five per cent", b"three per cent").replace(b"January", b"March")
    upload_and_confirm = upload(admin_client, GOOD.replace(b"One sentence. Two.", before, 1))
    admin_client.post(CONFIRM_URL, upload_and_confirm.context["confirm_form"].initial)
    preview = upload(admin_client, GOOD.replace(b"One sentence. Two.", after, 1))
    html = preview.content.decode()
    assert "reforms: 0 new, 1 updated, 1 unchanged" in html
    assert (
        "<td>summary: … were lowered from seven to <del>five</del> <ins>three</ins> per cent."
        " The change applies from <del>January.</del> <ins>March.</ins></td>"
    ) in html
    # A new entry's fields are shown as added, not as a diff against nothing.
    preview = upload(admin_client, GOOD.replace(b"second-one,Second", b"third-one,Third"))
    assert "title: <ins>Third</ins>" in preview.content.decode()


def test_the_preview_shows_each_change_and_a_save_since_refuses_the_confirmation(
    admin_client, farming
):
    upload_and_confirm = upload(admin_client, GOOD)
    admin_client.post(CONFIRM_URL, upload_and_confirm.context["confirm_form"].initial)
    preview = upload(admin_client, GOOD.replace(b"First,", b"First law,"))
    html = preview.content.decode()
    assert "reforms: 0 new, 1 updated, 1 unchanged" in html
    assert "<td>title: First <ins>law</ins></td>" in html
    # Someone saves the entry between the preview and the confirmation.
    reform = Reform.objects.get(slug="first-one")
    save_edit(reform, {**snapshot(reform), "summary": "Edited meanwhile."}, by=None)
    response = admin_client.post(CONFIRM_URL, preview.context["confirm_form"].initial)
    assert response.status_code == 200
    assert "were changed by someone else (or created or deleted) since the preview" in (
        response.content.decode()
    )
    assert Reform.objects.get(slug="first-one").title == "First"
    assert ImportJob.objects.filter(status=ImportJob.Status.REFUSED).count() == 1


def test_the_changelist_offers_import_only_to_those_who_may(client, farming):
    changelist = reverse("admin:reforms_reform_changelist")
    sync_role_groups()
    reviewer = UserFactory(username="rev", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="reviewer"))
    contributor = UserFactory(username="contrib2", is_staff=True)
    contributor.groups.add(Group.objects.get(name="contributor"))
    seen = {}
    for user in (reviewer, contributor):
        client.force_login(user)
        seen[user.username] = IMPORT_URL in client.get(changelist).content.decode()
    assert seen == {"rev": can_import(reviewer, "reforms"), "contrib2": True}


def test_an_upload_past_its_own_limit_is_refused_in_the_form(admin_client, farming, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = 100
    response = upload(admin_client, GOOD)
    assert response.status_code == 200
    assert "the limit is 100 bytes. Split it into smaller files." in response.content.decode()
    assert not Reform.objects.exists()
