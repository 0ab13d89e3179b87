"""Benchmark the supervision pages and the monthly sweep on a large PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zqztc_bench_sup .venv/bin/python bench/supervision.py --rows 1000000

What it does (see bench/README.md, section "Supervision"):
1. creates the bench database named in DATABASE_URL if missing (the name must contain "bench") and
   migrates it; the reference data (a city, 6 districts, 60 handling units, the task force) and the
   firms come from bench/_load.py, shared with bench/inbox.py;
2. unless it already holds exactly --rows petitions, bulk-loads them in SQL (INSERT ... SELECT over
   generate_series), in the order they were received over five years as a live system writes them:
   realistic channels, types, themes, units and jurisdictions; about 1.8 % still open (most of the
   last ten days, a tail of stuck ones); the CONFIRM and REPLY deadlines of every assigned or
   concluded petition (some closed late, some re-handled with a second REPLY deadline), the open
   deadline of every open one, valid and invalid evaluations of concluded ones, and this week's
   progress reports; then VACUUM ANALYZE;
3. times supervision.sweep.run_monthly_sweep (target <= 10 s, --sweeps runs), then the statistics page through Django's test Client as
   the task force (target <= 1 s, median of --runs), the ledger (plain and filtered), the sweep
   pages, the key-supervision list and the monthly report;
4. --explain prints EXPLAIN (ANALYZE, BUFFERS) of the statistics queries; --jit-off times the
   pages once more with PostgreSQL's JIT off for the session.

--index "CREATE INDEX ..." (repeatable) times the pages once more with the extra index(es), created
with raw SQL in the bench database only (never a migration), then drops them unless --keep-index.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The settings of a benchmark, the database set-up, the reference data and the firms are shared with
# the inbox bench (bench/_load.py).
from bench import _load  # noqa: E402
from bench._load import log  # noqa: E402

_load.configure("postgres://postgres@127.0.0.1:5432/zqztc_bench_sup")

CHANNELS = [
    ("portal", 0.34),
    ("hotline_12345", 0.22),
    ("visit", 0.12),
    ("meeting", 0.06),
    ("meal_or_phone", 0.04),
    ("provincial_app", 0.08),
    ("deputy", 0.02),
    ("acfic", 0.03),
    ("hotline_96888", 0.04),
    ("service_hall", 0.05),
]
TYPES = [("consultation", 0.25, 1), ("suggestion", 0.20, 2), ("complaint", 0.35, 3)]
TYPES += [("coordination", 0.20, 7)]  # (type, share, reply limit in days)
# Open petitions: the state mix.
OPEN_MIX = [
    ("registered", 0.05),
    ("accepted", 0.03),
    ("proposed", 0.07),
    ("returned", 0.02),
    ("confirmed", 0.04),
    ("awaiting_approval", 0.01),
    ("assigned", 0.08),
    ("in_progress", 0.50),
    ("replied", 0.20),
]
LEAD = (
    "confirmed",
    "awaiting_approval",
    "assigned",
    "in_progress",
    "replied",
    "concluded",
    "archived",
)
ASSIGNED = ("assigned", "in_progress", "replied", "concluded", "archived")
REPLIED = ("replied", "concluded", "archived")
FINISHED = ("concluded", "archived")
CONFIRM_LATE, REPLY_LATE, REHANDLED = 0.08, 0.12, 0.02


def _pick(column: str, mix: list[tuple]) -> str:
    """CASE over cumulative shares of a random column."""
    cases, acc = [], 0.0
    for value, share, *_rest in mix:
        acc += share
        cases.append(f"WHEN {column} < {acc:.6f} THEN '{value}'")
    return "CASE " + " ".join(cases) + f" ELSE '{mix[-1][0]}' END"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


def reference() -> dict:
    """_load.make_reference_data() plus each unit's jurisdiction, a leader and a supervisor."""
    from petitions.models import OrgUnit, Role, UnitKind, User

    ref = _load.make_reference_data()
    city = ref["city"]
    ref["jurisdictions"] = [
        u.parent_id if u.parent.kind == UnitKind.DISTRICT else city.pk
        for u in OrgUnit.objects.filter(pk__in=[u.pk for u in ref["units"]]).select_related(
            "parent"
        )
    ]
    ref["unit_ids"] = list(
        OrgUnit.objects.filter(pk__in=[u.pk for u in ref["units"]]).values_list("pk", flat=True)
    )
    for kind, role, name in [
        (UnitKind.LEADERSHIP, Role.LEADER, "bench_leader"),
        (UnitKind.SUPERVISION, Role.SUPERVISOR, "bench_supervisor"),
    ]:
        unit, _ = OrgUnit.objects.get_or_create(
            name=f"基准市{kind}", parent=city, defaults={"kind": kind}
        )
        User.objects.get_or_create(username=name, defaults={"role": role, "unit": unit})
    return ref


