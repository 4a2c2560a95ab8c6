"""The synthetic city of the benchmark, bulk-loaded into PostgreSQL with COPY.

    python -m bench.synthetic_city [--database-url postgres://postgres@127.0.0.1:5432/manyi_bench]

Drops and recreates the dedicated database (its name must start with
``manyi_bench``), migrates it, then loads:

* the 13 districts of Wuhan and their streets (from demo/data.py);
* 1,200 property companies and 10,000 communities, with their pinyin search
  keys computed by the app's own ``communities.search.pinyin_keys``;
* a published campaign: one enrollment per community, one household code per
  rating household, 1,000,000 counted ratings (plus about 3% superseded ones
  kept as history), five answers per rating, the final list (Publication and
  PublicationEntry for every eligible enrollment), and the review checks of
  the approved ones;
* a campaign open for rating now, with 60,000 household codes issued by
  ``evaluations.codes.generate_code``: only their ``hash_code`` digests go to
  the database, the plain codes go to ``<out>/rating_codes.txt`` for the load
  generator.

Bulk loading: secondary indexes and foreign keys of the three big tables are
dropped first and rebuilt afterwards (two connections in parallel), the big
tables are filled by three concurrent ``COPY ... WITH (FREEZE)`` streams, and
everything is ANALYZEd at the end. Rates are realistic: most communities are
80–99% satisfied, some fall below, a few are near 100%.

Writes ``<out>/city.json`` (what was built, the ids the benchmark needs, and
the time of every step).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import multiprocessing
import os
import queue
import random
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/manyi_bench"
DEFAULT_OUT = BASE_DIR / ".cache" / "bench"

SEED = 2026
N_COMPANIES = 1200
N_COMMUNITIES = 10_000
N_RATINGS = 1_000_000  # counted (current) ratings of the published campaign
SUPERSEDED_SHARE = 0.03  # households that rated twice: the earlier rating is history
COMMENT_SHARE = 0.06
OPEN_ENROLLMENTS = 400
OPEN_CODES_EACH = 150  # 60,000 codes for the rating load, plain text known to the load generator

# Communities per district, in per cent of the city (洪山 the largest, 汉南 the smallest).
DISTRICT_WEIGHTS = {
    "420102": 10,
    "420103": 8,
    "420104": 8,
    "420105": 8,
    "420106": 11,
    "420107": 6,
    "420111": 16,
    "420112": 7,
    "420113": 2,
    "420114": 5,
    "420115": 8,
    "420116": 6,
    "420117": 5,
}


# Synthetic community names: <place or flavour><kind>[<phase>]. "汉口" is one of the
# places, so the benchmark's searches (汉口 / hankou) find about 1 community in 70.
def words(text: str) -> list[str]:
    return text.split()


NAME_HEADS = words(
    "汉口 江城 东湖 楚天 晴川 黄鹤 龟山 南湖 沙湖 月湖 墨水 后湖 金银 常青 紫阳 首义 长江 "
    "汉江 江滩 知音 琴台 古琴 梅园 桂园 荷塘 柳岸 翠微 锦绣 阳光 丽水 金色 碧水 青山 "
    "白沙 珞珈 光谷 关山 南望 徐东 积玉 百步 花桥 二七 三阳 黄浦 台北 新华 万松 唐家 "
    "宝丰 古田 宗关 汉正 鹦鹉 五里 钟家 四新 王家 杨园 中南 水果 武泰 石牌 烽火 白玉 "
    "丹桂 紫薇 海棠 玉兰 香樟"
)
NAME_KINDS = words(
    "花园 家园 小区 新村 雅苑 名苑 华庭 公馆 府 里 城 佳园 丽景 春天 印象 国际 雅居 嘉园 "
    "新城 豪庭 世家 尚城 御园 水岸 半岛 明珠 星城 湾 庭院 山庄 苑 居 广场 公寓 大院 一品 "
    "天地 名都 美庐 锦园"
)
NAME_PHASES = words("一期 二期 三期 东区 西区 南区 北区")
COMPANY_HEADS = words(
    "安居 嘉禾 恒泰 和悦 明德 邻里 长青 鹤鸣 晴岚 春晖 锦程 同心 悦宁 康桥 楚韵 江汉 "
    "汉阳 荆楚 德信 诚信 惠民 安泰 祥和 瑞丰 宏达 鸿运 华中 中环 天成 益民"
)
COMPANY_TAILS = words(
    "物业 物业服务 物业管理 置业物业 城市服务 社区服务 生活服务 智慧物业 家园物业 "
    "美居物业 安家物业 和家物业 宜居物业 优居物业 佳居物业 新居物业 乐居物业 福居物业 "
    "康居物业 泰居物业 顺居物业 锦居物业 华居物业 嘉居物业 瑞居物业 祥居物业 盛居物业 "
    "兴居物业 荣居物业 雅居物业 逸居物业 悦居物业 馨居物业 润居物业 恒居物业 "
    "昌居物业 达居物业 丰居物业 隆居物业 兆居物业"
)

SATISFIED, BASIC, UNSATISFIED = "satisfied", "basically_satisfied", "unsatisfied"
ANSWERS = (SATISFIED, BASIC, UNSATISFIED)
# Answers per criterion given the overall answer (the weights of load_demo).
CRITERION_WEIGHTS = {SATISFIED: (85, 13, 2), BASIC: (35, 55, 10), UNSATISFIED: (15, 35, 50)}
COMMENTS = {
    SATISFIED: ["物业工作人员辛苦了，感谢你们的坚守！", "门岗测温登记很认真，让人放心。"],
    BASIC: ["整体不错，希望垃圾清运再及时一些。", "楼道保洁可以再加强。"],
    UNSATISFIED: ["物资登记排队太久，希望改进。", "地下车库的消杀做得不够。"],
}

BIG_TABLES = ("evaluations_householdcode", "evaluations_rating", "evaluations_ratinganswer")
B32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ")


# --- helpers ------------------------------------------------------------------------


class Steps:
    """Wall-clock time of each step, in seconds."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, name: str):
        t = time.perf_counter()
        print(f"  · {name} …", flush=True)
        yield
        self.times[name] = round(time.perf_counter() - t, 2)
        print(f"    {self.times[name]:.1f} s", flush=True)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.started, 2)


