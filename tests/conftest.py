import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from tests.factories import UserFactory

# A real SMTP server in the test process, for every test that sends mail.
from tests.smtp import smtp_down, smtp_inbox  # noqa: F401, E402

# The processes the tests start (manage.py, the worker, the preflight) read no developer's .env:
# the tests decide their environment (institute/envfile.py).
os.environ.setdefault("ENV_FILE", "")


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


# --- The demo content ----------------------------------------------------------------------
# `load_content` writes the demo content through the editorial workflow (every entry validated,
# versioned and published): about 14 s. It runs once per session; the rows it wrote are kept as
# a Django fixture, and `loaddata` puts them back in about 2 s wherever a test needs them again
# (after a transactional test's flush, in another module). Tests of the loader itself call
# `load_content`.
DEMO_APPS = ("institute", "reforms", "recommendations")


@pytest.fixture(scope="session")
def demo_fixture(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.json"
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_content", verbosity=0)
        call_command("dumpdata", *DEMO_APPS, natural_foreign=True, output=str(path), verbosity=0)
        transaction.set_rollback(True)
    return path


@pytest.fixture
def demo_content(demo_fixture, db):
    """The demo content, for this test (transactional tests too: they flush it afterwards)."""
    call_command("loaddata", str(demo_fixture), verbosity=0)


@pytest.fixture(scope="module")
def demo_module(demo_fixture, django_db_blocker):
    """The demo content for a whole module of non-transactional tests, rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", str(demo_fixture), verbosity=0)
        yield
        transaction.set_rollback(True)


# --- Browser ----------------------------------------------------------------------------------
# Debian's chromium driven by Playwright (which cannot download its own browsers here).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does).")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
    # itself (factories) are still synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh page (own cookies) in headless Chromium; use with `live_server`."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# --- Editorial roles (issue 5) -----------------------------------------------------------------
@pytest.fixture
def role_groups(db):
    """The role groups as the migration creates them (again, after a flushing test)."""
    from institute.roles import sync_role_groups

    sync_role_groups()


@pytest.fixture
def make_role_user(role_groups):
    """make_role_user("reviewer") → a staff user in that group; "staff" is staff with no group,
    "superuser" a superuser, "anonymous" None."""
    from django.contrib.auth.models import Group

    def make(role: str, username: str | None = None):
        if role == "anonymous":
            return None
        user = UserFactory(
            username=username or f"{role}-user",
            is_staff=True,
            is_superuser=role == "superuser",
        )
        if role in ("contributor", "reviewer", "publisher"):
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def contributor(make_role_user):
    return make_role_user("contributor")


@pytest.fixture
def reviewer(make_role_user):
    return make_role_user("reviewer")


@pytest.fixture
def publisher(make_role_user):
    return make_role_user("publisher")


@pytest.fixture(autouse=True)
def _own_data_packages(settings, tmp_path_factory):
    # A test's data is rolled back, and with it the package's key (on SQLite even the newest
    # version's id is reused): a package built by one test must not be served to the next.
    settings.DATA_PACKAGE_DIR = tmp_path_factory.mktemp("packages")
    settings.PAGE_CACHE_DIR = tmp_path_factory.mktemp("page-cache")


@pytest.fixture
def no_new_connections(transactional_db):
    """The test database refuses every new connection, as a server at its `max_connections`
    does; the test's own, open already, goes on (PostgreSQL's `ALLOW_CONNECTIONS`)."""
    if connection.vendor != "postgresql":
        pytest.skip("a database that refuses new connections is PostgreSQL's")
    name = connection.ops.quote_name(connection.settings_dict["NAME"])

    def allow(allowed: bool) -> None:
        # Said from another database: PostgreSQL will not have a database refuse its speaker.
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(allowed).lower()}")

    allow(False)
    try:
        yield
    finally:
        allow(True)
