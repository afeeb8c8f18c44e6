"""The curated content holds to the two reports it rests on: our own words (no long run copied
from a seed outside a quote), checkable evidence (a quote for every citation, found verbatim in
the 2021 report with its page), ratings with their evidence and by one rule (silence is
not-assessed; a rating reads what was carried out after the recommendation), "answers" only
after the recommendation, "related" for an undated measure, and a qualifier on every date the
report gives as a bound ("as of 2016", "by the end of 2017", "since 2017"). Read from the
session's load of fixtures/content (conftest.demo_module, written by `load_content`), against
the copies of the seed reports in fixtures/seeds.

Each check is a function returning its offenders, so that a failure names every one of them
(the test prints them too) and not only the first.
"""

import re
import unicodedata
from functools import cache

import pytest

from institute.dates import DateQualifier
from institute.sources.models import Citation
from recommendations.models import Implementation, Recommendation, ResponseRelation
from reforms.models import Reform, ReformStatus, Response
from tests.seed_pages import (
    EVEN_HEAD,
    ODD_HEAD,
    RECOMMENDATIONS_2019,
    REPORT_2021,
    locator_pages,
)

pytestmark = pytest.mark.django_db

REPORT_2021_SLUG = "cornell-starr-barro-2021"
# A source the 2021 report cites, named by its footnote ("cited in footnotes 6 and 7 (Ibid.) of …").
FOOTNOTE = re.compile(r"cited in footnotes? \d+")
REPORT_2019_SLUG = "chatham-house-2019"
SEEDS = {REPORT_2021_SLUG: REPORT_2021, REPORT_2019_SLUG: RECOMMENDATIONS_2019}

# Issue 13's measure of a copied passage: twelve words in a row. A long official name counts
# too ("the Agency of the Republic of Kazakhstan for Civil Service Affairs…"): shorten it.
RUN = 12


# --- The seeds -------------------------------------------------------------------------------


def words(text: str, *, joined: bool = False) -> list[str]:
    """Lower case, letters and digits only: case, punctuation and spacing cannot hide a run. A
    hyphen splits words as a space does ("zero-tolerance"), or, `joined`, it joins them
    ("Co-Operatives" as the PDF's "CoOperatives"); an apostrophe splits ("Kazakhstan’s")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u00ad", "")
    if joined:
        text = re.sub(r"(?<=\w)[-‐‑]\s*(?=\w)", "", text)
    return re.sub(r"[\W_]+", " ", text).split()


def _seed_words(path, *, joined: bool) -> list[list[str]]:
    """The seed's words; with hyphens splitting, twice: a word the PDF broke at a line's end
    read as two ("Kassym-/Jomart") and as one ("govern-/ment"), as our text may have either."""
    raw = path.read_text(encoding="utf-8")
    # Page heads and page numbers stand between the halves of a sentence: not part of it.
    raw = "\n".join(
        line
        for line in raw.split("\n")
        if line.strip() not in (EVEN_HEAD, ODD_HEAD) and not line.strip().isdigit()
    )
    # A footnote mark sticks to the word or punctuation it follows ("reforms.12 The"); a figure
    # of the text stands after a space, so this leaves the figures.
    raw = re.sub(r"(?<=[^\W\d_]|[.,;:”’\"')])\d{1,3}(?=\s)", " ", raw)
    if joined:
        return [words(raw, joined=True)]
    return [words(raw), words(re.sub(r"(\w)-[ \t]*\n\s*(\w)", r"\1\2", raw))]


@cache
def seed_runs(*, joined: bool = False) -> dict[tuple[str, ...], str]:
    """Every run of RUN words of either seed, with the seed's slug."""
    runs: dict[tuple[str, ...], str] = {}
    for slug, path in SEEDS.items():
        for seed in _seed_words(path, joined=joined):
            for i in range(len(seed) - RUN + 1):
                runs.setdefault(tuple(seed[i : i + RUN]), slug)
    return runs


def _stretches(text: str, *, joined: bool) -> list[tuple[str, str]]:
    ours = words(text, joined=joined)
    runs = seed_runs(joined=joined)
    hits = [i for i in range(len(ours) - RUN + 1) if tuple(ours[i : i + RUN]) in runs]
    found, start, end = [], None, None
    for i in hits:
        # Two windows are one stretch only if every window between them is a hit too.
        if start is not None and i == end - RUN + 1:
            end = i + RUN
            continue
        if start is not None:
            found.append((start, end))
        start, end = i, i + RUN
    if start is not None:
        found.append((start, end))
    return [(runs[tuple(ours[a : a + RUN])], " ".join(ours[a:b])) for a, b in found]


