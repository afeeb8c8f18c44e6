"""Under the Content-Security-Policy, in a real Chromium: no page an editor or a visitor opens
reports a violation (a blocked inline script or style, or a resource from elsewhere), and the
scripts that matter still work (facet filters, the admin's widgets, the export page's
"select all")."""

import re

import pytest

from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # UserFactory's

# Runs before any page script (Playwright injects it outside the page's policy): every
# violation the page reports is kept for the test to read.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || ""}:${event.lineNumber || ""}) ${event.sample || ""}`
  );
});
"""


@pytest.fixture
def csp_page(browser_page):
    page = browser_page
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_console = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations") + page.csp_console


def visit(page, url: str) -> list[str]:
    page.csp_console.clear()
    response = page.goto(url)
    assert response.status == 200, url
    assert "'unsafe-inline'" not in (response.header_value("content-security-policy") or "")
    page.wait_for_load_state("load")
    return violations(page)


@pytest.fixture
def entries(transactional_db):
    topic, theme = TopicFactory(name="Banking"), ThemeFactory()
    reform = ReformFactory(published=True, topics=[topic], title="Banking reform")
    recommendation = RecommendationFactory(published=True, themes=[theme])
    source = SourceFactory(published=True)
    CitationFactory(reform=reform, source=source)
    response = ResponseFactory(reform=reform, recommendation=recommendation)
    return {"reform": reform, "recommendation": recommendation, "source": source, "r": response}


def test_public_pages_report_no_violation(live_server, csp_page, entries):
    page, base = csp_page, live_server.url
    found = {}
    for path in (
        "/",
        "/reforms/",
        entries["reform"].get_absolute_url(),
        "/recommendations/",
        "/recommendations/tracker/",
        entries["recommendation"].get_absolute_url(),
        "/data/",
    ):
        if problems := visit(page, base + path):
            found[path] = problems
    assert found == {}

    # js/filters.js still runs: ticking a facet applies it at once.
    visit(page, f"{base}/reforms/")
    page.get_by_role("checkbox", name=re.compile(r"^Economy")).check()
    page.wait_for_url(re.compile(r"area=economy"))
    assert violations(page) == []

    # The recorder sees what the policy blocks: an inline style set now is refused and reported.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert violations(page)[0].startswith("style-src")


def test_admin_pages_report_no_violation(live_server, csp_page, entries):
    page, base = csp_page, live_server.url
    UserFactory(username="editor", is_staff=True, is_superuser=True)
    assert visit(page, f"{base}/admin/login/") == []
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert violations(page) == []

    reform, recommendation = entries["reform"], entries["recommendation"]
    paths = ["/admin/", "/admin/institute/reviewevent/queue/"]
    for prefix, obj in (
        ("/admin/reforms/reform/", reform),
        ("/admin/recommendations/recommendation/", recommendation),
        ("/admin/institute/source/", entries["source"]),
        ("/admin/reforms/response/", entries["r"]),
    ):
        paths += [prefix, f"{prefix}{obj.pk}/change/", f"{prefix}{obj.pk}/history/"]
        if "response" not in prefix:  # read-only: no add page
            paths.append(f"{prefix}add/")
    paths += ["/admin/reforms/reform/import/", "/admin/auth/user/", "/admin/password_change/"]
    found = {}
    for path in paths:
        if problems := visit(page, base + path):
            found[path] = problems
    assert found == {}

    # The export page's scripts run: import-export's own hides the other resources' fields,
    # and "select all" (its inline onchange="" replaced by js/admin_export.js) works.
    visit(page, f"{base}/admin/reforms/reform/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]:visible')
    assert fields.count() > 3
    page.locator(".select-toggle:visible").uncheck()
    assert all(not box.is_checked() for box in fields.all())
    page.locator(".select-toggle:visible").check()
    assert all(box.is_checked() for box in fields.all())
    assert violations(page) == []


def test_the_api_docs_page_renders_the_schema_without_a_violation(live_server, csp_page, entries):
    """Swagger UI from drf-spectacular-sidecar's files, started by our script, reads the schema
    and shows every endpoint; "Try it out" answers from the API itself."""
    page = csp_page
    found = visit(page, f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/reforms/" in p for p in paths)
    methods = page.locator(".opblock-summary-method").all_inner_texts()
    assert {m.lower() for m in methods} == {"get"}
    assert found + violations(page) == []
