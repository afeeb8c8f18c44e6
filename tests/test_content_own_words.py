"""The curated content is in our own words: no text field shares a run of 12 or more words with
the seed reports, except a citation's quote, which is the report's wording on purpose and says so.

Reads the YAML files, not the database: the words are the files' whether or not they load."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "fixtures" / "content"
# The seed reports live beside the checkout, not in it (they are not ours to publish).
SEEDS = ROOT.parent / "shared" / "seeds"
RUN = 12
# References and verbatim fields: a quote is marked as the report's; a source's title is the
# cited work's own title.
NOT_PROSE = {"quote", "slug", "source", "locator", "url", "recommendation", "reform", "report"}


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def seed_runs() -> set[tuple[str, ...]]:
    runs: set[tuple[str, ...]] = set()
    for seed in sorted(SEEDS.glob("*.txt")):
        seed_words = words(seed.read_text(encoding="utf-8"))
        runs.update(tuple(seed_words[i : i + RUN]) for i in range(len(seed_words) - RUN + 1))
    return runs


def first_shared_run(text: str, runs: set[tuple[str, ...]]) -> str:
    text_words = words(text)
    for i in range(len(text_words) - RUN + 1):
        if tuple(text_words[i : i + RUN]) in runs:
            return " ".join(text_words[i : i + RUN])
    return ""


def prose_fields(node, where: str):
    if isinstance(node, dict):
        entry = node.get("slug") or node.get("reform")
        prefix = f"{where}/{entry}" if entry else where
        for key, value in node.items():
            if key in NOT_PROSE or (key == "title" and where.startswith("sources")):
                continue
            yield from prose_fields(value, f"{prefix}/{key}")
    elif isinstance(node, list):
        for item in node:
            yield from prose_fields(item, where)
    elif isinstance(node, str):
        yield where, node


@pytest.fixture(scope="module")
def runs():
    if not any(SEEDS.glob("*.txt")):
        pytest.skip(f"seed reports not found in {SEEDS}")
    return seed_runs()


def test_a_copied_sentence_is_found(runs):
    copied = "They should not be fooled by Kazakhstan’s past stability. Systemic vulnerabilities"
    assert first_shared_run(f"As the report says, {copied.upper()} are growing.", runs)
    assert not first_shared_run("Kazakhstan's record of stability should not mislead them.", runs)


def test_no_text_field_copies_a_seed_report(runs):
    copied = [
        f"{path.name}: {where}: “{run}”"
        for path in sorted(CONTENT.glob("*.yaml"))
        for key, entries in yaml.safe_load(path.read_text(encoding="utf-8")).items()
        for where, text in prose_fields(entries, key)
        if (run := first_shared_run(text, runs))
    ]
    assert not copied, "\n".join(copied)
