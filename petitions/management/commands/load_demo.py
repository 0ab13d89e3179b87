"""`python manage.py load_demo`: the Shantou demo — org tree, thirty firms, accounts, ~100 petitions.

Reference data comes from `fixtures/demo.json`. Petitions are then driven through
`petitions.workflow` — the only way to change a petition's state — into every state, each step run
at a plausible past moment (time-machine) so that deadlines are realistic and some petitions are
overdue today. Nothing is random: cases, firms, topics and times follow from fixed lists and index
arithmetic, relative to the day the command runs.

Idempotent: when the demo is already loaded (the `zhuanban` account exists) the command only lists
the accounts. The shared password is for the demo only: the command refuses to run unless DEBUG is on
or `--i-know-this-is-not-production` is given. The staff groups come from `manage.py setup_roles`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone, translation

from petitions import roles, workdays, workflow
from petitions.models import (
    Channel,
    ContactMethod,
    Enterprise,
    EnterpriseTag,
    OrgUnit,
    Petition,
    PetitionType,
    Rating,
    ReturnReason,
    Role,
    State,
    Theme,
    Tier,
    UnitKind,
    User,
)

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
MARKER_USERNAME = "zhuanban"  # present once the demo is loaded
LEADER_USERNAME = "lingdao"
TASK_FORCE_USERNAME = "zhuanban"
STAFF_ROLES = {role for role, group in roles.ROLE_GROUPS.items() if group.staff}

# A plausible wrong first choice of lead unit, for petitions that are returned (退回).
WRONG_UNIT = {
    "gongxin": "fagai",
    "fagai": "gongxin",
    "ziran": "zhujian",
    "zhujian": "ziran",
    "shijian": "zhengshu",
    "zhengshu": "shijian",
    "renshe": "gongxin",
    "shuiwu": "caizheng",
    "caizheng": "shuiwu",
    "gongdian": "fagai",
    "shengtai": "zhujian",
    "shangwu": "gongxin",
}

# Channels in turn; the portal is used only by firms with an account, others come in by 粤商通.
CHANNELS = [
    Channel.PORTAL,
    Channel.HOTLINE_12345,
    Channel.VISIT,
    Channel.PORTAL,
    Channel.MEETING,
    Channel.PROVINCIAL_APP,
    Channel.MEAL_OR_PHONE,
    Channel.HOTLINE_12345,
    Channel.DEPUTY,
    Channel.ACFIC,
    Channel.HOTLINE_96888,
    Channel.SERVICE_HALL,
]
TICKET_PREFIX = {Channel.HOTLINE_12345: "12345", Channel.HOTLINE_96888: "96888"}

# Firms with portal accounts, in the order they take cases that need one (the first firm most).
ACCOUNT_FIRM_TURNS = [0, 1, 0, 2, 0, 3, 5, 0, 7]

CONTACT_SUMMARIES = [
    (ContactMethod.PHONE, "电话联系企业负责人，进一步了解诉求细节和企业期望的解决时限。"),
    (ContactMethod.VISIT, "上门走访企业，现场查看有关情况，听取企业意见。"),
    (ContactMethod.MEETING, "约请企业负责人到单位座谈，核实有关情况并商议办理方案。"),
    (ContactMethod.ONLINE, "通过政企沟通群与企业联系人对接，收集了补充材料。"),
]
PROGRESS_TEXTS = [
    "已召集相关科室研究，正在会同有关单位核实情况，形成初步办理方案。",
    "已开展现场踏勘，相关材料已报送主管部门审核，预计下周反馈意见。",
    "已组织协调会，明确各方分工，正在按计划推进，企业已知悉进展。",
    "办理方案已报分管领导审定，正在落实具体措施。",
]
OPINION_TEXT = (
    "经核查，涉及我单位职责的事项已按程序办理完毕，具体意见已函复牵头单位，请统筹答复企业。"
)
EXTENSION_REASON = (
    "该事项涉及多个部门及上级审批，需等待省级部门意见，无法在原定期限内办结，申请延期。"
)
APPROVAL_NOTE = "该事项涉及多部门协调，需由市领导统筹，呈请审批。"
APPROVE_TEXT = "同意。请牵头单位会同相关部门抓紧办理，两周内向企业反馈。"
SEND_BACK_TEXT = "请先征求市财政局意见，明确资金来源后再报。"
WITHDRAW_NOTE = "问题已与对方协商解决，申请撤回。"
CONCLUDE_NOTE = "企业负责人多次电话未接通，经与企业联系人确认问题已解决，予以办结。"
EVALUATION_COMMENTS = {
    Rating.SATISFIED: "问题已解决，感谢有关部门高效服务。",
    Rating.BASICALLY_SATISFIED: "问题基本解决，希望后续继续跟进落实。",
    Rating.UNSATISFIED: "答复未解决实际问题，希望进一步协调处理。",
}
REVISIT_METHODS = [ContactMethod.PHONE, ContactMethod.VISIT]


# --- the plan -------------------------------------------------------------------------------------

A, P, C, L, K, PR, R = (
    ("accept", {}),
    ("propose", {}),
    ("confirm", {}),
    ("letter", {}),
    ("contact", {}),
    ("progress", {}),
    ("reply", {}),
)
HANDLING = [A, P, C, L, K]
SUBMIT, APPROVE = ("submit", {}), ("approve", {})


def _evaluate(rating: str, by: str = "auto") -> tuple[str, dict[str, Any]]:
    return ("evaluate", {"rating": rating, "by": by})


SAT, BASIC, UNSAT = Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.UNSATISFIED


@dataclass(frozen=True)
class Scenario:
    """`count` petitions that follow `script` after registration, received `days` ago (lo, hi)."""

    name: str
    count: int
    days: tuple[int, int]
    script: list[tuple[str, dict[str, Any]]]
    needs_account: bool = False  # the firm itself acts (withdraws, rates)
    city_only: bool = False  # city-level firm, so city departments can handle it
    with_co_units: bool = False
    types: tuple[str, ...] = ()


COORD = (PetitionType.COORDINATION,)
SCENARIOS = [
    Scenario("registered", 6, (0, 4), []),
    Scenario("withdrawn", 2, (8, 30), [("withdraw", {})], needs_account=True),
    Scenario(
        "withdrawn_archived", 1, (50, 50), [("withdraw", {}), ("archive", {})], needs_account=True
    ),
    Scenario("rejected", 5, (2, 40), [("reject", {})]),
    Scenario("rejected_archived", 3, (42, 58), [("reject", {}), ("archive", {})]),
    Scenario("accepted", 4, (0, 3), [A]),
    Scenario("proposed", 6, (0, 7), [A, P]),
    Scenario(
        "returned",
        3,
        (1, 6),
        [A, ("propose", {"wrong": True}), ("return", {"code": ReturnReason.NOT_OUR_REMIT})],
        city_only=True,
    ),
    Scenario("confirmed", 2, (0, 2), [A, P, C]),
    Scenario(
        "confirmed_overruled",
        1,
        (3, 3),
        [A, P, ("return", {"code": ReturnReason.OTHER_UNIT_LEADS}), ("overrule", {})],
        city_only=True,
    ),
    Scenario("confirmed_sent_back", 1, (5, 5), [A, P, C, SUBMIT, ("send_back", {})], types=COORD),
    Scenario("awaiting_approval", 3, (1, 6), [A, P, C, SUBMIT], types=COORD),
    Scenario("assigned", 4, (0, 8), [A, P, C, L]),
    Scenario("assigned_approved", 1, (6, 6), [A, P, C, SUBMIT, APPROVE, L], types=COORD),
    Scenario("in_progress", 3, (2, 12), HANDLING),
    Scenario("in_progress_reported", 3, (14, 30), [*HANDLING, PR, PR], types=COORD),
    Scenario(
        "in_progress_opinion",
        2,
        (8, 20),
        [*HANDLING, ("opinion", {}), PR],
        city_only=True,
        with_co_units=True,
    ),
    Scenario("in_progress_extension_pending", 2, (6, 14), [*HANDLING, PR, ("extend", {})]),
    Scenario(
        "in_progress_extension_approved",
        2,
        (10, 25),
        [*HANDLING, ("extend", {}), ("decide", {"approve": True}), PR],
        types=COORD,
    ),
    Scenario(
        "in_progress_extension_denied",
        1,
        (10, 10),
        [*HANDLING, ("extend", {}), ("decide", {"approve": False})],
    ),
    Scenario(
        "in_progress_reassigned",
        1,
        (12, 12),
        [
            A,
            ("propose", {"wrong": True}),
            ("return", {"code": ReturnReason.NOT_OUR_REMIT}),
            ("uphold", {}),
            C,
            L,
            K,
        ],
        city_only=True,
    ),
    Scenario("in_progress_rehandled", 2, (12, 25), [*HANDLING, R, _evaluate(UNSAT, "revisit")]),
    Scenario(
        "in_progress_approved", 1, (16, 16), [A, P, C, SUBMIT, APPROVE, L, K, PR, PR], types=COORD
    ),
    Scenario("replied", 8, (1, 14), [*HANDLING, R]),
    Scenario(
        "concluded_by_firm", 5, (10, 40), [*HANDLING, R, _evaluate(SAT, "firm")], needs_account=True
    ),
    Scenario(
        "concluded_by_firm_basic",
        2,
        (12, 35),
        [*HANDLING, R, _evaluate(BASIC, "firm")],
        needs_account=True,
    ),
    Scenario("concluded_revisit", 5, (8, 45), [*HANDLING, R, _evaluate(SAT, "revisit")]),
    Scenario("concluded_revisit_basic", 4, (10, 40), [*HANDLING, R, _evaluate(BASIC, "revisit")]),
    Scenario("concluded_without_rating", 1, (20, 20), [*HANDLING, R, ("conclude", {})]),
    Scenario(
        "concluded_after_rehandling",
        2,
        (25, 40),
        [*HANDLING, R, _evaluate(UNSAT), PR, R, _evaluate(SAT)],
        needs_account=True,
    ),
    Scenario(
        "concluded_extended",
        1,
        (30, 30),
        [
            *HANDLING,
            ("extend", {}),
            ("decide", {"approve": True}),
            PR,
            R,
            _evaluate(SAT, "revisit"),
        ],
        types=COORD,
    ),
    Scenario(
        "concluded_approved",
        1,
        (35, 35),
        [A, P, C, SUBMIT, APPROVE, L, K, PR, R, _evaluate(BASIC, "revisit")],
        city_only=True,
        with_co_units=True,
    ),
    Scenario("archived", 8, (38, 60), [*HANDLING, R, _evaluate(SAT), ("archive", {})]),
]
# Duplicates (重复件) follow an earlier accepted petition of the same firm.
DUPLICATE_SCRIPTS = [
    [("duplicate", {})],
    [("duplicate", {})],
    [("duplicate", {})],
    [("duplicate", {}), ("archive", {})],
]
DUPLICATE_ORIGINS = ("archived", "concluded_revisit", "in_progress_reported", "archived")

# When each step happens: (working days after the previous step, hour of day).
DELAYS: dict[str, tuple[int, int]] = {
    "withdraw": (1, 10),
    "reject": (1, 10),
    "duplicate": (1, 9),
    "accept": (0, 15),
    "propose": (0, 16),
    "confirm": (1, 10),
    "return": (1, 11),
    "uphold": (1, 9),
    "overrule": (1, 9),
    "submit": (0, 15),
    "approve": (2, 11),
    "send_back": (2, 11),
    "letter": (0, 16),
    "contact": (1, 10),
    "opinion": (2, 14),
    "extend": (3, 10),
    "decide": (1, 11),
    "evaluate": (2, 10),
    "conclude": (4, 10),
    "archive": (7, 16),
}
REPLY_DELAY = {
    PetitionType.CONSULTATION: 1,
    PetitionType.SUGGESTION: 2,
    PetitionType.COMPLAINT: 3,
    PetitionType.COORDINATION: 8,
}


@dataclass
class Case:
    """One demo petition: who, what, and the steps it goes through."""

    index: int
    scenario: str
    firm: Enterprise
    topic: dict[str, Any]
    channel: str
    lead: OrgUnit
    co_units: list[OrgUnit]
    script: list[tuple[str, dict[str, Any]]]
    received_at: datetime | None = None
    title: str = ""
    content: str = ""
    original: Case | None = None
    steps: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)
    petition_id: int | None = None
    proposed: OrgUnit | None = None
    extension_id: int | None = None


# --- helpers ---------------------------------------------------------------------------------------


def _travel(at: datetime) -> contextlib.AbstractContextManager[object]:
    """Run a step at a past moment (time-machine, from the `demo` extra that `make run` installs)."""
    try:
        import time_machine
    except ImportError as error:
        raise CommandError(
            "load_demo needs time-machine, from the demo extra: pip install -e '.[demo]' "
            "(make run installs it from requirements/run.lock)"
        ) from error
    return time_machine.travel(at, tick=False)


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Keep eager Celery's one line per task off the console while hundreds of notices are sent."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=timezone.get_current_timezone())


def _later(prev: datetime, working_days: int, hour: int, minute: int) -> datetime:
    """`working_days` after `prev` at `hour` (same day if 0 and still a working day), never before it."""
    day = timezone.localtime(prev).date()
    if working_days or not workdays.is_working_day(day):
        day = workdays.add_working_days(day, max(working_days, 1))
    at = _at(day, hour, minute)
    return at if at > prev else prev + timedelta(minutes=35 + minute % 20)


def _next_thursday_after(prev: datetime, minute: int) -> datetime:
    """The weekly report is due on Thursdays (Shantou 三(四)); on a holiday it waits for the next working day."""
    day = timezone.localtime(prev).date() + timedelta(days=1)
    day += timedelta(days=(3 - day.weekday()) % 7)
    if not workdays.is_working_day(day):
        day = workdays.add_working_days(day, 1)
    return _at(day, 15, minute)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


# --- the command -------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Load the demo data (org tree, firms, accounts, ~100 petitions in every state); idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Load the demo although DEBUG is off (e.g. a staging or test server).",
        )

    def handle(self, *args: object, **options: object) -> None:
        if not (settings.DEBUG or options["not_production"]):
            raise CommandError(
                "Refusing to load the demo data: DEBUG is off, so this may be a production "
                "database. The demo creates a superuser and two dozen accounts whose password is "
                "published. If this is not production, run again with "
                "--i-know-this-is-not-production."
            )
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        # What `manage.py setup_roles` does; also on a loaded demo, whose groups may predate the table.
        roles.apply()
        with translation.override(settings.LANGUAGE_CODE):
            if User.objects.filter(username=MARKER_USERNAME).exists():
                self.stdout.write("The demo data is already loaded; nothing was changed.\n")
                self._summary(data)
                return
            started = time.monotonic()
            # Notices go to memory, not to the console of `make run`; they are sent on commit.
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
                _quiet("celery.app.trace"),
                transaction.atomic(),
            ):
                loader = _Loader(data)
                loader.load_reference_data()
                loader.load_petitions()
            self._summary(data)
            self.stdout.write(
                self.style.SUCCESS(f"Demo loaded in {time.monotonic() - started:.1f} s.")
            )

    def _summary(self, data: dict[str, Any]) -> None:
        password = data["password"]
        self.stdout.write(
            f"\nDemo accounts — password for all: {password} (demo only, never in production)\n"
        )
        rows = [("username", "role", "unit / enterprise")]
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=[a["username"] for a in data["accounts"]]
            ).select_related("unit", "enterprise")
        }
        for account in data["accounts"]:
            user = users.get(account["username"])
            if user is None:
                continue
            role = "superuser" if user.is_superuser else str(Role(user.role).label)
            where = (
                user.enterprise.name if user.enterprise else (user.unit.name if user.unit else "")
            )
            rows.append((user.username, role, where))
        widths = [max(_width(row[i]) for row in rows) + 2 for i in range(2)]
        for row in rows:
            self.stdout.write(_pad(row[0], widths[0]) + _pad(row[1], widths[1]) + row[2])

        counts = Counter(Petition.objects.values_list("state", flat=True))
        self.stdout.write(f"\nPetitions by state ({sum(counts.values())} in all):")
        for state in State:
            self.stdout.write(
                f"  {_pad(state.value, 20)}{counts.get(state.value, 0):>4}  {state.label}"
            )
        overdue = Petition.objects.overdue(timezone.localdate()).count()
        self.stdout.write(f"  {_pad('overdue today', 20)}{overdue:>4}\n")


class _Loader:
    """Creates the reference data, plans the demo petitions and plays their steps in time order."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.units: dict[str, OrgUnit] = {}
        self.firms: list[Enterprise] = []
        self.users: dict[str, User] = {}
        self.handlers: dict[int, User] = {}  # unit pk → its handler
        self.firm_users: dict[int, User] = {}  # enterprise pk → its account
        self.themes = dict(Theme.objects.values_list("code", "pk"))

    # --- reference data -----------------------------------------------------------------------------

    def load_reference_data(self) -> None:
        self._units()
        self._firms()
        self._accounts()
        for username, codes in self.data["liaison_leaders"].items():
            for firm in Enterprise.objects.filter(uscc__in=codes):
                firm.liaison_leaders.add(self.users[username])

    def _units(self) -> None:
        for row in self.data["units"]:
            unit = OrgUnit(
                name=row["name"],
                short_name=row.get("short_name", ""),
                kind=row["kind"],
                parent=self.units.get(row["parent"]) if row["parent"] else None,
                contact_name=row.get("contact_name", ""),
                contact_phone=row.get("contact_phone", ""),
            )
            unit.full_clean()
            unit.save()
            self.units[row["key"]] = unit

    def _firms(self) -> None:
        tags = {t.code: t for t in EnterpriseTag.objects.all()}
        for row in self.data["enterprises"]:
            firm = Enterprise(
                uscc=row["uscc"],
                name=row["name"],
                legal_representative=row["legal_representative"],
                contact_name=row["contact_name"],
                contact_phone=row["contact_phone"],
                email=row["email"],
                address=row["address"],
                jurisdiction=self.units[row["jurisdiction"]],
                industry=row["industry"],
                ownership=row["ownership"],
                is_chamber=row["is_chamber"],
                is_verified=True,
            )
            firm.full_clean()
            firm.save()
            firm.tags.set([tags[code] for code in row["tags"]])
            self.firms.append(firm)

    def _accounts(self) -> None:
        # Hashed once: hashing is the slow part of creating users.
        hashed = make_password(self.data["password"])
        by_uscc = {f.uscc: f for f in self.firms}
        groups = roles.groups()
        for row in self.data["accounts"]:
            role = row["role"]
            user = User(
                username=row["username"],
                first_name=row["name"],
                email=f"{row['username']}@example.com",
                role=role,
                unit=self.units[row["unit"]] if row.get("unit") else None,
                enterprise=by_uscc[row["enterprise"]] if row.get("enterprise") else None,
                mobile=row.get("mobile", ""),
                is_staff=bool(row.get("superuser")) or role in STAFF_ROLES,
                is_superuser=bool(row.get("superuser")),
                password=hashed,
            )
            user.full_clean(exclude=["password"])
            user.save()
            if role in groups:
                user.groups.add(groups[role])
            self.users[user.username] = user
            if role == Role.HANDLER:
                self.handlers.setdefault(user.unit_id, user)
            if role == Role.ENTERPRISE:
                self.firm_users.setdefault(user.enterprise_id, user)

    # --- petitions ----------------------------------------------------------------------------------

    def load_petitions(self) -> None:
        now = timezone.now()
        cases = self._plan(now)
        steps = sorted(
            (
                (at, case.index, n, case, action, opts)
                for case in cases
                for n, (at, action, opts) in enumerate(case.steps)
            ),
            key=lambda s: s[:3],
        )
        for at, _index, _n, case, action, opts in steps:
            with _travel(at):
                getattr(self, f"_do_{action}")(case, **opts)

    def _plan(self, now: datetime) -> list[Case]:
        topics = _TopicPicker(self.data["topics"])
        firms = _FirmPicker(self.firms, self.firm_users)
        rejected = iter(self.data["rejected_topics"])
        cases: list[Case] = []
        for scenario in SCENARIOS:
            lo, hi = scenario.days
            for j in range(scenario.count):
                index = len(cases)
                firm = firms.pick(account=scenario.needs_account, city=scenario.city_only)
                if scenario.name.startswith("rejected"):
                    topic = {
                        "type": PetitionType.SUGGESTION,
                        "theme": "other",
                        "request": "",
                        "lead": "gongxin",
                        "co_units": [],
                        **next(rejected),
                    }
                else:
                    topic = topics.pick(scenario.types, with_co_units=scenario.with_co_units)
                case = self._case(index, scenario.name, firm, topic, scenario.script)
                days_ago = lo + (hi - lo) * j // max(scenario.count - 1, 1)
                self._schedule(case, now, self._received(case, now, days_ago))
                cases.append(case)
        used: set[int] = set()
        for k, script in enumerate(DUPLICATE_SCRIPTS):
            # The oldest unused petition of the scenario (each scenario lists its oldest last).
            original = [
                c for c in cases if c.scenario == DUPLICATE_ORIGINS[k] and c.index not in used
            ][-1]
            used.add(original.index)
            case = self._case(len(cases), "duplicate", original.firm, original.topic, script)
            case.original = original
            case.title = f"再次反映：{original.title}"
            case.content = (
                f"企业就此前反映的“{original.title}”再次反映，询问办理进展，"
                "并补充提供了相关合同、票据等材料。"
            )
            accepted_at = next(at for at, action, _ in original.steps if action == "accept")
            self._schedule(case, now, _later(accepted_at, 2, 9, 30 + k))
            cases.append(case)
        return cases

    def _case(
        self,
        index: int,
        scenario: str,
        firm: Enterprise,
        topic: dict[str, Any],
        script: list[tuple[str, dict[str, Any]]],
    ) -> Case:
        lead_key = topic["lead"]
        if firm.jurisdiction.kind == UnitKind.CITY:
            lead = self.units[lead_key]
            co_units = [self.units[k] for k in topic["co_units"]]
        else:
            # A district firm's petition is handled in its district: by the district government,
            # or by the district's own department where there is one.
            district = next(k for k, u in self.units.items() if u.pk == firm.jurisdiction_id)
            own = {"shijian": f"{district}_scjg", "zhujian": f"{district}_zjj"}.get(lead_key)
            lead = self.units.get(own) or self.units[district]
            co_units = []
        channel = CHANNELS[index % len(CHANNELS)]
        has_account = firm.pk in self.firm_users
        if channel == Channel.PORTAL and not has_account:
            channel = Channel.PROVINCIAL_APP
        elif has_account and index % 3 == 0:
            channel = Channel.PORTAL
        return Case(
            index=index,
            scenario=scenario,
            firm=firm,
            topic=topic,
            channel=channel,
            lead=lead,
            co_units=co_units,
            script=script,
            title=topic["title"],
            content=topic["content"],
        )

    def _received(self, case: Case, now: datetime, days_ago: int) -> datetime:
        """Office hours on a working day; the portal also takes evenings and weekends."""
        day = timezone.localdate(now) - timedelta(days=days_ago)
        if case.channel == Channel.PORTAL:
            hour = 20 if case.index % 5 == 0 else 8 + case.index * 5 % 10
        else:
            hour = 8 + case.index * 5 % 10
            while not workdays.is_working_day(day):
                day -= timedelta(days=1)
        return _at(day, hour, case.index * 23 % 60)

    def _schedule(self, case: Case, now: datetime, start: datetime) -> None:
        """Times for every step; moved back a day at a time until the last one is in the past."""
        for _attempt in range(90):
            case.received_at = start
            case.steps = self._times(case)
            if case.steps[-1][0] < now - timedelta(minutes=10):
                return
            start -= timedelta(days=1)
            while case.channel != Channel.PORTAL and not workdays.is_working_day(
                timezone.localdate(start)
            ):
                start -= timedelta(days=1)
        raise RuntimeError(f"demo case {case.index} does not fit before now")  # pragma: no cover

    def _times(self, case: Case) -> list[tuple[datetime, str, dict[str, Any]]]:
        assert case.received_at is not None
        registered = case.received_at + timedelta(
            minutes=0 if case.channel == Channel.PORTAL else 20
        )
        steps: list[tuple[datetime, str, dict[str, Any]]] = [(registered, "register", {})]
        prev = registered
        for n, (action, opts) in enumerate(case.script, start=1):
            minute = (case.index * 7 + n * 13) % 50 + 5
            if action == "progress":
                at = _next_thursday_after(prev, minute)
            else:
                if action == "reply":
                    days, hour = REPLY_DELAY[case.topic["type"]] + case.index % 2, 16
                else:
                    days, hour = DELAYS[action]
                    if action in ("accept", "confirm", "letter", "contact"):
                        days += case.index % 2  # some the same or next day, some a day later
                at = _later(prev, days, hour, minute)
            steps.append((at, action, opts))
            prev = at
        return steps

    # --- steps: each calls one workflow function as the person who would act -------------------------

    def _staff(self) -> User:
        return self.users[TASK_FORCE_USERNAME]

    def _pid(self, case: Case) -> int:
        assert case.petition_id is not None
        return case.petition_id

    def _do_register(self, case: Case) -> None:
        topic = case.topic
        common = {
            "enterprise": case.firm,
            "channel": case.channel,
            "type": topic["type"],
            "title": case.title,
            "content": case.content,
            "request": topic["request"],
            "theme_id": self.themes[topic["theme"]],
            "publication_consent": case.index % 4 == 0,
        }
        if case.channel == Channel.PORTAL:
            petition = workflow.register(actor=self.firm_users[case.firm.pk], **common)
        else:
            prefix = TICKET_PREFIX.get(case.channel)
            assert case.received_at is not None
            ref = (
                f"{prefix}-{timezone.localtime(case.received_at):%Y%m%d}-{case.index:04d}"
                if prefix
                else ""
            )
            petition = workflow.register(
                actor=self._staff(), received_at=case.received_at, channel_ref=ref, **common
            )
        case.petition_id = petition.pk

    def _do_withdraw(self, case: Case) -> None:
        workflow.withdraw(
            petition_id=self._pid(case), actor=self.firm_users[case.firm.pk], note=WITHDRAW_NOTE
        )

    def _do_reject(self, case: Case) -> None:
        workflow.reject(
            petition_id=self._pid(case),
            actor=self._staff(),
            reason=case.topic["reason"],
            explanation=case.topic["explanation"],
        )

    def _do_duplicate(self, case: Case) -> None:
        assert case.original is not None
        workflow.mark_duplicate(
            petition_id=self._pid(case),
            actor=self._staff(),
            original_id=self._pid(case.original),
            note="补充材料已转原承办单位。",
        )

    def _do_accept(self, case: Case) -> None:
        topic, i = case.topic, case.index
        suggestion = topic["type"] == PetitionType.SUGGESTION
        policy = topic["theme"] in (
            "financing",
            "policy_delivery",
            "talent",
            "individual_to_company",
        )
        workflow.accept(
            petition_id=self._pid(case),
            actor=self._staff(),
            classification={
                "scope_class": "overall" if suggestion else "departmental",
                "demand_class": "common" if suggestion else "individual",
                "nature_class": "policy" if policy else "procedure",
                "age_class": "existing" if i % 3 == 0 else "new",
            },
            tier=self._tier(case),
        )

    def _tier(self, case: Case) -> str:
        """一般问题部门办理 · 复杂问题联合会商 · 重点问题领导协调 (Hailar 二(四)2)."""
        if any(action == "submit" for action, _opts in case.script):
            return Tier.KEY
        return Tier.COMPLEX if case.co_units else Tier.GENERAL

    def _do_propose(self, case: Case, wrong: bool = False) -> None:
        unit = self.units[WRONG_UNIT[case.topic["lead"]]] if wrong else case.lead
        case.proposed = unit
        workflow.propose(
            petition_id=self._pid(case),
            actor=self._staff(),
            unit=unit,
            co_units=[u for u in case.co_units if u.pk != unit.pk],
        )

    def _do_confirm(self, case: Case) -> None:
        assert case.proposed is not None
        workflow.confirm(petition_id=self._pid(case), actor=self.handlers[case.proposed.pk])

    def _do_return(self, case: Case, code: str) -> None:
        assert case.proposed is not None
        if code == ReturnReason.NOT_OUR_REMIT:
            suggested = case.lead
            reason = (
                f"该事项主要涉及{suggested.short_name or suggested.name}职责，建议由其牵头办理。"
            )
        else:
            suggested = self.units[WRONG_UNIT[case.topic["lead"]]]
            reason = (
                f"该事项涉及资金和政策调整，建议由{suggested.short_name or suggested.name}牵头。"
            )
        workflow.return_petition(
            petition_id=self._pid(case),
            actor=self.handlers[case.proposed.pk],
            reason_code=code,
            reason=reason,
            suggested_unit=suggested,
        )

    def _do_uphold(self, case: Case) -> None:
        case.proposed = case.lead
        workflow.review_return(
            petition_id=self._pid(case),
            actor=self._staff(),
            uphold=True,
            unit=case.lead,
            co_units=[u for u in case.co_units if u.pk != case.lead.pk],
            note="同意退回意见。",
        )

    def _do_overrule(self, case: Case) -> None:
        workflow.review_return(
            petition_id=self._pid(case),
            actor=self._staff(),
            uphold=False,
            note="经研究，该事项主要职责在你单位，请按规定牵头办理。",
        )

    def _do_submit(self, case: Case) -> None:
        workflow.submit_for_approval(
            petition_id=self._pid(case),
            actor=self._staff(),
            leader=self.users[LEADER_USERNAME],
            note=APPROVAL_NOTE,
        )

    def _do_approve(self, case: Case) -> None:
        workflow.approve(
            petition_id=self._pid(case), actor=self.users[LEADER_USERNAME], instruction=APPROVE_TEXT
        )

    def _do_send_back(self, case: Case) -> None:
        workflow.send_back(
            petition_id=self._pid(case),
            actor=self.users[LEADER_USERNAME],
            instruction=SEND_BACK_TEXT,
        )

    def _do_letter(self, case: Case) -> None:
        workflow.issue_transfer_letter(petition_id=self._pid(case), actor=self._staff())

    def _do_contact(self, case: Case) -> None:
        method, summary = CONTACT_SUMMARIES[case.index % len(CONTACT_SUMMARIES)]
        workflow.record_contact(
            petition_id=self._pid(case),
            actor=self.handlers[case.lead.pk],
            contacted_at=timezone.now(),
            method=method,
            summary=summary,
        )

    def _do_progress(self, case: Case) -> None:
        done = len([a for a in case.steps if a[0] <= timezone.now() and a[1] == "progress"])
        workflow.report_progress(
            petition_id=self._pid(case),
            actor=self.handlers[case.lead.pk],
            text=PROGRESS_TEXTS[(case.index + done) % len(PROGRESS_TEXTS)],
        )

    def _do_opinion(self, case: Case) -> None:
        workflow.submit_opinion(
            petition_id=self._pid(case), actor=self.handlers[case.co_units[0].pk], text=OPINION_TEXT
        )

    def _do_extend(self, case: Case) -> None:
        amount = 10 if case.topic["type"] == PetitionType.COORDINATION else 3
        extension = workflow.request_extension(
            petition_id=self._pid(case),
            actor=self.handlers[case.lead.pk],
            reason=EXTENSION_REASON,
            amount=amount,
        )
        case.extension_id = extension.pk

    def _do_decide(self, case: Case, approve: bool) -> None:
        assert case.extension_id is not None
        workflow.decide_extension(
            extension_id=case.extension_id,
            actor=self._staff(),
            approve=approve,
            note="理由充分，同意延期。"
            if approve
            else "该事项不属于需上级审批情形，请按原期限办结。",
        )

    def _do_reply(self, case: Case) -> None:
        workflow.reply(
            petition_id=self._pid(case), actor=self.handlers[case.lead.pk], text=case.topic["reply"]
        )

    def _do_evaluate(self, case: Case, rating: str, by: str) -> None:
        firm_user = self.firm_users.get(case.firm.pk)
        if by == "auto":
            by = "firm" if firm_user and case.index % 2 == 0 else "revisit"
        comment = EVALUATION_COMMENTS[Rating(rating)] if (rating == UNSAT or case.index % 3) else ""
        if by == "firm":
            assert firm_user is not None
            workflow.evaluate(
                petition_id=self._pid(case), actor=firm_user, rating=rating, comment=comment
            )
        else:
            workflow.evaluate(
                petition_id=self._pid(case),
                actor=self._staff(),
                rating=rating,
                comment=comment,
                method=REVISIT_METHODS[case.index % len(REVISIT_METHODS)],
            )

    def _do_conclude(self, case: Case) -> None:
        workflow.conclude(petition_id=self._pid(case), actor=self._staff(), note=CONCLUDE_NOTE)

    def _do_archive(self, case: Case) -> None:
        workflow.archive(petition_id=self._pid(case), actor=self._staff())


