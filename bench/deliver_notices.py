"""Benchmark the notice delivery worker (notices/sender.py) on PostgreSQL against a real SMTP server
and a real SMS gateway on 127.0.0.1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zqztc_bench .venv/bin/python bench/deliver_notices.py

What it does (see bench/README.md, "Notice delivery"):
1. creates the bench database named in DATABASE_URL if missing (the name must contain "bench") and
   migrates it; starts a Redis server of its own on a spare port (the broker), an SmtpSink
   (tests/notices/smtp.py) and an SmsGateway (tests/notices/gateway.py);
2. per run: --firms verified firms without accounts, each with its registered e-mail and mobile
   (bulk-created once, kept), are told "firm.verified" through notices.outbox.tell() — one occasion
   per firm, one e-mail and one SMS delivery each (10,000 deliveries for 5,000 firms); then
   VACUUM ANALYZE of the delivery table (earlier runs leave dead row versions). Not timed;
3. starts ONE real worker, `celery -A zqztc worker --concurrency=1 -Q celery`, and times from the
   first task until the last delivery is marked sent. --path sweep (default) throws away the
   per-occasion `deliver(ids)` tasks the events queued and drives `notices.tasks.deliver_due` (what
   beat sends every minute) — always one waiting in the queue; --path tasks leaves the 5,000 queued
   tasks to the worker (what a burst of real events does) and only sends deliver_due for retries;
4. with --fail-fraction F > 0, the sink answers 451 and the gateway 503 to a share F of the calls. A
   failed delivery waits for its backoff (30 s, 1 min, 2 min …, notices/sender.py); the bench does
   not wait: whenever nothing of the run is due or being sent, it sets the waiting rows due now
   ("time passes") and counts one pass. The figure is the work of the retries, not the wall time a
   production backoff would add (printed beside it);
5. checks: every row sent, every Message-ID and every Idempotency-Key received exactly once, and as
   many as there are rows — duplicates and lost are printed, and the script exits 1 if either is
   not 0. Prints notices/s with the load average before and after, and the machine's cores.

--fail-fraction is repeatable (default: 0, then 0.2). --runner command times
`manage.py deliver_notices --budget N` in one process instead of the worker; --profile runs that
command under cProfile and prints where the time goes; --pg-options sets PG_OPTIONS for the
worker's database connections (e.g. "-c jit=off -c synchronous_commit=off").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _load  # noqa: E402
from bench._load import log  # noqa: E402
from tests.notices.gateway import SmsGateway  # noqa: E402
from tests.notices.smtp import SmtpSink  # noqa: E402

_load.configure("postgres://postgres@127.0.0.1:5432/zqztc_bench")

SOURCE = "bench-notices"  # every delivery key of this bench starts with it
USCC_PREFIX = "91449700"  # the bench's firms (inbox.py and supervision.py use 91449900)
TARGET = 200  # notices per second
CELERY = str(ROOT / ".venv" / "bin" / "celery")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A redis-server of the bench's own: nothing else reads or writes its queue."""

    def __init__(self, workdir: str) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
        )
        import redis

        self.client = redis.Redis.from_url(self.url)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                self.client.ping()
                return
            time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def queued(self) -> int:
        return self.client.llen("celery")

    def purge(self) -> int:
        n = self.queued()
        self.client.delete("celery")
        return n

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def worker_env(
    redis_url: str, sink: SmtpSink, gateway: SmsGateway, pg_options: str = ""
) -> dict[str, str]:
    """The environment of a worker of this deployment: the bench database, the private broker and
    the local mail server and gateway (docs/sms.md: SMS_URL; EMAIL_URL as in .env.example)."""
    env = dict(os.environ)
    env.update(
        CELERY_BROKER_URL=redis_url,
        CELERY_TASK_ALWAYS_EAGER="0",
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        SMS_URL=gateway.sms_url(timeout=5),
        LOG_LEVEL="ERROR",  # a failed delivery logs a warning: thousands with --fail-fraction
    )
    env.pop("REDIS_URL", None)
    if pg_options:
        env["PG_OPTIONS"] = pg_options
    return env


