"""Every URL pattern of the project, requested as each role, against one table of expected
statuses (issue 10, "Permission matrix").

The table is keyed by the pattern's route, as `get_resolver()` spells it. A new pattern without
a row fails `test_every_url_pattern_has_a_row` (and a row for a pattern that is gone fails it
too), so nobody can add a view without saying who may reach it.

Statuses are exact. `LOGIN` is a 302 to the admin's login page; a plain 302 is a redirect
anywhere else (it is checked not to be the login page). Each column is a role, in the order of
`ROLE_NAMES`: anonymous, staff (is_staff, no group), contributor, reviewer, publisher,
superuser. Public pages (`public=True`) are also checked not to hold any draft.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from institute.alerts.models import Subscription
from institute.datasets.jobs import run_import_job
from institute.datasets.models import ImportJob
from institute.datasets.releases import release_create
from institute.datasets.tables import TABLES
from institute.editorial.history import record_version
from institute.editorial.models import ReviewAction, ReviewEvent, VersionKind
from institute.editorial.states import ReviewState
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
    TopicFactory,
)
from tests.support import ROLE_NAMES, enumerate_routes

pytestmark = pytest.mark.django_db

LOGIN = "login"
DRAFT_MARK = "Unpublished"  # in the title (or note) of every entry the public must not see


def roles(anonymous, staff, contributor, reviewer, publisher, superuser) -> tuple:
    return (anonymous, staff, contributor, reviewer, publisher, superuser)


# Shorthands for the usual rows (columns: anonymous, staff, contributor, reviewer, publisher,
# superuser).
EVERYONE = roles(200, 200, 200, 200, 200, 200)
NOBODY_404 = roles(404, 404, 404, 404, 404, 404)
ANY_STAFF = roles(LOGIN, 200, 200, 200, 200, 200)
EDITORS = roles(LOGIN, 403, 200, 200, 200, 200)  # the three groups and superusers
SUPERUSER = roles(LOGIN, 403, 403, 403, 403, 200)
NO_ONE = roles(LOGIN, 403, 403, 403, 403, 403)  # refused even to superusers
CONTRIBUTORS = roles(LOGIN, 403, 200, 403, 403, 200)
PUBLISHERS = roles(LOGIN, 403, 403, 403, 200, 200)
POST_ONLY = roles(LOGIN, 405, 405, 405, 405, 405)  # GET refused by method, after the login
REDIRECT_TO_CHANGE = roles(LOGIN, 302, 302, 302, 302, 302)  # admin's `<pk>/` → `<pk>/change/`
APP_FOR_EDITORS = roles(LOGIN, 404, 200, 200, 200, 200)  # app index: 404 without any model
APP_FOR_SUPERUSER = roles(LOGIN, 404, 404, 404, 404, 200)
NONE_OF_YOURS = roles(LOGIN, 404, 404, 404, 404, 404)
REVIEWERS = roles(LOGIN, 403, 403, 200, 403, 200)  # who may review: notices are theirs


@dataclass(frozen=True)
class Case:
    """One concrete request for a pattern; `url` builds it from the test's objects."""

    label: str
    url: Callable[[SimpleNamespace], str]
    expect: tuple
    method: str = "get"
    data: Callable[[SimpleNamespace], dict] | None = None
    public: bool = False  # a public page: must not show drafts
    # Text that must be in the body when the status is 200 (e.g. a draft row of an export),
    # and must not be in it otherwise.
    must_show: Callable[[SimpleNamespace], list[str]] = field(default=lambda w: [])


def case(label, url, expect, **kwargs) -> Case:
    return Case(label, url, expect, **kwargs)


def ct(obj) -> int:
    return ContentType.objects.get_for_model(type(obj)).pk


def export_form(prefix: str, table: str) -> Callable[[SimpleNamespace], dict]:
    def build(w):
        form = {"format": "0", "resource": "0"}
        form.update({f"{prefix}_{name}": "on" for name in TABLES[table].header})
        return form

    return build