def load(rows: int, ref: dict) -> None:
    """Everything in SQL, built by PostgreSQL from generate_series, in received order."""
    from django.db import connection

    city = ref["city"].pk
    units = _load.sql_array(ref["unit_ids"])
    places = _load.sql_array(ref["jurisdictions"])
    n_units = len(ref["unit_ids"])
    themes = _load.sql_array(ref["themes"])
    n_themes = len(ref["themes"])
    staff = ref["staff"].pk
    handlers = {h.unit_id: h.pk for h in ref["handlers"]}
    users = _load.sql_array([handlers[u] for u in ref["unit_ids"]])
    limit = "CASE type " + " ".join(f"WHEN '{t}' THEN {d}" for t, _s, d in TYPES) + " END"
    open_state = _pick("r_state", OPEN_MIX)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        # Not `TRUNCATE petitions_enterprise CASCADE`: users refer to enterprises, so that would
        # empty petitions_user too (and the staff, leader and handlers made above with it).
        cur.execute(
            "TRUNCATE petitions_petition, supervision_sweep, supervision_keysupervision"
            " RESTART IDENTITY CASCADE"
        )
        cur.execute("DELETE FROM petitions_enterprise")
        cur.execute("SET session_replication_role = replica")  # skip FK triggers while loading
        cur.execute("SELECT setseed(0.42)")
        firm0 = _load.insert_firms(cur, city)
        # Secondary indexes are built once after the load, which is much faster than keeping them
        # up to date row by row; those behind a constraint (primary key, unique number) stay.
        cur.execute(
            """
            SELECT indexname, indexdef FROM pg_indexes i
            WHERE tablename = 'petitions_petition'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """
        )
        secondary = cur.fetchall()
        for index, _definition in secondary:
            cur.execute(f'DROP INDEX "{index}"')
        cur.execute(
            f"""
            INSERT INTO petitions_petition (number, enterprise_id, submitted_by_id, channel,
                channel_ref, received_at, type, theme_id, scope_class, demand_class, nature_class,
                age_class, tier, title, content, request, publication_consent, jurisdiction_id,
                proposed_unit_id, lead_unit_id, reject_reason, reject_explanation,
                needs_leader_approval, leader_instruction, transfer_letter_no,
                transfer_letter_issued_at, accepted_at, confirmed_at, contacted_at, replied_at,
                concluded_at, archived_at, extension_count, return_count, rehandle_count, state,
                due_on, due_step, meeting_opt_out, created_at, updated_at)
            SELECT 'ZQ' || to_char(received_at, 'YYYY') || '-' || lpad(g::text, 7, '0'),
                {firm0} + floor(r_firm * {_load.FIRMS})::int, NULL, channel, '', received_at, type,
                theme, '', '', '', '', 'general',
                '诉求' || g || '：用电报装审批时间过长',
                '企业反映第' || g || '号问题：新厂房用电报装已提交两个月仍未审批，影响投产，请求协调供电部门尽快办理。',
                '', false, place,
                CASE WHEN state NOT IN ('registered','accepted','rejected','duplicate','withdrawn')
                     THEN unit END,
                CASE WHEN state IN {_in(LEAD)} THEN unit END,
                CASE WHEN state = 'rejected' THEN 'out_of_scope' ELSE '' END,
                CASE WHEN state = 'rejected' THEN '不属于受理范围。' ELSE '' END,
                state = 'awaiting_approval', '',
                CASE WHEN state IN {_in(ASSIGNED)} THEN 'ZB' || g ELSE '' END,
                CASE WHEN state IN {_in(ASSIGNED)} THEN letter_at END,
                CASE WHEN state NOT IN ('registered','rejected','duplicate','withdrawn')
                     THEN received_at + interval '2 hours' END,
                CASE WHEN state IN {_in(LEAD)} THEN confirmed_at END,
                CASE WHEN state IN ('in_progress','replied','concluded','archived')
                     THEN letter_at + interval '3 hours' END,
                CASE WHEN state IN {_in(REPLIED)} THEN replied_at END,
                CASE WHEN state IN {_in(FINISHED)} THEN replied_at + interval '1 day' END,
                CASE WHEN state = 'archived' THEN replied_at + interval '21 days' END,
                extensions, returns, CASE WHEN rehandled THEN 1 ELSE 0 END, state,
                CASE state
                    WHEN 'registered' THEN received_day + 1 WHEN 'accepted' THEN received_day + 1
                    WHEN 'returned' THEN received_day + 2 WHEN 'proposed' THEN received_day + 1
                    WHEN 'confirmed' THEN received_day + 2
                    WHEN 'awaiting_approval' THEN received_day + 2
                    WHEN 'assigned' THEN letter_day + 1 WHEN 'in_progress' THEN reply_due
                    WHEN 'replied' THEN (replied_at AT TIME ZONE 'Asia/Shanghai')::date + 3
                END,
                CASE state
                    WHEN 'registered' THEN 'triage' WHEN 'accepted' THEN 'triage'
                    WHEN 'returned' THEN 'triage' WHEN 'proposed' THEN 'confirm'
                    WHEN 'confirmed' THEN 'issue_letter' WHEN 'awaiting_approval' THEN 'issue_letter'
                    WHEN 'assigned' THEN 'contact' WHEN 'in_progress' THEN 'reply'
                    WHEN 'replied' THEN 'revisit' ELSE ''
                END,
                false, received_at, received_at
            FROM (
                SELECT *, letter_day + {limit} + 3 * extensions AS reply_due,
                    LEAST(now() - interval '1 hour', letter_at + CASE WHEN r_late_r < {REPLY_LATE}
                        THEN ({limit} + 3 * extensions + 4) * interval '1 day'
                        ELSE {limit} * interval '14 hours' END) AS replied_at
                FROM (
                    SELECT *, (letter_at AT TIME ZONE 'Asia/Shanghai')::date AS letter_day
                    FROM (
                        SELECT *, confirmed_at + interval '4 hours' AS letter_at
                        FROM (
                            SELECT *, (received_at AT TIME ZONE 'Asia/Shanghai')::date AS received_day,
                                received_at + CASE WHEN r_late_c < {CONFIRM_LATE}
                                    THEN interval '3 days' ELSE interval '5 hours' END AS confirmed_at,
                                CASE WHEN is_open THEN {open_state}
                                     WHEN r_state < 0.03 THEN 'rejected'
                                     WHEN r_state < 0.05 THEN 'duplicate'
                                     WHEN r_state < 0.06 THEN 'withdrawn'
                                     WHEN age > 60 AND r_arch < 0.9 THEN 'archived'
                                     ELSE 'concluded' END AS state,
                                r_state < 0.99 AND r_rehandle < {REHANDLED} AND NOT is_open AS rehandled
                            FROM (
                                SELECT *,
                                    r_open < CASE WHEN age <= 10 THEN 0.85 WHEN age <= 365 THEN 0.05
                                                  ELSE 0.005 END AS is_open,
                                    ({units})[1 + unit_index] AS unit,
                                    ({places})[1 + unit_index] AS place,
                                    ({themes})[1 + floor(power(r_theme, 1.6) * {n_themes})::int] AS theme,
                                    {_pick("r_channel", CHANNELS)} AS channel,
                                    {_pick("r_type", TYPES)} AS type,
                                    CASE WHEN r_ext < 0.01 THEN 2 WHEN r_ext < 0.06 THEN 1 ELSE 0 END AS extensions,
                                    CASE WHEN r_ret < 0.005 THEN 2 WHEN r_ret < 0.03 THEN 1 ELSE 0 END AS returns
                                FROM (
                                    SELECT *, extract(epoch FROM now() - received_at) / 86400 AS age,
                                        floor(power(r_unit, 1.3) * {n_units})::int AS unit_index
                                    FROM (
                                        SELECT g, random() AS r_open, random() AS r_state,
                                            random() AS r_arch, random() AS r_unit, random() AS r_firm,
                                            random() AS r_type, random() AS r_theme,
                                            random() AS r_channel, random() AS r_late_c,
                                            random() AS r_late_r, random() AS r_ext, random() AS r_ret,
                                            random() AS r_rehandle,
                                            now() - interval '5 years'
                                                + interval '5 years' * ((g - random()) / {rows})
                                                AS received_at
                                        FROM generate_series(1, {rows}) g
                                    ) raw
                                ) a
                            ) b
                        ) c
                    ) d
                ) e
            ) f
            """
        )
        log(f"  {rows} petitions in {time.perf_counter() - t0:.1f}s")
        cur.execute("SET maintenance_work_mem = '256MB'")
        for _index, definition in secondary:
            cur.execute(definition)
        log(f"  {len(secondary)} indexes rebuilt in {time.perf_counter() - t0:.1f}s")
        sh = "AT TIME ZONE 'Asia/Shanghai'"
        # CONFIRM: every petition proposed to a unit; open while proposed, closed by the return.
        cur.execute(
            f"""
            INSERT INTO petitions_deadline (petition_id, step, rule, start_on, amount, extra, unit,
                due_on, estimated, closed_at, created_at)
            SELECT id, 'confirm', 'confirm', (received_at {sh})::date, 1, 0, 'working_days',
                (received_at {sh})::date + 1, false,
                CASE WHEN state = 'proposed' THEN NULL
                     WHEN state = 'returned' THEN received_at + interval '5 hours'
                     ELSE confirmed_at END,
                received_at
            FROM petitions_petition WHERE proposed_unit_id IS NOT NULL
            """
        )
        # REPLY: a first, missed one for re-handled petitions, then the last one.
        reply_rule = "'reply_' || type"
        reply_due = f"(transfer_letter_issued_at {sh})::date + {limit}"
        cur.execute(
            f"""
            INSERT INTO petitions_deadline (petition_id, step, rule, start_on, amount, extra, unit,
                due_on, estimated, closed_at, created_at)
            SELECT id, 'reply', {reply_rule}, (transfer_letter_issued_at {sh})::date, {limit}, 0,
                'working_days', {reply_due}, false,
                transfer_letter_issued_at + ({limit} + 4) * interval '1 day', transfer_letter_issued_at
            FROM petitions_petition WHERE rehandle_count > 0 AND transfer_letter_issued_at IS NOT NULL
            """
        )
        cur.execute(
            f"""
            INSERT INTO petitions_deadline (petition_id, step, rule, start_on, amount, extra, unit,
                due_on, estimated, closed_at, created_at)
            SELECT id, 'reply', {reply_rule}, (transfer_letter_issued_at {sh})::date, {limit},
                3 * extension_count, 'working_days', {reply_due} + 3 * extension_count, false,
                replied_at, transfer_letter_issued_at
            FROM petitions_petition WHERE transfer_letter_issued_at IS NOT NULL
            """
        )
        # The open deadline of the other open steps (triage, letter, contact, revisit).
        cur.execute(
            """
            INSERT INTO petitions_deadline (petition_id, step, rule, start_on, amount, extra, unit,
                due_on, estimated, closed_at, created_at)
            SELECT id, due_step, due_step, due_on - 1, 1, 0, 'working_days', due_on, false, NULL,
                received_at
            FROM petitions_petition WHERE due_step IN ('triage','issue_letter','contact','revisit')
            """
        )
        log(f"  deadlines in {time.perf_counter() - t0:.1f}s")
        cur.execute(
            f"""
            INSERT INTO petitions_evaluation (petition_id, rating, comment, source, method,
                recorded_by_id, is_valid, created_at)
            SELECT id,
                CASE WHEN r < 0.80 THEN 'satisfied' WHEN r < 0.95 THEN 'basically_satisfied'
                     ELSE 'unsatisfied' END,
                '', CASE WHEN r2 < 0.6 THEN 'firm' ELSE 'revisit' END,
                CASE WHEN r2 < 0.6 THEN '' ELSE 'phone' END, {staff}, r2 < 0.97, concluded_at
            FROM (SELECT id, concluded_at, random() AS r, random() AS r2, random() AS r3
                  FROM petitions_petition WHERE state IN {_in(FINISHED)}) x
            WHERE r3 < 0.92
            """
        )
        # Most petitions in handling reported for this week's Thursday.
        cur.execute(
            f"""
            INSERT INTO petitions_progressreport (petition_id, unit_id, author_id, text,
                week_thursday, created_at)
            SELECT id, lead_unit_id, ({users})[array_position({units}, lead_unit_id)],
                '已与供电部门会商，正在办理。', %s, now()
            FROM petitions_petition WHERE state IN ('assigned','in_progress') AND random() < 0.7
            """,
            [this_thursday()],
        )
        cur.execute("SET session_replication_role = DEFAULT")
    log(f"  evaluations and progress reports in {time.perf_counter() - t0:.1f}s")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    log(f"loaded and analysed in {time.perf_counter() - t0:.1f}s")


