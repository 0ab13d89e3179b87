"""Organisation units and users (docs/rules.md §1)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from petitions.history import HistoricalRecords
from petitions.validators import validate_cn_phone


class UnitKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District or county")
    ZONE = "zone", _("Functional zone")
    DEPARTMENT = "department", _("Department")
    TASK_FORCE = "task_force", _("Task force")
    SUPERVISION = "supervision", _("Supervision office")
    LEADERSHIP = "leadership", _("Leadership")


# Units that run the mechanism for themselves (docs/rules.md §1: each level runs the same mechanism).
JURISDICTION_KINDS = (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.ZONE)


class OrgUnitQuerySet(models.QuerySet):
    def jurisdictions(self) -> OrgUnitQuerySet:
        return self.filter(kind__in=JURISDICTION_KINDS)

    def handling_units(self) -> OrgUnitQuerySet:
        """Units that can lead or co-handle a petition: departments and lower governments."""
        return self.filter(kind__in=(UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.ZONE))


class OrgUnit(models.Model):
    """A node of the organisation tree: city → district/zone → departments and offices."""

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    contact_name = models.CharField(_("liaison officer"), max_length=50, blank=True)
    contact_phone = PhoneNumberField(_("liaison phone"), blank=True, validators=[validate_cn_phone])
    is_active = models.BooleanField(_("active"), default=True)
    # 中直、省直驻汕单位: offered to the city as lead units beside its own departments (docs/rules.md §1).
    is_stationed = models.BooleanField(
        _("centrally or provincially managed unit stationed here"), default=False
    )
    # Petition numbers of this jurisdiction read ZQ<prefix>2026-000001 when set (docs/rules.md §1).
    number_prefix = models.CharField(
        _("petition number prefix"),
        max_length=4,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Z]{1,4}$", _("Use one to four capital letters, e.g. LH."))
        ],
        help_text=_("Optional, for districts and zones: one to four capital letters, e.g. LH."),
    )

    objects = OrgUnitQuerySet.as_manager()
    # The tree decides whose jurisdiction a unit is in, and so what its people see.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="orgunit_unique_name_in_parent"
            ),
            models.UniqueConstraint(
                fields=["number_prefix"],
                condition=~models.Q(number_prefix=""),
                name="orgunit_unique_number_prefix",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_jurisdiction(self) -> bool:
        return self.kind in JURISDICTION_KINDS

    @property
    def is_lower_government(self) -> bool:
        """District/county governments and zones get longer limits to confirm (Shantou 三(二))."""
        return self.kind in (UnitKind.DISTRICT, UnitKind.ZONE)

    def jurisdiction(self) -> OrgUnit:
        """The nearest jurisdiction at or above this unit (walks at most a few parents)."""
        unit: OrgUnit | None = self
        while unit is not None and not unit.is_jurisdiction:
            unit = unit.parent
        if unit is None:
            raise ValueError(f"{self} is not under any jurisdiction")
        return unit

    def ancestors(self) -> list[OrgUnit]:
        chain: list[OrgUnit] = []
        unit = self.parent
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain


def jurisdiction_ids_under(unit: OrgUnit | None) -> list[int]:
    """The unit's jurisdiction and every jurisdiction below it (a city oversees its districts);
    none for no unit (an account without one oversees nothing).

    Here, below the models, so that `Petition.objects.visible_to` and petitions/access.py share it
    without importing each other.
    """
    if unit is None:
        return []
    top = unit.jurisdiction()
    ids = [top.pk]
    frontier = [top.pk]
    while frontier:
        frontier = list(
            OrgUnit.objects.filter(parent_id__in=frontier, kind__in=JURISDICTION_KINDS).values_list(
                "pk", flat=True
            )
        )
        ids.extend(frontier)
    return ids


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    TASK_FORCE = "task_force", _("Task-force staff")
    HANDLER = "handler", _("Department handler")
    LEADER = "leader", _("Leader")
    SUPERVISOR = "supervisor", _("Supervision office")


class User(AbstractUser):
    """A person who signs in: firm staff belong to an enterprise, officials to a unit."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    enterprise = models.ForeignKey(
        "petitions.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    mobile = PhoneNumberField(_("mobile"), blank=True, validators=[validate_cn_phone])

    # Who gave whom which role, unit, firm, group or admin right. Sign-ins (last_login) and password
    # hashes are left out: petitions/history.py skips the saves that write only those.
    history = HistoricalRecords(
        excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"]
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="enterprise") | models.Q(enterprise__isnull=False),
                name="user_enterprise_role_has_enterprise",
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    def has_role(self, *roles: str) -> bool:
        return self.is_active and self.role in roles