def model_admin_rows(
    base: str,
    obj: Callable[[SimpleNamespace], object],
    *,
    changelist,
    add,
    change,
    delete,
    history,
) -> dict[str, list[Case]]:
    """The six patterns every ModelAdmin has, for one object of that model."""
    pk = lambda w: obj(w).pk  # noqa: E731
    return {
        f"admin/{base}/": [case("changelist", lambda w: f"/admin/{base}/", changelist)],
        f"admin/{base}/add/": [case("add", lambda w: f"/admin/{base}/add/", add)],
        f"admin/{base}/<path:object_id>/history/": [
            case("history", lambda w: f"/admin/{base}/{pk(w)}/history/", history)
        ],
        f"admin/{base}/<path:object_id>/delete/": [
            case("delete", lambda w: f"/admin/{base}/{pk(w)}/delete/", delete)
        ],
        f"admin/{base}/<path:object_id>/change/": [
            case("change", lambda w: f"/admin/{base}/{pk(w)}/change/", change)
        ],
        f"admin/{base}/<path:object_id>/": [
            case("redirect", lambda w: f"/admin/{base}/{pk(w)}/", REDIRECT_TO_CHANGE)
        ],
    }


def editorial_rows(
    base: str,
    obj: Callable[[SimpleNamespace], object],
    *,
    prefix: str,
    table: str,
    add,
    preview=EDITORS,
) -> dict[str, list[Case]]:
    """Reforms, recommendations and sources: the ModelAdmin patterns on a draft, and the
    editorial ones (review moves, compare, revert, import, export)."""
    pk = lambda w: obj(w).pk  # noqa: E731
    hidden = lambda w: [obj(w).slug]  # noqa: E731
    return {
        **model_admin_rows(
            base,
            obj,
            changelist=EDITORS,
            add=add,
            change=EDITORS,
            delete=SUPERUSER,
            history=EDITORS,
        ),
        f"admin/{base}/<path:object_id>/review/<str:move>/": [
            case("review GET", lambda w: f"/admin/{base}/{pk(w)}/review/submit/", POST_ONLY)
        ],
        f"admin/{base}/<path:object_id>/history/compare/": [
            case("compare", lambda w: f"/admin/{base}/{pk(w)}/history/compare/?a=1&b=1", EDITORS)
        ],
        f"admin/{base}/<path:object_id>/history/<int:number>/revert/": [
            case("revert GET", lambda w: f"/admin/{base}/{pk(w)}/history/1/revert/", POST_ONLY)
        ],
        f"admin/{base}/process_import/": [
            case("process_import GET", lambda w: f"/admin/{base}/process_import/", POST_ONLY)
        ],
        f"admin/{base}/import/": [case("import", lambda w: f"/admin/{base}/import/", EDITORS)],
        f"admin/{base}/import/<int:job_id>/": [
            # Only the signed-in user's own finished import: none here, for anyone.
            case("import done", lambda w: f"/admin/{base}/import/999999/", NONE_OF_YOURS)
        ],
        f"admin/{base}/<path:object_id>/preview/": [
            case("preview", lambda w: f"/admin/{base}/{pk(w)}/preview/", preview)
        ],
        f"admin/{base}/export/": [
            case("export form", lambda w: f"/admin/{base}/export/", EDITORS),
            case(
                "export download",
                lambda w: f"/admin/{base}/export/",
                EDITORS,
                method="post",
                data=export_form(prefix, table),
                must_show=hidden,
            ),
        ],
    }


# What a public page must show, so that the absence of drafts means something.
REFORM = lambda w: [w.reform.title]  # noqa: E731
RECOMMENDATION = lambda w: [w.recommendation.title]  # noqa: E731
PUBLIC_ROWS = lambda w: list(w.shows.values())  # noqa: E731


def public(label, url, **kwargs) -> Case:
    return case(label, url, EVERYONE, public=True, **kwargs)


