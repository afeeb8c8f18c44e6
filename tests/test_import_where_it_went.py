"""“Where did my import go?” (issue 28, item 12): the preview shows changes only, the page
after the import offers to submit what it wrote and links the queue filtered to it, and “My
work” lists imported working copies and tells the truth about a published entry."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.states import ReviewState
from institute.editorial.versions import working_state
from reforms.models import Reform
from tests.factories import TopicFactory, entry_in_state
from tests.support import login

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:reforms_reform_import")
CONFIRM_URL = reverse("admin:reforms_reform_process_import")
HEADER = b"slug,title,summary,area,topics,status\r\n"
MY_WORK = reverse("admin:institute_review_queue") + "?state=all&whose=mine"


def _row(slug: str, title: str) -> bytes:
    return f"{slug},{title},One sentence. Two.,economy,farming,adopted\r\n".encode()


def _upload(client, data: bytes):
    return client.post(
        IMPORT_URL,
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("reforms.csv", data, content_type="text/csv"),
        },
    )


@pytest.fixture
def published_by_others(db):
    TopicFactory(slug="farming")
    rows = []
    for n in range(1, 4):
        reform = entry_in_state(
            "reform", ReviewState.PUBLISHED, slug=f"reform-{n}", title=f"Reform {n}"
        )
        rows.append(_row(reform.slug, reform.title))
    # As an export of them would read: what the file holds now is what is stored.
    for reform in Reform.objects.all():
        reform.summary, reform.status, reform.area = "One sentence. Two.", "adopted", "economy"
        reform.save()
        reform.topics.set(TopicFactory._meta.model.objects.filter(slug="farming"))
    return rows


def test_import_preview_shows_changes_only_then_offers_to_submit_them(
    client, contributor, published_by_others
):
    login(client, contributor)
    rows = list(published_by_others)
    rows[1] = _row("reform-2", "Reform 2 amended")
    data = HEADER + b"".join(rows) + _row("brand-new", "Brand new reform")
    preview = _upload(client, data)
    html = preview.content.decode()
    assert "reforms: 1 new, 1 updated, 2 unchanged" in html, html[:3000]
    table = re.search(r'<table id="import-preview">.*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == 1 + 2  # the header, the changed row and the new one
    assert "reform-2" in table and "brand-new" in table and "reform-1" not in table
    unchanged = re.search(r'<details id="import-unchanged">.*?</details>', html, re.S).group(0)
    assert "2 unchanged rows" in unchanged and "reform-1" in unchanged

    response = client.post(CONFIRM_URL, preview.context["confirm_form"].initial)
    assert response.status_code == 302
    done = client.get(response["Location"])
    page = done.content.decode()
    assert 'value="Submit these 2 for review"' in page
    amended, new = Reform.objects.get(slug="reform-2"), Reform.objects.get(slug="brand-new")
    queue_url = done.context["queue_url"]
    assert (
        f"ids={amended.pk}%2C{new.pk}" in queue_url or f"ids={new.pk}%2C{amended.pk}" in queue_url
    )
    queue = client.get(queue_url).content.decode()
    assert "Reform 2" in queue and "Brand new reform" in queue and "Reform 1<" not in queue

    # My work lists the imported working copy of someone else's published reform.
    mine = client.get(MY_WORK).content.decode()
    assert "Reform 2" in mine and "Brand new reform" in mine

    client.post(response["Location"])
    assert working_state(Reform.objects.get(slug="reform-2")) == ReviewState.IN_REVIEW
    assert working_state(Reform.objects.get(slug="brand-new")) == ReviewState.IN_REVIEW
    assert "Submit these" not in client.get(response["Location"]).content.decode()


def test_my_work_says_published_for_an_approved_and_published_entry(
    client, contributor, reviewer, publisher
):
    reform = entry_in_state("reform", ReviewState.DRAFT, title="Mine, now public")
    reform.created_by = contributor
    reform.save()
    workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    login(client, contributor)
    row = re.search(r'<tr class="queue-row">.*?</tr>', client.get(MY_WORK).content.decode(), re.S)
    assert "Mine, now public" in row.group(0)
    assert 'data-approved="published"' in row.group(0) and "Not yet" not in row.group(0)


def test_someone_elses_import_page_is_not_found(client, contributor, make_role_user):
    login(client, contributor)
    url = reverse("admin:reforms_reform_import_done", args=[9999])
    assert client.get(url).status_code == 404
