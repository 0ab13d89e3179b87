"""Reads of the supervision pages: the ledger (台账), sweeps, key supervision, statistics and reports.

Set-based (docs/conventions.md C4): each list and each table of figures is one SQL query built with annotations,
`Subquery`/`Exists` and GROUP BY, whatever the number of petitions. Python only reshapes the few
aggregated rows into rates; supervision/charts.py turns them into chart series.

Definitions used throughout (docs/rules.md §7; Shantou 三(五)):
- close-out (销号) of an assigned petition: open until concluded; then on time when its last REPLY
  deadline (re-handling opens a new one) was closed on or before its due date, else late;
- confirmed in time: the last CONFIRM deadline closed on or before its due date;
- concluded in time: a concluded petition whose last REPLY deadline was closed on or before its due date;
- satisfaction: valid evaluations, 满意 = 1, 基本满意 = the policy's weight, 不满意 = 0;
- rates are for the cohort of petitions received in the period;
- by level (docs/rules.md §1): a petition counts at the level that runs it now (its jurisdiction), so
  a case passed up counts at the higher level; the level that passed it sees it listed, not counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.models import (
    HANDLING_STATES,
    Channel,
    Deadline,
    OrgUnit,
    Petition,
    PetitionQuerySet,
    PetitionType,
    ProgressReport,
    Rating,
    Step,
    Theme,
)
from petitions.workdays import add_months, month_start, reporting_thursday
from supervision import charts
from supervision.charts import Chart
from supervision.models import (
    KeyFollowUp,
    KeyStatus,
    KeySupervision,
    SupervisionPolicy,
    Sweep,
    SweepItem,
)

# --- periods --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def months_to(cls, first: date, last: date) -> Period:
        return cls(month_start(first), add_months(last, 1) - timedelta(days=1))

    @classmethod
    def last_months(cls, today: date, n: int = 12) -> Period:
        return cls.months_to(add_months(today, 1 - n), today)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls.months_to(first, first)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = date(year, 3 * quarter - 2, 1)
        return cls.months_to(first, add_months(first, 2))

    @property
    def months(self) -> list[date]:
        found, m = [], month_start(self.start)
        while m <= self.end:
            found.append(m)
            m = add_months(m, 1)
        return found

    def bounds(self) -> tuple[datetime, datetime]:
        """Aware datetimes [start, end + 1 day) in the current time zone (Asia/Shanghai)."""
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def received(self, petitions: PetitionQuerySet) -> PetitionQuerySet:
        start, end = self.bounds()
        return petitions.filter(received_at__gte=start, received_at__lt=end)


# --- the ledger (工作台账, Pingdingshan 三(二)) ------------------------------------------------------------------


class Closeout(TextChoices):
    OPEN = "open", _("Open")
    ON_TIME = "on_time", _("Closed on time")
    LATE = "late", _("Closed late")


def progress_week(today: date) -> tuple[date, date]:
    """The reporting Thursday of this week and the Monday before it (as reminders.missing_progress)."""
    thursday = reporting_thursday(today)
    return thursday, thursday - timedelta(days=3)


def _later_deadline(step: str | F | OuterRef) -> QuerySet:
    """A deadline of the same petition and step opened after the outer one (re-handling)."""
    return Deadline.objects.filter(
        petition_id=OuterRef("petition_id"), step=step, pk__gt=OuterRef("pk")
    )


def _last_reply_closed_late() -> Exists:
    """The petition's last REPLY deadline was closed after its due date (a semi-join in SQL)."""
    return Exists(
        Deadline.objects.filter(
            petition_id=OuterRef("pk"),
            step=Step.REPLY,
            closed_at__isnull=False,
            closed_at__date__gt=F("due_on"),
        ).filter(~Exists(_later_deadline(Step.REPLY)))
    )


def _missing_progress(today: date) -> Q:
    """In handling since before this week's Monday and no report for this week's Thursday."""
    thursday, week_start = progress_week(today)
    reported = ProgressReport.objects.filter(petition_id=OuterRef("pk"), week_thursday=thursday)
    return Q(
        ~Exists(reported),
        state__in=HANDLING_STATES,
        transfer_letter_issued_at__date__lt=week_start,
    )