def shared_runs(text: str) -> list[tuple[str, str]]:
    """(seed slug, the run) for each longest stretch of `text` whose every RUN words in a row
    are in a seed (the stretch is what a reader would compare), hyphens splitting words or
    joining them; a stretch found both ways is named once."""
    found = _stretches(text, joined=False)
    for seed, run in _stretches(text, joined=True):
        bare = run.replace(" ", "")
        if not any(bare in other.replace(" ", "") for _, other in found):
            found.append((seed, run))
    return found


def whitespace_normalised(text: str) -> str:
    """The same characters, one space for any whitespace; typographic variants of a quote mark
    or a dash (the PDF's or the editor's) count as the same character."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"'}))
    text = re.sub(r"[‐‑‒–—―−]", "-", text).replace("\u00ad", "")
    return re.sub(r"\s+", " ", text).strip()


@cache
def report_2021_text() -> tuple[str, ...]:
    """The 2021 report, whitespace-normalised: with a word the PDF broke at a line's end kept
    hyphenated ("Kassym-Jomart") and joined ("govern-ment" → "government"), as a quote may have
    either."""
    raw = REPORT_2021.read_text(encoding="utf-8")
    return tuple(
        whitespace_normalised(re.sub(r"(\w)-[ \t]*\n\s*(\w)", rf"\1{joint}\2", raw))
        for joint in ("-", "")
    )


def in_report_2021(quote: str) -> bool:
    wanted = whitespace_normalised(quote)
    return any(wanted in text for text in report_2021_text())


# --- What the checks read --------------------------------------------------------------------


def _citation_owner(citation: Citation) -> str:
    if citation.reform_id:
        return f"reform {citation.reform.slug}"
    if citation.recommendation_id:
        return f"recommendation {citation.recommendation.slug}"
    return f"response {_response_name(citation.response)}"


def _response_name(response: Response) -> str:
    return f"{response.recommendation.slug} ← {response.reform.slug}"


def _citation_name(citation: Citation) -> str:
    return f"{_citation_owner(citation)}, citation of {citation.source.slug} “{citation.locator}”"


def citations():
    return Citation.objects.select_related(
        "source",
        "reform",
        "recommendation",
        "response__recommendation",
        "response__reform",
    ).order_by("pk")


def text_fields():
    """(entry, field, text) of every text we write ourselves; a citation's quote is the
    report's words, marked as such, and so not among them."""
    for reform in Reform.objects.order_by("slug"):
        for field in ("title", "summary", "body"):
            yield f"reform {reform.slug}", field, getattr(reform, field)
    for rec in Recommendation.objects.order_by("position"):
        for field in ("title", "text", "implementation_note"):
            yield f"recommendation {rec.slug}", field, getattr(rec, field)
    for response in Response.objects.select_related("recommendation", "reform").order_by("pk"):
        yield f"response {_response_name(response)}", "note", response.note
    for citation in citations():
        yield _citation_name(citation), "supports", citation.supports


# --- The checks: each returns its offenders ---------------------------------------------------


def copied_runs() -> list[str]:
    return [
        f"{entry} {field}: {len(run.split())} words of {seed}: “{run}”"
        for entry, field, text in text_fields()
        for seed, run in shared_runs(text)
    ]


def report_2021_citations_without_page_or_verbatim_quote() -> list[str]:
    offenders = []
    for citation in citations().filter(source__slug=REPORT_2021_SLUG):
        if locator_pages(citation.locator) is None:
            offenders.append(f"{_citation_name(citation)}: no page (p. N or c. p. N)")
        if citation.quote.strip() and not in_report_2021(citation.quote):
            offenders.append(
                f"{_citation_name(citation)}: quote not in the report: “{citation.quote}”"
            )
    return offenders


def report_2019_citations_with_a_page() -> list[str]:
    # Section 9 of the 2019 report has no page heads: a page there would be invented.
    return [
        _citation_name(citation)
        for citation in citations().filter(source__slug=REPORT_2019_SLUG)
        if locator_pages(citation.locator) is not None
        or re.search(r"\bpp?\.\s*\d", citation.locator)
    ]


def citations_without_quote() -> list[str]:
    """A citation quotes what it cites. A source the 2021 report cites in a footnote is one we
    have not read, only its reference: its citation has no quote of its own, and the entry must
    then quote the report's sentence that the footnote stands under."""
    offenders = []
    quoted_by_report = set()
    unquoted = []
    for c in citations():
        owner = (c.reform_id, c.recommendation_id, c.response_id)
        if c.quote.strip():
            if c.source.slug == REPORT_2021_SLUG:
                quoted_by_report.add(owner)
        elif FOOTNOTE.match(c.locator):
            unquoted.append((owner, c))
        else:
            offenders.append(_citation_name(c))
    offenders += [
        f"{_citation_name(c)}: and no quote of the 2021 report in the same entry"
        for owner, c in unquoted
        if owner not in quoted_by_report
    ]
    return offenders


