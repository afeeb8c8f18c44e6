"""Releases (frozen files, changelog, citation, withdraw), `?as_of=` reads from history, and
that nothing unpublished reaches any of them. Publishing goes through the workflow, so the
history holds what the public saw."""

import csv
import datetime
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from institute.datasets.models import Release
from institute.datasets.tables import TABLES
from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.versions import snapshot
from tests.factories import ReformFactory, SourceFactory
from tests.support import login

pytestmark = pytest.mark.django_db

SECRETS = ("planted-draft", "Working copy secret", "never-public-source")


@pytest.fixture(autouse=True)
def _publish_without_second_reader(settings):
    settings.REVIEW_REQUIRES_APPROVAL = False


def publish(entry, contributor, publisher, note=""):
    workflow.submit_for_review(entry, by=contributor)
    return workflow.publish(entry, by=publisher, public_note=note)


def edit_and_publish(entry, contributor, publisher, note="", **changes):
    entry.refresh_from_db()
    save_edit(entry, {**snapshot(entry), **changes}, by=contributor)
    return publish(entry, contributor, publisher, note)


@pytest.fixture
def content(contributor, publisher):
    source = SourceFactory(slug="public-source")
    publish(source, contributor, publisher)
    kept = ReformFactory(slug="kept", title="Kept as it is")
    edited = ReformFactory(slug="edited", title="Adopted in 2019")
    archived = ReformFactory(slug="archived", title="Soon archived")
    for reform in (kept, edited, archived):
        publish(reform, contributor, publisher)
    ReformFactory(slug="planted-draft", title="Planted draft")
    SourceFactory(slug="never-public-source")
    edited.refresh_from_db()
    # A working copy of a published entry, never published.
    save_edit(kept, {**snapshot(kept), "title": "Working copy secret"}, by=contributor)
    return {"kept": kept, "edited": edited, "archived": archived}


def cut_in_admin(client, publisher, label, notes="First release."):
    login(client, publisher)
    response = client.post(reverse("admin:institute_release_add"), {"label": label, "notes": notes})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Release.objects.get(label=label)


def download(client, label, name):
    response = client.get(reverse("data-release-file", kwargs={"label": label, "name": name}))
    assert response.status_code == 200, name
    return b"".join(response.streaming_content) if response.streaming else response.content


def all_files(client, release):
    return {f["name"]: download(client, release.label, f["name"]) for f in release.files}


def test_release_is_frozen_and_its_changelog_lists_exactly_the_edits(
    client, content, contributor, publisher
):
    first = cut_in_admin(client, publisher, "2026.01")
    names = {f["name"] for f in first.files}
    for table in TABLES:
        assert {f"{table}.csv", f"{table}.json", f"{table}.xlsx"} <= names
    assert {"package.zip", "datapackage.json", "codebook.md", "CITATION.cff", "SHA256SUMS"} <= names
    before = all_files(client, first)
    assert b"Adopted in 2019" in before["reforms.csv"]
    for name, data in before.items():
        if not name.endswith((".xlsx", ".zip")):
            for secret in SECRETS:
                assert secret.encode() not in data, (secret, name)

    # A day of editing: a correction with a public note, an archive, a new reform.
    edit_and_publish(
        content["edited"], contributor, publisher, "Corrected the year", title="Adopted in 2020"
    )
    workflow.archive(content["archived"], by=publisher)
    publish(ReformFactory(slug="added", title="Newly added"), contributor, publisher)

    assert all_files(client, first) == before  # byte-identical after the edits
    call_command(
        "release", "create", "2026.02", "--notes", "Second.", "--base-url", "http://testserver/"
    )
    second = Release.objects.get(label="2026.02")
    changes = download(client, second.label, "changes.csv").decode()
    rows = list(csv.reader(io.StringIO(changes)))
    assert rows[0] == ["table", "slug", "change", "field", "old", "new", "note"]
    assert sorted(rows[1:]) == sorted(
        [
            [
                "reforms",
                "edited",
                "changed",
                "title",
                "Adopted in 2019",
                "Adopted in 2020",
                "Corrected the year",
            ],
            ["reforms", "archived", "withdrawn", "", "", "", ""],
            ["reforms", "added", "added", "", "", "", ""],
        ]
    )
    page = client.get(reverse("data-release", kwargs={"label": "2026.02"})).content.decode()
    assert "Corrected the year" in page and "since" in page
    for secret in SECRETS:
        assert secret not in changes and secret not in page

    # The package holds what the loose files hold, and its SHA256SUMS checks them.
    archive = zipfile.ZipFile(io.BytesIO(download(client, "2026.02", "package.zip")))
    folder = "kazakhstan-reform-tracker-2026.02/"
    sums = archive.read(folder + "SHA256SUMS").decode().splitlines()
    assert f"{second.file('reforms.csv')['sha256']}  reforms.csv" in sums
    descriptor = json.loads(archive.read(folder + "datapackage.json"))
    assert descriptor["version"] == "2026.02" and descriptor["notes"] == "Second."
    assert 'version: "2026.02"' in archive.read(folder + "CITATION.cff").decode()


