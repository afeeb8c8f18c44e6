"""Seed N published reforms fast, straight into the tables with COPY (PostgreSQL only).

The shape of the data, chosen to look like the tracker's real content at scale:

- 40 topics, ten per area; 60 published recommendations in 3 published reports, 12 themes.
- 50 published sources (reports, laws, news), plus 5 draft ones nobody may see.
- N reforms, all published: every area, every status and initiator (and some with none), dates
  of every precision (year, month, day) in 1995–2026, some with one date and some with all three;
  1–4 topics of the reform's own area; titles of 30–140 characters and summaries of 80–900
  (some short, most two to four sentences), a body on every third, Kazakh and Russian words
  (non-ASCII) in some; about 580 bytes of text a row. The policy words are 6% of the words, the
  rest made up, so `q=police` matches some 5–10% of reforms and `q=police court` under 1%.
- 1–5 citations a reform, of published sources (a few of draft ones, which search must not see),
  with locators and, on some, quotes.
- About one reform in eight answers one or two recommendations (a response with a note).
- About one reform in eight is also filed under a second area (a secondary area), as 11 of the
  92 reforms of the demo content are. Drawn by a generator of its own, so that everything else
  is what it was before secondary areas were seeded (2026-12-06).

Deterministic for a given N. `seed(n)` writes through Django's connection and leaves the search
vectors computed and the tables ANALYZEd; the reforms' slugs are `reform-<i>` for i in 0..N-1.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

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
INITIATORS = ["president", "government", "parliament", "ministry", "agency", "judiciary", "other"]
WORDS = [
    "reform",
    "law",
    "programme",
    "police",
    "court",
    "election",
    "parliament",
    "budget",
    "tenge",
    "agriculture",
    "media",
    "assembly",
    "corruption",
    "judge",
    "tax",
    "investment",
    "digital",
    "land",
    "akim",
    "council",
    "ministry",
    "decree",
    "strategy",
    "pension",
    "health",
    "education",
    "water",
    "energy",
    "transport",
    "procurement",
    "ombudsman",
    "prosecutor",
    "customs",
    "licensing",
    "registry",
    "audit",
    "subsidy",
    "tariff",
    "oblast",
    "district",
    "referendum",
    "constitution",
]
LOCAL = [
    "Мәжіліс",
    "Сенат",
    "әкім",
    "заң",
    "реформа",
    "Астана",
    "Алматы",
    "бюджет",
    "суд",
    "выборы",
    "закон",
    "реформа",
]
SENTENCE_ENDS = [".", ".", ".", ";", "."]


def _vocabulary() -> list[str]:
    """Some 3,000 made-up everyday words: with them, the policy words above are as rare in a
    text as real ones are, so a search matches a few percent of reforms, not most of them."""
    onsets = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "zh", "ch"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ei", "ou"]
    codas = ["", "n", "r", "l", "s", "t", "m", "ng"]
    syllables = [o + v + c for o in onsets for v in vowels for c in codas]
    rnd = random.Random(7)
    return sorted({"".join(rnd.sample(syllables, rnd.randint(2, 3))) for _ in range(3200)})


FILLER = _vocabulary()
# Policy words 6% of the words, Kazakh and Russian 1%, made-up words the rest, skewed towards the
# first of them as word frequencies are (the density of the square of a uniform draw).
POOL = WORDS + LOCAL + FILLER
_WEIGHTS = (
    [0.06 / len(WORDS)] * len(WORDS)
    + [0.01 / len(LOCAL)] * len(LOCAL)
    + [
        0.93 * (((i + 1) / len(FILLER)) ** 0.5 - (i / len(FILLER)) ** 0.5)
        for i in range(len(FILLER))
    ]
)
CUM_WEIGHTS = list(itertools.accumulate(_WEIGHTS))


def _sentence(rnd: random.Random, lo: int, hi: int) -> str:
    words = rnd.choices(POOL, cum_weights=CUM_WEIGHTS, k=rnd.randint(lo, hi))
    return " ".join(words).capitalize() + rnd.choice(SENTENCE_ENDS)


def _date(rnd: random.Random, year: int) -> str:
    precision = rnd.random()
    if precision < 0.25:
        return f"{year:04d}"
    if precision < 0.6:
        return f"{year:04d}-{rnd.randint(1, 12):02d}"
    return f"{year:04d}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"


def _text(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n").replace("\r", "")


def seed(n: int, *, batch: int = 50_000) -> None:
    """Insert N published reforms (and what they refer to) into the default database."""
    from django.db import connection, transaction

    assert connection.vendor == "postgresql", "the seeder uses COPY"
    rnd = random.Random(20240601 + n)
    also = random.Random(20261206 + n)  # the secondary areas' own (see the docstring)
    now = datetime(2026, 1, 15, 12, 0, tzinfo=UTC).isoformat()
    connection.ensure_connection()
    pg = connection.connection
    with pg.cursor() as cur:
        topic_ids = {area: [] for area in AREAS}
        for i in range(40):
            area = AREAS[i % 4]
            cur.execute(
                "INSERT INTO reforms_topic (slug, name, area) VALUES (%s, %s, %s) RETURNING id",
                [f"topic-{i}", f"Topic {i} ({area})", area],
            )
            topic_ids[area].append(cur.fetchone()[0])
        editorial = "review_state, published_at, created_at, updated_at, version, approved_version"
        source_ids, draft_source_ids = [], []
        for i in range(55):
            state = "published" if i < 50 else "draft"
            cur.execute(
                f"INSERT INTO institute_source (slug, title, authors, publisher, published_on, "
                f"url, kind, {editorial}) VALUES (%s, %s, %s, %s, %s, '', %s, %s, %s, %s, %s, "
                f"1, NULL) RETURNING id",
                [
                    f"source-{i}",
                    f"Source {i}: {_sentence(rnd, 3, 8)}",
                    "Institute staff" if i % 3 else "Ministry of Justice",
                    "Policy Institute" if i % 2 else "Kazinform",
                    f"{2000 + i % 26}",
                    ["report", "law-decree", "official-statement", "news", "dataset"][i % 5],
                    state,
                    now if state == "published" else None,
                    now,
                    now,
                ],
            )
            (source_ids if state == "published" else draft_source_ids).append(cur.fetchone()[0])
        theme_ids = []
        for i in range(12):
            cur.execute(
                "INSERT INTO recommendations_theme (slug, name) VALUES (%s, %s) RETURNING id",
                [f"theme-{i}", f"Theme {i}"],
            )
            theme_ids.append(cur.fetchone()[0])
        rec_ids = []
        for i in range(60):
            cur.execute(
                f"INSERT INTO recommendations_recommendation (slug, title, text, audience, "
                f"position, implementation, implementation_note, assessed_on, report_id, "
                f"{editorial}) VALUES (%s, %s, %s, %s, %s, %s, '', '', %s, 'published', %s, %s, "
                f"%s, 1, NULL) RETURNING id",
                [
                    f"recommendation-{i}",
                    f"Recommendation {i}: {_sentence(rnd, 3, 8)}",
                    " ".join(_sentence(rnd, 8, 20) for _ in range(3)),
                    ["government", "western"][i % 2],
                    i // 3 + 1,
                    ["implemented", "partly-implemented", "not-implemented", "not-assessed"][i % 4],
                    source_ids[i % 3],
                    now,
                    now,
                    now,
                ],
            )
            rec_ids.append(cur.fetchone()[0])
            cur.execute(
                "INSERT INTO recommendations_recommendation_themes (recommendation_id, theme_id) "
                "VALUES (%s, %s)",
                [rec_ids[-1], theme_ids[i % 12]],
            )

        # A citation's statement trigger would recompute its reforms' search vectors again; the
        # reforms' own row trigger computes them once, with their citations, when the citations
        # are written first in the same transaction. The child tables' foreign-key checks (a
        # query per row at commit) are off too: the rows refer to what was just written.
        children = (
            "institute_citation",
            "reforms_reform_topics",
            "recommendations_response",
            "reforms_secondaryarea",
        )
        for table in children:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        # Secondary indexes (the search's GIN above all) are built much faster once, after the
        # load, than row by row during it; the constraints' indexes stay.
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reforms_reform' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        secondary = cur.fetchall()
        for name, _definition in secondary:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SELECT coalesce(max(id), 0) FROM reforms_reform")
        first_id = cur.fetchone()[0] + 1
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            reforms, topics, citations, responses, secondary_areas = [], [], [], [], []
            for i in range(start, stop):
                pk = first_id + i
                area = AREAS[i % 4]
                year = 1995 + rnd.randint(0, 31)
                announced = _date(rnd, year)
                adopted = _date(rnd, min(2026, year + 1)) if rnd.random() < 0.6 else ""
                effective = _date(rnd, min(2026, year + 2)) if rnd.random() < 0.3 else ""
                if rnd.random() < 0.1:
                    announced = ""
                    adopted = adopted or _date(rnd, year)
                first = min(d for d in (announced, adopted, effective) if d)
                length = rnd.random()
                sentences = 1 if length < 0.15 else (8 if length > 0.95 else rnd.randint(2, 4))
                summary = " ".join(_sentence(rnd, 8, 18) for _ in range(sentences))
                body = (
                    " ".join(_sentence(rnd, 10, 20) for _ in range(rnd.randint(2, 6)))
                    if i % 3 == 0
                    else ""
                )
                title = f"{_sentence(rnd, 3, 14)[:-1]} ({i})"
                reforms.append(
                    "\t".join(
                        [
                            str(pk),
                            "published",
                            now,
                            now,
                            now,
                            "1",
                            f"reform-{i}",
                            _text(title[:300]),
                            _text(summary),
                            _text(body),
                            area,
                            STATUSES[rnd.randrange(len(STATUSES))],
                            announced,
                            adopted,
                            effective,
                            first,
                            "" if rnd.random() < 0.1 else rnd.choice(INITIATORS),
                            "Ministry of National Economy" if rnd.random() < 0.05 else "",
                        ]
                    )
                )
                for topic in rnd.sample(topic_ids[area], rnd.randint(1, 4)):
                    topics.append(f"{pk}\t{topic}")
                for k, source in enumerate(rnd.sample(source_ids, rnd.randint(1, 5))):
                    if rnd.random() < 0.02:
                        source = rnd.choice(draft_source_ids)
                    quote = _text(_sentence(rnd, 5, 15)) if rnd.random() < 0.3 else ""
                    citations.append(f"{pk}\t{source}\tp. {rnd.randint(1, 300)}\t{quote}\t\t{k}")
                if rnd.random() < 0.125:
                    for rec in rnd.sample(rec_ids, rnd.randint(1, 2)):
                        responses.append(f"{pk}\t{rec}\t{_text(_sentence(rnd, 6, 14))}\tanswers")
                if also.random() < 0.125:
                    secondary_areas.append(f"{pk}\t{also.choice([a for a in AREAS if a != area])}")
            with transaction.atomic():
                _copy(
                    cur,
                    "institute_citation (reform_id, source_id, locator, quote, supports, position)",
                    citations,
                )
                _copy(cur, "reforms_reform_topics (reform_id, topic_id)", topics)
                _copy(
                    cur,
                    "recommendations_response (reform_id, recommendation_id, note, relation)",
                    responses,
                )
                _copy(cur, "reforms_secondaryarea (reform_id, area)", secondary_areas)
                _copy(
                    cur,
                    "reforms_reform (id, review_state, published_at, created_at, updated_at, "
                    "version, slug, title, summary, body, area, status, announced_on, adopted_on, "
                    "effective_on, first_date, initiated_by, initiated_by_detail)",
                    reforms,
                )
        for table in children:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in secondary:
            cur.execute(definition)
        for table in (
            "reforms_reform",
            "reforms_reform_topics",
            "institute_citation",
            "recommendations_response",
            "reforms_secondaryarea",
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map, so that index-only scans work as on a settled table.
        cursor.execute("VACUUM ANALYZE" if pg.autocommit else "ANALYZE")


def _copy(cur, target: str, lines: list[str]) -> None:
    if not lines:
        return
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        copy.write("\n".join(lines) + "\n")
