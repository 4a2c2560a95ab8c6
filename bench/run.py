"""`make bench`: the city-scale benchmark of issue 6, in one run.

    .venv/bin/python -m bench.run [--duration 10] [--connections 32] [--skip-build]

1. builds the synthetic city in the dedicated database `manyi_bench`
   (bench/synthetic_city.py: 10,000 communities, 1,000,000 ratings, COPY);
2. measures, straight on the database: the full tally (campaign_tally) against the
   same GROUP BY in psql, and the plans of the search;
3. runs the app as in production — gunicorn, DEBUG off, PostgreSQL with
   CONN_MAX_AGE=60, Redis as the cache — and loads it with wrk at 32 connections:
   the trivial ceiling view, home, the largest district, a community page, a search
   in pinyin and in Chinese — each as a visitor gets it (from the app's page cache,
   portal/pagecache.py) and rendered (a query parameter the cache does not
   keep) — then the rating flow (GET the form, POST it, distinct codes), and checks
   that every answered submit is in the database once and nothing else is; then a
   withdrawal through the app's own reviews.publishing.entry_withdraw, and which
   cached pages it invalidated;
4. reads the workers' peak resident memory, and writes docs/benchmarks.md (and
   .cache/bench/results.json).

Everything it starts (gunicorn, wrk, psql) it stops itself; load goes to 127.0.0.1 only.
"""

# The benchmark runs local tools (gunicorn, wrk, psql, redis-cli) with arguments it builds
# itself, fetches only http://127.0.0.1, and composes SQL from its own constants:
# ruff: noqa: S310, S603, S607, S608

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / ".cache" / "bench"
DOC = BASE_DIR / "docs" / "benchmarks.md"
LUA = Path(__file__).resolve().parent / "lua"
BIN = Path(sys.executable).parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/manyi_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
ACCEPT_LANGUAGE = "zh-CN,zh;q=0.9,en;q=0.6"
# As browsers send it. The app does not compress (nginx would); the prototype page cache
# serves its stored gzip copy to such clients.
ACCEPT_ENCODING = "gzip, deflate"

# The targets.
CACHED_SHARE = 0.60
CACHED_P99_MS = 50
SEARCH_SHARE = 0.15
RATING_SHARE = 0.025  # issue 10: hand-written SQL only if the ORM path is below this
TALLY_FACTOR = 1.5
BUILD_SECONDS = 60
WORKER_MB = 150
TOTAL_SECONDS = 600


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- the machine ----------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def versions() -> dict:
    import django
    import gunicorn
    import psycopg

    def first_line(cmd: list[str]) -> str:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        except OSError:
            return "missing"
        return (done.stdout or done.stderr).strip().splitlines()[0]

    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "psycopg": psycopg.__version__,
        "wrk": first_line(["wrk", "-v"]),
        "postgresql": first_line(["psql", "-X", "-tA", *psql_args(), "-c", "SHOW server_version"]),
        "redis": re.search(
            r"redis_version:(\S+)",
            subprocess.run(
                ["redis-cli", "-u", REDIS_URL, "info", "server"], capture_output=True, text=True
            ).stdout,
        ).group(1),
    }


def pypinyin_megabytes() -> float:
    """Resident memory that importing pypinyin (and loading its dictionaries) adds."""
    code = (
        "import re\n"
        "def rss():\n"
        "    return int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        "before = rss()\n"
        "from pypinyin import lazy_pinyin\n"
        "lazy_pinyin('汉口春天')\n"
        "print((rss() - before) / 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(float(done.stdout.strip()), 1)


class CpuWatch:
    """CPU used by other processes on the machine while a measurement runs (other
    people's tests, for instance): the figures are only as good as the machine was quiet."""

    def __init__(self, exclude_names=("redis-server",)) -> None:
        self.exclude_names = exclude_names
        self.tick = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _snapshot() -> dict[int, tuple[str, int]]:
        snap = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "stat").read_text()
            except OSError:
                continue
            name = raw[raw.index("(") + 1 : raw.rindex(")")]
            fields = raw[raw.rindex(")") + 2 :].split()
            snap[int(entry.name)] = (name, int(fields[11]) + int(fields[12]))
        return snap

    def start(self) -> None:
        self.before = self._snapshot()
        self.t0 = time.monotonic()

    def stop(self, own: set[int]) -> float:
        after = self._snapshot()
        elapsed = time.monotonic() - self.t0
        used = 0
        for pid, (name, ticks) in after.items():
            if pid in own or pid == os.getpid() or name in self.exclude_names or name == "wrk":
                continue
            used += ticks - self.before.get(pid, (name, ticks))[1]
        return round(used / self.tick / elapsed, 2) if elapsed > 0 else 0.0


