"""The curated content in fixtures/content loads whole, once, identically, and holds together."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.models import EntryVersion, PendingRevision, ReviewEvent
from institute.editorial.versions import snapshot
from institute.sources.models import Citation
from recommendations.models import Recommendation
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


def test_a_citation_listed_twice_is_named_and_nothing_is_written(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "topics:\n  - {slug: farming, name: Farming, area: economy}\n"
        "sources:\n  - {slug: report-2021, title: A report, published_on: '2021', kind: report}\n"
        "  - {slug: other-2021, title: Another, published_on: '2021', kind: report}\n"
        "reforms:\n"
        "  - slug: cited-twice\n    title: Cited\n    summary: Fine. Really.\n    area: economy\n"
        "    topics: [farming]\n    status: adopted\n    adopted_on: '2020'\n    citations:\n"
        "      - {source: report-2021, locator: 'Economy, c. p. 20', quote: One.}\n"
        "      - {source: other-2021, locator: 'Economy, c. p. 20', quote: Two.}\n"
        "      - {source: report-2021, locator: 'Economy, c. p. 20', quote: Three.}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("load_content", str(tmp_path))
    message = str(excinfo.value)
    assert "a.yaml reform cited-twice: citations: Listed twice" in message
    assert "source “report-2021”, locator “Economy, c. p. 20”" in message
    assert "other-2021" not in message  # another source at the same locator is another citation
    assert not Reform.objects.exists()


SMALL = """
topics:
  - {slug: farming, name: Farming, area: economy}
themes:
  - {slug: growth, name: Growth}
sources:
  - {slug: report-2021, title: A report, published_on: "2021", kind: report}
recommendations:
  - slug: grow-farms
    title: Grow farms
    text: Help farmers.
    audience: government
    themes: [growth]
    report: report-2021
    position: 1
reforms:
  - slug: farm-law
    title: Farm law
    summary: A law for farms.
    area: economy
    topics: [farming]
    status: adopted
    adopted_on: "2020"
    citations:
      - {source: report-2021, locator: "p. 3", quote: "farms", supports: "the law"}
"""

MORE = """
reforms:
  - slug: farm-credit
    title: Farm credit
    summary: Credit for farms.
    area: economy
    status: announced
responses:
  - recommendation: grow-farms
    reform: farm-credit
    note: Credit helps farmers.
    citations:
      - {source: report-2021, locator: "p. 4"}
"""


def load_files(tmp_path, *texts: str) -> None:
    for n, text in enumerate(texts):
        (tmp_path / f"{n}.yaml").write_text(text, encoding="utf-8")
    call_command("load_content", str(tmp_path))


def test_a_changed_file_never_overwrites_a_loaded_entry(tmp_path, capsys):
    load_files(tmp_path, SMALL)
    reform = Reform.objects.get(slug="farm-law")
    assert reform.review_state == "published"
    capsys.readouterr()
    load_files(tmp_path, SMALL.replace("A law for farms.", "A law for all farms."))
    assert "reforms: 0 new, 0 updated, 0 unchanged, 1 changed in the files but kept" in (
        capsys.readouterr().out
    )
    reform = Reform.objects.get(slug="farm-law")
    assert (reform.summary, reform.review_state, reform.version) == (
        "A law for farms.",
        "published",
        1,
    )
    assert not PendingRevision.objects.exists()
    versions = EntryVersion.objects.for_entry(reform).order_by("number")
    assert [(v.number, v.kind) for v in versions] == [(1, "imported")]
    assert versions.last().data == snapshot(reform)
    events = ReviewEvent.objects.for_entry(reform).order_by("pk")
    assert [(e.action, e.on_working_copy) for e in events] == [("publish", False)]


def test_update_makes_a_changed_file_one_version_in_review(tmp_path, capsys):
    load_files(tmp_path, SMALL)
    capsys.readouterr()
    (tmp_path / "0.yaml").write_text(SMALL.replace("A law for farms.", "A law for all farms."))
    call_command("load_content", str(tmp_path), "--update")
    assert "reforms: 0 new, 1 updated, 0 unchanged" in capsys.readouterr().out
    reform = Reform.objects.get(slug="farm-law")
    assert (reform.summary, reform.review_state, reform.version) == (
        "A law for farms.",
        "published",
        2,
    )
    copy = PendingRevision.objects.get()
    assert (copy.data["summary"], copy.state) == ("A law for all farms.", "in-review")
    versions = EntryVersion.objects.for_entry(reform).order_by("number")
    assert [(v.number, v.kind, v.working_copy) for v in versions] == [
        (1, "imported", False),
        (2, "imported", True),
    ]
    events = ReviewEvent.objects.for_entry(reform).order_by("pk")
    assert [(e.action, e.on_working_copy) for e in events] == [
        ("publish", False),
        ("submit", True),
    ]


def test_a_new_reform_answering_a_loaded_recommendation_is_a_version_of_the_reform(
    tmp_path, capsys
):
    """The response is the reform's: its version lists it, with its evidence; the
    recommendation's snapshot does not list responses, and its history does not move (no move
    on one entry writes another entry's rows)."""
    load_files(tmp_path, SMALL)
    rec = Recommendation.objects.get(slug="grow-farms")
    assert "responses" not in EntryVersion.objects.for_entry(rec).get().data
    capsys.readouterr()
    load_files(tmp_path, SMALL, MORE)
    out = capsys.readouterr().out
    assert "responses: 1 new, 0 updated, 0 unchanged" in out
    assert "recommendations: 0 new, 0 updated, 1 unchanged" in out
    rec.refresh_from_db()
    reform = Reform.objects.get(slug="farm-credit")
    assert rec.version == 1 and EntryVersion.objects.for_entry(rec).count() == 1
    latest = EntryVersion.objects.for_entry(reform).get(number=reform.version)
    assert latest.data == snapshot(reform)
    evidence = Citation.objects.get(response__reform=reform)
    assert [{k: v for k, v in r.items() if k != "citations"} for r in latest.data["responses"]] == [
        {
            "recommendation": rec.pk,
            "relation": "answers",
            "note": "Credit helps farmers.",
            "note_ru": "",
            "note_kk": "",
        }
    ]
    assert [(c["source"], c["locator"]) for c in latest.data["responses"][0]["citations"]] == [
        (evidence.source_id, "p. 4")
    ]
    assert (evidence.source.slug, evidence.locator) == ("report-2021", "p. 4")
    assert "responses" not in snapshot(rec)
    versions = EntryVersion.objects.for_entry(reform).count()
    capsys.readouterr()
    load_files(tmp_path, SMALL, MORE)
    assert "responses: 0 new, 0 updated, 1 unchanged" in capsys.readouterr().out
    assert EntryVersion.objects.for_entry(rec).count() == 1
    assert EntryVersion.objects.for_entry(reform).count() == versions