def ratings_without_evidence() -> list[str]:
    """A rating other than not-assessed needs its reasoning (the implementation note) and
    evidence: a response, or a citation of a source other than the report that made the
    recommendation (which shows what was asked, not what was done)."""
    offenders = []
    recs = Recommendation.objects.exclude(implementation=Implementation.NOT_ASSESSED)
    for rec in recs.prefetch_related("citations", "responses").order_by("position"):
        missing = []
        if not rec.implementation_note.strip():
            missing.append("no implementation note")
        evidence = [c for c in rec.citations.all() if c.source_id != rec.report_id]
        if not evidence and not rec.responses.all():
            missing.append("no response and no citation other than its own report")
        if missing:
            offenders.append(
                f"recommendation {rec.slug} ({rec.implementation}): {', '.join(missing)}"
            )
    return offenders


def precedes(date: str, than: str) -> bool:
    """Whether partial date `date` ends before `than` begins ("2019-09" precedes "2019-11-27";
    "2019" does not: it may be December)."""
    width = min(len(date), len(than))
    return bool(date and than) and date[:width] < than[:width]


def earlier_reforms_that_answer() -> list[str]:
    offenders = []
    responses = Response.objects.select_related("recommendation__report", "reform")
    for response in responses.filter(relation=ResponseRelation.ANSWERS).order_by("pk"):
        reform, made = response.reform, str(response.recommendation.report.published_on or "")
        # Any of its dates: "2019" is the earliest string of "2019" and "2019-05", not of dates.
        dates = (
            str(d or "") for d in (reform.announced_on, reform.adopted_on, reform.effective_on)
        )
        earlier = sorted(d for d in dates if precedes(d, made))
        if earlier:
            offenders.append(
                f"response {_response_name(response)}: the reform dates from {earlier[0]}, "
                f"before the recommendation ({made}), yet answers it"
            )
    return offenders


def undated_reforms_not_related() -> list[str]:
    """An undated measure cannot be placed before or after a recommendation: it is "related"."""
    responses = Response.objects.select_related("recommendation", "reform").filter(
        reform__announced_on="", reform__adopted_on="", reform__effective_on=""
    )
    return [
        f"response {_response_name(r)}: the reform is undated, yet it {r.relation}"
        for r in responses.exclude(relation=ResponseRelation.RELATED).order_by("pk")
    ]


# Not carried out: a measure only announced, or undone.
NOT_CARRIED_OUT = {ReformStatus.ANNOUNCED, ReformStatus.REVERSED}


def ratings_against_the_rule() -> list[str]:
    """The rule (fixtures/content/README.md, "Ratings"): a rating reads what the report shows
    carried out after the recommendation, through the reforms that answer it. None answers (the
    report is silent): not-assessed. Some answer but none was carried out: not-implemented.
    One was carried out: partly-implemented or implemented."""
    offenders = []
    recs = Recommendation.objects.prefetch_related("responses__reform").order_by("position")
    for rec in recs:
        answering = [
            r.reform for r in rec.responses.all() if r.relation == ResponseRelation.ANSWERS
        ]
        carried_out = [f.slug for f in answering if f.status not in NOT_CARRIED_OUT]
        if not answering:
            wanted, why = {Implementation.NOT_ASSESSED}, "no reform answers it"
        elif not carried_out:
            wanted = {Implementation.NOT_IMPLEMENTED}
            why = "the reforms that answer it were not carried out"
        else:
            wanted = {Implementation.PARTLY_IMPLEMENTED, Implementation.IMPLEMENTED}
            why = f"{', '.join(carried_out)} answers it and was carried out"
        if rec.implementation not in wanted:
            offenders.append(
                f"recommendation {rec.slug}: {rec.implementation}, but {why} "
                f"(wanted {' or '.join(sorted(wanted))})"
            )
    return offenders


# A bound the report puts on a year: "as of 2016", "by the end of 2017", "by summer 2020",
# "since 2017".
BOUND = re.compile(
    r"\b(?P<word>by|as of|since)\s+(?:the end of\s+|summer\s+|early\s+|late\s+)?(?P<year>\d{4})\b",
    re.IGNORECASE,
)


def bounded_dates_without_qualifier() -> list[str]:
    """A date whose year a reform's quotes or summary give only as a bound carries a
    qualifier other than "on": they do not say the event happened in that year."""
    offenders = []
    reforms = Reform.objects.prefetch_related("citations").order_by("slug")
    for reform in reforms:
        quotes = " ".join([reform.summary, *(c.quote for c in reform.citations.all())])
        bounded = {m["year"]: m["word"].lower() for m in BOUND.finditer(quotes)}
        for kind in ("announced", "adopted", "effective"):
            date = str(getattr(reform, f"{kind}_on") or "")
            qualifier = getattr(reform, f"{kind}_qualifier")
            if date[:4] in bounded and qualifier == DateQualifier.ON:
                offenders.append(
                    f"reform {reform.slug}: {kind}_on {date} is “{bounded[date[:4]]} "
                    f"{date[:4]}” in its text, yet its qualifier is “on”"
                )
    return offenders