TABLE: dict[str, list[Case]] = {
    # --- the public site ---------------------------------------------------------------------
    "": [public("home", lambda w: "/")],
    "healthz": [public("healthz", lambda w: "/healthz")],
    "about/": [public("about", lambda w: "/about/")],
    # Every published entry, and none of the drafts.
    "sitemap.xml": [
        public(
            "sitemap",
            lambda w: "/sitemap.xml",
            must_show=lambda w: ["/sitemap-reforms.xml", "/sitemap-recommendations.xml"],
        )
    ],
    "sitemap-<section>.xml": [
        public(
            "sitemap of reforms",
            lambda w: "/sitemap-reforms.xml",
            must_show=lambda w: [f"/reforms/{w.reform.slug}/"],
        ),
        public(
            "sitemap of recommendations",
            lambda w: "/sitemap-recommendations.xml",
            must_show=lambda w: [f"/recommendations/{w.recommendation.slug}/"],
        ),
    ],
    "robots.txt": [public("robots", lambda w: "/robots.txt", must_show=lambda w: ["Sitemap: "])],
    "favicon.ico": [case("favicon", lambda w: "/favicon.ico", roles(301, 301, 301, 301, 301, 301))],
    "data/": [public("data page", lambda w: "/data/")],
    "data/releases/": [public("releases", lambda w: "/data/releases/")],
    "data/releases/feed.atom": [public("releases feed", lambda w: "/data/releases/feed.atom")],
    "data/releases/latest/": [
        case("latest release", lambda w: "/data/releases/latest/", roles(*[302] * 6))
    ],
    "data/releases/latest/<str:name>": [
        case("latest file", lambda w: "/data/releases/latest/reforms.csv", roles(*[302] * 6))
    ],
    "data/releases/<str:label>/": [
        public("release", lambda w: f"/data/releases/{w.release.label}/"),
        case("no such release", lambda w: "/data/releases/1999.01/", NOBODY_404),
    ],
    "data/releases/<str:label>/<str:name>": [
        public(
            "release package",
            lambda w: f"/data/releases/{w.release.label}/package.zip",
            must_show=PUBLIC_ROWS,
        ),
        public("release changes", lambda w: f"/data/releases/{w.release.label}/changes.csv"),
        case("no such file", lambda w: f"/data/releases/{w.release.label}/x.csv", NOBODY_404),
    ],
    "data/package.zip": [
        public("data package", lambda w: "/data/package.zip", must_show=PUBLIC_ROWS)
    ],
    "data/<slug:table>.<slug:fmt>": [
        *(
            public(
                f"{t}.csv", lambda w, t=t: f"/data/{t}.csv", must_show=lambda w, t=t: [w.shows[t]]
            )
            for t in TABLES
        ),
        case("unknown table", lambda w: "/data/no-such-table.csv", NOBODY_404),
    ],
    # The timeline names the recommendation and the published reform answering it, not the
    # draft that answers it too.
    "insights/": [
        public(
            "insights",
            lambda w: "/insights/",
            must_show=lambda w: [w.recommendation.title, w.reform.title],
        )
    ],
    "insights/<slug:name>.<slug:fmt>": [
        *(
            public(f"{name}.{fmt}", lambda w, name=name, fmt=fmt: f"/insights/{name}.{fmt}")
            for name in ("reforms-by-year", "status-by-area", "scorecard")
            for fmt in ("svg", "png", "csv")
        ),
        *(
            public(
                f"answers-timeline.{fmt}",
                lambda w, fmt=fmt: f"/insights/answers-timeline.{fmt}",
                must_show=lambda w: [w.recommendation.title, w.reform.title],
            )
            for fmt in ("svg", "csv")
        ),
        case("unknown chart", lambda w: "/insights/no-such-chart.svg", NOBODY_404),
    ],
    "reforms/": [public("reform listing", lambda w: "/reforms/", must_show=REFORM)],
    "reforms/feed/": [public("reform feed", lambda w: "/reforms/feed/", must_show=REFORM)],
    "recommendations/feed/": [
        public(
            "recommendation feed",
            lambda w: "/recommendations/feed/",
            must_show=RECOMMENDATION,
        )
    ],
    "reforms/export.<slug:fmt>": [
        public(f"reforms.{fmt}", lambda w, fmt=fmt: f"/reforms/export.{fmt}", must_show=REFORM)
        for fmt in ("csv", "xlsx", "json")
    ],
    "reforms/<slug:slug>/history/": [
        public("reform history", lambda w: f"/reforms/{w.reform.slug}/history/"),
        case("draft reform history", lambda w: "/reforms/draft-reform/history/", NOBODY_404),
    ],
    "recommendations/<slug:slug>/history/": [
        public(
            "recommendation history",
            lambda w: f"/recommendations/{w.recommendation.slug}/history/",
        ),
        case(
            "draft recommendation history",
            lambda w: "/recommendations/draft-recommendation/history/",
            NOBODY_404,
        ),
    ],
    "changes/": [public("recent changes", lambda w: "/changes/")],
    "changes/feed.atom": [public("recent changes feed", lambda w: "/changes/feed.atom")],
    "reforms/<slug:slug>/": [
        public(
            "published reform",
            lambda w: f"/reforms/{w.reform.slug}/",
            must_show=REFORM,
        ),
        case("draft reform", lambda w: f"/reforms/{w.draft_reform.slug}/", NOBODY_404),
    ],
    "reforms/<slug:slug>/cite.<slug:fmt>": [
        *(
            public(
                f"reform cite.{fmt}",
                lambda w, fmt=fmt: f"/reforms/{w.reform.slug}/cite.{fmt}",
                must_show=REFORM,
            )
            for fmt in ("bib", "ris")
        ),
        case("draft reform cite", lambda w: f"/reforms/{w.draft_reform.slug}/cite.bib", NOBODY_404),
    ],
    "recommendations/": [
        public("recommendation listing", lambda w: "/recommendations/", must_show=RECOMMENDATION)
    ],
    "recommendations/tracker/": [
        public("tracker", lambda w: "/recommendations/tracker/", must_show=RECOMMENDATION)
    ],
    "recommendations/export.<slug:fmt>": [
        public(
            f"recommendations.{fmt}",
            lambda w, fmt=fmt: f"/recommendations/export.{fmt}",
            must_show=RECOMMENDATION,
        )
        for fmt in ("csv", "xlsx", "json")
    ],
    "recommendations/<slug:slug>/": [
        public(
            "published recommendation",
            lambda w: f"/recommendations/{w.recommendation.slug}/",
            # with the published reform that answers it, and not the draft that does
            must_show=lambda w: [w.recommendation.title, w.reform.title],
        ),
        case(
            "draft recommendation",
            lambda w: f"/recommendations/{w.draft_recommendation.slug}/",
            NOBODY_404,
        ),
    ],
    "recommendations/<slug:slug>/cite.<slug:fmt>": [
        *(
            public(
                f"recommendation cite.{fmt}",
                lambda w, fmt=fmt: f"/recommendations/{w.recommendation.slug}/cite.{fmt}",
                must_show=RECOMMENDATION,
            )
            for fmt in ("bib", "ris")
        ),
        case(
            "draft recommendation cite",
            lambda w: f"/recommendations/{w.draft_recommendation.slug}/cite.ris",
            NOBODY_404,
        ),
    ],
    # --- the read API (api/) -----------------------------------------------------------------
    **{
        f"api/v1/{t}/": [
            public(
                f"api {t}", lambda w, t=t: f"/api/v1/{t}/", must_show=lambda w, t=t: [w.shows[t]]
            )
        ]
        for t in ("reforms", "recommendations", "sources", "citations", "responses")
    },
    **{
        f"api/v1/{t}/<path:slug>/": [
            public(
                f"api {kind}",
                lambda w, t=t, kind=kind: f"/api/v1/{t}/{getattr(w, kind).slug}/",
                must_show=lambda w, t=t: [w.shows[t]],
            ),
            case(
                f"api draft {kind}",
                lambda w, t=t, kind=kind: f"/api/v1/{t}/{getattr(w, f'draft_{kind}').slug}/",
                NOBODY_404,
            ),
        ]
        for t, kind in (
            ("reforms", "reform"),
            ("recommendations", "recommendation"),
            ("sources", "source"),
        )
    },
    "api/v1/topics/": [public("api topics", lambda w: "/api/v1/topics/")],
    "api/v1/themes/": [public("api themes", lambda w: "/api/v1/themes/")],
    "api/v1/schema/": [public("api schema", lambda w: "/api/v1/schema/")],
    "api/v1/docs/": [public("api docs", lambda w: "/api/v1/docs/")],
    "api/v1/^[\\s\\S]*/$": [case("api unknown", lambda w: "/api/v1/nothing/here/", NOBODY_404)],
    # --- the admin site ----------------------------------------------------------------------
    "admin/": [case("index", lambda w: "/admin/", ANY_STAFF)],
    "admin/login/": [case("login", lambda w: "/admin/login/", roles(200, 302, 302, 302, 302, 302))],
    # Logout is POST only; an anonymous visitor is sent to the index (then to the login).
    "admin/logout/": [
        case("logout GET", lambda w: "/admin/logout/", roles(302, 405, 405, 405, 405, 405))
    ],
    "admin/password_change/": [
        case("password change", lambda w: "/admin/password_change/", ANY_STAFF)
    ],
    "admin/password_change/done/": [
        case("password changed", lambda w: "/admin/password_change/done/", ANY_STAFF)
    ],
    "admin/autocomplete/": [
        case(
            # (The recommendation's admin shows its responses read-only: the reform's inline
            # is the one that picks, a recommendation.)
            "recommendations for a response",
            lambda w: (
                "/admin/autocomplete/?app_label=reforms&model_name=response"
                "&field_name=recommendation&term="
            ),
            EDITORS,
            must_show=lambda w: [w.draft_recommendation.title],
        )
    ],
    "admin/jsi18n/": [case("jsi18n", lambda w: "/admin/jsi18n/", ANY_STAFF)],
    # view on site: a redirect to the entry's public URL. A draft's URL (its slug, usually its
    # title) is for those who may view the draft.
    "admin/r/<path:content_type_id>/<path:object_id>/": [
        case(
            "view on site, published reform",
            lambda w: f"/admin/r/{ct(w.reform)}/{w.reform.pk}/",
            roles(LOGIN, 302, 302, 302, 302, 302),
        ),
        case(
            "view on site, draft reform",
            lambda w: f"/admin/r/{ct(w.draft_reform)}/{w.draft_reform.pk}/",
            roles(LOGIN, 404, 302, 302, 302, 302),
        ),
    ],
    # auth: superusers only
    **model_admin_rows(
        "auth/group",
        lambda w: w.group,
        changelist=SUPERUSER,
        add=SUPERUSER,
        change=SUPERUSER,
        delete=SUPERUSER,
        history=SUPERUSER,
    ),
    **model_admin_rows(
        "auth/user",
        lambda w: w.other,
        changelist=SUPERUSER,
        add=SUPERUSER,
        change=SUPERUSER,
        delete=SUPERUSER,
        history=SUPERUSER,
    ),
    "admin/auth/user/<id>/password/": [
        case("set password", lambda w: f"/admin/auth/user/{w.other.pk}/password/", SUPERUSER)
    ],
    # the background worker's results: read-only, superusers only
    **model_admin_rows(
        "django_tasks_database/dbtaskresult",
        lambda w: w.task_result,
        changelist=SUPERUSER,
        add=NO_ONE,
        change=SUPERUSER,
        delete=NO_ONE,
        history=SUPERUSER,
    ),
    # background imports: those who may import see their own jobs; another's job "does not
    # exist" for them (302 to the index with a message; history looks the job up before the
    # right, hence 302 for staff too); only superusers delete.
    **model_admin_rows(
        "institute/importjob",
        lambda w: w.others_job,
        changelist=EDITORS,
        add=NO_ONE,
        change=roles(LOGIN, 403, 302, 302, 302, 200),
        delete=SUPERUSER,
        history=roles(LOGIN, 302, 302, 302, 302, 200),
    ),
    # retrying a failed job: POST only (tests/test_import_jobs_resilience.py posts)
    "admin/institute/importjob/<int:job_id>/retry/": [
        case("retry", lambda w: f"/admin/institute/importjob/{w.others_job.pk}/retry/", POST_ONLY)
    ],
    **editorial_rows(
        "institute/source",
        lambda w: w.draft_source,
        # A source has no public page of its own to preview.
        preview=roles(LOGIN, 403, 404, 404, 404, 404),
        prefix="sourceresource",
        table="sources",
        add=CONTRIBUTORS,
    ),
    # releases: cut and withdrawn by publishers, never deleted
    **model_admin_rows(
        "institute/release",
        lambda w: w.release,
        changelist=PUBLISHERS,
        add=PUBLISHERS,
        change=PUBLISHERS,
        delete=NO_ONE,
        history=PUBLISHERS,
    ),
    # the review log: read-only; and the review queue
    "admin/institute/reviewevent/notices/": [
        case("review notices", lambda w: "/admin/institute/reviewevent/notices/", REVIEWERS)
    ],
    # Subscribers' addresses: read-only, to holders of institute.view_subscription only.
    **model_admin_rows(
        "institute/subscription",
        lambda w: w.subscription,
        changelist=SUPERUSER,
        add=NO_ONE,
        change=SUPERUSER,
        delete=SUPERUSER,
        history=SUPERUSER,
    ),
    "alerts/<slug:listing>/": [public("alert for a search", lambda w: "/alerts/reforms/")],
    "alerts/<slug:listing>/<slug:slug>/": [
        public("alert for an entry", lambda w: f"/alerts/reforms/{w.reform.slug}/"),
        case(
            "alert for a draft",
            lambda w: f"/alerts/reforms/{w.draft_reform.slug}/",
            NOBODY_404,
        ),
    ],
    "alerts/confirm/<str:token>/": [
        case("confirm, bad link", lambda w: "/alerts/confirm/not-signed/", roles(*[400] * 6))
    ],
    "alerts/unsubscribe/<str:token>/": [
        case("unsubscribe, unknown", lambda w: "/alerts/unsubscribe/nope/", NOBODY_404)
    ],
    "admin/institute/reviewevent/queue/": [
        case("review queue", lambda w: "/admin/institute/reviewevent/queue/", EDITORS)
    ],
    **model_admin_rows(
        "institute/reviewevent",
        lambda w: w.review_event,
        changelist=EDITORS,
        add=NO_ONE,
        change=EDITORS,
        delete=NO_ONE,
        history=EDITORS,
    ),
    # vocabularies: publishers keep them
    **model_admin_rows(
        "reforms/topic",
        lambda w: w.topic,
        changelist=EDITORS,
        add=PUBLISHERS,
        change=EDITORS,
        delete=SUPERUSER,
        history=EDITORS,
    ),
    **model_admin_rows(
        "recommendations/theme",
        lambda w: w.theme,
        changelist=EDITORS,
        add=PUBLISHERS,
        change=EDITORS,
        delete=SUPERUSER,
        history=EDITORS,
    ),
    **editorial_rows(
        "reforms/reform",
        lambda w: w.draft_reform,
        prefix="reformresource",
        table="reforms",
        add=CONTRIBUTORS,
    ),
    **editorial_rows(
        "recommendations/recommendation",
        lambda w: w.draft_recommendation,
        prefix="recommendationresource",
        table="recommendations",
        add=CONTRIBUTORS,
    ),
    # responses on their own: read-only for everyone (they change with their entries)
    **model_admin_rows(
        "reforms/response",
        lambda w: w.response,
        changelist=EDITORS,
        add=NO_ONE,
        change=EDITORS,
        delete=NO_ONE,
        history=EDITORS,
    ),
    # their former address, before they moved to the reforms app: a redirect for anyone (the
    # page it leads to checks who asks)
    "admin/^recommendations/response/(?P<rest>.*)$": [
        case(
            "moved response",
            lambda w: f"/admin/recommendations/response/{w.response.pk}/change/",
            roles(301, 301, 301, 301, 301, 301),
        )
    ],
    "admin/^(?P<app_label>auth|django_tasks_database|institute|reforms|recommendations)/$": [
        case("auth app", lambda w: "/admin/auth/", APP_FOR_SUPERUSER),
        case("tasks app", lambda w: "/admin/django_tasks_database/", APP_FOR_SUPERUSER),
        case("institute app", lambda w: "/admin/institute/", APP_FOR_EDITORS),
        case("reforms app", lambda w: "/admin/reforms/", APP_FOR_EDITORS),
        case("recommendations app", lambda w: "/admin/recommendations/", APP_FOR_EDITORS),
    ],
    "admin/(?P<url>.*)$": [
        case(
            "unknown admin page",
            lambda w: "/admin/no-such-page/",
            roles(LOGIN, 404, 404, 404, 404, 404),
        ),
        case(
            "missing slash",
            lambda w: "/admin/reforms/reform",
            roles(LOGIN, 301, 301, 301, 301, 301),
        ),
    ],
}