def ledger(visible: PetitionQuerySet, today: date) -> PetitionQuerySet:
    """Every assigned petition (transfer letter issued) with its close-out and this week's progress flag.

    One query per page. The last REPLY deadline is a scalar subquery (ORDER BY id DESC LIMIT 1), which
    the database runs for the rows of the page only; an EXISTS here would be hashed over every
    deadline of the table instead. Newest first by id, so a page is a short walk down the primary key.
    """
    last_reply = Deadline.objects.filter(petition_id=OuterRef("pk"), step=Step.REPLY).order_by(
        "-pk"
    )
    late = Case(
        When(closed_at__date__gt=F("due_on"), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return (
        visible.filter(transfer_letter_issued_at__isnull=False)
        .annotate(
            reply_due_on=Subquery(last_reply.values("due_on")[:1], output_field=DateField()),
            closeout=Case(
                When(concluded_at__isnull=True, then=Value(Closeout.OPEN.value)),
                When(
                    Q(Subquery(last_reply.annotate(late=late).values("late")[:1])),
                    then=Value(Closeout.LATE.value),
                ),
                default=Value(Closeout.ON_TIME.value),
                output_field=CharField(),
            ),
            no_progress=Case(
                When(_missing_progress(today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .select_related("enterprise", "theme", "lead_unit")
        .order_by("-pk")
    )


def filter_closeout(ledger_rows: PetitionQuerySet, value: str) -> PetitionQuerySet:
    """Filter by close-out with conditions the database can turn into joins (no per-row subplan)."""
    if value == Closeout.OPEN:
        return ledger_rows.filter(concluded_at__isnull=True)
    concluded = ledger_rows.filter(concluded_at__isnull=False)
    if value == Closeout.LATE:
        return concluded.filter(_last_reply_closed_late())
    return concluded.filter(~_last_reply_closed_late())


def filter_missing_progress(ledger_rows: PetitionQuerySet, today: date) -> PetitionQuerySet:
    return ledger_rows.filter(_missing_progress(today))


# --- monthly sweeps (Shantou 三(五)) --------------------------------------------------------------------


def _petitions(*related: str) -> Prefetch:
    """The petitions of a page of sweep or key items, fetched after the page is cut (one query):
    joined in the page query instead, the database would join every item before sorting."""
    return Prefetch("petition", queryset=Petition.objects.select_related(*related))


def sweeps(jurisdiction_ids: list[int]) -> QuerySet[Sweep]:
    """Every sweep with the user's counts (one query)."""
    mine = Q(items__jurisdiction_id__in=jurisdiction_ids)
    return Sweep.objects.annotate(
        mine=Count("items", filter=mine),
        overdue=Count("items", filter=mine & Q(items__working_days_overdue__gt=0)),
        proposed=Count("items", filter=mine & Q(items__proposed_for_key=True)),
    ).order_by("-month")


def sweep_for(jurisdiction_ids: list[int]) -> QuerySet[Sweep]:
    """Sweeps that listed at least one item of the user's jurisdictions (others are a 404)."""
    items = SweepItem.objects.filter(sweep_id=OuterRef("pk"), jurisdiction_id__in=jurisdiction_ids)
    return Sweep.objects.filter(Exists(items))


def sweep_items(sweep: Sweep, jurisdiction_ids: list[int]) -> QuerySet[SweepItem]:
    """The sweep's items in the user's jurisdictions, latest first, each with its key-supervision item."""
    key = KeySupervision.objects.filter(petition_id=OuterRef("petition_id")).order_by(
        "-created_at", "-pk"
    )
    return (
        SweepItem.objects.filter(sweep=sweep, jurisdiction_id__in=jurisdiction_ids)
        .select_related("lead_unit", "jurisdiction")
        .prefetch_related(_petitions("enterprise"))
        .annotate(
            key_id=Subquery(key.values("pk")[:1]),
            key_status=Subquery(key.values("status")[:1]),
        )
        .order_by("-working_days_overdue", "pk")
    )


@dataclass
class UnitLine:
    unit: str
    items: int
    overdue: int
    proposed: int
    worst: int


def sweep_summary(items: QuerySet[SweepItem]) -> tuple[list[UnitLine], UnitLine]:
    """Counts by lead unit (one GROUP BY query) and their total."""
    rows = (
        items.order_by()
        .values("lead_unit_id", "lead_unit__name")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(working_days_overdue__gt=0)),
            key=Count("pk", filter=Q(proposed_for_key=True)),
            worst=Max("working_days_overdue"),
        )
        .order_by("-late", "-n", "lead_unit__name")
    )
    lines = [
        UnitLine(
            unit=r["lead_unit__name"] or str(_("Not yet assigned (task force)")),
            items=r["n"],
            overdue=r["late"],
            proposed=r["key"],
            worst=max(r["worst"] or 0, 0),
        )
        for r in rows
    ]
    total = UnitLine(
        unit=str(_("Total")),
        items=sum(line.items for line in lines),
        overdue=sum(line.overdue for line in lines),
        proposed=sum(line.proposed for line in lines),
        worst=max((line.worst for line in lines), default=0),
    )
    return lines, total


def sweep_levels(items: QuerySet[SweepItem], levels: Levels) -> tuple[list[UnitLine], UnitLine]:
    """The sweep's roll-up by level (docs/rules.md §1): counts by jurisdiction (one GROUP BY query),
    added up into `levels.top`'s own row and one row per level directly below it (one query for
    the levels and their parents), and their total."""
    rows = (
        items.order_by()
        .values_list("jurisdiction_id")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(working_days_overdue__gt=0)),
            key=Count("pk", filter=Q(proposed_for_key=True)),
            worst=Max("working_days_overdue"),
        )
    )
    found = list(rows)
    units = OrgUnit.objects.in_bulk(levels.ids)
    order, row_of = level_map(levels.top, units)
    lines = {u.pk: UnitLine(unit=u.name, items=0, overdue=0, proposed=0, worst=0) for u in order}
    for place, n, late, key, worst in found:
        line = lines.get(row_of.get(place, 0))
        if line is not None:
            line.items += n
            line.overdue += late
            line.proposed += key
            line.worst = max(line.worst, worst or 0)
    own = lines[levels.top.pk]
    own.unit = str(_("%(name)s (own level)") % {"name": own.unit})
    shown = [
        lines[u.pk] for u in order if u.is_active or u.pk == levels.top.pk or lines[u.pk].items
    ]
    total = UnitLine(
        unit=str(_("Total")),
        items=sum(line.items for line in shown),
        overdue=sum(line.overdue for line in shown),
        proposed=sum(line.proposed for line in shown),
        worst=max((line.worst for line in shown), default=0),
    )
    return shown, total


# --- key supervision (重点督办) -----------------------------------------------------------------------


def keys(visible: PetitionQuerySet) -> QuerySet[KeySupervision]:
    """Key-supervision items of the petitions the user may see, with how late they were when proposed."""
    item = SweepItem.objects.filter(
        sweep_id=OuterRef("sweep_id"), petition_id=OuterRef("petition_id")
    )
    last = KeyFollowUp.objects.filter(key_id=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        KeySupervision.objects.filter(petition__in=visible)
        .select_related("sweep", "decided_by")
        .prefetch_related(_petitions("enterprise", "lead_unit", "jurisdiction"))
        .annotate(
            overdue=Subquery(item.values("working_days_overdue")[:1]),
            extensions=Subquery(item.values("extensions")[:1]),
            returns=Subquery(item.values("returns")[:1]),
            last_follow_up_at=Subquery(last.values("created_at")[:1]),
        )
        .order_by("-created_at", "-pk")
    )


KEY_TABS = (KeyStatus.PROPOSED, KeyStatus.APPROVED, KeyStatus.CLOSED, KeyStatus.DECLINED)


def key_counts(visible: PetitionQuerySet) -> dict[str, int]:
    """How many items in each status (one aggregate query)."""
    return KeySupervision.objects.filter(petition__in=visible).aggregate(
        **{status.value: Count("pk", filter=Q(status=status)) for status in KEY_TABS}
    )


# --- statistics (Heyuan 四(八); Shantou 一(一)4) -----------------------------------------------------------


@dataclass
class UnitRate:
    unit_id: int
    unit: str
    received: int = 0
    confirm_total: int = 0
    confirm_on_time: int = 0
    conclude_total: int = 0
    conclude_on_time: int = 0
    evaluations: int = 0
    satisfied: int = 0
    basically: int = 0
    weight: Decimal = Decimal("0.8")

    @staticmethod
    def _pct(part: Decimal | int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))

    @property
    def confirm_rate(self) -> Decimal | None:
        return self._pct(self.confirm_on_time, self.confirm_total)

    @property
    def conclude_rate(self) -> Decimal | None:
        return self._pct(self.conclude_on_time, self.conclude_total)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return self._pct(self.satisfied + self.weight * self.basically, self.evaluations)

    # As text for the pages ("—" when there is nothing to count), without a template include per cell.
    @staticmethod
    def _text(rate: Decimal | None) -> str:
        return "—" if rate is None else f"{rate}%"

    @property
    def confirm_text(self) -> str:
        return self._text(self.confirm_rate)

    @property
    def conclude_text(self) -> str:
        return self._text(self.conclude_rate)

    @property
    def satisfaction_text(self) -> str:
        return self._text(self.satisfaction_rate)


@dataclass
class LevelRow(UnitRate):
    """One row of the roll-up by level (docs/rules.md §1): a jurisdiction's own petitions (`own`), or a
    lower level with every level below it. `unit_id` and `unit` are the jurisdiction's. The report's
    counts (accepted, concluded, overdue) stay None on the statistics page."""

    own: bool = False
    accepted: int | None = None
    concluded: int | None = None
    overdue: int | None = None


@dataclass
class Recurring:
    where: str
    theme: str
    count: int


@dataclass
class MonthlyIssue:
    """每月一题: the most frequent theme of a jurisdiction in a month."""

    month: date
    jurisdiction: str
    theme: str
    count: int


@dataclass
class Statistics:
    period: Period
    policy: SupervisionPolicy
    total: int = 0
    charts: list[Chart] = field(default_factory=list)
    rates: list[UnitRate] = field(default_factory=list)
    recurring_jurisdictions: list[Recurring] = field(default_factory=list)
    recurring_units: list[Recurring] = field(default_factory=list)
    recurring_more: int = 0  # places and themes past the MAX_RECURRING most frequent of each list
    monthly_issues: list[MonthlyIssue] = field(default_factory=list)
    # The roll-up by level: empty unless the page covers lower levels (the city sees its districts').
    levels: list[LevelRow] = field(default_factory=list)
    # Which roll-up row each jurisdiction counts in (its own, or the lower level it lies under).
    level_of: dict[int, int] = field(default_factory=dict)

    @property
    def levels_total(self) -> LevelRow:
        """The roll-up's total: the same petitions as `overall`, added up by level instead of by unit."""
        total = LevelRow(unit_id=0, unit=str(_("Total")), weight=self.policy_weight)
        _add_up(total, self.levels)
        if self.levels and self.levels[0].accepted is not None:
            for name in ("accepted", "concluded", "overdue"):
                setattr(total, name, sum(getattr(r, name) or 0 for r in self.levels))
        return total

    @property
    def overall(self) -> UnitRate:
        total = UnitRate(unit_id=0, unit=str(_("All units")), weight=self.policy_weight)
        _add_up(total, self.rates)
        return total

    @property
    def policy_weight(self) -> Decimal:
        return Decimal(self.policy.basic_satisfied_weight)


_COUNTS = (
    "received",
    "confirm_total",
    "confirm_on_time",
    "conclude_total",
    "conclude_on_time",
    "evaluations",
    "satisfied",
    "basically",
)


def _add_up(total: UnitRate, rows: list) -> None:
    for r in rows:
        for name in _COUNTS:
            setattr(total, name, getattr(total, name) + getattr(r, name))


MAX_RECURRING = 20  # most frequent recurring problems listed per kind of place


def _names(ids: set[int], model: type) -> dict[int | None, str]:
    names: dict[int | None, str] = {
        pk: str(obj) for pk, obj in model.objects.in_bulk([i for i in ids if i]).items()
    }
    names[None] = str(_("Not yet assigned") if model is OrgUnit else _("No theme"))
    return names


def _rates(
    cohort: PetitionQuerySet, ids: tuple[int, int], weight: Decimal
) -> tuple[dict[int, UnitRate], dict[int, UnitRate]]:
    """Per lead unit and per jurisdiction: confirmed and concluded in time (one query), satisfaction
    (one query). Both are grouped by unit and jurisdiction together, so the roll-up by level costs
    no query of its own.

    Both start from the cohort of petitions and join their deadlines or evaluations. `ids` is the
    lowest and highest petition id of the cohort: stating it on the joined table too lets the
    database read only that range of the deadline and evaluation indexes (ids grow with time, so a
    recent period is a small range), instead of every row.
    """
    by_unit: dict[int, UnitRate] = {}
    by_place: dict[int, UnitRate] = {}

    def rates(unit_id: int, place_id: int) -> tuple[UnitRate, UnitRate]:
        for found, key in ((by_unit, unit_id), (by_place, place_id)):
            if key not in found:
                found[key] = UnitRate(unit_id=key, unit="", weight=weight)
        return by_unit[unit_id], by_place[place_id]

    low, high = ids
    # The last deadline of its step. Usually the only one: a second CONFIRM deadline comes only
    # after a return, a second REPLY only after re-handling, so the look for a later deadline runs
    # only for those few petitions.
    later = Deadline.objects.filter(
        petition_id=OuterRef("pk"),
        step=OuterRef("deadlines__step"),
        pk__gt=OuterRef("deadlines__pk"),
    )
    deadlines = (
        cohort.filter(
            Q(deadlines__step=Step.CONFIRM)
            | Q(deadlines__step=Step.REPLY, concluded_at__isnull=False),
            Q(deadlines__step=Step.CONFIRM, return_count=0)
            | Q(deadlines__step=Step.REPLY, rehandle_count=0)
            | ~Exists(later),
            lead_unit__isnull=False,
            deadlines__closed_at__isnull=False,
            deadlines__petition__gte=low,
            deadlines__petition__lte=high,
        )
        .order_by()
        .values_list("lead_unit_id", "jurisdiction_id", "deadlines__step")
        .annotate(
            total=Count("deadlines"),
            on_time=Count(
                "deadlines", filter=Q(deadlines__closed_at__date__lte=F("deadlines__due_on"))
            ),
        )
    )
    for unit_id, place_id, step, total, on_time in deadlines:
        for r in rates(unit_id, place_id):
            if step == Step.CONFIRM:
                r.confirm_total += total
                r.confirm_on_time += on_time
            else:
                r.conclude_total += total
                r.conclude_on_time += on_time
    evaluations = (
        cohort.filter(
            lead_unit__isnull=False,
            evaluations__is_valid=True,
            evaluations__petition__gte=low,
            evaluations__petition__lte=high,
        )
        .order_by()
        .values_list("lead_unit_id", "jurisdiction_id")
        .annotate(
            total=Count("evaluations"),
            satisfied=Count("evaluations", filter=Q(evaluations__rating=Rating.SATISFIED)),
            basically=Count(
                "evaluations", filter=Q(evaluations__rating=Rating.BASICALLY_SATISFIED)
            ),
        )
    )
    for unit_id, place_id, total, satisfied, basically in evaluations:
        for r in rates(unit_id, place_id):
            r.evaluations += total
            r.satisfied += satisfied
            r.basically += basically
    return by_unit, by_place


def statistics(
    visible: PetitionQuerySet,
    period: Period,
    policy: SupervisionPolicy,
    *,
    levels: Levels | None = None,
) -> Statistics:
    """Volumes by channel, type, theme, unit and jurisdiction per month; rates per unit; recurring
    problems; with `levels` covering lower levels, the roll-up by level (docs/rules.md §1). Six
    queries whatever the period, the number of petitions or of levels (four when it is empty)."""
    cohort = period.received(visible)
    months = period.months
    month = TruncMonth("received_at", output_field=DateField())
    # 1. month, jurisdiction, lead unit, theme (a few thousand groups at most), with the range of
    # petition ids in each group.
    found_place = list(
        cohort.order_by()
        .annotate(m=month)
        .values_list("m", "jurisdiction_id", "lead_unit_id", "theme_id")
        .annotate(n=Count("pk"), low=Min("pk"), high=Max("pk"))
    )
    by_place = [row[:5] for row in found_place]
    # 2. month, channel, type.
    by_kind = list(
        cohort.order_by()
        .annotate(m=month)
        .values_list("m", "channel", "type")
        .annotate(n=Count("pk"))
    )
    # 3. unit and jurisdiction names (with every level of the roll-up and its parent); 4. theme names.
    unit_ids = {r[1] for r in by_place} | {r[2] for r in by_place if r[2]}
    rolled_up = levels is not None and levels.rolled_up
    if rolled_up:
        unit_ids |= set(levels.ids)
    found_units = OrgUnit.objects.in_bulk([i for i in unit_ids if i])
    units: dict[int | None, str] = {pk: str(u) for pk, u in found_units.items()}
    units[None] = str(_("Not yet assigned"))
    themes = _names({r[3] for r in by_place if r[3]}, Theme)
    # 5–6. rates per unit and per jurisdiction (none to compute for an empty period).
    weight = Decimal(policy.basic_satisfied_weight)
    rates: dict[int, UnitRate] = {}
    place_rates: dict[int, UnitRate] = {}
    if found_place:
        ids = (min(r[5] for r in found_place), max(r[6] for r in found_place))
        rates, place_rates = _rates(cohort, ids, weight)

    result = Statistics(period=period, policy=policy)
    result.total = sum(r[-1] for r in by_kind)
    dims: dict[str, dict] = {
        "channel": defaultdict(int),
        "type": defaultdict(int),
        "theme": defaultdict(int),
        "unit": defaultdict(int),
        "jurisdiction": defaultdict(int),
    }
    for m, channel, type_, n in by_kind:
        dims["channel"][(m, channel)] += n
        dims["type"][(m, type_)] += n
    unit_totals: dict[int | None, int] = defaultdict(int)
    place_theme: dict[tuple[int, int | None], int] = defaultdict(int)
    unit_theme: dict[tuple[int, int | None], int] = defaultdict(int)
    month_place_theme: dict[tuple[date, int, int | None], int] = defaultdict(int)
    for m, jurisdiction, unit, theme, n in by_place:
        dims["theme"][(m, theme)] += n
        dims["jurisdiction"][(m, jurisdiction)] += n
        dims["unit"][(m, unit)] += n
        unit_totals[unit] += n
        place_theme[(jurisdiction, theme)] += n
        month_place_theme[(m, jurisdiction, theme)] += n
        if unit is not None:
            unit_theme[(unit, theme)] += n
            rate = rates.setdefault(unit, UnitRate(unit_id=unit, unit="", weight=weight))
            rate.received += n

    for rate in rates.values():
        rate.unit = units.get(rate.unit_id) or str(rate.unit_id)
    result.rates = sorted(rates.values(), key=lambda r: (-r.received, r.unit))
    names = {
        "channel": dict(Channel.choices),
        "type": dict(PetitionType.choices),
        "theme": themes,
        "unit": units,
    }
    result.charts = charts.statistics_charts(dims, months, names, unit_totals, result.rates)

    threshold = policy.recurring_threshold
    by_place = _recurring(place_theme, units, themes, threshold)
    by_unit = _recurring(unit_theme, units, themes, threshold)
    result.recurring_jurisdictions = by_place[:MAX_RECURRING]
    result.recurring_units = by_unit[:MAX_RECURRING]
    result.recurring_more = sum(max(len(rows) - MAX_RECURRING, 0) for rows in (by_place, by_unit))
    result.monthly_issues = _monthly_issues(month_place_theme, units, themes)
    if rolled_up:
        received: dict[int, int] = defaultdict(int)
        for (_m, jurisdiction), n in dims["jurisdiction"].items():
            received[jurisdiction] += n
        result.levels, result.level_of = _level_rows(
            levels.top, found_units, received, place_rates, weight
        )
    return result


# --- the roll-up by level (docs/rules.md §1: the city sees its districts' figures, read only) ------------


@dataclass(frozen=True)
class Levels:
    """The jurisdiction a page is about (`top`) and every jurisdiction it counts: itself and, unless
    the page looks at one level only, every level below it."""

    top: OrgUnit
    ids: list[int]

    @property
    def rolled_up(self) -> bool:
        return len(self.ids) > 1


def level_map(top: OrgUnit, units: dict[int, OrgUnit]) -> tuple[list[OrgUnit], dict[int, int]]:
    """The roll-up's rows, `top` itself then each level directly below it (by kind and name), and the
    row each jurisdiction of `units` counts in: a level further down counts in the row of the level
    directly below `top` that it lies under. No queries: `units` holds every level and its parent."""
    lower = sorted(
        (u for u in units.values() if u.is_jurisdiction and u.parent_id == top.pk),
        key=lambda u: (u.kind, u.name),
    )
    rows = [top, *lower]
    row_ids = {u.pk for u in rows}
    row_of: dict[int, int] = {}
    for pk, unit in units.items():
        found: OrgUnit | None = unit if unit.is_jurisdiction else None
        while found is not None and found.pk not in row_ids:
            found = units.get(found.parent_id)
        if found is not None:
            row_of[pk] = found.pk
    return rows, row_of


def _level_rows(
    top: OrgUnit,
    units: dict[int, OrgUnit],
    received: dict[int, int],
    place_rates: dict[int, UnitRate],
    weight: Decimal,
) -> tuple[list[LevelRow], dict[int, int]]:
    rows, row_of = level_map(top, units)
    lines = {
        u.pk: LevelRow(unit_id=u.pk, unit=u.name, own=u.pk == top.pk, weight=weight) for u in rows
    }
    for place, n in received.items():
        if place in row_of:
            lines[row_of[place]].received += n
    for place, rate in place_rates.items():
        if place in row_of:
            _add_up(lines[row_of[place]], [rate])
    # A level closed since keeps its row only while it still has figures.
    shown = [lines[u.pk] for u in rows if u.is_active or u.pk == top.pk or lines[u.pk].received]
    return shown, row_of


PASSED_ON_MAX = 50  # listed on the page; the count says how many more


def passed_on(visible: PetitionQuerySet, ids: list[int], period: Period) -> list[Petition]:
    """Petitions received in the period that these levels passed up (or on) and another level runs now.

    They count where they are now (docs/rules.md §1), so they are not in this level's figures; the
    level that passed them keeps reading them (`visible_to`, through LevelTransfer) and sees them listed.
    One query; at most PASSED_ON_MAX + 1 rows, so the page can say there are more.
    """
    return list(
        period.received(visible)
        .exclude(jurisdiction_id__in=ids)
        .select_related("jurisdiction", "enterprise")
        .order_by("-received_at", "-pk")[: PASSED_ON_MAX + 1]
    )


def _recurring(
    counts: dict[tuple[int, int | None], int], places: dict, themes: dict, threshold: int
) -> list[Recurring]:
    """The same theme at the same place at least `threshold` times, most frequent first."""
    found = [
        Recurring(places.get(place, ""), themes.get(theme, ""), n)
        for (place, theme), n in counts.items()
        if theme is not None and n >= threshold
    ]
    return sorted(found, key=lambda r: (-r.count, r.where, r.theme))


def _monthly_issues(
    counts: dict[tuple[date, int, int | None], int], places: dict, themes: dict
) -> list[MonthlyIssue]:
    """每月一题: per jurisdiction and month, the theme raised most often (ties: by name)."""
    best: dict[tuple[date, int], MonthlyIssue] = {}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], themes.get(kv[0][2], "")))
    for (m, place, theme), n in ranked:
        if theme is not None:
            best.setdefault((m, place), MonthlyIssue(m, places.get(place, ""), themes[theme], n))
    return sorted(best.values(), key=lambda i: (i.month, i.jurisdiction))


