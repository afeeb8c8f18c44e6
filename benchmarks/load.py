"""A bounded load on a running server: N mixed public requests over C keep-alive connections.

    make serve                      # in one terminal (or make run, for a development server)
    make load LOAD_ARGS="--requests 10000 --concurrency 50"

    # the same mix against a second server with the page cache off, as the same run's baseline
    PORT=8001 PAGE_CACHE=0 make serve
    make load LOAD_ARGS="--concurrency 50 --baseline-url http://127.0.0.1:8001"

Stdlib only (threads and http.client), so it runs with any Python against any base URL. It first
reads the published slugs, topics and search words from the server itself (`/data/reforms.csv`,
`/data/recommendations.csv`, the home page's stylesheet), then sends exactly `--requests`
requests, each thread on its own persistent connection (reopened when the server closes it, as
a server that keeps no connection alive does after every response), and stops.

With --passes N (default 1) each server is sent the same requests N times in a row, each pass
reported on its own: the first pass is what a crowd meets right after a publish (each address's
first request is computed, the cache holds nothing yet), the later ones the same crowd while the
content stays as it is (the page cache answers). The baseline server computes every pass.

With --baseline-url it sends the same requests to that server first (started with PAGE_CACHE=0:
every answer computed by its view) and then to --base-url, and prints both reports and the two
figures side by side. The API's throttle (API_THROTTLE_RATE) would refuse most of the API's share
from one address: start the servers with API_THROTTLE_RATE=off (no limit) for a load test.

Requests say `Accept-Encoding: identity` unless --accept-encoding says otherwise (`gzip`, as a
browser sends: the server then sends its text answers compressed, institute/compression.py);
the report gives the bodies' bytes as received.

With --only KINDS (comma-separated kinds of the mix, e.g. `--only export-csv,home`) only those
kinds are sent, in their weights: with --cpu-of, what one kind of answer costs the server.
`--only data-table` sends `/data/reforms.csv`, a kind the mix leaves out.

With --cpu-of NAMES (comma-separated process names, Linux's /proc; only where the server runs
on this machine), each pass also prints the CPU time each named kind of process spent per
answer, e.g. `--cpu-of reform-tracker,postgres,redis-server` (`make serve`'s web server names
its processes reform-tracker), and the load generator's own: which process a change moves, when
the rates of runs overlap. Every process of each name on the machine counts; one that exits
during a pass takes its time with it (a worker restarted, a database connection closed).

It prints req/s and p50/p95/p99 latency per kind of request and overall, the statuses, at 50
connections issue 24's target and whether each pass of the server met it, and the errors: a
status of 500 or more, or a connection that failed (refused, reset, timed out). It exits 1 if
there was any error, 2 if the server could not be read at all. A 4xx is not an error (it is
listed under its status): every request here is meant to be a 200, so one shows a broken mix.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import random
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

AREAS = ["economy", "human-rights", "political-participation", "justice-anti-corruption"]
STATUSES = ["announced", "adopted", "in-progress", "implemented", "stalled", "reversed"]
AUDIENCES = ["western", "government"]
IMPLEMENTATION = ["not-assessed", "not-implemented", "partly-implemented", "implemented"]
FALLBACK_WORDS = ["court", "election", "tax", "police", "parliament", "president", "reform"]

# Kind of request → weight in the mix (about per cent). Reads of a page dominate, as on a real
# site; downloads are rarer and heavier.
MIX = {
    "home": 5,
    "reform-list": 12,
    "reform-list-filtered": 12,
    "reform-search": 10,
    "reform-detail": 20,
    "recommendation-list": 6,
    "recommendation-detail": 8,
    "tracker": 5,
    "export-csv": 4,
    "data": 3,
    "feed": 5,
    "static": 10,
    "api": 10,
    # Not in the mix (weight 0): sent only when --only names it. A whole table's finished file
    # (at 100,000 reforms 86 MB, 28 MB compressed): what one such download costs the server.
    "data-table": 0,
}


@dataclass
class Site:
    """What the mix is built from, read from the server."""

    reforms: list[str]
    recommendations: list[str]
    topics: list[str]
    words: list[str]
    stylesheet: str


@dataclass
class Result:
    kind: str
    status: int  # 0: the connection failed
    seconds: float
    path: str = ""
    error: str = ""  # why it counts as an error; empty when it does not
    size: int = 0  # the body's bytes as sent (compressed, if the server compressed it)


# --- talking to the server ---------------------------------------------------------------------


class Connection:
    """One persistent HTTP/1.1 connection, reopened when the server closes it."""

    def __init__(self, base, timeout: float, accept_encoding: str = "identity"):
        self.base = base
        self.timeout = timeout
        self.accept_encoding = accept_encoding
        self.conn = self._open()
        self.sent = 0
        self.reconnects = 0

    def _open(self):
        cls = (
            http.client.HTTPSConnection
            if self.base.scheme == "https"
            else http.client.HTTPConnection
        )
        return cls(self.base.hostname, self.base.port, timeout=self.timeout)

    def get(self, path: str) -> tuple[int, bytes]:
        if self.conn.sock is None and self.sent:
            self.reconnects += 1  # http.client reopens it itself; counted for the report
        self.sent += 1
        self.conn.request("GET", path, headers={"Accept-Encoding": self.accept_encoding})
        response = self.conn.getresponse()
        body = response.read()  # the whole body: a request is done when its last byte is in
        if response.will_close:
            self.conn.close()
        return response.status, body

    def reset(self) -> None:
        self.conn.close()
        self.conn = self._open()

    def close(self) -> None:
        self.conn.close()


def read_site(base, timeout: float) -> Site:
    # A connection for each address: parsing a large table (86 MB at 100,000 reforms) outlasts
    # a server's keep-alive (gunicorn's was 2 s), which would close the next request's socket.
    conn = Connection(base, timeout)
    try:
        status, body = conn.get("/data/reforms.csv")
        if status != 200:
            raise RuntimeError(f"/data/reforms.csv answered {status}")
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        reforms = [row["slug"] for row in rows if row.get("slug")]
        topics = sorted({t for row in rows for t in (row.get("topics") or "").split(";") if t})
        words = sorted(
            {w.lower() for row in rows for w in re.findall(r"[A-Za-z]{5,}", row.get("title", ""))}
        )
        conn.reset()
        status, body = conn.get("/data/recommendations.csv")
        recommendations = []
        if status == 200:
            recs = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
            recommendations = [row["slug"] for row in recs if row.get("slug")]
        conn.reset()
        status, body = conn.get("/")
        if status != 200:
            raise RuntimeError(f"/ answered {status}")
        css = re.findall(rb'href="(/static/[^"]+\.css)"', body)
        stylesheet = css[0].decode() if css else "/static/css/site.css"
    finally:
        conn.close()
    if not reforms:
        raise RuntimeError("no published reforms in /data/reforms.csv: load the content first")
    return Site(reforms, recommendations, topics, words or FALLBACK_WORDS, stylesheet)


# --- the mix -----------------------------------------------------------------------------------


def make_path(kind: str, site: Site, rng: random.Random) -> str:
    def query(**params) -> str:
        return "?" + urlencode(params, doseq=True)

    if kind == "home":
        return "/"
    if kind == "reform-list":
        return "/reforms/" + (query(page=2) if rng.random() < 0.2 else "")
    if kind == "reform-list-filtered":
        params = {"area": rng.sample(AREAS, rng.randint(1, 2))}
        if rng.random() < 0.5:
            params["status"] = rng.choice(STATUSES)
        if site.topics and rng.random() < 0.4:
            params["topic"] = rng.choice(site.topics)
        if rng.random() < 0.3:
            params["year_from"] = rng.choice([2019, 2020, 2021])
        if rng.random() < 0.3:
            params["has_response"] = rng.choice(["true", "false"])
        params["sort"] = rng.choice(["newest", "oldest", "title", "status"])
        return "/reforms/" + query(**params)
    if kind == "reform-search":
        words = rng.sample(site.words, min(len(site.words), rng.randint(1, 2)))
        return "/reforms/" + query(q=" ".join(words))
    if kind == "reform-detail":
        return f"/reforms/{rng.choice(site.reforms)}/"
    if kind == "recommendation-list":
        if rng.random() < 0.5:
            return "/recommendations/"
        return "/recommendations/" + query(
            audience=rng.choice(AUDIENCES), implementation=rng.choice(IMPLEMENTATION)
        )
    if kind == "recommendation-detail":
        if not site.recommendations:
            return "/recommendations/"
        return f"/recommendations/{rng.choice(site.recommendations)}/"
    if kind == "tracker":
        return "/recommendations/tracker/"
    if kind == "export-csv":
        if rng.random() < 0.3:
            return "/recommendations/export.csv"
        return "/reforms/export.csv" + query(area=rng.choice(AREAS))
    if kind == "data":
        return "/data/"
    if kind == "data-table":
        return "/data/reforms.csv"
    if kind == "feed":
        return "/reforms/feed/"
    if kind == "static":
        return site.stylesheet
    if kind == "api":
        if rng.random() < 0.5:
            return f"/api/v1/reforms/{rng.choice(site.reforms)}/"
        return "/api/v1/reforms/" + query(area=rng.choice(AREAS))
    raise ValueError(kind)


def plan(
    requests: int, site: Site, seed: int, only: list[str] | None = None
) -> list[tuple[str, str]]:
    """The requests, kinds drawn by their weights in MIX (`only`: of those kinds alone)."""
    rng = random.Random(seed)
    mix = {kind: weight for kind, weight in MIX.items() if not only or kind in only}
    if not any(mix.values()):  # only kinds outside the mix: sent alike
        mix = dict.fromkeys(mix, 1)
    kinds = rng.choices(list(mix), weights=list(mix.values()), k=requests)
    return [(kind, make_path(kind, site, rng)) for kind in kinds]


# --- running it --------------------------------------------------------------------------------


def run(base, work: list[tuple[str, str]], concurrency: int, timeout: float, accept_encoding: str):
    results: list[Result] = []
    lock = threading.Lock()
    cursor = iter(work)
    reconnects = [0]

    def worker() -> None:
        conn = Connection(base, timeout, accept_encoding)
        local: list[Result] = []
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            kind, path = item
            start = time.perf_counter()
            try:
                status, body = conn.get(path)
            except (OSError, http.client.HTTPException) as exc:
                local.append(Result(kind, 0, time.perf_counter() - start, path, repr(exc)))
                conn.reset()
                continue
            elapsed = time.perf_counter() - start
            error = f"HTTP {status}" if status >= 500 else ""
            local.append(Result(kind, status, elapsed, path, error, len(body)))
        conn.close()
        with lock:
            results.extend(local)
            reconnects[0] += conn.reconnects

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started, reconnects[0]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def report(results: list[Result], wall: float, concurrency: int, reconnects: int) -> Summary:
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_kind[result.kind].append(result)
    errors = [r for r in results if r.error]
    header = f"{'kind':<24}{'requests':>9}{'errors':>8}" + "".join(
        f"{name:>9}" for name in ("p50 ms", "p95 ms", "p99 ms", "max ms")
    )
    print(header)
    print("-" * len(header))

    def line(name: str, rows: list[Result]) -> None:
        ms = sorted(r.seconds * 1000 for r in rows)
        print(
            f"{name:<24}{len(rows):>9}{sum(1 for r in rows if r.error):>8}"
            f"{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}{percentile(ms, 99):>9.1f}"
            f"{(ms[-1] if ms else float('nan')):>9.1f}"
        )

    for kind in MIX:
        if by_kind.get(kind):
            line(kind, by_kind[kind])
    print("-" * len(header))
    line("all", results)
    print()
    print(
        f"{len(results)} requests in {wall:.2f} s over {concurrency} connections: "
        f"{len(results) / wall:.1f} req/s; {reconnects} reconnections"
    )
    sent = sum(r.size for r in results)
    print(
        f"bodies received: {sent / 1e6:.1f} MB, {sent / max(len(results), 1) / 1e3:.1f} kB a "
        "request"
    )
    statuses = Counter(r.status for r in results)
    print("statuses: " + ", ".join(f"{s or 'failed'}: {n}" for s, n in sorted(statuses.items())))
    print(f"errors (status >= 500 or connection failed): {len(errors)}")
    # Grouped by kind and cause; the first path of each group is shown as its example.
    groups = Counter((r.kind, r.error) for r in errors)
    examples = {}
    for r in errors:
        examples.setdefault((r.kind, r.error), r.path)
    for (kind, cause), n in groups.most_common(10):
        print(f"  {n} × {kind}: {cause} (e.g. {examples[(kind, cause)]})")
    ms = sorted(r.seconds * 1000 for r in results)
    return Summary(len(results) / wall, percentile(ms, 50), percentile(ms, 95), len(errors))


@dataclass
class Summary:
    rate: float
    p50: float
    p95: float
    errors: int
    # Milliseconds of CPU per answer by kind of process (--cpu-of); empty when not asked.
    cpu: dict[str, float] = field(default_factory=dict)

    def line(self, name: str) -> str:
        return (
            f"{name:<34}{self.rate:>9.1f} req/s   p50 {self.p50:>7.1f} ms   "
            f"p95 {self.p95:>7.1f} ms   errors {self.errors}"
            + "".join(f"   {who} {ms:.3f}" for who, ms in self.cpu.items())
        )

    def verdict(self) -> str:
        """This figure against issue 24's target for a crowd (at 50 connections)."""
        missed = [
            what
            for what, met in (
                (f"{TARGET_RATE:,} req/s", self.rate >= TARGET_RATE),
                (f"p95 < {TARGET_P95_MS} ms", self.p95 < TARGET_P95_MS),
                ("0 errors", self.errors == 0),
            )
            if not met
        ]
        return "target met" if not missed else "target not met: " + ", ".join(missed)


