"""The site in English, Russian and Kazakh: addresses, the switcher, the first visit, and
catalogues that hold every interface string in every language."""

import ast
import functools
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from institute.datasets.tables import TABLES
from institute.editorial.states import ReviewState
from institute.sources.models import Citation, Source
from recommendations.models import Recommendation, Theme
from reforms.models import Reform, Topic
from tests.factories import entry_in_state
from tests.support import sitemap_pages

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def reform(db):
    return entry_in_state("reform", ReviewState.PUBLISHED, title="Police reform")


def test_english_keeps_todays_addresses_and_the_others_have_a_prefix(client, reform):
    english = client.get("/reforms/")
    russian = client.get("/ru/reforms/")
    kazakh = client.get("/kk/reforms/")
    assert [r.status_code for r in (english, russian, kazakh)] == [200, 200, 200]
    assert '<html lang="en-GB">' in english.text
    assert '<html lang="ru">' in russian.text
    assert '<html lang="kk">' in kazakh.text
    assert client.get("/en-gb/reforms/").status_code == 404


def test_the_switcher_and_the_alternates_keep_the_filters(client, reform):
    page = client.get("/ru/reforms/?area=economy&sort=title").text
    for prefix, tag in (("", "en-GB"), ("/ru", "ru"), ("/kk", "kk")):
        target = f"{prefix}/reforms/?area=economy&amp;sort=title"
        assert f'<a href="{target}" hreflang="{tag}"' in page
        assert f'<link rel="alternate" hreflang="{tag}" href="http://testserver{target}">' in page
    assert 'lang="ru" aria-current="true">Русский</a>' in page


def test_a_first_visit_follows_the_browser_once(client, reform):
    first = client.get("/reforms/?area=economy", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5")
    assert first.status_code == 302
    assert first["Location"] == "/ru/reforms/?area=economy"
    assert "Accept-Language" in first["Vary"] and "private" in first["Cache-Control"]
    assert first.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    # The cookie is set now: the English address is English, whatever the browser prefers.
    again = client.get("/reforms/", HTTP_ACCEPT_LANGUAGE="ru")
    assert again.status_code == 200 and '<html lang="en-GB">' in again.text


@pytest.mark.parametrize(
    "header, expected",
    [
        ("en-GB,en;q=0.9,ru;q=0.8", None),
        ("kk-KZ,kk;q=0.9,ru;q=0.8", "/kk/"),
        ("de-DE,ru;q=0.5", "/ru/"),
        ("de-DE,fr;q=0.5", None),
        ("", None),
    ],
)
def test_the_first_visit_honours_the_first_language_we_speak(client, db, header, expected):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=header)
    if expected is None:
        assert response.status_code == 200
        assert "Accept-Language" in response["Vary"]
    else:
        assert (response.status_code, response["Location"]) == (302, expected)


def test_files_the_api_and_the_health_check_are_never_redirected(client, reform):
    for path in ("/data/reforms.csv", "/api/v1/reforms/", "/healthz", "/robots.txt"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 200, path


def test_the_admin_speaks_russian_under_ru(client, db):
    english = client.get("/admin/login/")
    russian = client.get("/ru/admin/login/")
    assert "Log in" in english.text
    assert "Войти" in russian.text


# --- the catalogues ------------------------------------------------------------------------


# What `make messages` leaves out, and what the copy need not hold. The SQLite patterns
# take in the test databases of other pytest workers (`ci.sqlite3_gw0`) and their `-wal`
# and `-shm` files, which come and go while this test copies the tree.
IGNORED = [".venv/*", "tests/*", "benchmarks/*", "staticfiles/*"]
NOT_SOURCES = [
    ".venv",
    ".git",
    "staticfiles",
    "var",
    "node_modules",
    "*.sqlite3",
    "*.sqlite3_*",
    "*.sqlite3-*",
    "__pycache__",
]


def catalogue(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_interface_string_is_in_the_catalogue_and_translated(language, tmp_path):
    """A string marked in the code or templates but missing from a catalogue, or in it
    without a translation (or fuzzy), fails here: `make messages` adds it, a translator fills
    it in."""
    if not shutil.which("msgfmt"):
        pytest.skip("gettext is not installed (make installs it)")
    # In a copy of the sources: makemessages writes to the catalogues beside what it reads.
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    fresh = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "--locale",
            language,
            "--no-obsolete",
            "--add-location",
            "file",
            *[arg for pattern in IGNORED for arg in ("--ignore", pattern)],
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        env={**os.environ, "ENV_FILE": ""},
    )
    assert fresh.returncode == 0, fresh.stderr
    made = copy / "locale" / language / "LC_MESSAGES" / "django.po"
    missing = msgids(made) - msgids(catalogue(language))
    assert not missing, f"not in locale/{language}: run `make messages`: {sorted(missing)[:20]}"
    stats = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue(language))],
        capture_output=True,
        text=True,
    )
    assert stats.returncode == 0, stats.stderr
    assert "untranslated" not in stats.stderr and "fuzzy" not in stats.stderr, stats.stderr


def msgids(path: Path) -> set[tuple[str, str]]:
    """(context, msgid) of every entry of a .po file (the header's empty msgid left out)."""
    entries = set()
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if match := re.match(
                r"(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$", line
            ):
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            entries.add((fields.get("msgctxt", ""), fields["msgid"]))
    return entries


# --- every public page, in each language -------------------------------------------------