# Where the table says what should happen and the project does otherwise, and the fix lies
# outside the admin's permission methods: (route, case label, role) → (the status seen, why).
# The role's test is an expected failure while any of these holds, and fails as soon as one no
# longer does (remove its line then), or when anything else differs from the table.
KNOWN_BUGS: dict = {}


# --- enumeration ------------------------------------------------------------------------------


def test_every_url_pattern_has_a_row():
    routes = enumerate_routes()
    assert len(routes) == len(set(routes)), "two patterns share a route: key the table apart"
    without_row = sorted(set(routes) - set(TABLE))
    assert not without_row, f"patterns without a row in TABLE: {without_row}"
    gone = sorted(set(TABLE) - set(routes))
    assert not gone, f"rows in TABLE for patterns that no longer exist: {gone}"
    assert all(TABLE[r] for r in routes)
    assert all(len(c.expect) == len(ROLE_NAMES) for cases in TABLE.values() for c in cases)


# --- the requests -----------------------------------------------------------------------------


@pytest.fixture
def world(make_role_user):
    other = make_role_user("contributor", username="other-editor")
    source = SourceFactory(published=True, title="Public source")
    draft_source = SourceFactory(draft=True, slug="draft-source", title=f"{DRAFT_MARK} source")
    reform = ReformFactory(published=True, title="Public reform")
    draft_reform = ReformFactory(draft=True, slug="draft-reform", title=f"{DRAFT_MARK} reform")
    ReformFactory(in_review=True, slug="in-review-reform", title=f"{DRAFT_MARK} reform 2")
    ReformFactory(archived=True, slug="archived-reform", title=f"{DRAFT_MARK} reform 3")
    recommendation = RecommendationFactory(
        published=True, report=source, title="Public recommendation"
    )
    draft_recommendation = RecommendationFactory(
        draft=True,
        report=source,
        slug="draft-recommendation",
        title=f"{DRAFT_MARK} recommendation",
    )
    response = ResponseFactory(
        recommendation=recommendation, reform=reform, note="Public response note"
    )
    # A draft answers the published recommendation, and cites the draft source.
    ResponseFactory(
        recommendation=recommendation, reform=draft_reform, note=f"{DRAFT_MARK} response note"
    )
    CitationFactory(source=source, reform=reform, supports="Public citation")
    CitationFactory(source=draft_source, reform=draft_reform, supports=f"{DRAFT_MARK} citation")
    for entry in (draft_source, draft_reform, draft_recommendation):
        record_version(entry, by=other, kind=VersionKind.CREATED)
    review_event = ReviewEvent.objects.create(
        content_type=ContentType.objects.get_for_model(draft_reform),
        object_id=draft_reform.pk,
        action=ReviewAction.SUBMIT,
        from_state=ReviewState.DRAFT,
        to_state=ReviewState.IN_REVIEW,
        version=1,
        actor=other,
    )
    others_job = ImportJob.objects.create(
        table="reforms", file_name="reforms.csv", data=b"", created_by=other
    )
    task_result = run_import_job.enqueue(others_job.pk)
    from django_tasks_db.models import DBTaskResult

    return SimpleNamespace(
        other=other,
        group=Group.objects.get(name="contributor"),
        source=source,
        draft_source=draft_source,
        reform=reform,
        draft_reform=draft_reform,
        recommendation=recommendation,
        draft_recommendation=draft_recommendation,
        response=response,
        topic=TopicFactory(),
        theme=ThemeFactory(),
        review_event=review_event,
        subscription=Subscription.objects.create(
            email="reader@example.org",
            listing="reforms",
            query="area=economy",
            token="matrix-token",
            confirmed_at=timezone.now(),
            sent_until=timezone.now(),
        ),
        others_job=others_job,
        release=release_create(label="2026.01", notes="", by=None, base_url="http://testserver/"),
        task_result=DBTaskResult.objects.get(pk=task_result.id),
        # per open data table, a value of its published row
        shows={
            "reforms": reform.slug,
            "recommendations": recommendation.slug,
            "sources": source.slug,
            "citations": "Public citation",
            "responses": "Public response note",
        },
    )


