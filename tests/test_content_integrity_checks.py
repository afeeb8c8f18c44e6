"""The checks of tests/test_content_integrity.py on entries made to break them, one each: the
content tests there pass only when a check finds nothing, so these show that each can find
something. A module of their own: the content's module loads the demo content for all its tests,
whose slugs these reuse."""

import pytest

from institute.sources.models import Citation
from recommendations.models import Implementation, Recommendation
from reforms.models import Response
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
)
from tests.test_content_integrity import (
    REPORT_2019_SLUG,
    REPORT_2021_SLUG,
    bounded_dates_without_qualifier,
    citations_without_quote,
    copied_runs,
    earlier_reforms_that_answer,
    ratings_against_the_rule,
    ratings_without_evidence,
    report_2019_citations_with_a_page,
    report_2021_citations_without_page_or_verbatim_quote,
    undated_reforms_not_related,
)

pytestmark = pytest.mark.django_db


def test_each_check_names_what_breaks_it():
    report_2019 = SourceFactory(slug=REPORT_2019_SLUG, published_on="2019-11-27")
    report_2021 = SourceFactory(slug=REPORT_2021_SLUG, published_on="2021")
    rec = RecommendationFactory(
        slug="rated",
        report=report_2019,
        implementation=Implementation.IMPLEMENTED,
        implementation_note="",
        text="Mindful of ongoing changes in global governance, Western governments and "
        "institutions should frame policy with incentives.",
    )
    CitationFactory(recommendation=rec, source=report_2019, locator="Section 9, p. 3", quote="")
    reform = ReformFactory(slug="old-law", announced_on="2015", adopted_on="2020")
    response = ResponseFactory(recommendation=rec, reform=reform, relation="answers")
    CitationFactory(response=response, source=report_2021, locator="Economy", quote="Made up.")
    assert copied_runs() == []  # 11 words of the 2019 report in a row, not 12
    Recommendation.objects.filter(pk=rec.pk).update(text=rec.text.replace("policy", "their"))
    assert copied_runs() == [
        "recommendation rated text: 12 words of chatham-house-2019: “ongoing changes in global "
        "governance western governments and institutions should frame their”"
    ]
    assert report_2019_citations_with_a_page() == [
        "recommendation rated, citation of chatham-house-2019 “Section 9, p. 3”"
    ]
    assert report_2021_citations_without_page_or_verbatim_quote() == [
        "response rated ← old-law, citation of cornell-starr-barro-2021 “Economy”: no page "
        "(p. N or c. p. N)",
        "response rated ← old-law, citation of cornell-starr-barro-2021 “Economy”: quote not in "
        "the report: “Made up.”",
    ]
    assert citations_without_quote() == [
        "recommendation rated, citation of chatham-house-2019 “Section 9, p. 3”"
    ]
    # A response is evidence; the report's own citation is not.
    assert ratings_without_evidence() == [
        "recommendation rated (implemented): no implementation note"
    ]
    response.delete()
    assert ratings_without_evidence() == [
        "recommendation rated (implemented): no implementation note, no response and no "
        "citation other than its own report"
    ]
    ResponseFactory(recommendation=rec, reform=reform, relation="anticipates")
    assert earlier_reforms_that_answer() == []
    Response.objects.update(relation="answers")
    assert earlier_reforms_that_answer() == [
        "response rated ← old-law: the reform dates from 2015, before the recommendation "
        "(2019-11-27), yet answers it"
    ]


def test_a_footnote_source_needs_the_report_quoted_beside_it():
    report_2021 = SourceFactory(slug=REPORT_2021_SLUG, published_on="2021")
    reform = ReformFactory(slug="with-footnote")
    footnote = "cited in footnote 100 of the 2021 report"
    CitationFactory(reform=reform, source=SourceFactory(slug="rferl"), locator=footnote, quote="")
    assert citations_without_quote() == [
        f"reform with-footnote, citation of rferl “{footnote}”: and no quote of the 2021 report "
        "in the same entry"
    ]
    CitationFactory(reform=reform, source=report_2021, locator="Human Rights, c. p. 60", quote="")
    assert citations_without_quote() == [
        "reform with-footnote, citation of cornell-starr-barro-2021 “Human Rights, c. p. 60”",
        f"reform with-footnote, citation of rferl “{footnote}”: and no quote of the 2021 report "
        "in the same entry",
    ]
    Citation.objects.filter(source=report_2021).update(quote="The article was reworded.")
    assert citations_without_quote() == []


def test_an_undated_measure_that_anticipates_is_named():
    rec = RecommendationFactory(slug="asks")
    undated = ReformFactory(slug="undated-law", adopted_on="")
    response = ResponseFactory(recommendation=rec, reform=undated, relation="related")
    ResponseFactory(recommendation=rec, reform=ReformFactory(slug="dated"), relation="answers")
    assert undated_reforms_not_related() == []
    Response.objects.filter(pk=response.pk).update(relation="anticipates")
    assert undated_reforms_not_related() == [
        "response asks ← undated-law: the reform is undated, yet it anticipates"
    ]


def test_each_rating_is_held_to_the_one_rule():
    silent = RecommendationFactory(slug="silent", implementation=Implementation.NOT_IMPLEMENTED)
    ResponseFactory(recommendation=silent, reform=ReformFactory(slug="near"), relation="related")
    planned = RecommendationFactory(
        slug="planned", implementation=Implementation.PARTLY_IMPLEMENTED
    )
    plan = ReformFactory(slug="a-plan", status="announced")
    ResponseFactory(recommendation=planned, reform=plan, relation="answers")
    done = RecommendationFactory(slug="done", implementation=Implementation.NOT_ASSESSED)
    ResponseFactory(recommendation=done, reform=ReformFactory(slug="a-law"), relation="answers")
    assert ratings_against_the_rule() == [
        "recommendation silent: not-implemented, but no reform answers it (wanted not-assessed)",
        "recommendation planned: partly-implemented, but the reforms that answer it were not "
        "carried out (wanted not-implemented)",
        "recommendation done: not-assessed, but a-law answers it and was carried out (wanted "
        "implemented or partly-implemented)",
    ]
    Recommendation.objects.filter(slug="silent").update(implementation="not-assessed")
    Recommendation.objects.filter(slug="planned").update(implementation="not-implemented")
    Recommendation.objects.filter(slug="done").update(implementation="implemented")
    assert ratings_against_the_rule() == []


def test_a_bound_without_its_qualifier_is_named():
    report_2021 = SourceFactory(slug=REPORT_2021_SLUG, published_on="2021")
    reform = ReformFactory(slug="as-of", adopted_on="2016")
    CitationFactory(reform=reform, source=report_2021, quote="as of 2016, it adopted programs")
    assert bounded_dates_without_qualifier() == [
        "reform as-of: adopted_on 2016 is “as of 2016” in its text, yet its qualifier is “on”"
    ]
    reform.adopted_qualifier = "by"
    reform.save()
    assert bounded_dates_without_qualifier() == []
