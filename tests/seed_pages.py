"""Where a quote stands in the 2021 report, by page, as far as its plain-text copy can tell.

The copy (fixtures/seeds/000_…) is the PDF's text with most page heads lost: six survive, those
of pp. 8, 15, 27, 48, 62 and 73 (fixtures/content/README.md names them). An even page opens
“8 / Svante E. Cornell, …”, though on p. 62 the copy put the number after the authors; an odd
one “Political and Economic Reforms in Kazakhstan / 15”. A line between two heads lies on a page
between them; the heads bound it and nothing else does, since the footnotes that would mark the
other page ends survive only in part. So a quote gets bounds (lo, hi) that are certain, and an
estimate inside them, interpolated by line between the heads around it. The content's locators
say `p. N` only where the bounds meet, and `c. p. N` (the estimate) elsewhere;
`tests/test_content_integrity.py` holds them to it.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# In the repository, so that a clean clone (CI) has them.
SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
REPORT_2021 = SEEDS / "000_e71fe138608bcaf0.txt"
RECOMMENDATIONS_2019 = SEEDS / "004_8ee62b88aa0863f9.txt"

EVEN_HEAD = "Svante E. Cornell, S. Frederick Starr, Albert Barro"
ODD_HEAD = "Political and Economic Reforms in Kazakhstan"
# Lines per page where no head is near (the mean between the surviving heads), for the estimate
# before the first head and after the last.
LINES_PER_PAGE = 27.5
FRONT_MATTER = ("Executive Summary", "Introduction")


def normalise(text: str) -> str:
    """Lower case, letters and digits only (so quotes, dashes and the PDF's hyphens cannot
    differ), single spaces: how a quote is compared with the copy."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[-‐-―−­]", "", text)
    return re.sub(r"[\W_]+", " ", text).strip()


@dataclass(frozen=True)
class Place:
    lo: int
    hi: int
    estimate: int

    @property
    def exact(self) -> bool:
        return self.lo == self.hi


@dataclass(frozen=True)
class Seed:
    # Normalised and without spaces, one line of the copy after another: a word the PDF split
    # at a line's end ("Kassym-/Jomart") then reads as the quote has it.
    text: str
    line_starts: tuple[int, ...]  # offset in `text` of each line of the copy
    heads: tuple[tuple[int, int], ...]  # (line index where a page starts, its number)

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def find(self, quote: str, *, last: bool = False) -> int | None:
        """The line on which `quote` starts, or None if it is not in the copy verbatim; the
        first occurrence, or with `last` the last one."""
        needle = normalise(quote).replace(" ", "")
        offset = self.text.rfind(needle) if last else self.text.find(needle)
        return None if offset < 0 else self.line_of(offset)

    def place(self, line: int) -> Place:
        before = [(at, page) for at, page in self.heads if at <= line]
        after = [(at, page) for at, page in self.heads if at > line]
        if before and after:
            (at0, p0), (at1, p1) = before[-1], after[0]
            estimate = p0 + int((line - at0) * (p1 - p0) / (at1 - at0))
            return Place(p0, p1 - 1, min(max(estimate, p0), p1 - 1))
        if before:
            at0, p0 = before[-1]
            estimate = p0 + int((line - at0) / LINES_PER_PAGE)
            return Place(p0, 10_000, estimate)
        at1, p1 = after[0]
        estimate = p1 - 1 - int((at1 - line) / LINES_PER_PAGE)
        return Place(1, p1 - 1, max(estimate, 1))


def _read(path: Path) -> Seed:
    raw = path.read_text(encoding="utf-8").split("\n")
    heads = []
    for i, line in enumerate(raw):
        here = line.strip()
        # An even page opens with its number, then the authors; an odd one with the title,
        # then its number; blank lines between.
        if here == EVEN_HEAD:
            # Mostly the number comes first; on p. 62 the copy put it after the authors.
            before = next(x.strip() for x in reversed(raw[max(i - 3, 0) : i]) if x.strip())
            after = next(x.strip() for x in raw[i + 1 : i + 4] if x.strip())
            if before.isdigit():
                heads.append((i - 2, int(before)))
            elif after.isdigit():
                heads.append((i, int(after)))
        elif here == ODD_HEAD:
            number = next(x.strip() for x in raw[i + 1 : i + 4] if x.strip())
            if number.isdigit():
                heads.append((i, int(number)))
    parts, starts, offset = [], [], 0
    for line in raw:
        starts.append(offset)
        part = normalise(line).replace(" ", "")
        parts.append(part)
        offset += len(part)
    return Seed(text="".join(parts), line_starts=tuple(starts), heads=tuple(sorted(heads)))


