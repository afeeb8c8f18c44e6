"""The one edit service (institute.editorial.edits.save_edit) that the admin, imports, revert
and the content loader write through: what it writes, and what it refuses."""

import pytest

from institute.editorial.edits import StaleEdit, save_edit
from institute.editorial.models import EntryVersion, PendingRevision, VersionKind
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from reforms.models import Reform
from tests.factories import CitationFactory, SourceFactory, entry_in_state

pytestmark = pytest.mark.django_db


def edited(entry, **changes) -> dict:
    return {**snapshot(entry), **changes}


def test_a_draft_gets_the_edit_on_its_row_as_the_next_version(contributor):
    reform = entry_in_state("reform", ReviewState.DRAFT, title="Before")
    source = SourceFactory(published=True)
    data = edited(reform, title="After")
    data["citations"] = [
        {"source": source.pk, "locator": "ch. 2", "quote": "", "supports": "", "position": 0}
    ]
    saved = save_edit(reform, data, by=contributor, expected_version=reform.version)
    row = Reform.objects.get(pk=reform.pk)
    assert (row.title, row.version, row.updated_by) == ("After", reform.version + 1, contributor)
    assert list(row.citations.values_list("source", "locator")) == [(source.pk, "ch. 2")]
    versions = EntryVersion.objects.for_entry(row)
    # the version found before the first recorded change, then the edit
    assert list(versions.values_list("number", "kind")) == [
        (reform.version + 1, VersionKind.EDITED),
        (reform.version, VersionKind.BASELINE),
    ]
    assert versions.first().data == snapshot(row)
    assert saved.version == row.version


def test_a_published_entry_keeps_its_row_and_gets_a_working_copy(contributor):
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Public")
    save_edit(reform, edited(reform, title="Proposed"), by=contributor)
    row = Reform.objects.get(pk=reform.pk)
    assert row.title == "Public"
    assert row.version == reform.version + 1  # forms opened before are stale
    copy = PendingRevision.objects.for_entry(row).get()
    assert (copy.data["title"], copy.updated_by) == ("Proposed", contributor)
    latest = EntryVersion.objects.for_entry(row).first()
    assert (latest.kind, latest.working_copy) == (VersionKind.WORKING_COPY, True)


@pytest.mark.parametrize("state", [ReviewState.DRAFT, ReviewState.PUBLISHED])
def test_an_edit_made_against_an_older_version_is_refused_and_writes_nothing(state, contributor):
    reform = entry_in_state("reform", state, title="Kept")
    CitationFactory(reform=reform)
    opened_at = reform.version
    save_edit(reform, edited(reform, title="First"), by=contributor, expected_version=opened_at)
    current = Reform.objects.get(pk=reform.pk)
    before = (
        snapshot(current),
        current.version,
        EntryVersion.objects.for_entry(reform).count(),
        list(PendingRevision.objects.for_entry(reform).values_list("data", flat=True)),
    )
    with pytest.raises(StaleEdit) as excinfo:
        save_edit(
            reform, edited(reform, title="Second"), by=contributor, expected_version=opened_at
        )
    assert (excinfo.value.current, excinfo.value.expected) == (opened_at + 1, opened_at)
    assert "Nothing was saved" in " ".join(excinfo.value.messages)
    current = Reform.objects.get(pk=reform.pk)
    assert before == (
        snapshot(current),
        current.version,
        EntryVersion.objects.for_entry(reform).count(),
        list(PendingRevision.objects.for_entry(reform).values_list("data", flat=True)),
    )
