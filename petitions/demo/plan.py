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
    # The level that runs the case now: the firm's, until it is passed up or handed down.
    jurisdiction: OrgUnit
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
        by_uscc = {firm.uscc: firm for firm in self.world.firms}
        cases: list[Case] = []
        for scenario in SCENARIOS:
            lo, hi = scenario.days
            for j in range(scenario.count):
                index = len(cases)
                if scenario.topic:
                    topic = self.world.data["level_topics"][scenario.topic]
                    firm = by_uscc[topic["firm"]]
                    case = self._fixed_case(index, scenario.name, firm, topic, scenario.script)
                else:
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
                        topic = topics.pick(
                            scenario.types,
                            with_co_units=scenario.with_co_units,
                            leads=self._leads_of(firm.jurisdiction),
                        )
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
        # Each level assigns its own cases to its own units (docs/rules.md §1): the topic names the
        # city's department, a district or zone gives it to its department doing that work there, or
        # to the one its routing catalogue proposes for the theme.
        level = firm.jurisdiction
        lead = self.world.counterpart(level, topic["lead"]) or self.world.default_lead(
            level, topic["theme"]
        )
        co_units = [
            unit
            for key in topic["co_units"]
            if (unit := self.world.counterpart(level, key)) is not None and unit.pk != lead.pk
        ]
        return self._new_case(index, scenario, firm, topic, script, lead, co_units)

    def _fixed_case(
        self,
        index: int,
        scenario: str,
        firm: Enterprise,
        topic: dict[str, Any],
        script: list[tuple[str, dict[str, Any]]],
    ) -> Case:
        """A case of fixtures/demo.json "level_topics": its units are those of the level that
        assigns it in the end (the city for a case passed up to it)."""
        units = self.world.units
        lead = units[topic["lead"]]
        co_units = [units[key] for key in topic["co_units"]]
        return self._new_case(index, scenario, firm, topic, script, lead, co_units)

    def _leads_of(self, level: OrgUnit) -> set[str] | None:
        """The topics' leads a lower level has a department for; None for the city (all)."""
        if level.kind == UnitKind.CITY:
            return None
        return {key for (pk, key) in self.world.counterparts if pk == level.pk}

    def _new_case(
        self,
        index: int,
        scenario: str,
        firm: Enterprise,
        topic: dict[str, Any],
        script: list[tuple[str, dict[str, Any]]],
        lead: OrgUnit,
        co_units: list[OrgUnit],
    ) -> Case:
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
            jurisdiction=firm.jurisdiction,
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

    def pick(
        self,
        types: tuple[str, ...] = (),
        *,
        with_co_units: bool = False,
        leads: set[str] | None = None,
    ) -> dict[str, Any]:
        """`leads`: prefer topics whose lead the firm's level has (a district has no tax bureau)."""
        fits = [
            i
            for i, t in enumerate(self.topics)
            if (not types or t["type"] in types) and (not with_co_units or t["co_units"])
        ]
        if leads is not None:
            fits = [i for i in fits if self.topics[i]["lead"] in leads] or fits
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
