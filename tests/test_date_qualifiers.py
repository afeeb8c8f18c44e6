"""How the source bounds a reform's date (on, by, since, about): held by the database, shown in
words, edited in the admin, exported and imported in their own columns (after the old ones),
read honestly by the year filters, and in the API."""

import csv
import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse

from institute.editorial.models import PendingRevision
from reforms.models import Reform
from tests.factories import ReformFactory
from tests.support import NO_REFORM_INLINE_ROWS, login

pytestmark = pytest.mark.django_db

REFORMS = reverse("reforms:list")
NEW_COLUMNS = ["announced_qualifier", "adopted_qualifier", "effective_qualifier", "acted_by"]


def titles(response) -> list[str]:
    return sorted(r.title for r in response.context["reforms"])


def csv_rows(client, url=None, params=None) -> list[dict]:
    url = url or reverse("reforms:export", kwargs={"fmt": "csv"})
    response = client.get(url, params or {})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def bounded():
    """One reform per kind of bound, all published, and a draft bounded one beside them."""
    ReformFactory(published=True, title="On 2016", adopted_on="2016")
    ReformFactory(published=True, title="By 2016", adopted_on="2016", adopted_qualifier="by")
    ReformFactory(
        published=True,
        title="Since 2017",
        adopted_on="",
        effective_on="2017",
        effective_qualifier="since",
    )
    ReformFactory(
        published=True,
        title="About 2020",
        adopted_on="",
        effective_on="2020",
        effective_qualifier="about",
    )
    ReformFactory(title="Draft by 2016", adopted_on="2016", adopted_qualifier="by")


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"adopted_qualifier": "later"}, "reform_adopted_qualifier_known"),
        ({"adopted_qualifier": "by", "adopted_on": ""}, "reform_adopted_qualifier_has_date"),
        ({"effective_qualifier": "since"}, "reform_effective_qualifier_has_date"),
        ({"acted_by": "mars"}, "reform_actor_known"),
    ],
)
def test_the_database_refuses_a_bad_qualifier_or_actor(changes, constraint):
    reform = ReformFactory(adopted_on="2016", effective_on="")
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Reform.objects.filter(pk=reform.pk).update(**changes)


def test_a_new_row_written_without_the_columns_gets_on_and_kazakhstan():
    reform = ReformFactory(adopted_on="2016")
    reform.refresh_from_db()
    assert (reform.adopted_qualifier, reform.acted_by) == ("on", "kazakhstan")


def test_pages_say_the_bound_in_words(client, bounded):
    listing = client.get(REFORMS).content.decode()
    assert "Adoption date by 2016" in listing
    assert "In force from since 2017" in listing
    assert "In force from about 2020" in listing
    assert "Adoption date 2016" in listing  # "on" says nothing more
    assert "Draft by 2016" not in listing
    reform = Reform.objects.get(title="By 2016")
    page = client.get(reform.get_absolute_url()).content.decode()
    assert '<time datetime="2016">by 2016</time>' in page
    assert "<dt>Who acted</dt><dd>Government of Kazakhstan</dd>" in page


def test_year_filters_are_honest_about_bounds(client, bounded):
    # "by 2016" may be any year up to 2016: within "to 2016", never sure to be "from 2016".
    assert titles(client.get(REFORMS, {"year_to": "2016"})) == ["By 2016", "On 2016"]
    assert titles(client.get(REFORMS, {"year_from": "2016", "year_to": "2016"})) == ["On 2016"]
    # "since 2017" may be any year from 2017 on: within "from 2017", never sure to be "to 2017".
    assert titles(client.get(REFORMS, {"year_from": "2017"})) == ["About 2020", "Since 2017"]
    assert titles(client.get(REFORMS, {"year_to": "2017"})) == ["By 2016", "On 2016"]
    assert titles(client.get(REFORMS, {"year_to": "2017", "date_field": "effective"})) == []
    # "about" is read as its year.
    assert titles(client.get(REFORMS, {"year_from": "2020", "year_to": "2020"})) == ["About 2020"]
    # The export holds the rows the listing shows.
    rows = csv_rows(client, params={"year_to": "2016"})
    assert sorted(r["title"] for r in rows) == ["By 2016", "On 2016"]


def test_the_year_chart_counts_what_its_bars_list(client, bounded):
    """A bar counts exactly the rows of the listing it links to: a date given only as a bound is
    in no year's bar, and the chart says how many it leaves out."""
    chart = client.get(reverse("insights-chart", args=["reforms-by-year", "csv"]))
    rows = {r["year"]: r for r in csv.DictReader(io.StringIO(chart.content.decode()))}
    assert set(rows) == {"2016", "2020"}  # "since 2017" is in no year
    for year, row in rows.items():
        listed = titles(client.get(REFORMS, {"year_from": year, "year_to": year}))
        assert int(row["reforms"]) == len(listed), year
    assert int(rows["2016"]["reforms"]) == 1  # "On 2016"; not "By 2016"
    page = client.get(reverse("insights")).content.decode()
    assert "2 reforms dated only by a bound" in page