# --- monthly and quarterly reports (docs/rules.md §5: by the 25th; by the 10th after the quarter) ----------


@dataclass
class Report:
    title: str
    period: Period
    due_on: date
    statistics: Statistics
    received: int
    accepted: int
    concluded: int
    overdue: int
    keys: list[KeySupervision]
    passed_on: list[Petition] = field(default_factory=list)


COUNTS = ("received", "accepted", "concluded", "overdue")


def report_counts_by_jurisdiction(
    visible: PetitionQuerySet, period: Period, today: date
) -> dict[int, dict[str, int]]:
    """Per jurisdiction: received, accepted and concluded in the period (one grouped query);
    petitions with a deadline due in the period that was missed, by today or the period's end (one
    grouped query). A petition has one jurisdiction, so the rows add up to the totals."""
    start, end = period.bounds()
    found: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    rows = (
        visible.order_by()
        .values_list("jurisdiction_id")
        .annotate(
            received=Count("pk", filter=Q(received_at__gte=start, received_at__lt=end)),
            accepted=Count("pk", filter=Q(accepted_at__gte=start, accepted_at__lt=end)),
            concluded=Count("pk", filter=Q(concluded_at__gte=start, concluded_at__lt=end)),
        )
        .filter(
            Q(received_at__gte=start, received_at__lt=end)
            | Q(accepted_at__gte=start, accepted_at__lt=end)
            | Q(concluded_at__gte=start, concluded_at__lt=end)
        )
    )
    for place, received, accepted, concluded in rows:
        found[place].update(received=received, accepted=accepted, concluded=concluded)
    checked_until = min(today, period.end + timedelta(days=1))
    overdue = (
        Deadline.objects.filter(petition__in=visible, due_on__range=(period.start, period.end))
        .filter(
            Q(closed_at__isnull=True, due_on__lt=checked_until)
            | Q(closed_at__isnull=False, closed_at__date__gt=F("due_on"))
        )
        .order_by()
        .values_list("petition__jurisdiction_id")
        .annotate(n=Count("petition_id", distinct=True))
    )
    for place, n in overdue:
        found[place]["overdue"] = n
    return dict(found)


