"""What is told to whom, by which channel, and whether it arrived (docs/notices.md).

A `Delivery` is written in the same transaction as the event it tells of; its unique key makes a
second write of the same (event, recipient, channel) a no-op, and the worker marks it sent only
after the channel accepted it (notices/sender.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INAPP = "inapp", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")


class Delivery(models.Model):
    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("notice"), max_length=40)
    channel = models.CharField(_("notice channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    enterprise = models.ForeignKey(
        "petitions.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        "petitions.PetitionEvent",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_ref = models.CharField(_("provider's reference"), max_length=100, blank=True)
    reason = models.CharField(_("why not (yet)"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The worker's claim reads only what is still to send.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class OptOut(models.Model):
    """A channel a person turned off for one kind of notice (mandatory kinds ignore it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_opt_outs"
    )
    kind = models.CharField(_("notice"), max_length=40)
    channel = models.CharField(_("notice channel"), max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("turned-off notice")
        verbose_name_plural = _("turned-off notices")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="optout_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel}"


class OneTimeCode(models.Model):
    """A short code sent by SMS (password reset, firm activation): hashed, expiring, single use."""

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset", _("Password reset")
        ACTIVATION = "activation", _("Account activation")
        MOBILE_CHANGE = "mobile_change", _("Mobile number change")

    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="one_time_codes",
    )
    enterprise = models.ForeignKey(
        "petitions.Enterprise",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="one_time_codes",
    )
    phone = models.CharField(_("phone"), max_length=20)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["phone", "purpose", "created_at"], name="code_lookup")]

    def __str__(self) -> str:
        return f"{self.purpose} {self.phone}"
