"""The contract CSV's bytes, written out: the download formats added for people (XLSX labels,
CSV for Excel) leave them as they were."""

from django.urls import reverse

from tests.factories import ReformFactory


def test_contract_csv_bytes_are_as_before_and_csv_for_excel_only_adds_a_bom(client, db):
    ReformFactory(
        published=True,
        slug="golden-reform",
        title='A "quoted", title',
        summary="=SUM(1) looks like a formula",
        adopted_on="2020-05",
    )
    csv = b"".join(client.get(reverse("reforms:export", kwargs={"fmt": "csv"})).streaming_content)
    header, line, end = csv.split(b"\r\n")
    assert end == b""
    assert header.startswith(
        b"slug,title,summary,area,topics,status,announced_on,adopted_on,effective_on,"
        b"initiated_by,sources,responds_to,url,body,initiated_by_detail"
    )
    # Columns may be added at the end only: the line starts as it always did.
    assert line.startswith(
        b'golden-reform,"A ""quoted"", title",\'=SUM(1) looks like a formula,economy,,adopted,,'
        b"2020-05,,,,,http://testserver/reforms/golden-reform/,,"
    )
    # Issue 27's columns, after all of the old ones: the dates' qualifiers and who acted; then
    # issue 25's translations, each language's fields in turn.
    assert (
        b",initiated_by_detail,secondary_areas,announced_qualifier,adopted_qualifier,"
        b"effective_qualifier,acted_by,title_ru,summary_ru,body_ru,title_kk,summary_kk,body_kk"
    ) in header
    assert header.endswith(b",acted_by,title_ru,summary_ru,body_ru,title_kk,summary_kk,body_kk")
    assert line.endswith(b",,,on,,kazakhstan,,,,,,")
    excel = client.get(reverse("reforms:export", kwargs={"fmt": "csv-excel"}))
    assert b"".join(excel.streaming_content) == b"\xef\xbb\xbf" + csv