def make_firms(n: int) -> list[int]:
    """n verified firms without accounts, each with its own e-mail and mainland mobile number."""
    from petitions.models import Enterprise, OrgUnit, UnitKind

    city, _ = OrgUnit.objects.get_or_create(
        name="基准通知市", parent=None, defaults={"kind": UnitKind.CITY}
    )
    have = Enterprise.objects.filter(uscc__startswith=USCC_PREFIX).count()
    if have < n:
        Enterprise.objects.bulk_create(
            [
                Enterprise(
                    uscc=f"{USCC_PREFIX}{i:09d}N",
                    name=f"通知基准企业{i:05d}有限公司",
                    contact_name="李经理",
                    contact_phone=f"+86139{i:08d}",
                    email=f"firm{i:05d}@notices.bench.example.com",
                    jurisdiction=city,
                    is_verified=True,
                )
                for i in range(have, n)
            ],
            batch_size=1000,
        )
    return list(
        Enterprise.objects.filter(uscc__startswith=USCC_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )


def tell_all(firm_ids: list[int]) -> int:
    """One occasion per firm through the outbox, as the verification of a firm writes it; each
    commit queues the occasion's deliver(ids) task on the broker."""
    from django.db import transaction

    from notices import outbox
    from notices.models import Delivery
    from petitions.models import Enterprise

    Delivery.objects.filter(key__startswith=f"{SOURCE}:").delete()
    firms = Enterprise.objects.filter(pk__in=firm_ids).prefetch_related("accounts").order_by("pk")
    batch = 250  # occasions per transaction: creation is not timed, commits are the slow part
    firms = list(firms)
    for start in range(0, len(firms), batch):
        with transaction.atomic():
            for firm in firms[start : start + batch]:
                outbox.tell(
                    "firm.verified",
                    outbox.firm(firm),
                    source=f"{SOURCE}:{firm.pk}",
                    context={"name": firm.name},
                )
    # The rows of earlier runs leave dead versions behind, and this server may run without
    # autovacuum: the worker's claim would wade through them (see bench/README.md).
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE notices_delivery")
    return Delivery.objects.filter(key__startswith=f"{SOURCE}:").count()


def ours():
    from notices.models import Delivery

    return Delivery.objects.filter(key__startswith=f"{SOURCE}:")


def statuses() -> Counter:
    from django.db.models import Count

    return Counter(
        {r["status"]: r["n"] for r in ours().values("status").annotate(n=Count("pk")).order_by()}
    )


def snapshot() -> dict[str, int]:
    """Where the run stands, in one scan (the bench polls it a few times a second)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from notices.models import Status

    return ours().aggregate(
        sent=Count("pk", filter=Q(status=Status.SENT)),
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        sending=Count("pk", filter=Q(status=Status.SENDING)),
        due=Count("pk", filter=Q(status=Status.PENDING, next_attempt_at__lte=timezone.now())),
        given_up=Count("pk", filter=Q(status__in=[Status.FAILED, Status.SKIPPED])),
    )


def make_due() -> int:
    """The backoff has passed: what waits for a retry is due now."""
    from django.utils import timezone

    from notices.models import Status

    return ours().filter(status=Status.PENDING).update(next_attempt_at=timezone.now())


class Worker:
    def __init__(self, env: dict[str, str], logfile: Path, concurrency: int = 1) -> None:
        self.logfile = logfile
        self.process = subprocess.Popen(
            [
                *(CELERY, "-A", "zqztc", "worker", f"--concurrency={concurrency}", "-Q", "celery"),
                *(
                    "-l",
                    "WARNING",
                    "-n",
                    "bench-notices@%h",
                    "--without-gossip",
                    "--without-mingle",
                ),
            ],
            cwd=ROOT,
            env=env,
            stdout=logfile.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its pool children go with it
        )

    def wait_ready(self, app, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the worker exited; see {self.logfile}")
            if app.control.ping(destination=["bench-notices@" + socket.gethostname()], timeout=1):
                return
        raise SystemExit(f"the worker did not answer within {timeout:.0f} s; see {self.logfile}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the worker and its pool (its own process group), from /proc."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rpartition(")")[2].split()
                if int(fields[2]) == self.process.pid:  # the process group
                    total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: the task at hand finishes
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def drive(redis: Redis, total: int, use_sweep: bool, timeout: float) -> tuple[float, list]:
    """Keep a deliver_due waiting in the queue (as beat would, only sooner) until every delivery of
    the run is sent; make retries due when nothing else is. Returns the seconds and the passes
    (when, how many made due)."""
    from django.db.models import Max

    from notices import tasks

    started = time.time()
    passes = []
    deadline = time.monotonic() + timeout
    if use_sweep:
        tasks.deliver_due.delay()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = snapshot()
        if now["sent"] == total:
            break
        if now["given_up"]:
            raise SystemExit(f"deliveries given up: {dict(statuses())}")
        idle = not now["sending"] and not now["due"]
        if not use_sweep:
            if redis.queued() or not idle:
                continue  # the per-occasion tasks are still being worked through
            use_sweep = True  # they are done; what is left waits for a retry
        if idle and now["pending"]:
            passes.append((time.time() - started, make_due()))
        if redis.queued() == 0:
            tasks.deliver_due.delay()
    else:
        raise SystemExit(f"not all sent within {timeout:.0f} s: {dict(statuses())}")
    last = ours().aggregate(last=Max("sent_at"))["last"].timestamp()
    return last - started, passes


def check(sink: SmtpSink, gateway: SmsGateway) -> dict:
    """Duplicates and lost, from what the servers received against the rows."""
    from notices.models import Channel, Status

    email_keys = set(ours().filter(channel=Channel.EMAIL).values_list("key", flat=True))
    sms_keys = set(ours().filter(channel=Channel.SMS).values_list("key", flat=True))
    with sink.lock:
        # A long header is folded onto a second line: join it back.
        mail = Counter("".join(str(m["X-ZQZTC-Delivery"]).split()) for m in sink.messages)
    ids = sink.message_ids()
    texts = gateway.keys()
    return {
        "email": len(email_keys),
        "sms": len(sms_keys),
        "email_dup": sum(n - 1 for n in mail.values()),
        "message_id_dup": sum(n - 1 for n in ids.values()),
        "sms_dup": sum(n - 1 for n in texts.values()),
        "email_lost": len(email_keys - set(mail)),
        "sms_lost": len(sms_keys - set(texts)),
        "strangers": len(set(mail) - email_keys) + len(set(texts) - sms_keys),
        "not_sent": ours().exclude(status=Status.SENT).count(),
        "attempts": Counter(ours().values_list("attempts", flat=True)),
    }


def production_wait(attempts: Counter) -> float:
    """Seconds of backoff the most-tried delivery would have waited in production."""
    from notices.sender import backoff

    most = max(attempts)
    return sum(backoff(n).total_seconds() for n in range(1, most))


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run_once(args, fraction: float, redis: Redis, sink, gateway, firm_ids, workdir: Path) -> bool:
    from zqztc.celery import app

    sink.messages.clear()
    gateway.reset()
    sink.fail_fraction(0.0)
    log(f"\ntelling {len(firm_ids)} firms through notices.outbox.tell() …")
    started = time.perf_counter()
    total = tell_all(firm_ids)
    log(f"  {total} deliveries pending in {time.perf_counter() - started:.1f}s (not timed)")
    queued = redis.queued()
    if args.path == "sweep" or args.runner != "worker" or args.profile:
        redis.purge()
        log(f"  {queued} deliver(ids) tasks thrown away: the sweep sends everything")
    else:
        log(f"  {queued} deliver(ids) tasks left queued for the worker")
    sink.fail_fraction(fraction)
    gateway.fail_fraction(fraction, 503, seed=1)

    before = load()
    runner, cpu = args.runner, None
    if args.profile or args.runner == "command":
        runner = "manage.py deliver_notices in one process" + (" under cProfile" * args.profile)
        env = worker_env(redis.url, sink, gateway, args.pg_options)
        seconds, passes = command_runs(total, env, workdir if args.profile else None)
    else:
        env = worker_env(redis.url, sink, gateway, args.pg_options)
        worker = Worker(env, workdir / "worker.log")
        try:
            worker.wait_ready(app)
            log(f"  worker ready (load average {load()}); timing …")
            cpu = worker.cpu_seconds()
            seconds, passes = drive(redis, total, args.path == "sweep", args.timeout)
            cpu = worker.cpu_seconds() - cpu
        finally:
            worker.stop()
        runner = f"one Celery worker (--concurrency=1), {args.path} path"
    after = load()
    result = check(sink, gateway)
    duplicates = result["email_dup"] + result["sms_dup"]
    lost = result["email_lost"] + result["sms_lost"]
    rate = total / seconds
    failing = f"sink and gateway failing {fraction:.0%} of calls" if fraction else "no failures"
    log(
        f"\n{total:,} notices ({result['email']:,} e-mail, {result['sms']:,} SMS), {runner}, {failing}"
    )
    log(f"  all sent in {seconds:.1f} s: {rate:.0f} notices/s (target {TARGET})")
    if cpu is not None:
        log(
            f"  the worker used {cpu:.1f} s of CPU ({cpu / seconds:.0%} of one core); the rest of"
            " the time it waited (database commits, the servers, other processes on the cores)"
        )
    if fraction:
        attempts = dict(sorted(result["attempts"].items()))
        log(
            f"  retries: {len(passes)} passes made the waiting rows due at once"
            f" ({', '.join(f'{n} at {t:.1f} s' for t, n in passes)}); attempts per row {attempts};"
            f" in production the last row would also wait {production_wait(result['attempts']):.0f} s"
            " of backoff"
        )
    log(
        f"  duplicates {duplicates} (e-mail {result['email_dup']}, Message-ID {result['message_id_dup']},"
        f" SMS {result['sms_dup']}); lost {lost} (e-mail {result['email_lost']}, SMS"
        f" {result['sms_lost']}); rows not sent {result['not_sent']}; unexpected {result['strangers']}"
    )
    log(f"  load average before {before}, after {after}; {os.cpu_count()} cores")
    return duplicates == 0 and lost == 0 and result["not_sent"] == 0 and result["strangers"] == 0


def command_runs(
    total: int, env: dict[str, str], profile: Path | None = None
) -> tuple[float, list]:
    """`manage.py deliver_notices` in one process, again after each backoff pass; with `profile`,
    each process runs under cProfile (its own process: the sink and the gateway in this one do not
    share its interpreter) and the merged statistics are printed."""
    from django.db.models import Max

    from notices.models import Status

    started, passes, dumps = time.time(), [], []
    while True:
        command = ["manage.py", "deliver_notices", "--budget", "600"]
        if profile is not None:
            dumps.append(profile / f"deliver-{len(passes)}.prof")
            command = ["-m", "cProfile", "-o", str(dumps[-1]), *command]
        subprocess.run(
            [sys.executable, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
        counts = statuses()
        if counts[Status.SENT] == total:
            break
        passes.append((time.time() - started, make_due()))
    last = ours().aggregate(last=Max("sent_at"))["last"].timestamp()
    if dumps:
        stats = pstats.Stats(*map(str, dumps))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(45)
    return last - started, passes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=5000, help="occasions (2 notices each)")
    parser.add_argument(
        "--fail-fraction",
        type=float,
        action="append",
        help="share of SMTP and SMS calls that fail (repeatable; default: 0, then 0.2)",
    )
    parser.add_argument("--path", choices=["sweep", "tasks"], default="sweep")
    parser.add_argument("--runner", choices=["worker", "command"], default="worker")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="--runner command under cProfile, with its statistics",
    )
    parser.add_argument(
        "--pg-options",
        default="",
        help="PG_OPTIONS of the worker's connections, e.g. '-c jit=off -c synchronous_commit=off'",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run at most")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="LOAD")
    args = parser.parse_args()
    fractions = args.fail_fraction if args.fail_fraction is not None else [0.0, 0.2]

    workdir = Path(tempfile.mkdtemp(prefix="bench-notices-"))
    redis = Redis(str(workdir))
    sink, gateway = SmtpSink().start(), SmsGateway().start()
    ok = True
    try:
        # This process queues the tasks (the web side) and, with --profile, sends in-process.
        os.environ.update(worker_env(redis.url, sink, gateway))
        name = _load.database_name()
        _load.ensure_database(name, fresh=False)
        _load.setup_django()
        firm_ids = make_firms(args.firms)
        log(f"{name}: {len(firm_ids)} firms; broker {redis.url}; worker log in {workdir}")
        for fraction in fractions:
            if args.wait_idle:
                deadline = time.monotonic() + 20 * 60
                while os.getloadavg()[0] >= args.wait_idle and time.monotonic() < deadline:
                    time.sleep(15)
            ok = run_once(args, fraction, redis, sink, gateway, firm_ids, workdir) and ok
    finally:
        sink.stop()
        gateway.close()
        redis.stop()
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