# Issue 24's target for the crowd, at 50 connections: with the page cache, on the demo content
# and on 100k reforms; the baseline (PAGE_CACHE=0) is printed beside it, not held to it.
TARGET_CONNECTIONS, TARGET_RATE, TARGET_P95_MS = 50, 1000, 50


def cpu_seconds(names: list[str]) -> dict[str, float]:
    """The CPU time (user and system, in seconds) used so far by this machine's processes of
    each name (the name /proc/PID/stat gives: reform-tracker, postgres, redis-server)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(names, 0.0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as file:
                stat = file.read()
        except OSError:
            continue  # ended since the listing
        # The name is in parentheses and may hold spaces; user and system time are the 12th and
        # 13th fields after it. The kernel keeps 15 bytes of a name: "reform-tracker worker-1"
        # becomes "reform-tracker ".
        name = stat[stat.index("(") + 1 : stat.rindex(")")].strip()
        if name in totals:
            fields = stat[stat.rindex(")") + 2 :].split()
            totals[name] += (int(fields[11]) + int(fields[12])) / tick
    return totals


def measure(url: str, work, args, title: str) -> Summary:
    base = urlsplit(url)
    print(f"=== {title}: {url}")
    # /proc is read only when asked: without --cpu-of, load.py runs where there is none.
    before = cpu_seconds(args.cpu_of) if args.cpu_of else {}
    own = time.process_time()
    results, wall, reconnects = run(
        base, work, args.concurrency, args.timeout, args.accept_encoding
    )
    summary = report(results, wall, args.concurrency, reconnects)
    if args.cpu_of:
        after, own = cpu_seconds(args.cpu_of), time.process_time() - own
        spent = {name: after[name] - before[name] for name in args.cpu_of}
        spent["load.py"] = own
        summary.cpu = {name: 1000 * seconds / len(results) for name, seconds in spent.items()}
        print(
            "CPU per answer (ms): "
            + ", ".join(f"{name} {ms:.3f}" for name, ms in summary.cpu.items())
        )
    print()
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the running server")
    parser.add_argument("--requests", type=int, default=10_000, help="stop after this many")
    parser.add_argument(
        "--concurrency", type=int, default=20, help="connections at once (10–50 is the range)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, in seconds")
    parser.add_argument("--seed", type=int, default=10, help="the same seed, the same requests")
    parser.add_argument(
        "--passes",
        type=int,
        default=1,
        help="send the same requests this many times to each server, each pass reported",
    )
    parser.add_argument(
        "--accept-encoding",
        default="identity",
        help="the Accept-Encoding sent; 'gzip' as a browser does (the server then compresses text)",
    )
    parser.add_argument(
        "--baseline-url",
        default="",
        help="a second server (PAGE_CACHE=0) sent the same requests first, as the baseline",
    )
    parser.add_argument(
        "--cpu-of",
        default="",
        help="process names whose CPU time per answer is printed (Linux): reform-tracker,postgres",
    )
    parser.add_argument(
        "--only",
        default="",
        help="send only these kinds of request (comma-separated, of: " + ", ".join(MIX) + ")",
    )
    args = parser.parse_args(argv)
    args.cpu_of = [name.strip() for name in args.cpu_of.split(",") if name.strip()]
    args.only = [kind.strip() for kind in args.only.split(",") if kind.strip()]
    if unknown := [kind for kind in args.only if kind not in MIX]:
        parser.error(f"--only: no kind {', '.join(unknown)}; the kinds are {', '.join(MIX)}")
    if args.cpu_of and not os.path.exists("/proc/self/stat"):
        parser.error("--cpu-of reads /proc, which this system does not have (Linux only)")
    if args.requests < 1 or not 1 <= args.concurrency <= 500 or not 1 <= args.passes <= 10:
        parser.error(
            "--requests must be at least 1, --concurrency between 1 and 500 and --passes "
            "between 1 and 10"
        )
    for url in filter(None, (args.base_url, args.baseline_url)):
        parsed = urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            parser.error(f"{url!r} is not an http(s) URL")
    try:
        site = read_site(urlsplit(args.base_url), args.timeout)
    except (OSError, http.client.HTTPException, RuntimeError, KeyError) as exc:
        print(f"load: cannot read {args.base_url}: {exc}. Is the server running (make serve)?")
        return 2
    print(
        f"{args.base_url}: {len(site.reforms)} reforms, {len(site.recommendations)} "
        f"recommendations, {len(site.topics)} topics; {args.requests} requests, "
        f"{args.concurrency} connections, seed {args.seed}"
    )
    work = plan(args.requests, site, args.seed, args.only)
    figures = []
    servers = [(args.base_url, "the server", args.base_url)]
    if args.baseline_url:
        baseline = ("baseline (" + args.baseline_url + ")", "baseline, the same requests")
        servers.insert(0, (*baseline, args.baseline_url))
    for name, title, url in servers:
        for number in range(1, args.passes + 1):
            if args.passes > 1:
                name_, title_ = f"{name}, pass {number}", f"{title}, pass {number}"
            else:
                name_, title_ = name, title
            figures.append((name_, measure(url, work, args, title_)))
    if len(figures) > 1:
        print("=== the same mix, the same run")
        for name, summary in figures:
            print(summary.line(name))
    if args.concurrency == TARGET_CONNECTIONS:
        print(
            f"=== target at {TARGET_CONNECTIONS} connections: {TARGET_RATE:,} req/s, "
            f"p95 < {TARGET_P95_MS} ms, 0 errors (the server, not its baseline)"
        )
        for name, summary in figures:
            if not name.startswith("baseline"):
                print(f"{name:<34}{summary.verdict()}")
    return 1 if any(summary.errors for _, summary in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
