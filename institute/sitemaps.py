"""/sitemap.xml and /robots.txt: what search engines are invited to read, and what they are kept
out of (the admin, the API, downloads, and the listings' endless filter combinations: a
listing is indexed once, at its own address, which is every filtered view's canonical link).

/sitemap.xml is an index: it lists each section's pages (`/sitemap-reforms.xml`, then
`?p=2`, …) of at most 50,000 addresses each, the most a search engine reads from one file. A
single file listed only the first 50,000 addresses of each section: at 100,000 reforms, two
thirds of them were in no sitemap, and the file was 21.8 MB."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from institute.languages import InEveryLanguage
from recommendations.sitemaps import RecommendationSitemap
from reforms.sitemaps import ReformSitemap


class PageSitemap(InEveryLanguage, Sitemap):
    """The site's own pages: the home page, the listings unfiltered, and the rest."""

    names = (
        "home",
        "reforms:list",
        "recommendations:list",
        "recommendations:tracker",
        "insights",
        "data",
        "about",
    )

    def items(self):
        return list(self.names)

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "pages": PageSitemap,
    "reforms": ReformSitemap,
    "recommendations": RecommendationSitemap,
}

# A query string on a listing is a filter, a sort or a page: infinitely many addresses of the
# same rows. Google and Bing read `*` in a path; others ignore it and still see the canonical
# links.
DISALLOWED = (
    "/admin/",
    "/api/",
    "/reforms/?",
    "/recommendations/?",
    "/insights/?",
    "/reforms/export.",
    "/recommendations/export.",
    "/reforms/feed/?",
    "/data/*.",
    "/insights/*.",
    "/*/cite.",
)


# The same in each language's addresses (/ru/reforms/?…); the API and the files have none.
IN_EVERY_LANGUAGE = [
    f"/{code}{path}"
    for code, _ in settings.LANGUAGES
    if code != settings.LANGUAGE_CODE
    for path in DISALLOWED
    if not path.startswith(("/api/", "/data/"))
]


@require_GET
def robots_txt(request):
    disallowed = [*DISALLOWED, *IN_EVERY_LANGUAGE]
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallowed)]
    lines += ["", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