def body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # a zip (the data package, or an .xlsx)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"".join(archive.read(name) for name in archive.namelist())
    return content.decode("utf-8", errors="replace")


def mismatch(response, expected, case_: Case, w) -> str | None:
    """Why the response is not what the table says, or None."""
    status = response.status_code
    location = response.get("Location", "")
    to_login = status == 302 and location.startswith(reverse("admin:login"))
    if expected == LOGIN:
        if not to_login:
            return f"expected a redirect to the login, got {status} {location}"
        return None
    if status != expected:
        return f"expected {expected}, got {status} {location}"
    if status == 302 and to_login:
        return f"expected a redirect elsewhere than the login, got {location}"
    text = body_text(response)
    if status == 200:
        if case_.public and DRAFT_MARK in text:
            return "a public page shows an unpublished entry"
        missing = [s for s in case_.must_show(w) if s not in text]
        if missing:
            return f"the body lacks {missing}"
    else:
        shown = [s for s in case_.must_show(w) if s in text]
        if shown:
            return f"a refused request still shows {shown}"
    return None


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_url_permission_matrix(client, make_role_user, world, role):
    user = make_role_user(role)
    if user is not None:
        client.force_login(user)
    column = ROLE_NAMES.index(role)
    problems, known = [], []
    for route, cases in TABLE.items():
        for c in cases:
            url = c.url(world)
            if c.method == "post":
                response = client.post(url, c.data(world) if c.data else {})
            else:
                response = client.get(url)
            why = mismatch(response, c.expect[column], c, world)
            where = f"{c.method.upper()} {url} ({route!r}, {c.label})"
            bug = KNOWN_BUGS.get((route, c.label, role))
            if bug is not None and why and response.status_code == bug[0]:
                known.append(f"{where}: {bug[1]}")
            elif bug is not None:
                problems.append(f"{where}: the known bug is gone ({why or 'as the table says'})")
            elif why:
                problems.append(f"{where}: {why}")
    assert not problems, f"{role}:\n" + "\n".join(problems)
    if known:
        pytest.xfail("known permission bugs: " + "; ".join(known))
