"""The monthly sweep (Shantou 三(五); Hailar 三(二)): on the 25th, or the next working day, list every
unresolved petition with how late it is, and propose those seriously behind for key supervision.

Set-based: the items and the proposals are each one INSERT … SELECT, whatever the number of petitions.
Runs once per month: the `Sweep.month` unique key, so a second beat or a catch-up run is a no-op.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from petitions import workdays
from petitions.models import OPEN_STATES, OrgUnit, Petition
from supervision.models import KeyStatus, KeySupervision, SupervisionPolicy, Sweep, SweepItem
from supervision.policy import policy_for


def sweep_day(month: date, day: int = 25) -> date:
    """The day the sweep of `month` is due: the `day`th, moved to the next working day if it is a rest day."""
    return workdays.next_working_day_on_or_after(month.replace(day=day))


def _overdue_expression(on: date) -> Case | Value:
    """Working days overdue for each distinct past due date, as one CASE (a few hundred dates at most).

    Counted once, walking back from `on` with a running total, not one calendar walk per date.
    """
    dues = sorted(
        Petition.objects.filter(state__in=OPEN_STATES, due_on__lt=on)
        .order_by()  # Meta.ordering would otherwise make every (due_on, received_at) pair distinct
        .values_list("due_on", flat=True)
        .distinct()
    )
    if not dues:
        return Value(0)
    cal = workdays.Calendar(dues[0], on)
    wanted, counts, running, day = set(dues), {}, 0, on
    while day >= dues[0]:
        if day in wanted:
            counts[day] = running  # working days after `day` up to and including `on`
        running += cal.is_working_day(day)
        day -= timedelta(days=1)
    return Case(
        *[When(due_on=d, then=Value(counts[d])) for d in dues],
        default=Value(0),
        output_field=IntegerField(),
    )


def _insert_select(model: type, columns: list[str], queryset: QuerySet) -> int:
    """INSERT INTO model (columns) SELECT …: the queryset's annotations must follow the column order."""
    sql, params = queryset.query.sql_with_params()
    table = model._meta.db_table
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({cols}) {sql}", params)
        return cursor.rowcount


def _items_query(sweep: Sweep, on: date) -> QuerySet:
    return (
        Petition.objects.filter(state__in=OPEN_STATES)
        .order_by()
        .annotate(
            c_sweep=Value(sweep.pk),
            c_petition=F("pk"),
            c_jurisdiction=F("jurisdiction_id"),
            c_lead=F("lead_unit_id"),
            c_state=F("state"),
            c_due=F("due_on"),
            c_overdue=_overdue_expression(on),
            c_extensions=F("extension_count"),
            c_returns=F("return_count"),
            c_proposed=Value(False),
        )
        .values_list(
            "c_sweep",
            "c_petition",
            "c_jurisdiction",
            "c_lead",
            "c_state",
            "c_due",
            "c_overdue",
            "c_extensions",
            "c_returns",
            "c_proposed",
        )
    )


ITEM_COLUMNS = [
    "sweep_id",
    "petition_id",
    "jurisdiction_id",
    "lead_unit_id",
    "state",
    "due_on",
    "working_days_overdue",
    "extensions",
    "returns",
    "proposed_for_key",
]


def _mark_seriously_behind(sweep: Sweep) -> None:
    """One UPDATE per jurisdiction with its own thresholds (jurisdictions are few)."""
    items = SweepItem.objects.filter(sweep=sweep)
    for jurisdiction_id in items.order_by().values_list("jurisdiction_id", flat=True).distinct():
        policy = policy_for(OrgUnit.objects.get(pk=jurisdiction_id))
        items.filter(jurisdiction_id=jurisdiction_id).filter(
            Q(working_days_overdue__gt=policy.key_overdue_working_days)
            | Q(extensions__gte=policy.key_extensions)
            | Q(returns__gte=policy.key_returns)
        ).update(proposed_for_key=True)


def _propose_keys(sweep: Sweep) -> int:
    active = KeySupervision.objects.filter(
        status__in=(KeyStatus.PROPOSED, KeyStatus.APPROVED)
    ).values("petition_id")
    now = timezone.now()
    queryset = (
        SweepItem.objects.filter(sweep=sweep, proposed_for_key=True)
        .exclude(petition_id__in=active)
        .order_by()
        .annotate(
            c_petition=F("petition_id"),
            c_sweep=F("sweep_id"),
            c_reasons=Value(""),
            c_status=Value(KeyStatus.PROPOSED.value),
            c_note=Value(""),
            c_created=Value(now),
        )
        .values_list("c_petition", "c_sweep", "c_reasons", "c_status", "c_note", "c_created")
    )
    columns = ["petition_id", "sweep_id", "reasons", "status", "note", "created_at"]
    return _insert_select(KeySupervision, columns, queryset)


def run_monthly_sweep(on: date) -> Sweep | None:
    """Sweep the month of `on` if its sweep day has come and it has not run; else None."""
    month = on.replace(day=1)
    default = SupervisionPolicy.objects.filter(jurisdiction__isnull=True).first()
    if on < sweep_day(month, default.sweep_day if default else 25):
        return None
    try:
        with transaction.atomic():
            sweep = Sweep.objects.create(month=month, run_on=on)
            item_count = _insert_select(SweepItem, ITEM_COLUMNS, _items_query(sweep, on))
            _mark_seriously_behind(sweep)
            proposed = _propose_keys(sweep)
            sweep.item_count = item_count
            sweep.proposed_count = proposed
            sweep.save(update_fields=["item_count", "proposed_count"])
    except IntegrityError:
        return None  # another run got there first
    return sweep
