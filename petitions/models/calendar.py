"""Working-day calendar data kept by staff (docs/rules.md §5). The arithmetic is in petitions/workdays.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from petitions.history import HistoricalRecords


class CalendarOverride(models.Model):
    """One day whose status staff set by hand, e.g. from the State Council's notice. Always wins."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d}"


class CalendarYear(models.Model):
    """A year whose official holiday schedule is known. Years without a row are estimates."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("confirmed calendar year")
        verbose_name_plural = _("confirmed calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)
