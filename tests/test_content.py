"""The curated content in fixtures/content loads whole, once, identically, and holds together."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from institute.editorial.models import EntryVersion, ReviewEvent
from institute.sources.models import Citation
from reforms.models import Reform, Topic

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parent.parent / "fixtures" / "content"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture
def loaded(db):
    call_command("load_content", str(CONTENT))


def history_rows() -> int:
    return EntryVersion.objects.count() + ReviewEvent.objects.count()


def test_loading_twice_changes_nothing(loaded, capsys):
    before = (
        list(Reform.objects.values().order_by("pk")),
        list(Citation.objects.values().order_by("pk")),
        history_rows(),
    )
    capsys.readouterr()
    call_command("load_content", str(CONTENT))
    out = capsys.readouterr().out
    assert " 0 new, 0 updated" in out
    assert " new, 0 updated" in out
    after = (
        list(Reform.objects.values().order_by("pk")),
        list(Citation.objects.values().order_by("pk")),
        history_rows(),
    )
    assert after == before


def test_a_bad_file_loads_nothing_and_says_where(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "topics:\n  - {slug: farming, name: Farming, area: economy}\n"
        "reforms:\n"
        "  - slug: good-one\n    title: Good\n    summary: Fine. Really.\n    area: economy\n"
        "    topics: [farming]\n    status: adopted\n    adopted_on: '2020'\n"
        "  - slug: bad-one\n    title: Bad\n    summary: Not fine.\n    area: economy\n"
        "    topics: [farming]\n    status: finished\n    adopted_on: '2020-02-30'\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("load_content", str(tmp_path))
    message = str(excinfo.value)
    assert "a.yaml reform bad-one" in message
    assert "status" in message and "announced_on" not in message
    assert "no day 30" in message
    assert not Topic.objects.exists()
    assert not Reform.objects.exists()
