"""Reads for the department handler's pages: the inbox and the petition page (docs/rules.md §1 承办单位).

The inbox runs a fixed number of queries whatever the number of rows (docs/conventions.md C4, C9): one aggregate
for every tab count, one for the page of rows (with the missing-progress flag as a correlated
subquery), and the calendar queries behind "two working days ahead" and the working days left.
Every tab starts from an indexed unit column — `lead_unit`, `proposed_unit` or the co-unit table —
and is ordered by `due_on`, so "this unit's open petitions by due date" is read from the
(lead_unit, …) and (proposed_unit, due_on) indexes. bench/inbox.py measures it on a million rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from petitions import deadlines, limits, workdays
from petitions.models import (
    HANDLING_STATES,
    Attachment,
    ContactRecord,
    Deadline,
    Extension,
    ExtensionStatus,
    OrgUnit,
    Petition,
    PetitionEvent,
    ProgressReport,
    Reply,
    ReplyKind,
    State,
    Step,
    User,
)
from petitions.workflow import reporting_thursday

PAGE_SIZE = 25
# "Due soon" reaches this many working days ahead (the issue: due within two working days).
DUE_SOON_WORKING_DAYS = 2
FINISHED_STATES = (State.CONCLUDED, State.ARCHIVED)
# Steps the task force owes; the unit sees them on the petition page but is not late with them.
TASK_FORCE_STEPS = (Step.TRIAGE, Step.ISSUE_LETTER, Step.REVISIT)


@dataclass(frozen=True)
class Tab:
    key: str
    label: str


TABS = (
    Tab("confirm", _("To confirm")),
    Tab("handling", _("In progress")),
    Tab("due_soon", _("Due within 2 working days")),
    Tab("overdue", _("Overdue")),
    Tab("co", _("Co-handling")),
    Tab("replied", _("Replied, awaiting evaluation")),
    Tab("concluded", _("Concluded")),
)
TAB_KEYS = tuple(t.key for t in TABS)
DEFAULT_TAB = "handling"


# Where a petition sits for a unit. The three parts never overlap: a proposed petition has no lead
# unit yet, and the lead unit is never one of its co-handlers (workflow._set_co_units).
LEAD, PROPOSED, CO = "lead", "proposed", "co"
OWED_STATES = (State.PROPOSED, *HANDLING_STATES)


def parts(unit: OrgUnit) -> dict[str, Q]:
    """Each part read from its own index: (lead_unit, …), (proposed_unit, …), the co-unit table."""
    return {
        LEAD: Q(lead_unit_id=unit.pk),
        PROPOSED: Q(proposed_unit_id=unit.pk, state=State.PROPOSED),
        CO: Q(co_units=unit.pk, state__in=HANDLING_STATES),
    }


@dataclass(frozen=True)
class TabRule:
    parts: tuple[str, ...]
    states: tuple[str, ...] = ()
    due: str = ""  # "soon": from today to two working days ahead; "overdue": before today


# Due soon and overdue cover the steps this unit owes: confirming a proposal, and contacting and
# replying as lead. A step the task force owes (the letter, the revisit) is not the unit's to miss.
# A rule looks at the due date only in OWED_STATES (tab_counts relies on it; a test checks it).
RULES = {
    "confirm": TabRule((PROPOSED,)),
    "handling": TabRule((LEAD,), HANDLING_STATES),
    "due_soon": TabRule((PROPOSED, LEAD), OWED_STATES, "soon"),
    "overdue": TabRule((PROPOSED, LEAD), OWED_STATES, "overdue"),
    "co": TabRule((CO,)),
    "replied": TabRule((LEAD,), (State.REPLIED,)),
    "concluded": TabRule((LEAD,), FINISHED_STATES),
}


def _rule_q(
    rule: TabRule, part_q: Callable[[str], Q], state: str, due: str, today: date, soon: date
) -> Q:
    q = reduce(or_, (part_q(name) for name in rule.parts))
    if rule.states:
        q &= Q(**{f"{state}__in": rule.states})
    if rule.due == "soon":
        q &= Q(**{f"{due}__gte": today, f"{due}__lte": soon})
    elif rule.due == "overdue":
        q &= Q(**{f"{due}__lt": today})
    return q


def row_filter(unit: OrgUnit, tab: str, today: date, soon: date) -> Q:
    """The petitions of one tab, as a filter on Petition."""
    by_part = parts(unit)
    return _rule_q(RULES[tab], by_part.__getitem__, "state", "due_on", today, soon)


def tab_counts(unit: OrgUnit, today: date, soon: date) -> dict[str, int]:
    """Every tab count in one aggregate query: a conditional sum per tab over a UNION ALL.

    Each branch is read from its own index and arrives already counted per state and due date, so
    the conditional sums run over a few dozen rows, not over every petition of the unit. The led
    petitions the unit owes no step on — nearly all of them, mostly concluded — are counted per
    state only; with an index on (lead_unit, state, due_on) that branch never reads the table.
    Sixteen thousand single rows under seven FILTERs cost ten times as much (bench/README.md).
    """
    by_part = parts(unit)

    def counted(name: str, q: Q, *, due: bool = True) -> QuerySet:
        due_on = F("due_on") if due else Value(None, output_field=DateField())
        return (
            Petition.objects.filter(q)
            .order_by()
            .annotate(part=Value(name), s=F("state"), d=due_on)
            .values("part", "s", "d")
            .annotate(n=Count("*"))
        )

    rows = counted(LEAD, by_part[LEAD] & Q(state__in=OWED_STATES)).union(
        counted(LEAD, by_part[LEAD] & ~Q(state__in=OWED_STATES), due=False),
        counted(PROPOSED, by_part[PROPOSED]),
        counted(CO, by_part[CO]),
        all=True,
    )

    def part_is(name: str) -> Q:
        return Q(part=name)

    counts = rows.aggregate(
        **{
            tab: Sum("n", filter=_rule_q(rule, part_is, "s", "d", today, soon), default=0)
            for tab, rule in RULES.items()
        }
    )
    return {tab: int(n) for tab, n in counts.items()}


def progress_due_annotation(unit: OrgUnit, today: date) -> Case:
    """True on a petition this unit leads, in handling, with no progress report counted for this
    week's reporting Thursday (Shantou 三(四)) — a correlated subquery, not a query per row."""
    this_week = ProgressReport.objects.filter(
        petition=OuterRef("pk"), week_thursday__gte=reporting_thursday(today)
    )
    return Case(
        When(
            Q(lead_unit_id=unit.pk, state__in=HANDLING_STATES) & ~Exists(this_week),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def ordering_for(tab: str) -> tuple:
    """By due date, earliest first; finished cases have no due date, so newest first."""
    if tab == "concluded":
        return ("-pk",)
    return (F("due_on").asc(nulls_last=True), "pk")


class CountedPaginator(Paginator):
    """A paginator told the count it would otherwise ask the database for."""

    def __init__(self, object_list: QuerySet, per_page: int, *, known_count: int | None) -> None:
        super().__init__(object_list, per_page)
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        return super().count


def rows_queryset(
    source: QuerySet[Petition], unit: OrgUnit, tab: str, today: date, soon: date
) -> QuerySet[Petition]:
    """One tab's petitions in display order, light: the paginator counts and slices this."""
    return source.filter(row_filter(unit, tab, today, soon)).order_by(*ordering_for(tab))


def page_rows(page: Page, unit: OrgUnit, tab: str, today: date) -> list[Petition]:
    """The page's petitions with what a row shows, in one query.

    The page's ids come from the light query as a subquery (ORDER BY … LIMIT 25 OFFSET …); the firm,
    the theme and the progress flag are then joined for those 25 rows only, not for every row of
    the tab before sorting. Long texts stay in the database.
    """
    return list(
        Petition.objects.filter(pk__in=page.object_list.values("pk"))
        .select_related("enterprise", "theme")
        .defer("content", "request", "reject_explanation", "leader_instruction")
        .annotate(progress_due=progress_due_annotation(unit, today))
        .order_by(*ordering_for(tab))
    )


@dataclass
class Inbox:
    tab: str
    counts: dict[str, int]
    page: Page
    rows: list[Petition]
    today: date
    reporting_thursday: date
    filtered: bool

    @property
    def tabs(self) -> list[tuple[Tab, int]]:
        return [(tab, self.counts[tab.key]) for tab in TABS]

    @property
    def tab_label(self) -> str:
        return next(str(t.label) for t in TABS if t.key == self.tab)


def inbox(
    unit: OrgUnit,
    *,
    tab: str,
    today: date,
    narrow: QuerySet[Petition] | None = None,
    page_number: object = 1,
) -> Inbox:
    """The unit's inbox for one tab. `narrow` is the queryset after the filters and search
    (None when none is given), so an unfiltered page reuses the tab count for its paginator."""
    if tab not in TAB_KEYS:
        tab = DEFAULT_TAB
    soon = workdays.add_working_days(today, DUE_SOON_WORKING_DAYS)  # query: calendar overrides
    counts = tab_counts(unit, today, soon)  # query: every tab count at once
    source = narrow if narrow is not None else Petition.objects.all()
    paginator = CountedPaginator(
        rows_queryset(source, unit, tab, today, soon),
        PAGE_SIZE,
        known_count=None if narrow is not None else counts[tab],
    )  # query, only when filtered: the count of matching rows
    page = paginator.get_page(page_number)
    rows = page_rows(page, unit, tab, today)  # query: the page's rows with the progress flag
    deadlines.annotate_days_left(rows, today)  # query: calendar overrides for the span
    for row in rows:
        if row.lead_unit_id == unit.pk:
            row.unit_role = LEAD
        elif row.state == State.PROPOSED and row.proposed_unit_id == unit.pk:
            row.unit_role = PROPOSED
        else:
            row.unit_role = CO
    return Inbox(
        tab=tab,
        counts=counts,
        page=page,
        rows=rows,
        today=today,
        reporting_thursday=reporting_thursday(today),
        filtered=narrow is not None,
    )


# --- the petition page ------------------------------------------------------------------------


@dataclass
class PetitionPage:
    """Everything the unit needs on one petition; each list is one query."""

    petition: Petition
    unit: OrgUnit
    today: date
    co_units: list[OrgUnit]
    attachments: list[Attachment]
    events: list[PetitionEvent]
    open_deadlines: list[Deadline]
    contacts: list[ContactRecord]
    progress_reports: list[ProgressReport]
    extensions: list[Extension]
    opinions: list[Reply]
    replies: list[Reply]
    earlier: list[Petition]
    max_extensions: int

    @property
    def is_proposed(self) -> bool:
        p = self.petition
        return p.state == State.PROPOSED and p.proposed_unit_id == self.unit.pk

    @property
    def is_lead(self) -> bool:
        return self.petition.lead_unit_id == self.unit.pk

    @property
    def is_co(self) -> bool:
        return any(u.pk == self.unit.pk for u in self.co_units)

    @property
    def in_handling(self) -> bool:
        return self.petition.state in HANDLING_STATES

    @property
    def extensions_used(self) -> int:
        return self.petition.extension_count

    @property
    def pending_extension(self) -> Extension | None:
        return next((e for e in self.extensions if e.status == ExtensionStatus.PENDING), None)

    @property
    def contact_deadline(self) -> Deadline | None:
        return next((d for d in self.open_deadlines if d.step == Step.CONTACT), None)

    @property
    def progress_due(self) -> bool:
        """The inbox's marker, on the rows already read: no report counted for this Thursday."""
        thursday = self.reporting_thursday
        return (
            self.is_lead
            and self.in_handling
            and not any(r.week_thursday >= thursday for r in self.progress_reports)
        )

    @property
    def task_force_steps(self) -> tuple[str, ...]:
        return TASK_FORCE_STEPS

    @property
    def owes_due_step(self) -> bool:
        """The petition's earliest open step is this unit's to take."""
        step = self.petition.due_step
        return (self.is_proposed and step == Step.CONFIRM) or (
            self.is_lead and step in (Step.CONTACT, Step.REPLY)
        )

    @property
    def reporting_thursday(self) -> date:
        return reporting_thursday(self.today)

    @property
    def silent_co_units(self) -> list[OrgUnit]:
        """Co-handling units that have not sent an opinion yet."""
        heard = {o.unit_id for o in self.opinions}
        return [u for u in self.co_units if u.pk not in heard]

    @property
    def unit_role(self) -> str:
        if self.is_lead:
            return "lead"
        if self.is_proposed:
            return "proposed"
        return "co" if self.is_co else ""

    @property
    def last_progress(self) -> ProgressReport | None:
        return self.progress_reports[-1] if self.progress_reports else None


def visible_petitions(user: User) -> QuerySet[Petition]:
    return Petition.objects.visible_to(user)


def petition_page(petition: Petition, user: User, today: date) -> PetitionPage:
    """The petition page's lists (the petition itself was fetched through `visible_to`)."""
    unit = user.unit
    opinions_and_replies = list(
        petition.replies.select_related("unit", "author")
    )  # query: opinions and replies
    open_deadlines = list(petition.deadlines.filter(closed_at__isnull=True))  # query
    deadlines.annotate_days_left([*open_deadlines, petition], today)  # query: calendar overrides
    earlier = list(
        visible_petitions(user)
        .filter(enterprise_id=petition.enterprise_id, received_at__lt=petition.received_at)
        .exclude(pk=petition.pk)
        .only("pk", "number", "title", "state", "received_at", "type")
        .order_by("-received_at")[:10]
    )  # query: the firm's earlier petitions this unit may see
    return PetitionPage(
        petition=petition,
        unit=unit,
        today=today,
        co_units=list(petition.co_units.all()),  # query
        attachments=list(
            petition.attachments.select_related("unit", "uploaded_by")
        ),  # query: every attachment, internal ones included (government side)
        events=list(petition.events.select_related("actor")),  # query: the full timeline
        open_deadlines=open_deadlines,
        contacts=list(petition.contacts.select_related("unit", "recorded_by")),  # query
        progress_reports=list(petition.progress_reports.select_related("author")),  # query
        extensions=list(petition.extensions.select_related("requested_by")),  # query
        opinions=[r for r in opinions_and_replies if r.kind == ReplyKind.OPINION],
        replies=[r for r in opinions_and_replies if r.kind == ReplyKind.REPLY],
        earlier=earlier,
        max_extensions=limits.max_extensions(petition.jurisdiction),  # queries: the policy rows
    )


def petition_for(user: User) -> QuerySet[Petition]:
    """The queryset a handler's petition page fetches from: 404 for anything not visible."""
    return visible_petitions(user).select_related(
        "enterprise",
        "theme",
        "jurisdiction",
        "proposed_unit",
        "lead_unit",
    )