def report_counts(visible: PetitionQuerySet, period: Period, today: date) -> dict[str, int]:
    """The totals of `report_counts_by_jurisdiction` (two queries)."""
    by_place = report_counts_by_jurisdiction(visible, period, today).values()
    return {name: sum(counts[name] for counts in by_place) for name in COUNTS}


def report_keys(visible: PetitionQuerySet, period: Period) -> list[KeySupervision]:
    """On the key list now, or closed out during the period."""
    start, end = period.bounds()
    return list(
        keys(visible)
        .filter(
            Q(status=KeyStatus.APPROVED)
            | Q(status=KeyStatus.CLOSED, closed_at__gte=start, closed_at__lt=end)
        )
        .order_by("status", "-created_at", "-pk")
    )


def report(
    visible: PetitionQuerySet,
    period: Period,
    today: date,
    policy: SupervisionPolicy,
    *,
    title: str,
    due_on: date,
    levels: Levels | None = None,
    passed: list[Petition] | None = None,
) -> Report:
    """Everything the monthly or quarterly report shows (a constant number of queries, whatever the
    number of levels); with `levels` covering lower levels, the counts by level too."""
    stats = statistics(visible, period, policy, levels=levels)
    by_place = report_counts_by_jurisdiction(visible, period, today)
    rows = {row.unit_id: row for row in stats.levels}
    for row in rows.values():
        row.accepted = row.concluded = row.overdue = 0
    for place, counts in by_place.items():
        row = rows.get(stats.level_of.get(place, 0))
        if row is not None:
            row.accepted += counts["accepted"]
            row.concluded += counts["concluded"]
            row.overdue += counts["overdue"]
    return Report(
        title=title,
        period=period,
        due_on=due_on,
        statistics=stats,
        keys=report_keys(visible, period),
        passed_on=passed or [],
        **{name: sum(c[name] for c in by_place.values()) for name in COUNTS},
    )