def test_the_csv_adds_the_columns_after_the_old_ones(client, bounded):
    rows = csv_rows(client)
    header = list(rows[0])
    # Issue 27's four, after all the older ones (issue 25's translations came after them).
    assert header[header.index("acted_by") - 3 : header.index("acted_by") + 1] == NEW_COLUMNS
    assert header.index("acted_by") == header.index("secondary_areas") + 4
    cells = {r["title"]: [r[c] for c in NEW_COLUMNS] for r in rows}
    assert cells == {
        "On 2016": ["", "on", "", "kazakhstan"],
        "By 2016": ["", "by", "", "kazakhstan"],
        "Since 2017": ["", "", "since", "kazakhstan"],
        "About 2020": ["", "", "about", "kazakhstan"],
    }


def test_the_api_record_and_the_whole_table_say_the_same(client, bounded):
    body = client.get("/api/v1/reforms/", {"page_size": 50}).json()
    api = {r["title"]: [r[c] for c in NEW_COLUMNS] for r in body["results"]}
    whole = csv_rows(client, url="/data/reforms.csv")
    assert api == {r["title"]: [r[c] for c in NEW_COLUMNS] for r in whole}
    assert api["By 2016"] == ["", "by", "", "kazakhstan"]


def test_the_codebook_and_data_package_describe_the_columns(client):
    page = client.get("/data/").content.decode()
    for column in NEW_COLUMNS:
        assert column in page
    response = client.get(reverse("data-package"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    package = json.loads(archive.read("datapackage.json"))
    (reforms,) = [r for r in package["resources"] if r["name"] == "reforms"]
    fields = {f["name"]: f for f in reforms["schema"]["fields"]}
    assert fields["adopted_qualifier"]["constraints"]["enum"] == ["on", "by", "since", "about"]
    assert "undp" in fields["acted_by"]["constraints"]["enum"]


def import_rows(tmp_path, rows: list[dict]) -> str:
    """Import the rows (as the export wrote them, then changed) through `import_reforms`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "reforms.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    out = StringIO()
    call_command("import_reforms", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_an_import_sets_a_bound_and_refuses_one_without_its_date(client, tmp_path):
    ReformFactory(published=True, slug="as-of", title="As of", adopted_on="2016")
    (row,) = csv_rows(client, url="/data/reforms.csv")
    assert (row["adopted_qualifier"], row["acted_by"]) == ("on", "kazakhstan")
    import_rows(tmp_path, [{**row, "adopted_qualifier": "by", "acted_by": "undp"}])
    reform = Reform.objects.get(slug="as-of")
    copy = PendingRevision.objects.get(object_id=reform.pk).data
    assert (copy["adopted_qualifier"], copy["acted_by"]) == ("by", "undp")
    # Empty cells mean the defaults.
    import_rows(tmp_path, [{**row, "adopted_qualifier": "", "acted_by": ""}])
    copy = PendingRevision.objects.get(object_id=reform.pk).data
    assert (copy["adopted_qualifier"], copy["acted_by"]) == ("on", "kazakhstan")

    before = list(PendingRevision.objects.values_list("pk", "data"))
    with pytest.raises(CommandError) as refused:
        import_rows(tmp_path, [{**row, "adopted_on": "", "adopted_qualifier": "by"}])
    assert "give the adopted date too" in str(refused.value)
    with pytest.raises(CommandError, match="acted_by.*must be one of kazakhstan"):
        import_rows(tmp_path, [{**row, "acted_by": "mars"}])
    assert list(PendingRevision.objects.values_list("pk", "data")) == before
    assert Reform.objects.get(slug="as-of").adopted_qualifier == "on"


def test_the_admin_form_takes_a_bound_and_refuses_one_without_a_date(client, contributor):
    login(client, contributor)
    form = {
        "title": "Bounded",
        "slug": "bounded",
        "summary": "Two sentences. Here.",
        "area": "economy",
        "status": "adopted",
        "announced_on": "",
        "announced_qualifier": "on",
        "adopted_on": "",
        "adopted_qualifier": "by",
        "effective_on": "",
        "effective_qualifier": "on",
        "acted_by": "osce",
        **NO_REFORM_INLINE_ROWS,
    }
    refused = client.post(reverse("admin:reforms_reform_add"), form)
    assert refused.status_code == 200
    assert "give the adopted date too" in refused.content.decode()
    assert not Reform.objects.filter(slug="bounded").exists()
    saved = client.post(reverse("admin:reforms_reform_add"), {**form, "adopted_on": "2016"})
    assert saved.status_code == 302
    reform = Reform.objects.get(slug="bounded")
    assert (reform.adopted_on, reform.adopted_qualifier, reform.acted_by) == (
        "2016",
        "by",
        "osce",
    )
