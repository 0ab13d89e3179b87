"""What happens to a petition, row by row: deadlines, the timeline, and handling records."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Rating, ReturnReason, Step
from .policy import LimitRule, LimitUnit


class Deadline(models.Model):
    """One step's time limit: computed once from its start, stored, moved only by extensions."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="deadlines",
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    rule = models.CharField(_("rule"), max_length=30, choices=LimitRule.choices)
    start_on = models.DateField(_("counted from"))
    amount = models.PositiveSmallIntegerField(_("amount"))
    extra = models.PositiveSmallIntegerField(_("granted by extensions"), default=0)
    unit = models.CharField(_("unit"), max_length=20, choices=LimitUnit.choices)
    due_on = models.DateField(_("due on"))
    estimated = models.BooleanField(
        _("computed on an estimated calendar"),
        default=False,
        help_text=_("The calendar year was not yet confirmed when this was computed."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "step"],
                condition=Q(closed_at__isnull=True),
                name="deadline_one_open_per_step",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(closed_at__isnull=True), name="deadline_open_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.due_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def closed_late(self) -> bool:
        return self.closed_at is not None and timezone.localdate(self.closed_at) > self.due_on


class PetitionEvent(models.Model):
    """The timeline: who did what, when, from which state to which, and whether the firm sees it."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from state"), max_length=20, blank=True)
    to_state = models.CharField(_("to state"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    visible_to_firm = models.BooleanField(_("visible to the enterprise"), default=False)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["petition", "created_at"], name="event_petition_time"),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.action}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random-looking path per petition; the original name is kept in the row, not trusted on disk.
    return f"petitions/{instance.petition_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The unit that uploaded it; empty when the enterprise did."),
    )
    visible_to_firm = models.BooleanField(_("visible to the enterprise"), default=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    ONLINE = "online", _("Online")


class ContactRecord(models.Model):
    """The lead unit's first contact with the firm, due 1 working day after the letter (Shantou 三(三))."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    unit = models.ForeignKey(
        "petitions.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    contacted_at = models.DateTimeField(_("contacted at"))
    method = models.CharField(_("method"), max_length=20, choices=ContactMethod.choices)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact record")
        verbose_name_plural = _("contact records")
        ordering = ["contacted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.contacted_at:%Y-%m-%d}"


class ProgressReport(models.Model):
    """Weekly progress while unresolved, due every Thursday (Shantou 三(四))."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="progress_reports",
    )
    unit = models.ForeignKey(
        "petitions.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("progress"))
    week_thursday = models.DateField(_("reporting Thursday"), db_index=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.week_thursday:%Y-%m-%d}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class Extension(models.Model):
    """延期: reason required, at most two per petition, approved by the task force (Uxin 二(四))."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="extensions",
    )
    unit = models.ForeignKey(
        "petitions.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    amount = models.PositiveSmallIntegerField(
        _("extra time"), help_text=_("In the unit of the reply limit.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
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
    decision_note = models.TextField(_("decision note"), blank=True)
    due_before = models.DateField(_("due before"), null=True, blank=True)
    due_after = models.DateField(_("due after"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition"], condition=Q(status="pending"), name="extension_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} +{self.amount}"


class ReturnDecision(models.TextChoices):
    PENDING = "pending", _("Pending review")
    UPHELD = "upheld", _("Upheld, reassigned")
    OVERRULED = "overruled", _("Overruled, unit keeps the case")
    PASSED = "passed", _("Passed to another level with the case")


class PetitionReturn(models.Model):
    """退回 by a proposed unit, reviewed by the task force (Shantou 三(二); docs/rules.md §10)."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="returns",
    )
    unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="returns",
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason_code = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    reason = models.TextField(_("explanation"))
    suggested_unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("suggested unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(
        _("decision"), max_length=20, choices=ReturnDecision.choices, default=ReturnDecision.PENDING
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
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("returned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.petition_id} ← {self.unit_id}"


class ReplyKind(models.TextChoices):
    OPINION = "opinion", _("Co-handler's opinion to the lead")
    REPLY = "reply", _("Reply to the enterprise")


class Reply(models.Model):
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="replies",
    )
    unit = models.ForeignKey(
        "petitions.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReplyKind.choices)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply or opinion")
        verbose_name_plural = _("replies and opinions")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.kind}"


class EvaluationSource(models.TextChoices):
    FIRM = "firm", _("Rated by the enterprise")
    REVISIT = "revisit", _("Revisit by the task force")


class Evaluation(models.Model):
    """满意 / 基本满意 / 不满意, given by the firm or recorded on a revisit (Shantou 三(六); Heyuan 四(八))."""

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="evaluations",
    )
    rating = models.CharField(_("rating"), max_length=20, choices=Rating.choices)
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=EvaluationSource.choices)
    method = models.CharField(
        _("revisit method"), max_length=20, choices=ContactMethod.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_valid = models.BooleanField(
        _("valid"),
        default=True,
        help_text=_("Only valid evaluations count in the satisfaction rate."),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.rating}"


class LevelMove(models.TextChoices):
    UP = "up", _("Passed up")
    DOWN = "down", _("Handed down")


class LevelTransfer(models.Model):
    """A case passed up to the parent jurisdiction or handed down to a lower one (docs/rules.md §1).

    The jurisdiction it leaves keeps read access to the case and its history through these rows.
    """

    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.CASCADE,
        related_name="level_transfers",
    )
    direction = models.CharField(_("direction"), max_length=4, choices=LevelMove.choices)
    from_jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer between levels")
        verbose_name_plural = _("transfers between levels")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["from_jurisdiction", "petition"], name="leveltransfer_from"),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.from_jurisdiction_id} → {self.to_jurisdiction_id}"