def this_thursday() -> date:
    from django.utils import timezone

    from petitions.workflow import reporting_thursday

    return reporting_thursday(timezone.localdate())


def describe() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for label, sql in [
            ("petitions", "SELECT count(*) FROM petitions_petition"),
            (
                "open",
                "SELECT count(*) FROM petitions_petition WHERE concluded_at IS NULL"
                " AND state NOT IN ('rejected','duplicate','withdrawn')",
            ),
            (
                "received in the last 12 months",
                "SELECT count(*) FROM petitions_petition WHERE received_at > now() - interval '1 year'",
            ),
            ("deadlines", "SELECT count(*) FROM petitions_deadline"),
            ("evaluations", "SELECT count(*) FROM petitions_evaluation"),
            ("table size", "SELECT pg_size_pretty(pg_total_relation_size('petitions_petition'))"),
        ]:
            cur.execute(sql)
            log(f"  {label:<32} {cur.fetchone()[0]}")


def time_sweep(runs: int) -> list[float]:
    """supervision.sweep.run_monthly_sweep for this month's sweep day, from scratch each time."""
    from django.db import connection
    from django.utils import timezone

    from supervision.sweep import run_monthly_sweep, sweep_day

    on = sweep_day(timezone.localdate().replace(day=1))
    samples = []
    for _ in range(runs):
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE supervision_sweepitem, supervision_keyfollowup,"
                " supervision_keysupervision, supervision_sweep RESTART IDENTITY"
            )
        start = time.perf_counter()
        sweep = run_monthly_sweep(on)
        samples.append(time.perf_counter() - start)
        log(
            f"  sweep of {on:%Y-%m} on {on}: "
            f"{sweep.item_count} items, {sweep.proposed_count} proposed, {samples[-1]:.2f}s"
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE supervision_sweepitem")
        cur.execute("ANALYZE supervision_keysupervision")
    return samples


PAGES = [
    ("statistics (last 12 months)", "/staff/supervision/statistics/"),
    ("ledger", "/staff/supervision/ledger/"),
    ("ledger, closed late", "/staff/supervision/ledger/?closeout=late"),
    ("ledger, no report this week", "/staff/supervision/ledger/?progress=missing"),
    ("ledger, one unit, page 5", "/staff/supervision/ledger/?unit={unit}&page=5"),
    ("sweeps", "/staff/supervision/sweeps/"),
    ("sweep page", "/staff/supervision/sweeps/{sweep}/"),
    ("sweep page, proposed", "/staff/supervision/sweeps/{sweep}/?show=proposed"),
    ("key supervision (proposed)", "/staff/supervision/keys/?status=proposed"),
    ("monthly report (HTML)", "/staff/supervision/reports/{year}/{month}/"),
]


def time_pages(user, runs: int, unit_id: int) -> list[tuple[str, float, float, int]]:
    """Median and worst of `runs` requests per page after a warm-up, and the queries of one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from supervision.models import Sweep

    today = timezone.localdate()
    sweep = Sweep.objects.order_by("-month").first()
    client = Client()
    client.force_login(user)
    results = []
    for label, url in PAGES:
        url = url.format(unit=unit_id, sweep=sweep.pk, year=today.year, month=today.month)
        response = client.get(url)  # warm-up
        assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = len(captured)  # now: the next request empties the connection's query log
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        results.append((label, statistics.median(samples), max(samples), queries))
    return results


def report(results: list, title: str) -> None:
    log(f"\n{title}")
    log(f"  {'page':<30} {'queries':>7} {'median ms':>10} {'max ms':>8}")
    for label, median, worst, queries in results:
        log(f"  {label:<30} {queries:>7} {median:>10.1f} {worst:>8.1f}")


def explain(user) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statistics page's queries that read petitions."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        client.get("/staff/supervision/statistics/")
    for query in captured.captured_queries:
        sql = query["sql"]
        if "petitions_petition" not in sql or "GROUP BY" not in sql:
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cur.fetchall())
        log(f"\n--- {sql[:150]}…\n{plan}")


def session(sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql)


def timed_variants(staff, args, unit_id: int, label: str) -> None:
    """The pages with the server's settings, then with JIT off for this session (--jit-off)."""
    report(time_pages(staff, args.runs, unit_id), f"{label}:")
    if args.jit_off:
        session("SET jit = off")
        report(time_pages(staff, args.runs, unit_id), f"{label}, jit = off:")
        session("RESET jit")


def index_name(sql: str) -> str:
    words = sql.replace("(", " ").split()
    rest = words[words.index("INDEX") + 1 :]
    while rest[0].upper() in ("CONCURRENTLY", "IF", "NOT", "EXISTS"):
        rest = rest[1:]
    return rest[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page")
    parser.add_argument("--sweeps", type=int, default=1, help="timed runs of the monthly sweep")
    parser.add_argument("--fresh", action="store_true", help="drop and reload the bench database")
    parser.add_argument("--index", action="append", default=[], help="CREATE INDEX to try")
    parser.add_argument("--keep-index", action="store_true")
    parser.add_argument("--jit-off", action="store_true", help="also time with SET jit = off")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN the statistics queries")
    parser.add_argument("--load-only", action="store_true", help="load, then stop")
    args = parser.parse_args()

    name = _load.database_name()
    _load.ensure_database(name, args.fresh)
    _load.setup_django()
    ref = reference()
    if _load.petition_count() != args.rows:
        log(f"loading {args.rows} petitions into {name} …")
        load(args.rows, ref)
    else:
        log(f"{name} already holds {args.rows} petitions; reusing them (--fresh to reload)")
    describe()
    if args.load_only:
        return

    if args.sweeps:
        samples = time_sweep(args.sweeps)
        log(
            f"monthly sweep: median {statistics.median(samples):.2f}s of {len(samples)}"
            " (target 10 s)"
        )
    staff = ref["staff"]
    unit_id = ref["unit_ids"][0]
    timed_variants(staff, args, unit_id, f"as {staff.username} (task force), existing indexes")
    if args.explain:
        explain(staff)
    if args.index:
        for sql in args.index:
            log(f"\n{sql}")
            start = time.perf_counter()
            session(sql)
            log(f"  built in {time.perf_counter() - start:.1f}s")
        session("VACUUM ANALYZE petitions_petition")
        timed_variants(staff, args, unit_id, "with the extra index(es)")
        if args.explain:
            explain(staff)
        if not args.keep_index:
            for sql in args.index:
                session(f"DROP INDEX IF EXISTS {index_name(sql)}")


if __name__ == "__main__":
    main()
