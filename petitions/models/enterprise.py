"""Enterprise registry 企业信息库 (docs/rules.md §2)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from petitions.history import HistoricalRecords
from petitions.validators import normalise_uscc, validate_cn_phone, validate_uscc


class Ownership(models.TextChoices):
    PRIVATE = "private", _("Private")
    STATE = "state", _("State-owned")
    FOREIGN = "foreign", _("Foreign-invested")
    COLLECTIVE = "collective", _("Collective")
    MIXED = "mixed", _("Mixed ownership")
    INDIVIDUAL = "individual", _("Individual business")
    OTHER = "other", _("Other")


class ProjectStage(models.TextChoices):
    SETTLED = "settled", _("Settled")
    STARTED = "started", _("Construction started")
    COMPLETED = "completed", _("Construction completed")
    PRODUCING = "producing", _("In production")


class EnterpriseTag(models.Model):
    """Tags that pick meeting participants and key liaison firms (Heyuan 三; Pingdingshan 三(一))."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("enterprise tag")
        verbose_name_plural = _("enterprise tags")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("name"), max_length=200)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = PhoneNumberField(_("contact phone"), validators=[validate_cn_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    ownership = models.CharField(
        _("ownership"), max_length=20, choices=Ownership.choices, default=Ownership.PRIVATE
    )
    is_chamber = models.BooleanField(
        _("chamber of commerce"),
        default=False,
        help_text=_("A chamber or association speaking for an industry."),
    )
    tags = models.ManyToManyField(EnterpriseTag, verbose_name=_("tags"), blank=True)
    liaison_leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("liaison leaders"),
        blank=True,
        related_name="liaison_enterprises",
        limit_choices_to={"role": "leader"},
    )
    project_stage = models.CharField(
        _("project stage"), max_length=20, choices=ProjectStage.choices, blank=True
    )
    is_verified = models.BooleanField(_("verified"), default=False)
    # The verification workflow (petitions/verification.py, docs/rules.md §2): who did what, when.
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    refused_at = models.DateTimeField(_("verification refused at"), null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verification refused by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    refusal_reason = models.TextField(_("why verification was refused"), blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Who verified the firm, moved it to another jurisdiction or changed its contacts.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # The code is stored upper-case so uniqueness cannot be dodged by case.
        if self.uscc:
            self.uscc = normalise_uscc(self.uscc)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.uscc:
            self.uscc = normalise_uscc(self.uscc)