class _TopicPicker:
    """The least-used topic that fits, so that every topic appears before any appears twice."""

    def __init__(self, topics: list[dict[str, Any]]) -> None:
        self.topics = topics
        self.uses = [0] * len(topics)
        self.turn = 0

    def pick(self, types: tuple[str, ...] = (), *, with_co_units: bool = False) -> dict[str, Any]:
        fits = [
            i
            for i, t in enumerate(self.topics)
            if (not types or t["type"] in types) and (not with_co_units or t["co_units"])
        ]
        self.turn += 1
        n = len(self.topics)
        best = min(fits, key=lambda i: (self.uses[i], (i - self.turn * 17) % n))
        self.uses[best] += 1
        return self.topics[best]


class _FirmPicker:
    """Firms in a fixed stride, so that every firm has petitions and the first firm has the most."""

    def __init__(self, firms: list[Enterprise], accounts: dict[int, User]) -> None:
        self.firms = firms
        self.with_account = [firms[i] for i in ACCOUNT_FIRM_TURNS if firms[i].pk in accounts]
        self.city = [f for f in firms if f.jurisdiction.kind == UnitKind.CITY]
        self.turns: Counter[str] = Counter()

    def _next(self, name: str, pool: list[Enterprise], stride: int) -> Enterprise:
        turn = self.turns[name]
        self.turns[name] += 1
        return pool[turn * stride % len(pool)]

    def pick(self, *, account: bool, city: bool) -> Enterprise:
        if account:
            return self._next("account", self.with_account, 1)
        if city:
            return self._next("city", self.city, 7)
        return self._next("any", self.firms, 7)
