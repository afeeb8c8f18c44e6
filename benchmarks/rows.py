"""Realistic rows of the reforms table, as CSV, for the import and export benchmarks.

The shape of the curated content, repeated: every area, status and initiator; dates of every
precision (and none); 1-4 topics and 1-5 sources a row; a quarter answering 1-2 recommendations;
summaries of one to four sentences and a body on a third of the rows; Kazakh and Russian names,
typographic quotes, commas and the odd line break. About 580 bytes a row.
"""

from __future__ import annotations

import csv
import io
import random

AREAS = ["economy", "human-rights", "political-participation", "justice-anti-corruption"]
STATUSES = [
    "announced",
    "adopted",
    "in-progress",
    "implemented",
    "partially-implemented",
    "stalled",
    "reversed",
]
INITIATORS = ["president", "government", "parliament", "ministry", "agency", "judiciary", ""]
TOPICS = [f"bench-topic-{n:02d}" for n in range(34)]
SOURCES = [f"bench-source-{n:02d}" for n in range(60)]
RECOMMENDATIONS = [f"bench-rec-{n:02d}" for n in range(40)]
HEADER = [
    "slug",
    "title",
    "summary",
    "area",
    "topics",
    "status",
    "announced_on",
    "adopted_on",
    "effective_on",
    "initiated_by",
    "sources",
    "responds_to",
    "url",
    "body",
    "initiated_by_detail",
]
SENTENCES = [
    "The Mäjilis adopted the amendments after a second reading, with 82 deputies in favour.",
    "Under the law, akims of rural districts are elected rather than appointed by the region.",
    "The Agency for Strategic Planning and Reforms reports to the president, not the cabinet.",
    "Critics said the “consultative” format left the final decision with the executive.",
    "The threshold for parties fell from 7% to 5%, and registration needs 5,000 members.",
    "Tokayev called the change part of a “listening state”; officials described it as a start.",
    "Қазақстан Республикасының Заңы, signed in Nur-Sultan, took effect ten days later.",
    "Subsidies for farmers were cut, and the savings moved to the national fund's rules.",
    "Rallies need notice, not permission; the organisers must still agree the venue.",
    "The Supreme Court published its rulings online, with judges' names for the first time.",
]
WORDS = [
    "land",
    "tenge",
    "court",
    "police",
    "budget",
    "election",
    "media",
    "council",
    "ministry",
    "pension",
    "audit",
]
DATES = ["{y}", "{y}-{m:02d}", "{y}-{m:02d}-{d:02d}", ""]


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(1995, 2024), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(DATES).format(y=y, m=m, d=d)


def reform_row(n: int, *, edited: bool = False) -> list[str]:
    """Row `n`, the same on every call (`edited` changes its summary)."""
    rng = random.Random(n)
    summary = " ".join(rng.sample(SENTENCES, rng.randint(1, 4)))
    if edited:
        summary += " Revised."
    title = f"{rng.choice(WORDS).capitalize()} reform no. {n}: {' '.join(rng.sample(WORDS, 4))}"
    body = "\n".join(rng.sample(SENTENCES, 2)) if n % 3 == 0 else ""
    return [
        f"bench-reform-{n:07d}",
        title,
        summary,
        AREAS[n % len(AREAS)],
        ";".join(sorted(rng.sample(TOPICS, rng.randint(1, 4)))),
        STATUSES[n % len(STATUSES)],
        _date(rng),
        _date(rng),
        _date(rng),
        INITIATORS[n % len(INITIATORS)],
        ";".join(sorted(rng.sample(SOURCES, rng.randint(1, 5)))),
        ";".join(sorted(rng.sample(RECOMMENDATIONS, rng.randint(1, 2)))) if n % 4 == 0 else "",
        "",
        body,
        "Ministry of Justice, with the Agency for Civil Service Affairs" if n % 5 == 0 else "",
    ]


def reforms_csv(count: int, *, edit_every: int = 0, start: int = 0) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(start, start + count):
        writer.writerow(reform_row(n, edited=bool(edit_every) and n % edit_every == 0))
    return out.getvalue().encode("utf-8")


def seed_vocabularies() -> None:
    """The topics, published sources and published recommendations the rows refer to."""
    from django.utils import timezone

    from institute.editorial.states import PUBLISHED
    from institute.sources.models import Source
    from recommendations.models import Recommendation
    from reforms.models import Topic

    now = timezone.now()
    Topic.objects.bulk_create(
        [Topic(slug=s, name=f"Topic {s[-2:]}", area=AREAS[n % 4]) for n, s in enumerate(TOPICS)]
    )
    sources = Source.objects.bulk_create(
        [
            Source(
                slug=s,
                title=f"Report {n}",
                kind="report",
                review_state=PUBLISHED,
                published_at=now,
            )
            for n, s in enumerate(SOURCES)
        ]
    )
    Recommendation.objects.bulk_create(
        [
            Recommendation(
                slug=s,
                title=f"Recommendation {n}",
                text="Do it.",
                audience="western",
                report=sources[0],
                position=n + 1,
                implementation="not-assessed",
                review_state=PUBLISHED,
                published_at=now,
            )
            for n, s in enumerate(RECOMMENDATIONS)
        ]
    )