class Texts(HTMLParser):
    """The visible text of a page outside any element that says it is in another language
    (content shown in its original until translated) and outside scripts and styles."""

    SKIP = {"script", "style", "code", "pre", "textarea"}
    VOID = {"br", "img", "input", "link", "meta", "hr", "source", "wbr", "area", "col"}

    def __init__(self, page_language: str):
        super().__init__()
        self.page_language = page_language
        self.stack: list[bool] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        foreign = tag in self.SKIP or (
            "lang" in attributes and attributes["lang"] != self.page_language
        )
        self.stack.append(foreign or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data.strip())


# Latin letters a Russian or Kazakh page may show as they are: names of formats, standards,
# licences and the site's own address.
ALLOWED_LATIN = re.compile(
    r"\b(CSV|JSON|XLSX|XLS|API|Atom|RSS|BibTeX|CSL-JSON|RIS|CITATION\.cff|CC BY 4\.0|SHA256SUMS|"
    r"ZIP|SVG|PNG|PDF|URL|DOI|ISO|YYYY|MM|DD|OpenAPI|English|datapackage\.json|"
    r"UTC|HTTP|HTML|[Ee]-mail|Excel|Creative Commons( Attribution( 4\.0 International)?)?|"
    r"Frictionless Data|Zotero|EndNote|Nurly Zhol|Astana|SHA-256|RFC 4180|UTF-8|BOM|[Ss]lugs?|"
    r"Mendeley|Swagger UI|[a-z0-9_.-]+@[a-z0-9.-]+|https?://\S+|"
    r"[a-z0-9_]+\.(csv|json|xlsx|zip|svg|png))\b"
)


# A value written as the data writes it, in quotes: 'recommendation-slug/reform-slug'.
QUOTED_CODE = re.compile(r"'[a-z0-9/_;-]+'")


def untranslated(texts: list[str], content: list[str] = ()) -> list[str]:
    """The texts with Latin words left once the names of formats and standards and the
    `content` (the entries' own English, which a page may show where it is not translated:
    in a <title>, an attribute, a sentence of the interface) are taken out."""
    found = []
    for text in texts:
        rest = text
        for value in content:
            rest = rest.replace(value, "")
        rest = data_codes().sub("", QUOTED_CODE.sub("", rest))
        rest = ALLOWED_LATIN.sub("", rest)
        if re.search(r"[A-Za-z]{3,}", rest):
            found.append(text)
    return found


PAGES = [
    "/",
    "/reforms/",
    "/reforms/?area=human-rights&status=adopted&sort=title",
    "/reforms/?q=полиция",
    "/reforms/zero-tolerance-policy-on-torture/",
    "/reforms/zero-tolerance-policy-on-torture/history/",
    "/recommendations/",
    "/recommendations/west-prioritise-engagement-with-kazakhstan/",
    "/recommendations/tracker/",
    "/insights/",
    "/data/",
    "/data/releases/",
    "/about/",
    "/changes/",
    "/alerts/reforms/?area=economy",
    "/alerts/reforms/zero-tolerance-policy-on-torture/",
]


@functools.cache
def data_codes() -> re.Pattern:
    """The data's own names, the same in every language: tables, columns, vocabulary codes and
    the workbook's sheets, which the codebook names as they are."""
    codes = {"Codebook", "data (slugs)"}
    for table in TABLES.values():
        codes.add(table.name)
        for column in table.columns:
            codes.add(column.name)
            codes.update(code for code, _ in column.vocabulary or [])
    alternatives = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-]|\.\w)")


def english_content() -> list[str]:
    """The content's own text, longest first: its English, which a page may show where it is
    not translated (in a <title>, an attribute, a sentence of the interface), and its
    translations, which may name things in Latin letters ("Görkem Construction Co.")."""
    values = set()
    for model, fields in (
        (Reform, ["title", "initiated_by_detail", "summary_ru", "summary_kk"]),
        (Recommendation, ["title", "text_ru", "text_kk"]),
        (Source, ["title", "authors", "publisher", "citation_label"]),
        (Citation, ["locator", "quote"]),
        (Topic, ["name"]),
        (Theme, ["name"]),
    ):
        for row in model.objects.all():
            values.update(str(getattr(row, field) or "") for field in fields)
    return sorted((v for v in values if v), key=len, reverse=True)


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_public_page_speaks_the_language_of_its_address(client, demo_content, language):
    """The interface of each page in Russian and Kazakh: no English text outside what is marked
    as content in its original language."""
    content = english_content()
    untranslated_by_page = {}
    for page in PAGES:
        response = client.get(f"/{language}{page}")
        assert response.status_code == 200, page
        texts = Texts(language)
        texts.feed(response.content.decode())
        if found := untranslated(texts.texts, content):
            untranslated_by_page[page] = found[:5]
    assert not untranslated_by_page, "\n".join(
        f"{page}: {found}" for page, found in untranslated_by_page.items()
    )


def test_the_walk_finds_english_left_in_a_page():
    """The check above is not blind: an English sentence of the interface is caught, content
    marked as English is not."""
    texts = Texts("ru")
    texts.feed('<p>Сортировка</p><p>Apply filters</p><h1><span lang="en-GB">Police</span></h1>')
    assert untranslated(texts.texts) == ["Apply filters"]


def test_the_sitemap_lists_every_page_in_each_language_with_its_alternates(client, reform):
    sitemap = b"".join(sitemap_pages(client)).decode()
    detail = reform.get_absolute_url()
    for prefix in ("", "/ru", "/kk"):
        assert f"<loc>http://testserver{prefix}{detail}</loc>" in sitemap
    assert f'hreflang="ru" href="http://testserver/ru{detail}"' in sitemap
    assert f'hreflang="x-default" href="http://testserver{detail}"' in sitemap
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /ru/admin/" in robots and "Disallow: /kk/reforms/?" in robots