# --- PostgreSQL -------------------------------------------------------------------------


def psql_args() -> list[str]:
    from psycopg.conninfo import conninfo_to_dict

    p = conninfo_to_dict(DATABASE_URL)
    args = ["-h", p.get("host", "127.0.0.1"), "-p", str(p.get("port", 5432))]
    args += ["-U", p.get("user", "postgres"), "-d", p.get("dbname", "manyi_bench")]
    return args


def psql_timing(query: str, repeat: int) -> list[float]:
    """Run `query` `repeat` times in psql with \\timing, results to /dev/null; ms each."""
    script = "\\timing on\n\\o /dev/null\n" + (query.strip().rstrip(";") + ";\n") * repeat
    done = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *psql_args(), "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return [float(t) for t in re.findall(r"Time: ([\d.]+) ms", done.stdout)]


def bench_backend_pids() -> set[int]:
    import psycopg

    try:
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            ).fetchall()
    except psycopg.Error:
        return set()
    return {r[0] for r in rows}


# --- gunicorn -------------------------------------------------------------------------


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


class Server:
    def __init__(self, env: dict, port: int, worker_class: str, threads: int, workers: int = 2):
        self.env = env
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.command = [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--bind",
            f"127.0.0.1:{port}",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
            "--error-logfile",
            str(OUT / "gunicorn.log"),
        ]
        if worker_class == "gthread":
            self.command[2:2] = ["--threads", str(threads)]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(self.command, cwd=BASE_DIR, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200 and len(self.workers()) >= 1:
                        time.sleep(1)  # let the second worker finish booting
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def workers(self) -> list[int]:
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(c) for c in children]

    def memory(self) -> list[dict]:
        """Resident memory of each worker now (VmRSS) and at its peak (VmHWM), in MB."""
        result = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = {
                key: int(re.search(rf"{key}:\s+(\d+) kB", status).group(1))
                for key in ("VmRSS", "VmHWM")
            }
            result.append(
                {
                    "pid": pid,
                    "rss_mb": round(kb["VmRSS"] / 1024, 1),
                    "peak_mb": round(kb["VmHWM"] / 1024, 1),
                }
            )
        return result

    def own_pids(self) -> set[int]:
        own = set(self.workers())
        if self.process is not None:
            own.add(self.process.pid)
        return own

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in self.workers():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait(timeout=10)


# --- wrk ------------------------------------------------------------------------------