def test_as_of_at_a_release_moment_gives_the_release_bytes(client, content, contributor, publisher):
    release = cut_in_admin(client, publisher, "2026.03")
    edit_and_publish(content["edited"], contributor, publisher, title="Changed after")
    workflow.archive(content["archived"], by=publisher)
    moment = release.created_at.isoformat()
    for table in TABLES:
        for fmt in ("csv", "json", "xlsx"):  # a workbook is the same bytes for the same rows
            response = client.get(
                reverse("data-table", kwargs={"table": table, "fmt": fmt}), {"as_of": moment}
            )
            assert response.status_code == 200
            assert response["X-As-Of"] == release.created_at.isoformat()
            body = b"".join(response.streaming_content)
            assert body == download(client, release.label, f"{table}.{fmt}"), (table, fmt)


def test_as_of_between_two_publishes_returns_the_older_text(
    client, content, contributor, publisher
):
    between = timezone.now()
    edit_and_publish(content["edited"], contributor, publisher, title="Adopted in 2020")
    now_csv = b"".join(client.get("/data/reforms.csv").streaming_content).decode()
    assert "Adopted in 2020" in now_csv and "Soon archived" in now_csv
    workflow.archive(content["archived"], by=publisher)

    old = client.get("/data/reforms.csv", {"as_of": between.isoformat()})
    text = b"".join(old.streaming_content).decode()
    assert "Adopted in 2019" in text and "Adopted in 2020" not in text
    assert "Soon archived" in text  # withdrawn since, public then
    for secret in SECRETS:
        assert secret not in text

    api = client.get(
        reverse("api:reform", kwargs={"slug": "edited"}), {"as_of": between.isoformat()}
    )
    assert api.status_code == 200 and api.json()["title"] == "Adopted in 2019"
    listed = client.get(reverse("api:reforms"), {"as_of": between.isoformat()}).json()
    assert {r["slug"] for r in listed["results"]} == {"kept", "edited", "archived"}
    assert client.get(reverse("api:reform", kwargs={"slug": "archived"})).status_code == 404
    filtered = client.get("/reforms/export.csv", {"as_of": between.isoformat(), "q": "Adopted"})
    assert "Adopted in 2019" in b"".join(filtered.streaming_content).decode()
    # The rolled-back replay left the present as it was.
    assert "Adopted in 2020" in b"".join(client.get("/data/reforms.csv").streaming_content).decode()


def test_as_of_before_anything_was_published_is_an_empty_table(client, content):
    response = client.get("/data/reforms.json", {"as_of": "2001-01-01"})
    assert json.loads(b"".join(response.streaming_content)) == []
    assert response["X-As-Of"] == "2001-01-01T23:59:59.999999+00:00"


def test_as_of_in_the_future_answers_for_now_and_says_so(client, content):
    before = timezone.now()
    response = client.get("/data/reforms.csv", {"as_of": "2999-01-01"})
    assert response.status_code == 200
    assert before <= datetime.datetime.fromisoformat(response["X-As-Of"]) <= timezone.now()
    assert b"Adopted in 2019" in b"".join(response.streaming_content)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-01-01T25:00", "01/02/2026"])
