"""Reference data the task force keeps: the routing catalogue (派单目录, docs/rules.md §10)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from petitions.history import HistoricalRecords


class RoutingRule(models.Model):
    """Theme → default lead unit in one jurisdiction, proposed when assigning."""

    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    theme = models.ForeignKey("petitions.Theme", verbose_name=_("theme"), on_delete=models.CASCADE)
    unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("default lead unit"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    co_units = models.ManyToManyField(
        "petitions.OrgUnit",
        verbose_name=_("default co-handling units"),
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    # How often the proposal was taken or replaced at assignment, to improve the catalogue.
    times_proposed = models.PositiveIntegerField(_("times proposed"), default=0, editable=False)
    times_overridden = models.PositiveIntegerField(_("times overridden"), default=0, editable=False)

    history = HistoricalRecords(m2m_fields=["co_units"])

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing catalogue")
        ordering = ["jurisdiction__name", "theme__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "theme"], name="routing_one_rule_per_theme"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.theme} → {self.unit}"
