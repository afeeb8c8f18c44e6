"""The page locator tool (tests/seed_pages.py) finds every page head that the content's style
note (fixtures/content/README.md, "Locators") says survives in the 2021 report's copy, and the
content's locators are the ones it computes."""

import re
from pathlib import Path

from tests.seed_pages import fix_locators, report_2021

README = Path(__file__).resolve().parent.parent / "fixtures" / "content" / "README.md"
CONTENT = README.parent


def named_heads() -> list[int]:
    """The pages whose heads the style note names ("the heads of pp. 8, 15, … and 73")."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    match = re.search(r"the heads of pp\. ([\d, ]+) and (\d+)", text)
    assert match, "the style note names the surviving page heads"
    return [int(n) for n in match[1].replace(",", " ").split()] + [int(match[2])]


def test_every_page_head_the_style_note_names_is_found():
    pages = named_heads()
    assert pages == [8, 15, 27, 48, 62, 73]
    assert [page for _line, page in report_2021().heads] == pages


def test_heads_stand_in_the_order_of_their_pages():
    lines = [line for line, _page in report_2021().heads]
    assert lines == sorted(lines)


def test_the_content_locators_are_those_the_tool_computes(tmp_path):
    for path in sorted(CONTENT.glob("*.yaml")):
        copy = tmp_path / path.name
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        assert fix_locators(copy) == 0, f"{path.name}: run python -m tests.seed_pages on it"