@cache
def report_2021() -> Seed:
    return _read(REPORT_2021)


PAGE = re.compile(
    r"(?:(?P<circa>c\. )?p\. (?P<page>\d+)|pp\. (?P<first>\d+)[–-](?P<last>\d+))"
    r"(?: \(passage \d+\))?$"
)


def locator_pages(locator: str) -> tuple[int, int, bool] | None:
    """(first page, last page, whether marked circa) of a locator ending in a page, else None."""
    match = PAGE.search(locator)
    if match is None:
        return None
    if match["page"]:
        page = int(match["page"])
        return page, page, bool(match["circa"])
    return int(match["first"]), int(match["last"]), False


def with_page(locator: str, quote: str) -> str:
    """`locator` with its page part (`p. N` where the copy pins it, else `c. p. N`) set from
    where `quote` stands in the copy; unchanged if the quote is not found."""
    # The Executive Summary and the Introduction repeat sentences of the chapters: a locator
    # naming a chapter means the sentence where the chapter has it, the later occurrence.
    in_chapter = not locator.startswith(FRONT_MATTER)
    line = report_2021().find(quote, last=in_chapter) if quote else None
    if line is None:
        return locator
    place = report_2021().place(line)
    page = f"p. {place.lo}" if place.exact else f"c. p. {place.estimate}"
    bare = re.sub(r",?\s*(?:c\. )?pp?\. [\d–-]+(?: \(passage \d+\))?$", "", locator).strip()
    return f"{bare}, {page}" if bare else page


def _citations(node, owner=None):
    """(the list a citation stands in, the citation), in the file's order."""
    if isinstance(node, dict):
        if "source" in node and "locator" in node:
            yield owner, node
        for value in node.values():
            yield from _citations(value, node)
    elif isinstance(node, list):
        for value in node:
            yield from _citations(value, id(node))


def fix_locators(path: Path) -> int:
    """Rewrite, in place, the locator line of every citation of the 2021 report in one content
    file; returns how many changed. Only those lines change, so a diff shows nothing else."""
    import yaml

    text = path.read_text(encoding="utf-8")
    wanted, seen = [], set()
    for owner, citation in _citations(yaml.safe_load(text) or {}):
        if citation["source"] != "cornell-starr-barro-2021":
            wanted.append(None)
            continue
        locator = with_page(citation["locator"], citation.get("quote") or "")
        # An entry cites a source once per locator: two passages on one page are told apart.
        base, n = re.sub(r" \(passage \d+\)$", "", locator), 1
        while (owner, locator) in seen:
            n += 1
            locator = f"{base} (passage {n})"
        seen.add((owner, locator))
        wanted.append(locator)
    lines, changed, index = text.split("\n"), 0, 0
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*(?:- )?locator: ).*$", line)
        if not match:
            continue
        new = wanted[index]
        index += 1
        if new is not None:
            quoted = new.replace("\\", "\\\\").replace('"', '\\"')
            rewritten = f'{match[1]}"{quoted}"'
            if rewritten != line:
                lines[i], changed = rewritten, changed + 1
    if index != len(wanted):
        raise ValueError(f"{path}: {index} locator lines for {len(wanted)} citations")
    path.write_text("\n".join(lines), encoding="utf-8")
    return changed


if __name__ == "__main__":
    # python -m tests.seed_pages fixtures/content/*.yaml: set the pages of the 2021 report's
    # citations from their quotes.
    import sys

    for name in sys.argv[1:]:
        print(name, fix_locators(Path(name)))
