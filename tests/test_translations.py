"""Translations of the content: edited beside the English, reviewed like any edit, public only
once published, shown with a marked fallback, searched in their own language, and in the CSV
contract and the API."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.states import ReviewState
from tests.factories import entry_in_state
from tests.support import admin_url, change_form_data, login

PLANTED = "Непроверенный перевод заголовка"


def listed_titles(response) -> list[str]:
    return [row["title_ru"] for row in csv.DictReader(io.StringIO(body(response)))]


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


@pytest.fixture
def reform(db):
    return entry_in_state(
        "reform",
        ReviewState.PUBLISHED,
        slug="police-reform",
        title="Police reform",
        summary="The police were reformed.",
        title_ru="Реформа полиции",
        summary_ru="Полицию реформировали.",
    )


def test_the_page_in_each_language_shows_its_translation_or_the_english_marked(client, reform):
    english = client.get("/reforms/police-reform/").content.decode()
    russian = client.get("/ru/reforms/police-reform/").content.decode()
    kazakh = client.get("/kk/reforms/police-reform/").content.decode()
    assert "<h1>Police reform</h1>" in english
    assert "<h1>Реформа полиции</h1>" in russian and "Полицию реформировали." in russian
    assert "not yet translated" not in english and "untranslated" not in russian
    assert '<h1><span lang="en-GB">Police reform</span> <small class="untranslated">' in kazakh
    assert "әлі аударылмаған" in kazakh


def test_the_fallback_order_is_a_setting(client, reform, settings):
    settings.CONTENT_LANGUAGE_FALLBACKS = {"kk": ["kk", "ru"]}
    kazakh = client.get("/kk/reforms/police-reform/").content.decode()
    assert '<h1><span lang="ru">Реформа полиции</span> <small class="untranslated">' in kazakh


def test_a_translation_is_edited_beside_the_english_and_reviewed_like_any_edit(
    client, reform, contributor, reviewer, publisher
):
    login(client, contributor)
    form = client.get(admin_url(reform, "change"))
    assert 'name="title_kk"' in form.content.decode()
    data = change_form_data(form)
    data["title_kk"] = "Полиция реформасы"
    assert client.post(admin_url(reform, "change"), data).status_code == 302
    # A working copy: the review shows the new field, the public does not see it yet.
    page = client.get(admin_url(reform, "change"))
    changed = {c.name: c for c in page.context["review"]["changes"]}
    assert "title_kk" in changed
    assert "Полиция реформасы" not in client.get("/kk/reforms/police-reform/").content.decode()
    client.post(admin_url(reform, "review", "submit"))
    workflow.approve(reform, by=reviewer)
    login(client, publisher)
    client.post(admin_url(reform, "review", "publish"), {"public_note": "Added the Kazakh title"})
    assert "<h1>Полиция реформасы</h1>" in client.get("/kk/reforms/police-reform/").content.decode()
    history = client.get("/kk/reforms/police-reform/history/").content.decode()
    assert "Added the Kazakh title" in history


def test_an_unpublished_translation_shows_nowhere(client, reform, contributor):
    """A working copy's Russian title, in no language, no search, no file, no API, no feed."""
    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data["title_ru"] = PLANTED
    assert client.post(admin_url(reform, "change"), data).status_code == 302
    client.logout()
    for path in (
        "/reforms/police-reform/",
        "/ru/reforms/police-reform/",
        "/kk/reforms/police-reform/",
        "/ru/reforms/",
        "/ru/reforms/?q=Непроверенный",
        "/reforms/?q=Непроверенный",
        "/ru/reforms/feed/",
        "/ru/changes/",
        "/ru/reforms/police-reform/history/",
        "/reforms/export.csv",
        "/reforms/export.json",
        "/data/reforms.csv",
        "/data/reforms.json",
        "/api/v1/reforms/",
        "/api/v1/reforms/police-reform/",
        "/api/v1/reforms/?q=Непроверенный",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert PLANTED not in body(response), path
    assert listed_titles(client.get("/data/reforms.csv")) == ["Реформа полиции"]


def test_the_csv_and_the_api_carry_each_translation_in_its_own_column(client, reform):
    rows = list(csv.DictReader(io.StringIO(body(client.get("/data/reforms.csv")))))
    assert (rows[0]["title"], rows[0]["title_ru"], rows[0]["title_kk"]) == (
        "Police reform",
        "Реформа полиции",
        "",
    )
    record = client.get("/api/v1/reforms/police-reform/", {"lang": "ru"})
    assert record.json()["title"] == "Police reform"
    assert record.json()["title_ru"] == "Реформа полиции"
    assert record["Content-Language"] == "ru" and "Accept-Language" in record["Vary"]
    codebook = client.get("/data/").content.decode()
    assert "title_ru" in codebook and "summary_kk" in codebook


def test_an_import_of_a_translation_of_a_published_entry_waits_for_review(
    client, reform, superuser
):
    login(client, superuser)
    exported = body(client.get("/data/reforms.csv"))
    edited = exported.replace("Реформа полиции", "Реформа полиции (импорт)")
    preview = client.post(
        reverse("admin:reforms_reform_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("reforms.csv", edited.encode(), "text/csv"),
        },
    )
    assert "reforms: 0 new, 1 updated, 0 unchanged" in preview.content.decode()
    confirm = preview.context["confirm_form"]
    assert (
        client.post(reverse("admin:reforms_reform_process_import"), confirm.initial).status_code
        == 302
    )
    reform.refresh_from_db()
    assert reform.title_ru == "Реформа полиции"  # the published row is untouched
    changes = {c.name for c in client.get(admin_url(reform, "change")).context["review"]["changes"]}
    assert changes == {"title_ru"}
    client.logout()
    assert "(импорт)" not in client.get("/ru/reforms/police-reform/").content.decode()


RUSSIAN_SEARCHES = {
    # The word as a visitor types it; the reform whose Russian text has another form of it.
    "полиция": "local-police-force-answerable-to-local-governors",
    "коррупция": "anti-corruption-strategy-2015-2025",
    "пытки": "zero-tolerance-policy-on-torture",
}


@pytest.mark.parametrize("query, slug", RUSSIAN_SEARCHES.items())
def test_a_russian_search_finds_the_russian_text_in_any_form(client, demo_content, query, slug):
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL's; SQLite matches the beginnings of words")
    page = client.get("/ru/reforms/", {"q": query}).content.decode()
    assert f'href="/ru/reforms/{slug}/"' in page


def test_on_sqlite_a_russian_word_matches_the_beginning_of_a_word(client, demo_content):
    page = client.get("/ru/reforms/", {"q": "пытк"}).content.decode()
    assert 'href="/ru/reforms/zero-tolerance-policy-on-torture/"' in page


def test_a_planted_draft_and_source_show_in_no_language(client, reform):
    """A draft reform and a never-published source, each with Russian text: in no page, search,
    count, feed, sitemap or export, in any language."""
    entry_in_state(
        "reform", ReviewState.DRAFT, slug="planted-draft", title="Planted", title_ru=PLANTED
    )
    entry_in_state("source", ReviewState.DRAFT, slug="planted-source", title_ru=PLANTED)
    for prefix in ("", "/ru", "/kk"):
        for path in (
            "/reforms/",
            "/reforms/?q=Непроверенный",
            "/reforms/feed/",
            "/changes/",
            "/insights/",
            "/reforms/planted-draft/",
        ):
            response = client.get(prefix + path)
            assert response.status_code in (200, 404), prefix + path
            assert PLANTED not in body(response) and "planted-draft" not in body(response)
    for path in ("/sitemap.xml", "/data/reforms.csv", "/data/sources.csv", "/api/v1/sources/"):
        assert PLANTED not in body(client.get(path)), path
    assert client.get("/ru/reforms/").content.decode().count('class="entry"') == 1


def test_dates_are_written_in_the_page_language(client, db):
    entry_in_state(
        "reform",
        ReviewState.PUBLISHED,
        slug="dated",
        adopted_on="2019-12",
        effective_on="2020-01-15",
    )
    english = client.get("/reforms/dated/").content.decode()
    russian = client.get("/ru/reforms/dated/").content.decode()
    assert "December 2019" in english and "15 January 2020" in english
    # A month is a common noun in Russian: lower case, and declined after a day.
    assert "декабрь 2019" in russian and "15 января 2020" in russian


def test_a_feed_speaks_the_language_of_its_address(client, reform):
    english = body(client.get("/reforms/feed/"))
    russian = body(client.get("/ru/reforms/feed/"))
    assert "Police reform" in english and "The police were reformed." in english
    assert "Реформа полиции" in russian and "Полицию реформировали." in russian
    assert "<title>Police reform</title>" not in russian