# --- The tests --------------------------------------------------------------------------------


def assert_none(offenders: list[str]) -> None:
    for line in offenders:
        print(line)
    assert offenders == [], f"{len(offenders)} offender(s):\n" + "\n".join(offenders)


def test_the_seeds_are_in_the_repository():
    assert len(seed_runs()) > 20_000
    assert in_report_2021("Kassym-Jomart Tokayev")


def test_the_copied_run_finder_finds_a_run_and_only_a_long_one():
    sentence = (
        "Kazakhstan needs to rise among the West’s priorities now, and the West should "
        "not be fooled by Kazakhstan’s past stability."
    )
    # Ten words of the seed ("…the West’s priorities now"), then ours: no run of twelve.
    assert shared_runs(f"As printed: {sentence}") == []
    copied = (
        "They should not be fooled by Kazakhstan’s past stability. Systemic vulnerabilities "
        "are growing. Economic challenges"
    )
    assert shared_runs(f"We add: {copied}. More here.") == [
        (
            REPORT_2019_SLUG,
            "they should not be fooled by kazakhstan s past stability systemic vulnerabilities "
            "are growing economic challenges",
        )
    ]
    eleven = "They should not be fooled by Kazakhstan’s past stability. Systemic"
    assert shared_runs(eleven) == []
    assert shared_runs(f"{eleven} vulnerabilities") == [
        (REPORT_2019_SLUG, " ".join(words(f"{eleven} vulnerabilities")))
    ]


def test_no_text_shares_a_run_of_twelve_words_with_a_seed(demo_module):
    assert_none(copied_runs())


def test_every_citation_of_the_2021_report_has_a_page_and_a_verbatim_quote(demo_module):
    assert_none(report_2021_citations_without_page_or_verbatim_quote())


def test_no_citation_of_the_2019_report_has_a_page(demo_module):
    assert_none(report_2019_citations_with_a_page())


def test_every_citation_has_a_quote(demo_module):
    assert_none(citations_without_quote())


def test_every_rating_has_a_note_and_evidence(demo_module):
    assert_none(ratings_without_evidence())


def test_a_reform_older_than_its_recommendation_does_not_answer_it(demo_module):
    assert_none(earlier_reforms_that_answer())


def test_an_undated_measure_is_only_related(demo_module):
    assert_none(undated_reforms_not_related())


def test_every_rating_follows_the_one_rule_silence_included(demo_module):
    assert_none(ratings_against_the_rule())


def test_a_date_the_report_gives_as_a_bound_carries_its_qualifier(demo_module):
    assert_none(bounded_dates_without_qualifier())


@pytest.mark.parametrize(
    ("date", "than", "expected"),
    [
        ("2018", "2019-11-27", True),
        ("2019-09", "2019-11-27", True),
        ("2019-11-15", "2019-11-27", True),
        ("2019", "2019-11-27", False),
        ("2019-11", "2019-11-27", False),
        ("2020-01", "2019-11-27", False),
        ("", "2019-11-27", False),
    ],
)
def test_precedes_takes_a_partial_date_as_the_whole_period(date, than, expected):
    assert precedes(date, than) is expected


def test_the_demo_shows_the_corrected_content_published(demo_module, client):
    """What the second fact-check corrected is what a fresh `load_content` publishes."""
    page = client.get("/reforms/samruk-kazyna-compliance-programmes/").content.decode()
    assert '<time datetime="2016">by 2016</time>' in page
    page = client.get("/reforms/undp-anti-corruption-service-partnership/").content.decode()
    assert "<dt>Who acted</dt><dd>UNDP</dd>" in page
    ministry = Reform.objects.published().get(slug="ministry-religious-affairs-2016")
    assert ministry.adopted_on == "2016"
    assert (
        Response.objects.get(
            reform__slug="law-on-public-control-draft",
            recommendation__slug="gov-transparent-inclusive-governance",
        ).relation
        == ResponseRelation.RELATED
    )
    ratings = dict(Recommendation.objects.published().values_list("slug", "implementation"))
    assert ratings["gov-clarify-political-transition-and-power"] == "not-assessed"
    assert ratings["gov-judicial-and-criminal-justice-reform"] == "not-implemented"
    undp = client.get("/reforms/", {"acted_by": "undp"}).context["reforms"]
    assert [r.slug for r in undp] == ["undp-anti-corruption-service-partnership"]
