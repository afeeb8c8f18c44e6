"""A reform filed under a second area is found from both: the listing, its facet, the home page,
the detail page; edited and reviewed with the reform; in the CSV and the curated content."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Q
from django.http import QueryDict
from django.test import Client
from django.urls import reverse

from institute.editorial.edits import save_edit
from institute.editorial.models import PendingRevision
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from reforms.models import Area, Reform, SecondaryArea
from reforms.selectors import reform_filter_public
from tests.factories import ReformFactory, entry_in_state
from tests.plans import plan_of, postgresql_only
from tests.support import admin_url, change_form_data, login, messages_of

pytestmark = pytest.mark.django_db

REFORMS = reverse("reforms:list")
JUDICIAL = Area.JUSTICE_ANTI_CORRUPTION


@pytest.fixture
def police():
    """A police reform filed under human rights and also under judicial reform, beside one
    reform of each of the two areas and a draft that no count may include."""
    reform = ReformFactory(
        published=True, title="Police service model", area=Area.HUMAN_RIGHTS, adopted_on="2019"
    )
    SecondaryArea.objects.create(reform=reform, area=JUDICIAL)
    ReformFactory(published=True, title="Jury trials", area=JUDICIAL)
    ReformFactory(published=True, title="Ombudsman", area=Area.HUMAN_RIGHTS)
    draft = ReformFactory(draft=True, title="Draft courts", area=Area.ECONOMY)
    SecondaryArea.objects.create(reform=draft, area=JUDICIAL)
    return reform


def titles(response) -> list[str]:
    return [r.title for r in response.context["page"].object_list]


def facet(response, name: str) -> dict[str, int]:
    found = next(f for f in response.context["facets"] if f.name == name)
    return {v.value: v.count for v in found.values}


def test_the_area_filter_finds_a_reform_under_its_secondary_area(client, police):
    judicial = client.get(REFORMS, {"area": JUDICIAL, "sort": "title"})
    assert titles(judicial) == ["Jury trials", "Police service model"]
    rights = client.get(REFORMS, {"area": Area.HUMAN_RIGHTS, "sort": "title"})
    assert titles(rights) == ["Ombudsman", "Police service model"]
    # Both areas chosen: the reform filed under both is one row.
    both = client.get(REFORMS, {"area": [Area.HUMAN_RIGHTS, JUDICIAL], "sort": "title"})
    assert titles(both) == ["Jury trials", "Ombudsman", "Police service model"]
    assert both.context["page"].paginator.count == 3


def test_a_listing_row_says_which_other_area_it_is_filed_under(client, police):
    page = client.get(REFORMS, {"area": JUDICIAL}).content.decode()
    assert page.count("also Judicial reform and anti-corruption") == 1
    row = next(r for r in client.get(REFORMS).context["page"] if r.title == police.title)
    assert row.also_area_labels == ["Judicial reform and anti-corruption"]


def test_the_area_facet_counts_what_the_filter_finds(client, police):
    counts = facet(client.get(REFORMS), "area")
    for area, n in counts.items():
        assert client.get(REFORMS, {"area": area}).context["page"].paginator.count == n, area
    assert counts[JUDICIAL] == 2 and counts[Area.HUMAN_RIGHTS] == 2
    assert client.get(REFORMS).context["page"].paginator.count == 3  # each reform once
    page = client.get(REFORMS).content.decode()
    assert "may be filed under two areas" in page
    # A secondary area equal to the reform's own area (left by an edit) does not count twice.
    SecondaryArea.objects.create(reform=police, area=Area.HUMAN_RIGHTS)
    assert facet(client.get(REFORMS), "area")[Area.HUMAN_RIGHTS] == 2


def test_other_facets_follow_the_area_filter_through_secondary_areas(client, police):
    statuses = facet(client.get(REFORMS, {"area": JUDICIAL}), "status")
    assert sum(statuses.values()) == 2


def test_detail_and_home_show_the_secondary_area(client, police):
    page = client.get(police.get_absolute_url()).content.decode()
    assert "Also filed under" in page
    assert f'href="{REFORMS}?area={JUDICIAL}"' in page
    other = Reform.objects.get(title="Jury trials")
    assert "Also filed under" not in client.get(other.get_absolute_url()).content.decode()
    home = client.get(reverse("home"))
    counts = {value: n for value, _, n in home.context["areas"]}
    assert counts[JUDICIAL] == 2 and counts[Area.HUMAN_RIGHTS] == 2
    assert home.context["reform_total"] == 3


def test_a_secondary_area_is_edited_reviewed_and_published_with_the_reform(
    client, contributor, reviewer, publisher
):
    reform = entry_in_state(
        "reform", ReviewState.PUBLISHED, title="Police reform", area=Area.HUMAN_RIGHTS
    )
    login(client, contributor)
    page = client.get(admin_url(reform, "change"))
    assert "also filed under" in page.content.decode().lower()
    data = change_form_data(page)
    data["secondary_areas-0-area"] = JUDICIAL
    data["secondary_areas-TOTAL_FORMS"] = "1"
    response = client.post(admin_url(reform, "change"), data, follow=True)
    assert any("working copy" in m for m in messages_of(response))
    # A working copy: not public yet.
    assert not SecondaryArea.objects.filter(reform=reform).exists()
    revision = PendingRevision.objects.for_entry(reform).get()
    assert revision.data["secondary_areas"] == [{"area": JUDICIAL}]
    assert titles(Client().get(REFORMS, {"area": JUDICIAL})) == []

    client.post(admin_url(reform, "review", "submit"))
    login(client, reviewer)
    review = client.get(admin_url(reform, "change")).context["review"]
    changed = {c.name: c for c in review["changes"]}
    assert set(changed) == {"secondary_areas"}
    assert changed["secondary_areas"].added == ["area: Judicial reform and anti-corruption"]
    assert client.post(admin_url(reform, "review", "approve")).status_code == 302
    login(client, publisher)
    client.post(admin_url(reform, "review", "publish"))
    assert titles(Client().get(REFORMS, {"area": JUDICIAL})) == ["Police reform"]


def filtered_export_slugs(area: str) -> list[str]:
    response = Client().get(reverse("reforms:export", args=["csv"]), {"area": area})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return [r["slug"] for r in csv.DictReader(io.StringIO(text, newline=""))]


def test_a_secondary_area_taken_off_is_no_longer_found(client, contributor, reviewer, publisher):
    """The filter reads the secondary areas the reform's row keeps (on PostgreSQL), so the
    row must follow the links: taken off and published, the reform leaves the area's listing,
    its count and its download at once."""
    reform = entry_in_state(
        "reform", ReviewState.PUBLISHED, title="Police reform", area=Area.HUMAN_RIGHTS
    )
    SecondaryArea.objects.create(reform=reform, area=JUDICIAL)
    assert titles(Client().get(REFORMS, {"area": JUDICIAL})) == ["Police reform"]
    assert filtered_export_slugs(JUDICIAL) == [reform.slug]

    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    assert data["secondary_areas-0-area"] == JUDICIAL
    data["secondary_areas-0-DELETE"] = "on"
    assert client.post(admin_url(reform, "change"), data).status_code == 302
    client.post(admin_url(reform, "review", "submit"))
    # Submitted, not yet published: the public still finds it there.
    assert filtered_export_slugs(JUDICIAL) == [reform.slug]
    login(client, reviewer)
    assert client.post(admin_url(reform, "review", "approve")).status_code == 302
    login(client, publisher)
    client.post(admin_url(reform, "review", "publish"))

    assert not SecondaryArea.objects.filter(reform=reform).exists()
    judicial = Client().get(REFORMS, {"area": JUDICIAL})
    assert titles(judicial) == [] and judicial.context["page"].paginator.count == 0
    assert facet(Client().get(REFORMS), "area").get(JUDICIAL, 0) == 0
    assert filtered_export_slugs(JUDICIAL) == []
    assert titles(Client().get(REFORMS, {"area": Area.HUMAN_RIGHTS})) == ["Police reform"]


@postgresql_only
def test_the_area_filter_is_answered_by_the_secondary_areas_index(police):
    """The index (reforms/0027) is of the filter's own expression: if the two drift apart, the
    planner can no longer use it, and a search or an export with an area reads every row its
    other conditions keep again. Over 2,000 published reforms (copies of one, made here and
    rolled back), with the scans that read the rows in an index's order turned off, the plan
    of an export's rows must find the area's reforms by it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reforms_reform SELECT (jsonb_populate_record(NULL::reforms_reform,"
            " to_jsonb(r) || jsonb_build_object('id', r.id * 10000 + g,"
            " 'slug', r.slug || '-' || g))).* FROM reforms_reform r, generate_series(1, 2000) g"
            " WHERE r.title = 'Ombudsman'"
        )
        cursor.execute("ANALYZE reforms_reform")
    rows = reform_filter_public(params=QueryDict(f"area={JUDICIAL}&status=adopted")).qs
    plan = plan_of(rows, off=("seqscan", "indexscan"))
    assert "Bitmap Index Scan on reforms_reform_secondary_areas_gin" in plan, plan
    by_links = Q(area=JUDICIAL) | Q(secondary_areas__area=JUDICIAL)
    expected = Reform.objects.published().filter(by_links, status="adopted").distinct()
    assert police.status == "adopted"
    assert sorted(r.slug for r in rows) == sorted(r.slug for r in expected)


def test_a_secondary_area_equal_to_the_own_area_is_refused(client, superuser):
    reform = ReformFactory(draft=True, area=Area.HUMAN_RIGHTS)
    login(client, superuser)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data["secondary_areas-0-area"] = Area.HUMAN_RIGHTS
    data["secondary_areas-TOTAL_FORMS"] = "1"
    response = client.post(admin_url(reform, "change"), data)
    assert response.status_code == 200  # the form again, with the error
    assert "already the reform" in response.content.decode()
    assert not SecondaryArea.objects.exists()


# --- CSV ---------------------------------------------------------------------------------------


def export_rows() -> list[dict]:
    response = Client().get("/data/reforms.csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def import_reforms(tmp_path, data: str) -> str:
    path = tmp_path / "reforms.csv"
    path.write_text(data, encoding="utf-8")
    out = StringIO()
    call_command("import_reforms", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_csv_has_the_secondary_areas_and_reads_them_back(police, tmp_path):
    rows = {r["slug"]: r for r in export_rows()}
    assert rows[police.slug]["secondary_areas"] == JUDICIAL
    assert all(r["secondary_areas"] == "" for s, r in rows.items() if s != police.slug)

    header = "slug,title,summary,area,status,secondary_areas\r\n"
    out = import_reforms(
        tmp_path,
        header + f"new-one,New one,A new reform. Two sentences.,economy,adopted,"
        f"{JUDICIAL};{Area.POLITICAL_PARTICIPATION}\r\n",
    )
    assert "1 new" in out
    fresh = Reform.objects.get(slug="new-one")
    assert sorted(fresh.secondary_areas.values_list("area", flat=True)) == [
        JUDICIAL,
        Area.POLITICAL_PARTICIPATION,
    ]


def test_csv_export_import_export_keeps_the_secondary_areas(police, tmp_path):
    before = Client().get("/data/reforms.csv")
    data = b"".join(before.streaming_content).decode()
    out = import_reforms(tmp_path, data)
    assert " 0 new, 0 updated" in out
    assert b"".join(Client().get("/data/reforms.csv").streaming_content).decode() == data


def test_a_secondary_area_made_the_own_one_is_not_written_again(police, tmp_path):
    # An edit of `area` onto a secondary area drops that secondary area (the write path's one
    # rule, Reform.normalized_snapshot); no page or file repeats the area.
    police.review_state = ReviewState.DRAFT
    police.save(update_fields=["review_state"])
    data = snapshot(police)
    save_edit(police, {**data, "area": JUDICIAL}, by=None)
    assert not SecondaryArea.objects.filter(reform=police).exists()
    police.review_state = ReviewState.PUBLISHED
    police.save(update_fields=["review_state"])
    rows = {r["slug"]: r for r in export_rows()}
    assert rows[police.slug]["area"] == JUDICIAL
    assert rows[police.slug]["secondary_areas"] == ""
    page = Client().get(police.get_absolute_url()).content.decode()
    assert "Also filed under" not in page
    data = b"".join(Client().get("/data/reforms.csv").streaming_content).decode()
    assert "0 new, 0 updated" in import_reforms(tmp_path, data)  # the file imports again


@pytest.mark.parametrize("surface", ["admin", "csv"])
def test_an_edit_of_area_by_any_path_prunes_the_secondary_area(
    surface, superuser, client, tmp_path
):
    """Finding 7 of issue 22: the rule holds on every write path, stated once."""
    reform = ReformFactory(draft=True, slug="moved", area=Area.HUMAN_RIGHTS)
    save_edit(reform, {**snapshot(reform), "secondary_areas": [{"area": JUDICIAL}]}, by=None)
    if surface == "admin":
        login(client, superuser)
        data = change_form_data(client.get(admin_url(reform, "change")))
        data["area"] = JUDICIAL
        assert client.post(admin_url(reform, "change"), data).status_code == 302
    else:
        header = "slug,title,summary,area,status\r\n"
        row = f"moved,{reform.title},{reform.summary},{JUDICIAL},{reform.status}\r\n"
        assert "1 updated" in import_reforms(tmp_path, header + row)
    reform.refresh_from_db()
    assert reform.area == JUDICIAL
    assert not SecondaryArea.objects.filter(reform=reform).exists()
    assert snapshot(reform)["secondary_areas"] == []


def test_an_unknown_secondary_area_is_refused_by_line(police, tmp_path):
    header = "slug,title,summary,area,status,secondary_areas\r\n"
    row = "bad-one,Bad,A bad reform. Two sentences.,economy,adopted,astrology\r\n"
    with pytest.raises(CommandError, match="astrology"):
        import_reforms(tmp_path, header + row)
    assert not Reform.objects.filter(slug="bad-one").exists()


def test_a_csv_row_repeating_its_own_area_is_refused_by_line(tmp_path):
    header = "slug,title,summary,area,status,secondary_areas\r\n"
    row = "twice,Twice,A reform. Two sentences.,human-rights,adopted,human-rights\r\n"
    refused = "Line 2, column “secondary_areas”: lists the reform.s own area"
    with pytest.raises(CommandError, match=refused):
        import_reforms(tmp_path, header + row)
    assert not Reform.objects.filter(slug="twice").exists()


# --- the curated content -------------------------------------------------------------------------

YAML = """topics:
  - {slug: policing, name: Policing, area: human-rights}
reforms:
  - slug: police-service-model
    title: Police service model
    summary: The police move to a service model. Two sentences.
    area: human-rights
    secondary_areas: [%s]
    topics: [policing]
    status: adopted
    adopted_on: "2019"
"""


def test_the_content_loader_reads_secondary_areas(tmp_path, client):
    (tmp_path / "a.yaml").write_text(YAML % JUDICIAL, encoding="utf-8")
    call_command("load_content", str(tmp_path), stdout=StringIO())
    reform = Reform.objects.get(slug="police-service-model")
    assert list(reform.secondary_areas.values_list("area", flat=True)) == [JUDICIAL]
    assert titles(client.get(REFORMS, {"area": JUDICIAL})) == ["Police service model"]
    out = StringIO()
    call_command("load_content", str(tmp_path), stdout=out)
    assert "reforms: 0 new, 0 updated, 1 unchanged" in out.getvalue()


def test_the_content_loader_refuses_an_unknown_secondary_area(tmp_path):
    (tmp_path / "a.yaml").write_text(YAML % "astrology", encoding="utf-8")
    with pytest.raises(CommandError, match="secondary_areas"):
        call_command("load_content", str(tmp_path), stdout=StringIO())
    assert not Reform.objects.exists()


def test_the_content_loader_refuses_the_reforms_own_area_as_a_secondary_one(tmp_path):
    (tmp_path / "a.yaml").write_text(YAML % Area.HUMAN_RIGHTS, encoding="utf-8")
    with pytest.raises(CommandError, match="own area"):
        call_command("load_content", str(tmp_path), stdout=StringIO())
    assert not Reform.objects.exists()


def test_the_content_loader_names_an_area_listed_twice_before_writing(tmp_path):
    (tmp_path / "a.yaml").write_text(YAML % f"{JUDICIAL}, {JUDICIAL}", encoding="utf-8")
    with pytest.raises(CommandError, match=f"Listed twice .*area “{JUDICIAL}”"):
        call_command("load_content", str(tmp_path), stdout=StringIO())
    assert not Reform.objects.exists()