def wrk(
    server: Server,
    path: str,
    *,
    duration: int,
    connections: int,
    threads: int = 2,
    script: str = "report.lua",
    env: dict | None = None,
    watch: bool = True,
) -> dict:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        "-H",
        f"Accept-Language: {ACCEPT_LANGUAGE}",
        "-H",
        f"Accept-Encoding: {ACCEPT_ENCODING}",
        server.base + path,
    ]
    drain(server)
    cpu = CpuWatch()
    own = server.own_pids() | bench_backend_pids()
    cpu.start()
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=duration + 120,
    )
    others = cpu.stop(own | bench_backend_pids())
    match = re.search(r"BENCH_JSON (\{.*\})", done.stdout)
    if not match:
        raise RuntimeError(f"wrk gave no figures:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(match.group(1))
    seconds = figures["duration_us"] / 1e6
    errors = sum(
        figures[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    figures.update(
        rps=round(figures["requests"] / seconds, 1),
        p50_ms=round(figures["p50_us"] / 1000, 2),
        p99_ms=round(figures["p99_us"] / 1000, 2),
        errors=errors,
        other_cpu_cores=others if watch else None,
        command=shlex.join(cmd).replace(str(BASE_DIR) + "/", ""),
    )
    return figures


def drain(server: Server, limit: float = 20.0) -> None:
    """Wait until the workers have finished what the last run left queued (wrk stops
    sending, but requests already accepted are still served): a sync worker answers in
    order, so a quick answer to the trivial view means the queue is empty."""
    deadline = time.monotonic() + limit
    quick = 0
    while time.monotonic() < deadline and quick < 3:
        t = time.monotonic()
        fetch(server, "/bench/ceiling/")
        quick = quick + 1 if time.monotonic() - t < 0.005 else 0
        time.sleep(0.05)


def fetch(server: Server, path: str, gzip: bool = False) -> tuple[int, bytes, dict]:
    headers = {"Accept-Language": ACCEPT_LANGUAGE}
    if gzip:
        headers["Accept-Encoding"] = ACCEPT_ENCODING
    request = urllib.request.Request(server.base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def paired(server: Server, path: str, args, ceiling_path: str, **kw) -> dict:
    """A measurement of `path` with the ceiling measured right before it: the machine is
    shared, and its other load drifts from minute to minute, so each ratio is taken
    against the ceiling of the same moment."""
    ceiling = wrk(
        server, ceiling_path, duration=max(5, args.duration // 2), connections=args.connections
    )
    if kw.get("script") is None:
        wrk(server, path, duration=args.warmup, connections=args.connections, watch=False)
    figures = wrk(server, path, duration=args.duration, connections=args.connections, **kw)
    figures["ceiling_rps"] = ceiling["rps"]
    figures["ceiling_other_cpu_cores"] = ceiling["other_cpu_cores"]
    figures["share"] = round(figures["rps"] / ceiling["rps"], 4)
    return figures


def show(name: str, r: dict) -> None:
    log(
        f"  {name:15} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms"
        f"  errors {r['errors']}  others {r['other_cpu_cores']}"
        + (
            f"  | ceiling {r['ceiling_rps']:.0f} req/s, share {r['share']:.1%}"
            if "share" in r
            else ""
        )
    )


def check_invalidation(server: Server, pages: dict[str, str], city: dict) -> dict:
    """The app's page cache after a withdrawal: reviews.publishing.entry_withdraw of the measured
    community's entry (a new revision of the list), then the pages again. Its community,
    its district, the list and home must be rendered afresh once (no X-Page-Cache
    header) and show the change, then be cached again; another district's page must
    still come from the cache. The change is made in this process, whose settings use
    the same Redis, so the app's own invalidation (on commit) runs here."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from reviews import publishing
    from reviews.models import PublicationEntry

    entry = (
        PublicationEntry.objects.filter(
            publication__campaign__slug=city["published_slug"],
            enrollment__community_id=city["community"]["id"],
        )
        .select_related("publication__campaign")
        .latest("publication__revision")
    )
    other_code = (
        city["largest_district"]["code"]
        if city["largest_district"]["code"] != entry.district_code
        else PublicationEntry.objects.filter(publication=entry.publication)
        .exclude(district_code=entry.district_code)
        .values_list("district_code", flat=True)
        .first()
    )
    slug = city["published_slug"]
    checked = {
        "home": "/",
        "list": f"/lists/{slug}/",
        "its district": f"/lists/{slug}/{entry.district_code}/",
        "community": pages["community"],
        "another district": f"/lists/{slug}/{other_code}/",
    }
    for path in checked.values():
        fetch(server, path)
    before = {n: fetch(server, p) for n, p in checked.items()}
    actor = get_user_model().objects.get(username="bench")
    with transaction.atomic():
        publishing.entry_withdraw(entry, actor=actor, reason="基准测试：验证页面缓存失效")
    connection.close()
    after = {n: fetch(server, p) for n, p in checked.items()}
    again = {n: fetch(server, p) for n, p in checked.items()}
    result = {"paths": checked}
    for n in checked:
        result[n] = {
            "hit_before": before[n][2].get("X-Page-Cache") == "hit",
            "fresh_after": after[n][2].get("X-Page-Cache") is None,
            "changed": after[n][1] != before[n][1],
            "hit_again": again[n][2].get("X-Page-Cache") == "hit",
        }
    changed = [n for n in checked if n != "another district"]
    result["ok"] = all(
        result[n]["hit_before"]
        and result[n]["fresh_after"]
        and result[n]["changed"]
        and result[n]["hit_again"]
        for n in changed
    ) and (
        result["another district"]["hit_before"]
        and not result["another district"]["fresh_after"]
        and not result["another district"]["changed"]
    )
    return result


# --- measurements on the database -----------------------------------------------------


def measure_tally(city: dict, repeat: int = 7) -> dict:
    """campaign_tally against its own SQL run in psql (its two statements: the GROUP BY
    over the counted ratings and the enrollments' households) and against a minimal
    hand-written GROUP BY."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evaluations.models import Campaign
    from evaluations.tally import campaign_tally
    from reviews.models import PublicationEntry

    campaign = Campaign.objects.get(slug=city["published_slug"])
    with CaptureQueriesContext(connection) as ctx:
        rows = campaign_tally(campaign)
    orm_sqls = [q["sql"] for q in ctx.captured_queries]
    django_ms = []
    for _ in range(repeat):
        t = time.perf_counter()
        rows = campaign_tally(campaign)
        django_ms.append((time.perf_counter() - t) * 1000)
    answers = ", ".join(f"'{a}'" for a in campaign.satisfied_answers)
    raw_sql = (
        "SELECT r.enrollment_id, count(*) AS responses, "
        f"count(*) FILTER (WHERE r.overall IN ({answers})) AS satisfied "
        "FROM evaluations_rating r JOIN evaluations_enrollment e ON e.id = r.enrollment_id "
        f"WHERE e.campaign_id = {campaign.pk} AND r.is_current AND r.quarantined_at IS NULL GROUP BY r.enrollment_id"
    )
    per_statement = [psql_timing(sql, repeat + 1)[1:] for sql in orm_sqls]
    psql_ms = [sum(times) for times in zip(*per_statement, strict=True)]
    raw_ms = psql_timing(raw_sql, repeat + 1)[1:]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + orm_sqls[0])
        plan = "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + raw_sql)
        raw_plan = "\n".join(r[0] for r in cursor.fetchall())
    eligible = {pk for pk, row in rows.items() if row.eligible}
    published = set(
        PublicationEntry.objects.filter(publication__campaign=campaign).values_list(
            "enrollment_id", flat=True
        )
    )
    django_med = statistics.median(django_ms)
    psql_med = statistics.median(psql_ms)
    return {
        "enrollments": len(rows),
        "responses": sum(r.responses for r in rows.values()),
        "eligible": len(eligible),
        "eligible_equals_published": eligible == published,
        "django_ms": [round(x, 1) for x in django_ms],
        "psql_ms": [round(x, 1) for x in psql_ms],
        "psql_statement_ms": [round(statistics.median(t), 1) for t in per_statement],
        "raw_ms": [round(x, 1) for x in raw_ms],
        "django_median_ms": round(django_med, 1),
        "psql_median_ms": round(psql_med, 1),
        "raw_median_ms": round(statistics.median(raw_ms), 1),
        "factor": round(django_med / psql_med, 2),
        "factor_vs_minimal": round(django_med / statistics.median(raw_ms), 2),
        "orm_sqls": orm_sqls,
        "raw_sql": raw_sql,
        "plan": plan,
        "raw_plan": raw_plan,
    }


def measure_search_plans(queries: dict[str, str]) -> dict:
    """The plan of the search's first query (the ids of the matching communities), on
    the indexes of communities/migrations/0003_search_indexes.py."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal import queries as portal

    def explain(sql_text: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE) " + sql_text)
            return "\n".join(r[0] for r in cursor.fetchall())

    result = {}
    for label, q in queries.items():
        portal.search(q)
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            found = portal.search(q)
            elapsed = (time.perf_counter() - t) * 1000
        app_sql = ctx.captured_queries[0]["sql"]
        plan = explain(app_sql)
        result[label] = {
            "query": q,
            "hits": len(found.hits),
            "truncated": found.truncated,
            "queries": len(ctx.captured_queries),
            "search_ms": round(elapsed, 1),
            "query_ms": [round(float(x["time"]) * 1000, 1) for x in ctx.captured_queries],
            "sql": app_sql,
            "plan": plan,
            "seq_scan": "Seq Scan on communities_community" in plan,
            "indexes": sorted(set(re.findall(r"Index Scan on (\w+)", plan))),
        }
    return result


def verify_ratings(city: dict, before_total: int, out_file: Path) -> dict:
    """Every answered submit is in the database exactly once (current, with the receipt
    the resident saw), and nothing else is: no rating for a code never posted."""
    from django.db.models import Count

    from evaluations.codes import hash_code
    from evaluations.models import Rating, RatingAnswer

    answered: dict[str, str] = {}
    sent: set[str] = set()
    for line in out_file.read_text().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "answered":
            code, receipt = rest.split()
            answered[code] = receipt
        elif kind == "sent":
            sent.add(rest.strip())
    rows = list(
        Rating.objects.filter(enrollment__campaign__slug=city["open_slug"]).values_list(
            "household_code__code_hash", "receipt", "is_current", "id"
        )
    )
    by_hash: dict[str, list[tuple[str, bool, int]]] = {}
    for code_hash, receipt, current, pk in rows:
        by_hash.setdefault(code_hash, []).append((receipt, current, pk))
    sent_hashes = {hash_code(c): c for c in sent}
    lost = [c for c, r in answered.items() if [x[0] for x in by_hash.get(hash_code(c), [])] != [r]]
    duplicated = [h for h, v in by_hash.items() if len(v) > 1]
    not_current = [h for h, v in by_hash.items() if any(not x[1] for x in v)]
    unexpected = [h for h in by_hash if h not in sent_hashes]
    answered_hashes = {hash_code(c) for c in answered}
    in_flight = [h for h in by_hash if h in sent_hashes and h not in answered_hashes]
    rating_ids = [x[2] for v in by_hash.values() for x in v]
    answers = RatingAnswer.objects.filter(rating_id__in=rating_ids).count()
    per_rating = set(
        RatingAnswer.objects.filter(rating_id__in=rating_ids)
        .values("rating_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    after_total = Rating.objects.count()
    return {
        "sent": len(sent),
        "answered": len(answered),
        "in_database": len(rows),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "not_current": len(not_current),
        "unexpected": len(unexpected),
        "in_flight_committed": len(in_flight),
        "sent_unanswered": len(sent) - len(answered),
        "answers": answers,
        "answers_per_rating": sorted(per_rating),
        "ratings_before": before_total,
        "ratings_after": after_total,
        "ok": not lost
        and not duplicated
        and not not_current
        and not unexpected
        and after_total - before_total == len(rows),
    }


def measure_inprocess(
    pages: dict[str, str], codes: list[str], criteria: list[int], n: int = 15
) -> dict:
    """Time of one request without HTTP or concurrency (Django's test client, the same
    settings), median of `n`, with its number of queries and their time: where a page's
    time goes. The rating flow uses codes that the load never reached."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT_LANGUAGE=ACCEPT_LANGUAGE)
    result = {}

    def timed(call) -> tuple[float, int, float]:
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = call()
            elapsed = (time.perf_counter() - t) * 1000
        assert response.status_code in (200, 302), response.status_code
        return (
            elapsed,
            len(ctx.captured_queries),
            sum(float(q["time"]) for q in ctx.captured_queries) * 1000,
        )

    for name, path in pages.items():
        client.get(path)
        runs = [timed(lambda path=path: client.get(path)) for _ in range(n)]
        result[name] = {
            "ms": round(statistics.median(r[0] for r in runs), 2),
            "queries": runs[-1][1],
            "query_ms": round(statistics.median(r[2] for r in runs), 2),
        }
    form = {"overall": "satisfied", "comment": ""}
    form.update({f"criterion_{c}": "satisfied" for c in criteria})
    gets, posts = [], []
    for code in codes[:n]:
        gets.append(timed(lambda code=code: client.get(f"/r/{code}")))
        posts.append(timed(lambda code=code: client.post(f"/r/{code}", form)))
    for name, runs in (("rating_get", gets), ("rating_post", posts)):
        result[name] = {
            "ms": round(statistics.median(r[0] for r in runs), 2),
            "queries": runs[-1][1],
            "query_ms": round(statistics.median(r[2] for r in runs), 2),
        }
    return result


# --- the run ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The city-scale benchmark (issue 6).")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the ceiling and home on the other class"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--skip-build", action="store_true", help="reuse the last city")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)

    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    info = {"machine": machine(), "started_at": datetime.now(UTC).isoformat(timespec="seconds")}

    secrets_file = OUT / "secrets.json"
    if args.skip_build and secrets_file.exists():
        keys = json.loads(secrets_file.read_text())
    else:
        keys = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOUSEHOLD_CODE_KEY": secrets.token_urlsafe(50),
        }
        secrets_file.write_text(json.dumps(keys))
        secrets_file.chmod(0o600)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CACHE_URL",)},
        **keys,
        "DATABASE_URL": DATABASE_URL,
        "DEBUG": "0",
        "REDIS_URL": REDIS_URL,
        "CONN_MAX_AGE": "60",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_CEILING": "1",
        "LOG_LEVEL": "WARNING",
        "MANYI_NO_DOTENV": "1",
    }
    os.environ.update(
        {
            k: env[k]
            for k in (
                *keys,
                "DATABASE_URL",
                "DEBUG",
                "REDIS_URL",
                "DJANGO_SETTINGS_MODULE",
                "BENCH_CEILING",
            )
        }
    )
    os.environ.pop("CACHE_URL", None)

    # 1. The synthetic city.
    if not args.skip_build:
        log("building the synthetic city (bench/synthetic_city.py)")
        t = time.monotonic()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.synthetic_city",
                "--database-url",
                DATABASE_URL,
                "--out",
                str(OUT),
            ],
            cwd=BASE_DIR,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            check=True,
        )
        info["build_wall_seconds"] = round(time.monotonic() - t, 1)
    city = json.loads((OUT / "city.json").read_text())

    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection

    from evaluations.models import Rating

    info["versions"] = versions()
    info["pypinyin_mb"] = pypinyin_megabytes()

    # 2. Straight on the database.
    log("tally: campaign_tally against the same GROUP BY in psql")
    tally = measure_tally(city)
    log(f"  django {tally['django_median_ms']} ms, psql {tally['psql_median_ms']} ms")
    pinyin_q, chinese_q = "hankou", "汉口"
    log("search plans (EXPLAIN ANALYZE)")
    plans = measure_search_plans({"pinyin": pinyin_q, "chinese": chinese_q})
    connection.close()

    cache.clear()  # Redis database 5: the benchmark's own
    port = free_port(args.port)
    largest = city["largest_district"]
    pages = {
        "ceiling": "/bench/ceiling/",
        "home": "/",
        "district": f"/lists/{city['published_slug']}/{largest['code']}/",
        "community": f"/communities/{city['community']['id']}/",
        "search_pinyin": "/search/?q=" + urllib.parse.quote(pinyin_q),
        "search_chinese": "/search/?q=" + urllib.parse.quote(chinese_q),
    }
    # The same pages rendered: a query parameter that the page cache does not keep
    # (portal.pagecache serves and stores only the page's own parameters).
    for name in ("home", "district", "community", "search_pinyin", "search_chinese"):
        path = pages[name]
        pages["rendered_" + name] = path + ("&" if "?" in path else "?") + "uncached=1"
    run_kw = {"duration": args.duration, "connections": args.connections}
    results: dict[str, dict] = {}
    memory: dict[str, list] = {}
    sizes: dict[str, int] = {}

    # 3. The app as shipped.
    log(f"gunicorn ({args.worker_class}, 2 workers) on 127.0.0.1:{port}, app as shipped")
    invalidation: dict = {}
    with Server(env, port, args.worker_class, args.threads) as server:
        memory["after start"] = server.memory()
        for name, path in pages.items():
            status, body, _headers = fetch(server, path)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            sizes[name] = len(body)
        _status, body, _headers = fetch(server, pages["district"], gzip=True)
        sizes["district_gzip"] = len(body)
        wrk(server, pages["ceiling"], duration=args.warmup, connections=args.connections)
        results["ceiling"] = wrk(server, pages["ceiling"], **run_kw)
        show("ceiling", results["ceiling"])
        for name, path in pages.items():
            if name != "ceiling":
                results[name] = paired(server, path, args, pages["ceiling"])
                show(name, results[name])

        log("rating flow: GET /r/<code> then POST, one code each, 32 connections")
        before = Rating.objects.count()
        connection.close()
        rating_out = OUT / "rating_answers.txt"
        rating_out.unlink(missing_ok=True)
        rating_env = {
            "BENCH_CODES": city["codes_file"],
            "BENCH_THREADS": str(args.connections),
            "BENCH_CRITERIA": ",".join(map(str, city["criteria"])),
            "BENCH_RATING_OUT": str(rating_out),
        }
        first_code = Path(city["codes_file"]).read_text().split()[0]
        status, body, headers = fetch(server, f"/r/{first_code}")
        if status != 200 or b"csrfmiddlewaretoken" not in body:
            raise RuntimeError(f"the rating page answered {status}")
        sizes["rating_form"] = len(body)
        rating = paired(
            server,
            "/r/",
            args,
            pages["ceiling"],
            threads=args.connections,
            script="rating.lua",
            env=rating_env,
        )
        seconds = rating["duration_us"] / 1e6
        rating["ratings_per_s"] = round(rating["posts"] / seconds, 1)
        rating["answered_per_s"] = round((rating["posts"] - rating["posts_failed"]) / seconds, 1)
        rating["share"] = round(rating["answered_per_s"] / rating["ceiling_rps"], 4)
        results["rating"] = rating
        log(
            f"  rating: {rating['answered_per_s']} answered ratings/s "
            f"({rating['rps']} req/s), p99 {rating['p99_ms']} ms"
        )
        memory["as shipped"] = server.memory()
        log("a withdrawal through the app's workflow, then the cached pages again")
        invalidation = check_invalidation(server, pages, city)
        log(f"  {invalidation}")

    time.sleep(1)
    verification = verify_ratings(city, before, rating_out)
    log(f"  verification: {verification}")
    log("one request at a time, in-process (where the time goes)")
    inprocess = measure_inprocess(
        {k: v for k, v in pages.items() if k.startswith("rendered_")},
        list(reversed(Path(city["codes_file"]).read_text().split())),
        city["criteria"],
    )
    connection.close()
    for name, x in inprocess.items():
        log(
            f"  {name:15} {x['ms']:8.2f} ms, {x['queries']} queries, {x['query_ms']:.2f} ms in them"
        )

    log("the staff console at city scale and the household notices (issue 12)")
    from evaluations.models import Enrollment

    from .console_and_notices import measure_console, measure_notices

    console = measure_console(city["published_slug"], city["open_slug"])
    for name, x in console.items():
        log(
            f"  {name:25} {x['ms']:9.1f} ms (first byte {x['first_byte_ms']:.1f}), {x['queries']} queries"
        )
    notice_enrollment = (
        Enrollment.objects.filter(campaign__slug=city["open_slug"])
        .values_list("pk", flat=True)
        .first()
    )
    notices = measure_notices(notice_enrollment)
    log(f"  notices: {notices}")
    connection.close()

    cache.clear()

    # 5. The worker classes side by side, back to back: the ceiling and the home page.
    other: dict[str, dict] = {}
    if not args.no_compare:
        log("worker classes side by side: sync and gthread, the ceiling and home")
        for worker_class in ("sync", "gthread"):
            with Server(env, port, worker_class, args.threads) as server:
                wrk(server, pages["ceiling"], duration=args.warmup, connections=args.connections)
                row = {"ceiling": wrk(server, pages["ceiling"], **run_kw)}
                show(f"{worker_class} ceiling", row["ceiling"])
                row["home"] = paired(server, pages["home"], args, pages["ceiling"])
                show(f"{worker_class} home", row["home"])
                row["memory"] = server.memory()
            other[worker_class] = row
        cache.clear()

    info["machine"]["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    info["total_seconds"] = round(time.monotonic() - started, 1)
    report = {
        **info,
        "pypinyin_mb": info.get("pypinyin_mb", 0),
        "args": vars(args),
        "city": city,
        "pages": pages,
        "sizes": sizes,
        "results": results,
        "verification": verification,
        "tally": tally,
        "plans": plans,
        "memory": memory,
        "inprocess": inprocess,
        "console": console,
        "notices": notices,
        "invalidation": invalidation,
        "worker_classes": other,
        "gunicorn": Server(env, port, args.worker_class, args.threads).command,
        "env": {
            k: ("…" if k in keys else env[k])
            for k in (
                "DEBUG",
                *keys,
                "DATABASE_URL",
                "CONN_MAX_AGE",
                "REDIS_URL",
                "ALLOWED_HOSTS",
                "DJANGO_SETTINGS_MODULE",
                "BENCH_CEILING",
                "LOG_LEVEL",
                "MANYI_NO_DOTENV",
            )
        },
    }
    report["verdicts"] = verdicts(report)
    (OUT / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    if not args.no_doc:
        from bench.report import write_markdown

        DOC.write_text(write_markdown(report))
        log(f"wrote {DOC.relative_to(BASE_DIR)}")
    for v in report["verdicts"]:
        log(f"  {'holds ' if v['holds'] else 'FAILS '} {v['target']}: {v['measured']}")
    log(f"done in {report['total_seconds']:.0f} s")
    return 0


def verdicts(report: dict) -> list[dict]:
    r = report["results"]
    out = []

    def add(target, measured, holds, note=""):
        out.append({"target": target, "measured": measured, "holds": bool(holds), "note": note})

    for name, label in (
        ("home", "home"),
        ("district", "largest district"),
        ("community", "community page"),
    ):
        share = r[name]["share"]
        add(
            f"{label} (cached, as shipped) ≥ {CACHED_SHARE:.0%} of the ceiling, p99 < {CACHED_P99_MS} ms",
            f"{share:.1%}, p99 {r[name]['p99_ms']:.1f} ms",
            share >= CACHED_SHARE and r[name]["p99_ms"] < CACHED_P99_MS,
        )
    inv = report.get("invalidation") or {}
    if inv:
        add(
            "a withdrawal invalidates exactly what changed",
            ", ".join(
                f"{n}: "
                + (
                    ("still cached" if not inv[n]["fresh_after"] else "RE-RENDERED")
                    if n == "another district"
                    else (
                        "fresh and changed"
                        if inv[n]["fresh_after"] and inv[n]["changed"]
                        else "STALE"
                    )
                )
                for n in inv["paths"]
            ),
            inv["ok"],
        )
    for name, label in (
        ("search_pinyin", "search, pinyin, cached (a repeated query)"),
        ("search_chinese", "search, Chinese, cached (a repeated query)"),
        ("rendered_search_pinyin", "search, pinyin, rendered (not from the cache)"),
        ("rendered_search_chinese", "search, Chinese, rendered (not from the cache)"),
    ):
        share = r[name]["share"]
        add(f"{label} ≥ {SEARCH_SHARE:.0%} of the ceiling", f"{share:.1%}", share >= SEARCH_SHARE)
    plans = report["plans"]
    add(
        "search without a full-table scan at 10,000 communities",
        ", ".join(f"{k}: {'Seq Scan' if v['seq_scan'] else 'index'}" for k, v in plans.items()),
        not any(v["seq_scan"] for v in plans.values()),
    )
    rating = r["rating"]
    share = rating["share"]
    add(
        f"rating (GET + POST) ≥ {RATING_SHARE:.1%} of the ceiling",
        f"{share:.1%} ({rating['answered_per_s']} ratings/s)",
        share >= RATING_SHARE,
    )
    v = report["verification"]
    add(
        "zero lost, zero duplicated ratings",
        f"{v['answered']} answered, {v['lost']} lost, {v['duplicated']} duplicated, "
        f"{v['unexpected']} unexpected",
        v["ok"],
    )
    t = report["tally"]
    add(
        f"tally ≤ {TALLY_FACTOR}× the same SQL in psql",
        f"{t['factor']}× ({t['django_median_ms']} ms vs {t['psql_median_ms']} ms)",
        t["factor"] <= TALLY_FACTOR,
    )
    add(
        f"tally ≤ {TALLY_FACTOR}× a minimal hand-written GROUP BY in psql",
        f"{t['factor_vs_minimal']}× ({t['django_median_ms']} ms vs {t['raw_median_ms']} ms)",
        t["factor_vs_minimal"] <= TALLY_FACTOR,
    )
    build = report["city"]["seconds"]["total"]
    add(f"synthetic city generated in < {BUILD_SECONDS} s", f"{build:.1f} s", build < BUILD_SECONDS)
    peak = max(m["peak_mb"] for ms in report["memory"].values() for m in ms)
    add(f"each worker < {WORKER_MB} MB resident", f"peak {peak:.0f} MB", peak < WORKER_MB)
    add(
        f"`make bench` < {TOTAL_SECONDS // 60} minutes",
        f"{report['total_seconds']:.0f} s",
        report["total_seconds"] < TOTAL_SECONDS,
    )
    return out


if __name__ == "__main__":
    raise SystemExit(main())
