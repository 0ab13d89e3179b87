"""Supervision 督办 (docs/rules.md §7): the monthly sweep, key supervision, reminders and their policy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from petitions.history import HistoricalRecords


class SupervisionPolicy(models.Model):
    """What counts as seriously behind, and how rates are weighed; a row without jurisdiction is the default."""

    jurisdiction = models.OneToOneField(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="supervision_policy",
    )
    key_overdue_working_days = models.PositiveSmallIntegerField(
        _("propose key supervision when overdue by more than (working days)"), default=5
    )
    key_extensions = models.PositiveSmallIntegerField(
        _("propose key supervision when extended at least (times)"), default=2
    )
    key_returns = models.PositiveSmallIntegerField(
        _("propose key supervision when returned at least (times)"), default=2
    )
    sweep_day = models.PositiveSmallIntegerField(_("monthly sweep day"), default=25)
    recurring_threshold = models.PositiveSmallIntegerField(
        _("recurring problem: same theme at least (petitions)"), default=3
    )
    basic_satisfied_weight = models.DecimalField(
        _("weight of 'basically satisfied' in the satisfaction rate"),
        max_digits=3,
        decimal_places=2,
        default=0.8,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("supervision policy")
        verbose_name_plural = _("supervision policies")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction"],
                condition=models.Q(jurisdiction__isnull=True),
                name="supervision_policy_one_default",
            ),
        ]

    def __str__(self) -> str:
        return str(self.jurisdiction or _("default"))


class JobRun(models.Model):
    """What one periodic job did for one period: started, finished, counts, late or not.

    A record, not a gate: the work itself is claimed per recipient (`Reminder`), so a run that died
    midway is finished by the next one, and a period missed while the scheduler was down is marked
    as covered by a later run (docs/jobs.md, "Digests and reminders")."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Started, not finished")
        FINISHED = "finished", _("Finished")
        MISSED = "missed", _("Missed on its day")

    job = models.CharField(_("job"), max_length=40)
    period = models.CharField(
        _("period"), max_length=20, help_text=_("E.g. 2026-11-25 or 2026-11.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    late = models.BooleanField(
        _("sent late"),
        default=False,
        help_text=_("Sent after its day, or covering days whose run was missed."),
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="jobrun_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.period}"


class Sweep(models.Model):
    """The monthly sweep on the 25th (or the next working day): every unresolved item (Shantou 三(五))."""

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month swept."))
    run_on = models.DateField(_("swept on"))
    ran_at = models.DateTimeField(_("ran at"), auto_now_add=True)
    item_count = models.PositiveIntegerField(_("unresolved items"), default=0)
    proposed_count = models.PositiveIntegerField(_("proposed for key supervision"), default=0)

    class Meta:
        verbose_name = _("monthly sweep")
        verbose_name_plural = _("monthly sweeps")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class SweepItem(models.Model):
    sweep = models.ForeignKey(
        Sweep, verbose_name=_("sweep"), on_delete=models.CASCADE, related_name="items"
    )
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="sweep_items",
    )
    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead_unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=20)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    working_days_overdue = models.IntegerField(_("working days overdue"), default=0)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    returns = models.PositiveSmallIntegerField(_("returns"), default=0)
    proposed_for_key = models.BooleanField(_("proposed for key supervision"), default=False)

    class Meta:
        verbose_name = _("sweep item")
        verbose_name_plural = _("sweep items")
        ordering = ["-working_days_overdue", "pk"]
        constraints = [models.UniqueConstraint(fields=["sweep", "petition"], name="sweepitem_once")]

    def __str__(self) -> str:
        return f"{self.sweep} {self.petition_id}"


class KeyStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("On the key list")
    DECLINED = "declined", _("Declined")
    CLOSED = "closed", _("Closed out")


class KeySupervision(models.Model):
    """重点督办: proposed by a sweep, approved by a leader, followed up until closed out."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="key_supervisions",
    )
    sweep = models.ForeignKey(
        Sweep,
        verbose_name=_("sweep"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="keys",
    )
    reasons = models.CharField(_("reasons"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=KeyStatus.choices, default=KeyStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    follow_up_due_on = models.DateField(_("next follow-up due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key supervision")
        verbose_name_plural = _("key supervision")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "sweep"], name="key_once_per_sweep"),
            models.UniqueConstraint(
                fields=["petition"],
                condition=models.Q(status__in=["proposed", "approved"]),
                name="key_one_active_per_petition",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.status}"


class KeyFollowUp(models.Model):
    key = models.ForeignKey(
        KeySupervision,
        verbose_name=_("key supervision"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("follow-up"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("key supervision follow-up")
        verbose_name_plural = _("key supervision follow-ups")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.key_id} {self.created_at:%Y-%m-%d}"


class Reminder(models.Model):
    """One digest to one person for one day and kind, claimed in the transaction that writes its
    notice (notices.outbox.tell); the unique key keeps a rerun or a second run from telling twice."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily deadline digest")
        THURSDAY = "thursday", _("Thursday progress reminder")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    on_date = models.DateField(_("for"))
    petition_count = models.PositiveIntegerField(_("petitions"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-on_date", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "on_date"], name="reminder_once_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.on_date}"
