"""When each demo petition is received and when each of its steps happens. Nothing is random: cases,
firms, topics and times follow from fixed lists and index arithmetic, relative to the day the demo
is loaded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.utils import timezone

from petitions import workdays
from petitions.demo.scenarios import (
    ACCOUNT_FIRM_TURNS,
    CHANNELS,
    DELAYS,
    DUPLICATE_ORIGINS,
    DUPLICATE_SCRIPTS,
    REPLY_DELAY,
    SCENARIOS,
)
from petitions.demo.world import World
from petitions.models import (
    Channel,
    Enterprise,
    OrgUnit,
    PetitionType,
    UnitKind,
    User,
)


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


def local_time(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=timezone.get_current_timezone())


def later(prev: datetime, working_days: int, hour: int, minute: int) -> datetime:
    """`working_days` after `prev` at `hour` (same day if 0 and still a working day), never before it."""
    day = timezone.localtime(prev).date()
    if working_days or not workdays.is_working_day(day):
        day = workdays.add_working_days(day, max(working_days, 1))
    at = local_time(day, hour, minute)
    return at if at > prev else prev + timedelta(minutes=35 + minute % 20)


def next_thursday_after(prev: datetime, minute: int) -> datetime:
    """The weekly report is due on Thursdays (Shantou 三(四)); on a holiday it waits for the next working day."""
    day = timezone.localtime(prev).date() + timedelta(days=1)
    day += timedelta(days=(3 - day.weekday()) % 7)
    if not workdays.is_working_day(day):
        day = workdays.add_working_days(day, 1)
    return local_time(day, 15, minute)


class Planner:
    """Turns the scenarios into cases with a moment for every step, relative to `now`."""

    def __init__(self, world: World) -> None:
        self.world = world

    def plan(self, now: datetime) -> list[Case]:
        topics = _TopicPicker(self.world.data["topics"])
        firms = _FirmPicker(self.world.firms, self.world.firm_users)
        rejected = iter(self.world.data["rejected_topics"])
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
            self._schedule(case, now, later(accepted_at, 2, 9, 30 + k))
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
            lead = self.world.units[lead_key]
            co_units = [self.world.units[k] for k in topic["co_units"]]
        else:
            # A district firm's petition is handled in its district: by the district government,
            # or by the district's own department where there is one.
            district = next(k for k, u in self.world.units.items() if u.pk == firm.jurisdiction_id)
            own = {"shijian": f"{district}_scjg", "zhujian": f"{district}_zjj"}.get(lead_key)
            lead = self.world.units.get(own) or self.world.units[district]
            co_units = []
        channel = CHANNELS[index % len(CHANNELS)]
        has_account = firm.pk in self.world.firm_users
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
        return local_time(day, hour, case.index * 23 % 60)

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
                at = next_thursday_after(prev, minute)
            else:
                if action == "reply":
                    days, hour = REPLY_DELAY[case.topic["type"]] + case.index % 2, 16
                else:
                    days, hour = DELAYS[action]
                    if action in ("accept", "confirm", "letter", "contact"):
                        days += case.index % 2  # some the same or next day, some a day later
                at = later(prev, days, hour, minute)
            steps.append((at, action, opts))
            prev = at
        return steps


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
