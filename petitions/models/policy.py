"""Time-limit policies per jurisdiction (docs/rules.md §5). Defaults are rows with no jurisdiction."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from petitions.history import HistoricalRecords


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    DAYS = "days", _("days")


class LimitRule(models.TextChoices):
    TRIAGE = "triage", _("Triage a new petition")
    CONFIRM = "confirm", _("Confirm a proposed assignment")
    CONFIRM_LOWER = "confirm_lower", _("Confirm a proposed assignment (district or zone)")
    ISSUE_LETTER = "issue_letter", _("Issue the transfer letter after confirmation")
    CONTACT = "contact", _("Contact the enterprise after the transfer letter")
    REPLY_CONSULTATION = "reply_consultation", _("Reply to a consultation")
    REPLY_SUGGESTION = "reply_suggestion", _("Reply to a suggestion")
    REPLY_COMPLAINT = "reply_complaint", _("Reply to a complaint")
    REPLY_COORDINATION = "reply_coordination", _("Reply to a problem needing coordination")
    REVISIT = "revisit", _("Revisit the enterprise after the reply")
    MEETING_ASSIGN = "meeting_assign", _("Assign meeting decisions")
    MEETING_REPLY_SINGLE = "meeting_reply_single", _("Reply to a meeting item (one department)")
    MEETING_REPLY_MULTI = "meeting_reply_multi", _("Reply to a meeting item (several departments)")
    CATALOGUE = "catalogue", _("Send the issue catalogue before the meeting")
    MAX_EXTENSIONS = "max_extensions", _("Extensions allowed per petition")


# (amount, unit, source) — the defaults shipped, seeded as rows without a jurisdiction.
DEFAULT_LIMITS: dict[str, tuple[int, str, str]] = {
    LimitRule.TRIAGE: (1, LimitUnit.WORKING_DAYS, "our default; Shantou 三(一)"),
    LimitRule.CONFIRM: (1, LimitUnit.WORKING_DAYS, "Shantou 三(二)"),
    LimitRule.CONFIRM_LOWER: (2, LimitUnit.WORKING_DAYS, "Shantou 三(二)"),
    LimitRule.ISSUE_LETTER: (1, LimitUnit.WORKING_DAYS, "our default; Shantou 三(二)"),
    LimitRule.CONTACT: (1, LimitUnit.WORKING_DAYS, "Shantou 三(三)"),
    LimitRule.REPLY_CONSULTATION: (1, LimitUnit.WORKING_DAYS, "Shantou 三(三)"),
    LimitRule.REPLY_SUGGESTION: (2, LimitUnit.WORKING_DAYS, "Shantou 三(三)"),
    LimitRule.REPLY_COMPLAINT: (3, LimitUnit.WORKING_DAYS, "Shantou 三(三)"),
    LimitRule.REPLY_COORDINATION: (15, LimitUnit.DAYS, "our default; Uxin 二(四)"),
    LimitRule.REVISIT: (3, LimitUnit.WORKING_DAYS, "our default; Shantou 三(六)"),
    LimitRule.MEETING_ASSIGN: (1, LimitUnit.WORKING_DAYS, "Uxin 二(四)"),
    LimitRule.MEETING_REPLY_SINGLE: (7, LimitUnit.DAYS, "Uxin 二(四)"),
    LimitRule.MEETING_REPLY_MULTI: (15, LimitUnit.DAYS, "Uxin 二(四)"),
    LimitRule.CATALOGUE: (4, LimitUnit.WORKING_DAYS, "Heyuan 四(二)"),
    LimitRule.MAX_EXTENSIONS: (2, LimitUnit.DAYS, "Uxin 二(四); a count, the unit is ignored"),
}


class TimeLimitPolicy(models.Model):
    """How long a step may take in one jurisdiction; a row without jurisdiction is the default."""

    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
        help_text=_(
            "Leave empty for the default that applies wherever no jurisdiction sets its own."
        ),
    )
    rule = models.CharField(_("rule"), max_length=30, choices=LimitRule.choices)
    amount = models.PositiveSmallIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=LimitUnit.choices)
    source = models.CharField(_("source"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("time-limit policy")
        verbose_name_plural = _("time-limit policies")
        ordering = ["jurisdiction__name", "rule"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "rule"],
                condition=models.Q(jurisdiction__isnull=False),
                name="timelimit_unique_rule_per_jurisdiction",
            ),
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(jurisdiction__isnull=True),
                name="timelimit_unique_default_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.amount} {self.get_unit_display()}"