def random_chars(n: int) -> str:
    """n characters of the household-code alphabet, 5 random bits each (os.urandom):
    base32 of random bytes, translated to the 32 letters without 0/O/1/I."""
    raw = base64.b32encode(os.urandom(n * 5 // 8 + 5)).translate(B32)
    return raw[:n].decode()


def esc(value) -> str:
    """One field of COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    text = str(value)
    if any(ch in text for ch in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows) -> int:
    """COPY rows into `table`. Required text columns that the benchmark does not know
    (added by a later migration) get "", as Django's blank CharFields do; any other
    unknown required column stops the build with a clear message."""
    extra = []
    for name, data_type in conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_identity = 'NO' AND NOT (column_name = ANY(%s))",
        [table, columns],
    ):
        if data_type not in ("character varying", "text"):
            raise SystemExit(
                f"{table}.{name} ({data_type}) is required and bench/synthetic_city.py "
                "does not fill it: add it there"
            )
        extra.append(name)
    n = 0
    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, [*columns, *extra]))
    )
    tail = "\t" * len(extra)
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        buf = []
        for row in rows:
            buf.append("\t".join(esc(v) for v in row) + tail + "\n")
            n += 1
            if len(buf) >= 5000:
                copy.write("".join(buf))
                buf.clear()
        if buf:
            copy.write("".join(buf))
    return n


def ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")


# --- the plan (pure Python, deterministic but for the codes and receipts) -------------


def plan_city(rng: random.Random, n_communities: int, n_ratings: int) -> dict:
    from communities.search import pinyin_keys
    from communities.validators import USCC_ALPHABET, make_uscc
    from demo.data import DISTRICTS

    districts = []
    streets = []
    for i, (code, name, name_en, _short, _short_en, street_list) in enumerate(DISTRICTS, start=1):
        districts.append({"id": i, "code": code, "name": name, "name_en": name_en})
        for street, street_en in street_list:
            streets.append(
                {"id": len(streets) + 1, "district_id": i, "name": street, "name_en": street_en}
            )
    streets_of = {d["id"]: [s for s in streets if s["district_id"] == d["id"]] for d in districts}

    companies = []
    names = [h + t for h in COMPANY_HEADS for t in COMPANY_TAILS]
    for i, word in enumerate(rng.sample(names, N_COMPANIES), start=1):
        name = f"武汉{word}有限公司"
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        full, initials = pinyin_keys(name)
        companies.append(
            {
                "id": i,
                "name": name,
                "credit_code": make_uscc(f"91420100{body}"),
                "pinyin": full,
                "initials": initials,
            }
        )

    # Communities per district, by weight, adding up to n_communities.
    total_weight = sum(DISTRICT_WEIGHTS.values())
    counts = {c: n_communities * w // total_weight for c, w in DISTRICT_WEIGHTS.items()}
    counts["420111"] += n_communities - sum(counts.values())
    plain = [h + k for h in NAME_HEADS for k in NAME_KINDS]
    phased = [h + k + p for h in NAME_HEADS for k in NAME_KINDS for p in NAME_PHASES]

    communities = []
    for d in districts:
        k = counts[d["code"]]
        first = min(k, int(len(plain) * 0.6))
        chosen = rng.sample(plain, first) + rng.sample(phased, k - first)
        for name in chosen:
            full, initials = pinyin_keys(name)
            communities.append(
                {
                    "id": len(communities) + 1,
                    "district": d,
                    "street": rng.choice(streets_of[d["id"]]),
                    "name": name,
                    "pinyin": full,
                    "initials": initials,
                    "company": rng.choice(companies),
                }
            )

    # Responses per community: skewed (log-normal), adding up to exactly n_ratings.
    raw = [rng.lognormvariate(0, 0.6) for _ in communities]
    scale = n_ratings / sum(raw)
    responses = [max(3, round(r * scale)) for r in raw]
    diff = n_ratings - sum(responses)
    while diff:
        i = rng.randrange(len(responses))
        if diff > 0:
            responses[i] += 1
            diff -= 1
        elif responses[i] > 3:
            responses[i] -= 1
            diff += 1

    for c, n in zip(communities, responses, strict=True):
        coverage = rng.uniform(0.07, 0.35)  # share of households that rated
        c["households"] = max(40, math.ceil(n / coverage))
        draw = rng.random()
        if draw < 0.80:
            rate = rng.uniform(0.80, 0.99)  # most communities
        elif draw < 0.92:
            rate = rng.uniform(0.55, 0.80)  # some clearly below
        else:
            rate = rng.uniform(0.99, 1.0)  # a few near-unanimous
        c["responses"] = n
        c["satisfied"] = min(n, round(rate * n))
        c["eligible"] = (
            n >= 20 and c["satisfied"] * 10000 >= 9000 * n and n * 10000 >= 1000 * c["households"]
        )
    return {
        "districts": districts,
        "streets": streets,
        "companies": companies,
        "communities": communities,
    }


# --- the database ---------------------------------------------------------------------


def recreate_database(url: str) -> None:
    params = conninfo_to_dict(make_conninfo(url))
    dbname = params.get("dbname", "")
    if not dbname.startswith("manyi_bench"):
        raise SystemExit(
            f"refusing to drop {dbname!r}: the benchmark database must be manyi_bench*"
        )
    admin = make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    conn = psycopg.connect(make_conninfo(url), autocommit=autocommit)
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET maintenance_work_mem = '1GB'")
    if not autocommit:
        conn.commit()
    return conn


def drop_secondary(conn: psycopg.Connection) -> list[tuple[str, str, str]]:
    """Drop the foreign keys, unique constraints and indexes (all but the primary keys)
    of the big tables; return what rebuilds them: (kind, table, statement)."""
    tables = list(BIG_TABLES)
    rebuild: list[tuple[str, str, str]] = []
    drops: list[sql.Composable] = []
    fks = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype = 'f' ORDER BY conname",
        [tables],
    ).fetchall()
    for table, name, definition in fks:
        drops.append(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
        rebuild.append(
            (
                "fk",
                table,
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition} NOT VALID',
            )
        )
        rebuild.append(("validate", table, f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"'))
    uniques = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_indexdef(c.conindid) "
        "FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype = 'u' "
        "ORDER BY c.conname",
        [tables],
    ).fetchall()
    for table, name, indexdef in uniques:
        drops.append(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
        rebuild.append(("index", table, indexdef))
        rebuild.append(
            (
                "attach",
                table,
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"',
            )
        )
    indexes = conn.execute(
        "SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, "
        "pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
        "AND c.contype IN ('p', 'u') AND c.conrelid = i.indrelid) ORDER BY 2",
        [tables],
    ).fetchall()
    for table, name, indexdef in indexes:
        drops.append(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        rebuild.append(("index", table, indexdef))
    for stmt in drops:
        conn.execute(stmt)
    conn.commit()
    return rebuild


def run_parallel(url: str, statements: list[str], workers: int = 2) -> None:
    """Run statements on `workers` connections, longest (by table size) first."""
    jobs: queue.Queue[str] = queue.Queue()
    for stmt in statements:
        jobs.put(stmt)
    errors: list[BaseException] = []

    def work():
        try:
            with connect(url, autocommit=True) as conn:
                while True:
                    try:
                        stmt = jobs.get_nowait()
                    except queue.Empty:
                        return
                    conn.execute(stmt)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def table_weight(stmt: str) -> int:
    for weight, table in ((3, "ratinganswer"), (2, "rating"), (1, "householdcode")):
        if f"{table} " in stmt or f'{table}"' in stmt or f"{table}(" in stmt:
            return weight
    return 0


def build(url: str, out: Path, n_communities: int, n_ratings: int) -> dict:
    import django
    from django.core.management import call_command

    out.mkdir(parents=True, exist_ok=True)
    steps = Steps()
    rng = random.Random(SEED)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    with steps("plan the city in Python (names, pinyin keys, rates)"):
        city = plan_city(rng, n_communities, n_ratings)

    with steps("drop and create the database, migrate"):
        recreate_database(url)
        call_command("migrate", verbosity=0, interactive=False)

    now = datetime.now(UTC).replace(microsecond=0)
    pub_opens = now - timedelta(days=120)
    pub_closes = now - timedelta(days=90)
    published_at = now - timedelta(days=60)
    open_opens = now - timedelta(days=1)
    open_closes = now + timedelta(days=30)

    conn = connect(url)
    criteria = [
        r[0]
        for r in conn.execute(
            'SELECT id FROM evaluations_criterion WHERE is_default ORDER BY "order", code'
        )
    ]
    prerequisites = [
        r[0]
        for r in conn.execute(
            'SELECT id FROM evaluations_prerequisite WHERE is_default ORDER BY "order", code'
        )
    ]
    assert len(criteria) == 5, criteria

    with steps("drop secondary indexes and foreign keys of the big tables"):
        rebuild = drop_secondary(conn)

    communities = city["communities"]
    n = len(communities)
    open_pick = [c for c in communities if c["households"] >= 2 * OPEN_CODES_EACH]
    open_pick = sorted(
        rng.sample(open_pick, min(OPEN_ENROLLMENTS, len(open_pick))), key=lambda c: c["id"]
    )

    with steps("COPY districts, streets, companies, communities, campaigns, enrollments, list"):
        user_id = conn.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
            "email, is_staff, is_active, date_joined) VALUES ('!', false, 'bench', '', '', '', "
            "false, false, now()) RETURNING id"
        ).fetchone()[0]
        copy_rows(
            conn,
            "communities_district",
            ["id", "code", "name", "name_en", "city_code", "city_name"],
            (
                (d["id"], d["code"], d["name"], d["name_en"], "420100", "武汉市")
                for d in city["districts"]
            ),
        )
        copy_rows(
            conn,
            "communities_street",
            ["id", "district_id", "name", "name_en"],
            ((s["id"], s["district_id"], s["name"], s["name_en"]) for s in city["streets"]),
        )
        copy_rows(
            conn,
            "communities_propertycompany",
            ["id", "name", "credit_code", "is_demo", "parent_id", "pinyin", "pinyin_initials"],
            (
                (c["id"], c["name"], c["credit_code"], True, None, c["pinyin"], c["initials"])
                for c in city["companies"]
            ),
        )
        copy_rows(
            conn,
            "communities_community",
            [
                "id",
                "name",
                "name_en",
                "address",
                "households",
                "is_demo",
                "district_id",
                "company_id",
                "street_id",
                "pinyin",
                "pinyin_initials",
            ],
            (
                (
                    c["id"],
                    c["name"],
                    "",
                    "",
                    c["households"],
                    True,
                    c["district"]["id"],
                    c["company"]["id"],
                    c["street"]["id"],
                    c["pinyin"],
                    c["initials"],
                )
                for c in communities
            ),
        )
        campaign_cols = [
            "id",
            "slug",
            "name",
            "name_en",
            "description",
            "status",
            "opens_at",
            "closes_at",
            "threshold_percent",
            "min_responses",
            "min_coverage_percent",
            "satisfied_answers",
            "created_at",
            "notice_days",
            "is_practice",
            "opens_on_schedule",
            "monitoring_finalised_at",  # rates are shown once monitoring is final (issue 11)
        ]
        campaigns = [
            (
                1,
                "bench-2025",
                "2025年度全市物业服务“群众满意小区”评选（基准测试数据）",
                "2025 city-wide evaluation (benchmark data)",
                "基准测试的合成数据。",
                "published",
                ts(pub_opens),
                ts(pub_closes),
                "90.00",
                20,
                "10.00",
                json.dumps([SATISFIED, BASIC]),
                ts(pub_opens - timedelta(days=10)),
                5,
                False,
                False,
                ts(pub_closes + timedelta(days=1)),
            ),
            (
                2,
                "bench-2026-open",
                "2026年度全市物业服务评议（基准测试数据）",
                "2026 city-wide evaluation, open (benchmark data)",
                "基准测试的合成数据。",
                "open",
                ts(open_opens),
                ts(open_closes),
                "90.00",
                20,
                "10.00",
                json.dumps([SATISFIED, BASIC]),
                ts(open_opens - timedelta(days=10)),
                5,
                False,
                False,
                None,
            ),
        ]
        copy_rows(conn, "evaluations_campaign", campaign_cols, campaigns)
        copy_rows(
            conn,
            "evaluations_campaign_criteria",
            ["campaign_id", "criterion_id"],
            ((camp, cid) for camp in (1, 2) for cid in criteria),
        )
        copy_rows(
            conn,
            "evaluations_campaign_prerequisites",
            ["campaign_id", "prerequisite_id"],
            ((camp, pid) for camp in (1, 2) for pid in prerequisites),
        )
        enrollment_cols = [
            "id",
            "households",
            "created_at",
            "campaign_id",
            "community_id",
            "company_id",
            "review_reason",
            "review_status",
        ]
        enrolled = ts(pub_opens - timedelta(days=5))
        copy_rows(
            conn,
            "evaluations_enrollment",
            enrollment_cols,
            [
                (
                    c["id"],
                    c["households"],
                    enrolled,
                    1,
                    c["id"],
                    c["company"]["id"],
                    "" if c["eligible"] else "未达到评选规则（基准测试数据）",
                    "approved" if c["eligible"] else "rejected",
                )
                for c in communities
            ]
            + [
                (
                    n + i,
                    c["households"],
                    ts(open_opens),
                    2,
                    c["id"],
                    c["company"]["id"],
                    "",
                    "pending",
                )
                for i, c in enumerate(open_pick, start=1)
            ],
        )
        copy_rows(
            conn,
            "evaluations_publication",
            [
                "id",
                "kind",
                "revision",
                "published_at",
                "notice_ends_at",
                "change_note",
                "campaign_id",
                "published_by_id",
            ],
            [(1, "final", 1, ts(published_at), None, "", 1, user_id)],
        )
        eligible = [c for c in communities if c["eligible"]]
        copy_rows(
            conn,
            "evaluations_publicationentry",
            [
                "id",
                "community_name",
                "community_name_en",
                "district_code",
                "district_name",
                "district_name_en",
                "street_name",
                "company_name",
                "company_credit_code",
                "households",
                "responses",
                "satisfied",
                "status",
                "withdrawal_reason",
                "enrollment_id",
                "publication_id",
            ],
            (
                (
                    i,
                    c["name"],
                    "",
                    c["district"]["code"],
                    c["district"]["name"],
                    c["district"]["name_en"],
                    c["street"]["name"],
                    c["company"]["name"],
                    c["company"]["credit_code"],
                    c["households"],
                    c["responses"],
                    c["satisfied"],
                    "listed",
                    "",
                    c["id"],
                    1,
                )
                for i, c in enumerate(eligible, start=1)
            ),
        )
        checked_at = ts(pub_closes + timedelta(days=10))
        copy_rows(
            conn,
            "evaluations_reviewcheck",
            [
                "met",
                "note",
                "evidence",
                "checked_at",
                "checked_by_id",
                "criterion_id",
                "enrollment_id",
                "prerequisite_id",
            ],
            (
                row
                for c in eligible
                for row in (
                    [
                        (True, "现场核查", "", checked_at, user_id, None, c["id"], p)
                        for p in prerequisites
                    ]
                    + [
                        (True, "现场核查", "", checked_at, user_id, k, c["id"], None)
                        for k in criteria
                    ]
                )
            ),
        )
        conn.commit()

    # --- the big tables: codes in a second process, ratings and answers here ----------
    # Both sides COPY (FREEZE) into their tables, then rebuild their own indexes, so the
    # two cores stay busy: the codes' hashing and index builds overlap the ratings.
    responses = [c["responses"] for c in communities]
    code_start = []
    next_id = 1
    for r in responses:
        code_start.append(next_id)
        next_id += r
    index_of = {
        table: [s for k, t, s in rebuild if k == "index" and t == table] for table in BIG_TABLES
    }
    n_codes = sum(responses) + len(open_pick) * OPEN_CODES_EACH
    with steps(
        f"COPY {n_codes:,} household codes (hash_code) and {n_ratings:,} counted ratings "
        f"(+history) with their answers, rebuild {sum(map(len, index_of.values()))} indexes"
    ):
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            codes_job = pool.submit(
                load_codes,
                url,
                responses,
                [n + j for j in range(1, len(open_pick) + 1)],
                ts(pub_opens - timedelta(days=3)),
                ts(open_opens),
                user_id,
                str(out / "rating_codes.txt"),
                index_of["evaluations_householdcode"],
            )
            stats = copy_ratings(url, rng, communities, code_start, criteria, pub_opens, pub_closes)
            t = time.perf_counter()
            run_parallel(
                url,
                sorted(
                    index_of["evaluations_ratinganswer"] + index_of["evaluations_rating"],
                    key=table_weight,
                    reverse=True,
                ),
            )
            stats["seconds_rating_indexes"] = round(time.perf_counter() - t, 2)
            stats.update(codes_job.result())
        for kind, _t, stmt in rebuild:
            if kind == "attach":
                conn.execute(stmt)
        conn.commit()
        open_codes = stats.pop("open_codes")

    with steps("restore and validate the foreign keys (2 connections)"):
        for kind, _t, stmt in rebuild:
            if kind == "fk":
                conn.execute(stmt)
        conn.commit()
        run_parallel(
            url,
            sorted((s for k, _t, s in rebuild if k == "validate"), key=table_weight, reverse=True),
        )

    with steps("identity sequences, VACUUM ANALYZE"):
        tables = [
            "communities_district",
            "communities_street",
            "communities_propertycompany",
            "communities_community",
            "evaluations_campaign",
            "evaluations_campaign_criteria",
            "evaluations_campaign_prerequisites",
            "evaluations_enrollment",
            "evaluations_publication",
            "evaluations_publicationentry",
            "evaluations_reviewcheck",
            *BIG_TABLES,
        ]
        for table in tables:
            conn.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, 'id'), "
                    "(SELECT coalesce(max(id), 0) + 1 FROM {i}), false)"
                ).format(t=sql.Literal(table), i=sql.Identifier(table))
            )
        conn.commit()
        run_parallel(
            url,
            [f'VACUUM (ANALYZE) "{t}"' for t in reversed(BIG_TABLES)]
            + [f'ANALYZE "{t}"' for t in tables if t not in BIG_TABLES],
        )

    counts = {
        table.split("_", 1)[1]: conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()[0]
        for table in tables
    }
    counts["ratings_current"] = conn.execute(
        "SELECT count(*) FROM evaluations_rating WHERE is_current"
    ).fetchone()[0]
    conn.close()

    by_district: dict[str, int] = {}
    for c in eligible:
        by_district[c["district"]["code"]] = by_district.get(c["district"]["code"], 0) + 1
    largest = max(by_district, key=by_district.get)
    in_largest = sorted(
        (c for c in eligible if c["district"]["code"] == largest), key=lambda c: c["responses"]
    )
    community = in_largest[len(in_largest) // 2]
    rates = sorted(c["satisfied"] / c["responses"] for c in communities)
    manifest = {
        "database_url": url,
        "built_at": now.isoformat(),
        "seconds": {"total": steps.total, **steps.times},
        "counts": counts,
        "answers_per_rating": len(criteria),
        "eligible": len(eligible),
        "stats": stats,
        "rates": {
            "share_80_to_99": round(sum(0.80 <= r < 0.99 for r in rates) / len(rates), 3),
            "share_below_90": round(sum(r < 0.90 for r in rates) / len(rates), 3),
            "median": round(rates[len(rates) // 2], 4),
        },
        "published_slug": "bench-2025",
        "open_slug": "bench-2026-open",
        "open_enrollments": len(open_pick),
        "open_codes": len(open_codes),
        "codes_file": str(out / "rating_codes.txt"),
        "largest_district": {
            "code": largest,
            "name": next(d["name"] for d in city["districts"] if d["code"] == largest),
            "listed": by_district[largest],
            "communities": sum(1 for c in communities if c["district"]["code"] == largest),
        },
        "community": {"id": community["id"], "name": community["name"]},
        "criteria": criteria,
    }
    (out / "city.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    print(f"  = synthetic city built in {steps.total:.1f} s", flush=True)
    return manifest


def load_codes(
    url: str,
    responses: list[int],
    open_enrollments: list[int],
    issued: str,
    issued_open: str,
    user_id: int,
    codes_file: str,
    indexes: list[str],
) -> dict:
    """In a process of its own: one household code per rating household of the published
    campaign (random, hashed), then the open campaign's codes issued with the app's
    generate_code, whose plain text goes to `codes_file`; then the table's indexes."""
    import django

    django.setup()
    from evaluations.codes import generate_code, hash_code

    started = time.perf_counter()
    open_codes: list[str] = []
    with connect(url) as conn:
        with conn.cursor() as cur:
            cur.execute("TRUNCATE evaluations_householdcode")
            with cur.copy(
                "COPY evaluations_householdcode (id, code_hash, issued_at, enrollment_id, "
                "issued_by_id) FROM STDIN WITH (FREEZE)"
            ) as copy:
                code_id = 1
                for i, r in enumerate(responses):
                    chars = random_chars(12 * r)
                    eid = i + 1
                    copy.write(
                        "".join(
                            f"{code_id + k}\t{hash_code(chars[12 * k : 12 * k + 12])}\t{issued}\t{eid}\t\\N\n"
                            for k in range(r)
                        )
                    )
                    code_id += r
                buf = []
                for eid in open_enrollments:
                    for _ in range(OPEN_CODES_EACH):
                        code = generate_code()
                        open_codes.append(code)
                        buf.append(
                            f"{code_id}\t{hash_code(code)}\t{issued_open}\t{eid}\t{user_id}\n"
                        )
                        code_id += 1
                copy.write("".join(buf))
        conn.commit()
        assert len(set(open_codes)) == len(open_codes)
        Path(codes_file).write_text("\n".join(open_codes) + "\n")
        copied = time.perf_counter()
        conn.autocommit = True
        for stmt in indexes:
            conn.execute(stmt)
    return {
        "open_codes": open_codes,
        "seconds_codes_copy": round(copied - started, 2),
        "seconds_codes_indexes": round(time.perf_counter() - copied, 2),
    }


def copy_ratings(url, rng, communities, code_start, criteria, opens, closes) -> dict:
    """Ratings in time order across the whole city (as residents rate), each with its
    five answers; about 3% of households rated twice, the earlier rating kept as
    history (is_current = false). Two COPY FREEZE streams on two connections."""
    n = len(communities)
    remaining = [c["responses"] for c in communities]
    remaining_satisfied = [c["satisfied"] for c in communities]
    next_code = list(code_start)
    order = [i for i, r in enumerate(remaining) for _ in range(r)]
    rng.shuffle(order)
    total = len(order)

    # Timestamps: the i-th rating at opens + i × step; strings built from an hour
    # prefix and a minute:second suffix, so that a million of them are cheap.
    span = (closes - opens).total_seconds() - 3600
    step = span / (total + 1)
    base = opens.astimezone(UTC)
    hours = [
        (base + timedelta(hours=h)).strftime("%Y-%m-%d %H:") for h in range(int(span // 3600) + 2)
    ]
    mmss = [f"{m:02d}:{s:02d}+00" for m in range(60) for s in range(60)]
    offset = base.minute * 60 + base.second

    def stamp(k: int) -> str:
        seconds = offset + int(k * step)
        return hours[seconds // 3600] + mmss[seconds % 3600]

    weights = CRITERION_WEIGHTS
    patterns = {
        overall: [
            tuple(rng.choices(ANSWERS, weights=weights[overall], k=len(criteria)))
            for _ in range(512)
        ]
        for overall in ANSWERS
    }
    c0, c1, c2, c3, c4 = criteria
    receipts = random_chars(15 * int(total * (1 + SUPERSEDED_SHARE * 1.5) + 1000))
    rpos = 0
    rid = 0
    superseded = 0
    with_comment = 0
    overall_counts = dict.fromkeys(ANSWERS, 0)

    rconn = connect(url)
    aconn = connect(url)
    rcur = rconn.cursor()
    acur = aconn.cursor()
    # Ratings and answers are history: their triggers refuse TRUNCATE (evaluations 0013).
    # The benchmark builds its city as a superuser, which may step past them here.
    for cur in (rcur, acur):
        cur.execute("SET session_replication_role = replica")
    rcur.execute("TRUNCATE evaluations_rating")
    acur.execute("TRUNCATE evaluations_ratinganswer")
    rcopy_cm = rcur.copy(
        "COPY evaluations_rating (id, overall, comment, receipt, submitted_at, is_current, "
        "superseded_at, client_ip, user_agent, enrollment_id, household_code_id, browser_id, "
        "quarantine_reason, quarantine_flags) "
        "FROM STDIN WITH (FREEZE)"
    )
    acopy_cm = acur.copy(
        "COPY evaluations_ratinganswer (id, rating_id, criterion_id, answer) "
        "FROM STDIN WITH (FREEZE)"
    )
    random_ = rng.random
    randrange = rng.randrange
    with rcopy_cm as rcopy, acopy_cm as acopy:
        rbuf: list[str] = []
        abuf: list[str] = []
        for k, i in enumerate(order):
            eid = i + 1
            code_id = next_code[i]
            next_code[i] += 1
            left = remaining[i]
            sat = random_() * left < remaining_satisfied[i]
            remaining[i] = left - 1
            if sat:
                remaining_satisfied[i] -= 1
                overall = SATISFIED if random_() < 0.75 else BASIC
            else:
                overall = UNSATISFIED
            when = stamp(k)
            if random_() < SUPERSEDED_SHARE:
                # An earlier rating of the same household, superseded by this one.
                rid += 1
                superseded += 1
                earlier = ANSWERS[randrange(3)]
                rbuf.append(
                    f"{rid}\t{earlier}\t\t{'R' + receipts[rpos : rpos + 15]}\t{stamp(max(0, k - 500))}\tf\t{when}\t\\N\t\t{eid}\t{code_id}\t\t\t\n"
                )
                rpos += 15
                x0, x1, x2, x3, x4 = patterns[earlier][randrange(512)]
                a = rid * 5
                abuf.append(
                    f"{a}\t{rid}\t{c0}\t{x0}\n{a + 1}\t{rid}\t{c1}\t{x1}\n{a + 2}\t{rid}\t{c2}\t{x2}\n{a + 3}\t{rid}\t{c3}\t{x3}\n{a + 4}\t{rid}\t{c4}\t{x4}\n"
                )
            rid += 1
            overall_counts[overall] += 1
            comment = ""
            if random_() < COMMENT_SHARE:
                with_comment += 1
                comment = COMMENTS[overall][randrange(2)]
            rbuf.append(
                f"{rid}\t{overall}\t{comment}\t{'R' + receipts[rpos : rpos + 15]}\t{when}\tt\t\\N\t\\N\t\t{eid}\t{code_id}\t\t\t\n"
            )
            rpos += 15
            x0, x1, x2, x3, x4 = patterns[overall][randrange(512)]
            a = rid * 5
            abuf.append(
                f"{a}\t{rid}\t{c0}\t{x0}\n{a + 1}\t{rid}\t{c1}\t{x1}\n{a + 2}\t{rid}\t{c2}\t{x2}\n{a + 3}\t{rid}\t{c3}\t{x3}\n{a + 4}\t{rid}\t{c4}\t{x4}\n"
            )
            if len(rbuf) >= 20000:
                rcopy.write("".join(rbuf))
                acopy.write("".join(abuf))
                rbuf.clear()
                abuf.clear()
        if rbuf:
            rcopy.write("".join(rbuf))
            acopy.write("".join(abuf))
    rconn.commit()
    aconn.commit()
    rcur.close()
    acur.close()
    rconn.close()
    aconn.close()
    assert all(r == 0 for r in remaining) and all(s == 0 for s in remaining_satisfied)
    assert n == len(code_start)
    return {
        "ratings_current": total,
        "ratings_superseded": superseded,
        "answers": (total + superseded) * len(criteria),
        "with_comment": with_comment,
        "overall": overall_counts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--communities", type=int, default=N_COMMUNITIES)
    parser.add_argument("--ratings", type=int, default=N_RATINGS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(BASE_DIR))
    build(args.database_url, args.out, args.communities, args.ratings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