def test_a_bad_as_of_is_a_400_that_says_why(client, value):
    response = client.get("/data/reforms.csv", {"as_of": value})
    assert response.status_code == 400
    assert response.content.decode().startswith("as_of: ")
    api = client.get(reverse("api:reforms"), {"as_of": value})
    assert api.status_code == 400
    assert api.json()["parameters"]["as_of"]


def test_release_withdrawn_not_deleted_and_latest_skips_it(client, content, publisher, superuser):
    first = cut_in_admin(client, publisher, "2026.04")
    second = cut_in_admin(client, publisher, "2026.05")
    latest = client.get("/data/releases/latest/reforms.csv")
    assert latest.status_code == 302 and latest["Location"].endswith("/2026.05/reforms.csv")
    login(client, superuser)
    delete = client.post(
        reverse("admin:institute_release_delete", args=[second.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    login(client, publisher)
    response = client.post(
        reverse("admin:institute_release_change", args=[second.pk]),
        {"withdrawn_reason": "A source was misattributed."},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.is_withdrawn and second.withdrawn_reason == "A source was misattributed."
    assert client.get("/data/releases/latest/")["Location"].endswith("/2026.04/")
    assert download(client, "2026.05", "reforms.csv")  # still readable
    page = client.get("/data/releases/2026.05/").content.decode()
    assert "Withdrawn" in page and "misattributed" in page
    feed = client.get("/data/releases/feed.atom").content.decode()
    assert "Release 2026.05 (withdrawn)" in feed and "Release 2026.04" in feed
    assert Release.objects.count() == 2 and first.pk


def test_cite_this_dataset(client, content, publisher):
    cut_in_admin(client, publisher, "2026.06")
    page = client.get("/data/releases/2026.06/").content.decode()
    assert "@dataset{kzreformtracker202606" in page
    assert "http://testserver/data/releases/2026.06/" in page
    assert "&quot;type&quot;: &quot;dataset&quot;" in page


def test_a_taken_or_bad_label_makes_nothing(client, content, publisher):
    cut_in_admin(client, publisher, "2026.07")
    for label, says in (
        ("2026.07", "exists already"),
        ("../etc", "is not a release label"),
        ("latest", "is not a release label"),
    ):
        response = client.post(reverse("admin:institute_release_add"), {"label": label})
        assert response.status_code == 200 and says in response.content.decode(), label
    assert list(Release.objects.values_list("label", flat=True)) == ["2026.07"]


def test_a_contributor_cannot_cut_a_release(client, content, contributor):
    login(client, contributor)
    response = client.post(reverse("admin:institute_release_add"), {"label": "2026.08"})
    assert response.status_code == 403
    assert not Release.objects.exists()


def test_a_table_longer_than_a_sheet_is_released_as_csv_and_json_without_a_workbook(
    client, content, publisher, monkeypatch, settings
):
    # 53 public reforms and a header: more than a sheet of 45 rows holds (a codebook sheet and
    # the one public source fit).
    for n in range(50):
        ReformFactory(slug=f"many-{n:02d}", published=True)
    # The setting, read from the environment by the process that writes the workbooks too.
    monkeypatch.setenv("XLSX_MAX_ROWS", "45")
    settings.XLSX_MAX_ROWS = 45
    release = cut_in_admin(client, publisher, "2026.09")
    names = {f["name"] for f in release.files}
    assert {"reforms.csv", "reforms.json", "sources.xlsx"} <= names
    assert "reforms.xlsx" not in names
    reforms = download(client, "2026.09", "reforms.csv").decode()
    assert len(list(csv.reader(io.StringIO(reforms)))) == 54
    assert len(json.loads(download(client, "2026.09", "reforms.json"))) == 53
    page = client.get(reverse("data-release", kwargs={"label": "2026.09"}))
    assert page.status_code == 200
    assert "sources.xlsx" in page.content.decode() and "reforms.xlsx" not in page.content.decode()