def test_every_reference_problem_is_named_and_nothing_is_written(tmp_path):
    broken = (
        SMALL.replace("topics: [farming]", "topics: [fishing]")
        .replace("report: report-2021", "report: no-such-report")
        .replace("source: report-2021, locator", "source: lost-source, locator")
    )
    with pytest.raises(CommandError) as excinfo:
        load_files(tmp_path, broken, MORE.replace("reform: farm-credit", "reform: farm-debt"))
    message = str(excinfo.value)
    assert "0.yaml reform farm-law: topics: unknown topic “fishing”" in message
    assert "citations: unknown source “lost-source”" in message
    assert "0.yaml recommendation grow-farms: report: unknown report “no-such-report”" in message
    assert "1.yaml response grow-farms ← farm-debt: unknown reform “farm-debt”" in message
    assert not Topic.objects.exists() and not Reform.objects.exists()


BOUNDED = SMALL.replace(
    '    adopted_on: "2020"\n',
    '    adopted_on: "2020"\n    adopted_qualifier: by\n    acted_by: undp\n',
)


def test_a_qualifier_and_an_actor_reach_a_loaded_database_through_review(
    tmp_path, capsys, client, reviewer, publisher
):
    """Content corrected in the files (issue 27) reaches a database loaded before them: the
    loader proposes it for review, the public sees the old version until it is published, and
    then the new one, on the page and in the CSV."""
    load_files(tmp_path, SMALL)
    reform = Reform.objects.get(slug="farm-law")
    assert (reform.adopted_qualifier, reform.acted_by) == ("on", "kazakhstan")
    capsys.readouterr()
    (tmp_path / "0.yaml").write_text(BOUNDED, encoding="utf-8")
    call_command("load_content", str(tmp_path), "--update")
    assert "reforms: 0 new, 1 updated, 0 unchanged" in capsys.readouterr().out
    copy = PendingRevision.objects.get()
    assert (copy.data["adopted_qualifier"], copy.data["acted_by"], copy.state) == (
        "by",
        "undp",
        "in-review",
    )
    page = client.get(reform.get_absolute_url()).content.decode()
    assert "by 2020" not in page  # the working copy is not public
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    reform.refresh_from_db()
    assert (reform.adopted_qualifier, reform.acted_by) == ("by", "undp")
    page = client.get(reform.get_absolute_url()).content.decode()
    assert '<time datetime="2020">by 2020</time>' in page
    assert "<dt>Who acted</dt><dd>UNDP</dd>" in page
    # Loading again proposes nothing more.
    call_command("load_content", str(tmp_path), "--update")
    assert "reforms: 0 new, 0 updated, 1 unchanged" in capsys.readouterr().out


def test_a_fresh_load_publishes_the_corrected_content(tmp_path, client):
    load_files(tmp_path, BOUNDED)
    reform = Reform.objects.get(slug="farm-law")
    assert (reform.review_state, reform.adopted_qualifier, reform.acted_by) == (
        "published",
        "by",
        "undp",
    )
    assert "Adoption date by 2020" in client.get(reverse("reforms:list")).content.decode()
