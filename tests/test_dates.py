import pytest
from django.core.exceptions import ValidationError

from institute.dates import PartialDate, Precision
from tests.factories import ReformFactory


@pytest.mark.parametrize(
    ("value", "precision", "label"),
    [
        ("2019", Precision.YEAR, "2019"),
        ("2019-12", Precision.MONTH, "December 2019"),
        ("2019-12-20", Precision.DAY, "20 December 2019"),
        ("2020-02-29", Precision.DAY, "29 February 2020"),
    ],
)
def test_partial_dates_keep_their_precision(value, precision, label):
    date = PartialDate(value)
    assert date.precision == precision
    assert date.label == label
    assert str(date) == value


@pytest.mark.parametrize(
    "value",
    [
        "19",
        "2019-13",
        "2019-00",
        "2019-12-32",
        "2019--20",
        "2019-2-3",
        "2021-02-29",
        "0000",
        "dec 2019",
        "2019-12-20T00:00",
    ],
)
def test_nonsense_dates_are_rejected(value):
    with pytest.raises(ValueError):
        PartialDate(value)


def test_partial_dates_sort_chronologically_at_mixed_precision():
    values = ["2020-01-05", "2019", "2019-12-20", "2019-12", "2020"]
    assert sorted(PartialDate(v) for v in values) == [
        "2019",
        "2019-12",
        "2019-12-20",
        "2020",
        "2020-01-05",
    ]


@pytest.mark.django_db
def test_model_validation_names_the_bad_date():
    reform = ReformFactory.build(announced_on="2019-02-30", adopted_on="")
    with pytest.raises(ValidationError) as excinfo:
        reform.full_clean()
    assert "announced_on" in excinfo.value.message_dict
    assert "no day 30" in excinfo.value.message_dict["announced_on"][0]


@pytest.mark.django_db
def test_dates_come_back_from_the_database_with_their_precision():
    reform = ReformFactory(announced_on="2019-12", adopted_on="2020", effective_on="")
    reform.refresh_from_db()
    assert reform.announced_on.label == "December 2019"
    assert reform.adopted_on.label == "2020"
    assert reform.effective_on == ""
    assert reform.first_date == "2019-12"
    assert [label for label, *_ in reform.dates] == ["Announced", "Adoption date"]
