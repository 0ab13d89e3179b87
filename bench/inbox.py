"""Benchmark the department handler's inbox (/handle/) on a large PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zqztc_bench .venv/bin/python bench/inbox.py --rows 1000000

What it does (see bench/README.md):
1. creates the bench database named in DATABASE_URL if missing (the name must contain "bench": it may
   be dropped and reloaded) and migrates it;
2. unless it already holds exactly --rows petitions, bulk-loads them in SQL (INSERT ... SELECT over
   generate_series): ~60 handling units, ~3,000 firms, most petitions concluded or archived, due dates
   on the open ones with their open Deadline rows, co-handlers on a few percent, progress reports on
   most petitions in handling; then VACUUM ANALYZE;
3. times the inbox view through Django's test Client (force_login as a handler of one unit):
   --requests per tab after a warm-up, printing the median and p95 in ms and the queries per request;
4. prints EXPLAIN (ANALYZE, BUFFERS) of the tab counts and of each tab's page query.

--index "CREATE INDEX ..." (repeatable) times once without and once with the extra index(es), created
with raw SQL in the bench database only (never a migration), then drops them unless --keep-index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The settings of a benchmark and the shared loaders are in bench/_load.py.
from bench import _load  # noqa: E402
from bench._load import FIRMS, HANDLING_UNITS, log  # noqa: E402

_load.configure("postgres://postgres@127.0.0.1:5432/zqztc_bench")

# State mix of a mature installation: most petitions finished; about 6.5 % open.
STATE_MIX = [
    ("archived", 0.600),
    ("concluded", 0.300),
    ("rejected", 0.020),
    ("duplicate", 0.010),
    ("withdrawn", 0.005),
    ("registered", 0.003),
    ("accepted", 0.002),
    ("proposed", 0.005),
    ("returned", 0.001),
    ("confirmed", 0.003),
    ("awaiting_approval", 0.001),
    ("assigned", 0.005),
    ("in_progress", 0.030),
    ("replied", 0.015),
]
LEAD_STATES = (
    "confirmed",
    "awaiting_approval",
    "assigned",
    "in_progress",
    "replied",
    "concluded",
    "archived",
)
# The open step of each open state: (step, limit rule, due offset range in days around today).
DUE = {
    "registered": ("triage", "triage", -2, 3),
    "accepted": ("triage", "triage", -2, 3),
    "returned": ("triage", "triage", -2, 3),
    "proposed": ("confirm", "confirm", -3, 3),
    "confirmed": ("issue_letter", "issue_letter", -2, 3),
    "assigned": ("contact", "contact", -3, 2),
    "in_progress": ("reply", "reply_complaint", -10, 12),
    "replied": ("revisit", "revisit", -3, 4),
}
CO_SHARE = 0.04
TABS = ("confirm", "handling", "due_soon", "overdue", "co", "replied", "concluded")


PETITION_COLUMNS = [
    "number",
    "enterprise_id",
    "channel",
    "channel_ref",
    "received_at",
    "type",
    "theme_id",
    "scope_class",
    "demand_class",
    "nature_class",
    "age_class",
    "tier",
    "title",
    "content",
    "request",
    "publication_consent",
    "jurisdiction_id",
    "proposed_unit_id",
    "lead_unit_id",
    "reject_reason",
    "reject_explanation",
    "needs_leader_approval",
    "leader_instruction",
    "transfer_letter_no",
    "transfer_letter_issued_at",
    "accepted_at",
    "confirmed_at",
    "contacted_at",
    "replied_at",
    "concluded_at",
    "archived_at",
    "extension_count",
    "return_count",
    "rehandle_count",
    "state",
    "due_on",
    "due_step",
    "created_at",
    "updated_at",
]


def load(rows: int, ref: dict) -> None:
    """Bulk-load in SQL: every row is built by PostgreSQL itself from generate_series."""
    from django.db import connection

    city = ref["city"].pk
    units = _load.sql_array([u.pk for u in ref["units"]])
    users = _load.sql_array([u.pk for u in ref["handlers"]])
    themes = _load.sql_array(ref["themes"])
    n_themes = len(ref["themes"])
    # Cumulative thresholds for the state of each row.
    cases, acc = [], 0.0
    for state, share in STATE_MIX:
        acc += share
        cases.append(f"WHEN r_state < {acc:.6f} THEN '{state}'")
    state_case = "CASE " + " ".join(cases) + " ELSE 'archived' END"
    lead_states = ",".join(f"'{s}'" for s in LEAD_STATES)
    step_case = (
        "CASE state "
        + " ".join(f"WHEN '{s}' THEN '{step}'" for s, (step, _r, _a, _b) in DUE.items())
        + " ELSE '' END"
    )
    due_case = (
        "CASE state "
        + " ".join(
            f"WHEN '{s}' THEN current_date + ({lo} + floor(r_due * {hi - lo + 1}))::int"
            for s, (_st, _r, lo, hi) in DUE.items()
        )
        + " ELSE NULL END"
    )
    rule_case = (
        "CASE due_step "
        + " ".join(f"WHEN '{step}' THEN '{rule}'" for step, rule, _a, _b in DUE.values())
        + " END"
    )
    from petitions.models import Petition

    petition_extra = _load.defaults_for_other_columns(Petition, PETITION_COLUMNS)
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE petitions_petition, petitions_enterprise RESTART IDENTITY CASCADE")
        # Foreign keys are checked by construction here; skipping their triggers makes the load
        # several times faster (superuser only; this session only).
        cur.execute("SET session_replication_role = replica")
        cur.execute("SELECT setseed(0.42)")
        firm0 = _load.insert_firms(cur, city)
        log(f"  {FIRMS} firms in {time.perf_counter() - t0:.1f}s")
        cur.execute(
            f"""
            INSERT INTO petitions_petition (number, enterprise_id, channel, channel_ref,
                received_at, type, theme_id, scope_class, demand_class, nature_class, age_class,
                tier, title, content, request, publication_consent, jurisdiction_id,
                proposed_unit_id, lead_unit_id, reject_reason, reject_explanation,
                needs_leader_approval, leader_instruction, transfer_letter_no,
                transfer_letter_issued_at, accepted_at, confirmed_at, contacted_at, replied_at,
                concluded_at, archived_at, extension_count, return_count, rehandle_count, state,
                due_on, due_step, created_at, updated_at{petition_extra[0]})
            SELECT 'ZQ' || to_char(received_at, 'YYYY') || '-' || lpad(g::text, 7, '0'),
                {firm0} + floor(r_firm * {FIRMS})::int, 'portal', '', received_at,
                (ARRAY['consultation','suggestion','complaint','coordination'])[1 + floor(r_type * 4)::int],
                ({themes})[1 + floor(r_theme * {n_themes})::int], '', '', '', '', 'general',
                '诉求' || g || '：用电报装审批时间过长',
                '企业反映第' || g || '号问题：新厂房用电报装已提交两个月仍未审批，影响投产，请求协调供电部门尽快办理。',
                '', false, {city},
                CASE WHEN state IN ('proposed','returned',{lead_states}) THEN unit END,
                CASE WHEN state IN ({lead_states}) THEN unit END,
                '', '', false, '',
                CASE WHEN state IN ('assigned','in_progress','replied','concluded','archived')
                     THEN 'ZB' || g ELSE '' END,
                CASE WHEN state IN ('assigned','in_progress','replied','concluded','archived')
                     THEN received_at + interval '2 days' END,
                received_at + interval '1 hour', NULL, NULL, NULL,
                CASE WHEN state IN ('concluded','archived') THEN received_at + interval '8 days' END,
                CASE WHEN state = 'archived' THEN received_at + interval '30 days' END,
                0, 0, 0, state, due_on, due_step, received_at, received_at
                {petition_extra[1]}
            FROM (
                SELECT *, {step_case} AS due_step, {due_case} AS due_on
                FROM (
                    SELECT g, {state_case} AS state, r_firm, r_type, r_theme, r_due,
                        ({units})[1 + floor(r_unit * {HANDLING_UNITS})::int] AS unit,
                        CASE WHEN r_state < 0.935
                             THEN now() - (interval '5 years' * r_recv) - interval '60 days'
                             ELSE now() - (interval '60 days' * r_recv) END AS received_at
                    FROM (
                        SELECT g, random() AS r_state, random() AS r_unit, random() AS r_firm,
                            random() AS r_type, random() AS r_theme, random() AS r_due,
                            random() AS r_recv
                        FROM generate_series(1, {rows}) g
                    ) raw
                ) s
            ) t
            """
        )
        log(f"  {rows} petitions in {time.perf_counter() - t0:.1f}s")
        cur.execute(
            f"""
            INSERT INTO petitions_petition_co_units (petition_id, orgunit_id)
            SELECT id, ({units})[1 + ((array_position({units}, lead_unit_id) + floor(random() * {HANDLING_UNITS - 1})::int) % {HANDLING_UNITS})]
            FROM petitions_petition
            WHERE lead_unit_id IS NOT NULL AND random() < {CO_SHARE}
            """
        )
        cur.execute(
            f"""
            INSERT INTO petitions_deadline (petition_id, step, rule, start_on, amount, extra, unit,
                due_on, estimated, closed_at, created_at)
            SELECT id, due_step, {rule_case}, due_on - 2, 1, 0, 'working_days', due_on, false,
                NULL, now()
            FROM petitions_petition WHERE due_on IS NOT NULL
            """
        )
        # Most petitions in handling have reported in one of the last three weeks.
        cur.execute(
            f"""
            INSERT INTO petitions_progressreport (petition_id, unit_id, author_id, text,
                week_thursday, created_at)
            SELECT id, lead_unit_id, ({users})[array_position({units}, lead_unit_id)],
                '已与供电部门会商，正在办理。', d + ((11 - extract(isodow FROM d)::int) % 7), now()
            FROM (
                SELECT id, lead_unit_id, current_date - floor(random() * 21)::int AS d
                FROM petitions_petition
                WHERE state IN ('assigned','in_progress') AND random() < 0.8
            ) x
            """
        )
        cur.execute("SET session_replication_role = DEFAULT")
    log(f"  co-handlers, deadlines, progress reports in {time.perf_counter() - t0:.1f}s")
    with connection.cursor() as cur:
        # VACUUM cannot run in a transaction; Django's connection is in autocommit mode here.
        cur.execute("VACUUM ANALYZE")
    log(f"loaded and analysed in {time.perf_counter() - t0:.1f}s")


def busiest_handler(ref: dict):
    """The handler of the unit with the most open petitions: the worst case for its inbox."""
    from django.db.models import Count

    from petitions.models import OPEN_STATES, Petition

    top = (
        Petition.objects.filter(state__in=OPEN_STATES, lead_unit__isnull=False)
        .values("lead_unit_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    return next(h for h in ref["handlers"] if h.unit_id == top["lead_unit_id"])


def tab_counts(user) -> dict[str, int]:
    from django.utils import timezone

    from petitions import workdays
    from petitions.selectors import handler as selectors

    today = timezone.localdate()
    soon = workdays.add_working_days(today, selectors.DUE_SOON_WORKING_DAYS)
    return selectors.tab_counts(user.unit, today, soon)


def time_tabs(user, requests: int) -> dict[str, tuple[float, float, int, int]]:
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(user)
    counts = tab_counts(user)
    results = {"_load": os.getloadavg()}
    for tab in TABS:
        url = f"/handle/?tab={tab}"
        for _ in range(10):  # warm-up: caches, connection, template loading
            response = client.get(url)
            assert response.status_code == 200, response.status_code
        executed: list[str] = []

        def count(run, sql, params, many, context, executed=executed):
            executed.append(sql)
            return run(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        samples = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        samples.sort()
        p95 = samples[max(0, round(0.95 * len(samples)) - 1)]
        results[tab] = (statistics.median(samples), p95, len(executed), counts[tab])
    return results


def wait_idle(threshold: float) -> None:
    """Other work on this machine skews the figures; optionally wait for a quieter moment."""
    if not threshold:
        return
    deadline = time.monotonic() + 20 * 60
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(15)


def report(results: dict, title: str) -> None:
    """The load average is read before timing: the bench itself keeps about 1.5 cores busy."""
    load = ", ".join(f"{x:.2f}" for x in results.pop("_load"))
    log(f"\n{title} (load average before timing: {load})")
    log(f"{'tab':<10} {'rows':>7} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
    for tab, (median, p95, queries, count) in results.items():
        log(f"{tab:<10} {count:>7} {queries:>7} {median:>10.1f} {p95:>8.1f}")


def explain(user, tabs: tuple[str, ...] = TABS) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the petition queries one inbox request runs, per tab."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    seen = set()
    for tab in tabs:
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/handle/?tab={tab}")
        for query in captured.captured_queries:
            sql = query["sql"]
            if "petitions_petition" not in sql or sql in seen:
                continue
            seen.add(sql)
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cur.fetchall())
            log(f"\n--- tab {tab}: {sql[:160]}…\n{plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per tab")
    parser.add_argument("--fresh", action="store_true", help="drop and reload the bench database")
    parser.add_argument("--index", action="append", default=[], help="CREATE INDEX to try")
    parser.add_argument("--keep-index", action="store_true")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--load-only", action="store_true", help="load, then stop")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="LOAD",
        help="before each timing, wait (up to 20 min) for the 1-minute load average to fall below LOAD",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the bench connection, e.g. max_parallel_workers_per_gather=0",
    )
    args = parser.parse_args()

    name = _load.database_name()
    _load.ensure_database(name, args.fresh)
    _load.setup_django()
    ref = _load.make_reference_data()
    if _load.petition_count() != args.rows:
        log(f"loading {args.rows} petitions into {name} …")
        load(args.rows, ref)
        # TRUNCATE … CASCADE also emptied the user table (users may belong to a firm).
        ref = _load.make_reference_data()
    else:
        log(f"{name} already holds {args.rows} petitions; reusing them (--fresh to reload)")
    if args.load_only:
        return
    if args.set:
        from django.db import connection

        with connection.cursor() as cur:
            for setting in args.set:
                name, value = setting.split("=", 1)
                cur.execute(f"SET {name} = %s", [value])
                log(f"SET {name} = {value}")
    user = busiest_handler(ref)
    log(f"timing as {user.username} ({user.unit.name})")
    wait_idle(args.wait_idle)
    report(time_tabs(user, args.requests), "existing indexes:")
    if not args.no_explain:
        explain(user)
    if args.index:
        from django.db import connection

        with connection.cursor() as cur:
            for sql in args.index:
                log(f"\n{sql}")
                cur.execute(sql)
            cur.execute("ANALYZE petitions_petition")
        wait_idle(args.wait_idle)
        report(time_tabs(user, args.requests), "with the extra index(es):")
        if not args.no_explain:
            explain(user)
        if not args.keep_index:
            with connection.cursor() as cur:
                for sql in args.index:
                    index_name = sql.split("INDEX", 1)[1].split()[0]
                    if index_name.upper() in ("CONCURRENTLY", "IF"):
                        index_name = sql.split()[-1]
                    cur.execute(f"DROP INDEX IF EXISTS {index_name}")


if __name__ == "__main__":
    main()
