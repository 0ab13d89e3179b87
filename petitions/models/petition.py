"""The petition 诉求 and its lifecycle graph (docs/rules.md §3–§4).

Transitions here change only the petition's own fields; who may act, deadlines, events and
notifications are the business of petitions/workflow.py, the only caller.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .choices import (
    OPEN_STATES,
    AgeClass,
    Channel,
    DemandClass,
    NatureClass,
    PetitionType,
    RejectReason,
    ScopeClass,
    State,
    Step,
    Tier,
)
from .org import OrgUnit, Role, User, jurisdiction_ids_under
from .records import LevelTransfer


class Theme(models.Model):
    """Subject of a petition, e.g. 融资, 用地, 政策兑现 (Hailar 二(一)2, 二(三))."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PetitionQuerySet(models.QuerySet):
    def open(self) -> PetitionQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def overdue(self, on: date) -> PetitionQuerySet:
        """Open petitions whose earliest open step was due before `on` (a step is due by the end of its day)."""
        return self.open().filter(due_on__lt=on)

    def handled_by(self, unit: OrgUnit) -> PetitionQuerySet:
        """Petitions a unit leads, is asked to confirm, or co-handles."""
        co = Petition.co_units.through.objects.filter(
            petition_id=OuterRef("pk"), orgunit_id=unit.pk
        )
        return self.filter(Q(lead_unit=unit) | Q(proposed_unit=unit) | Exists(co))

    def visible_to(self, user: User) -> PetitionQuerySet:
        """The one rule of who sees which petition (docs/rules.md §8); petitions/access.py builds on it."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.ENTERPRISE:
            return self.filter(enterprise_id=user.enterprise_id)
        if user.unit_id is None:
            return self.none()
        if user.role == Role.HANDLER:
            return self.handled_by(user.unit)
        if user.role in (Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR):
            ids = jurisdiction_ids_under(user.unit)
            if user.unit.jurisdiction().parent_id is None:
                # A top level hands cases down only, within what it sees anyway: the plain
                # filter keeps its large lists on the index (bench/README.md, Supervision).
                return self.filter(jurisdiction_id__in=ids)
            # A level that passed a case up keeps reading it and its history (docs/rules.md §1);
            # uncorrelated, so PostgreSQL hashes the few ids once instead of probing per row.
            passed_on = LevelTransfer.objects.filter(from_jurisdiction_id__in=ids).values(
                "petition_id"
            )
            return self.filter(Q(jurisdiction_id__in=ids) | Q(pk__in=passed_on))
        return self.none()


class Petition(ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    enterprise = models.ForeignKey(
        "petitions.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    channel_ref = models.CharField(
        _("channel reference"),
        max_length=50,
        blank=True,
        help_text=_(
            "E.g. the 12345 ticket number; keeps a re-imported ticket from being registered twice."
        ),
    )
    received_at = models.DateTimeField(_("received at"))
    type = models.CharField(_("type"), max_length=20, choices=PetitionType.choices)
    theme = models.ForeignKey(
        Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.PROTECT
    )
    scope_class = models.CharField(
        _("overall or departmental"), max_length=20, choices=ScopeClass.choices, blank=True
    )
    demand_class = models.CharField(
        _("common or individual"), max_length=20, choices=DemandClass.choices, blank=True
    )
    nature_class = models.CharField(
        _("policy or procedure"), max_length=20, choices=NatureClass.choices, blank=True
    )
    age_class = models.CharField(
        _("existing or new"), max_length=20, choices=AgeClass.choices, blank=True
    )
    tier = models.CharField(
        _("handling tier"), max_length=20, choices=Tier.choices, default=Tier.GENERAL
    )
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"))
    request = models.TextField(_("what the enterprise asks for"), blank=True)
    publication_consent = models.BooleanField(
        _("agrees to publication after redaction"), default=False
    )
    meeting_opt_out = models.BooleanField(
        _("the enterprise asked not to raise it at a meeting"), default=False
    )
    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    proposed_unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("proposed lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposed_petitions",
    )
    lead_unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_petitions",
    )
    co_units = models.ManyToManyField(
        "petitions.OrgUnit",
        verbose_name=_("co-handling units"),
        blank=True,
        related_name="co_handled_petitions",
    )
    reject_reason = models.CharField(
        _("reason not accepted"), max_length=20, choices=RejectReason.choices, blank=True
    )
    reject_explanation = models.TextField(_("explanation to the enterprise"), blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    needs_leader_approval = models.BooleanField(_("needs a leader's approval"), default=False)
    approval_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approving leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petitions_to_approve",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    leader_instruction = models.TextField(_("leader's instruction"), blank=True)
    transfer_letter_no = models.CharField(_("transfer letter number"), max_length=30, blank=True)
    transfer_letter_issued_at = models.DateTimeField(
        _("transfer letter issued at"), null=True, blank=True
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    extension_count = models.PositiveSmallIntegerField(_("extensions granted"), default=0)
    return_count = models.PositiveSmallIntegerField(_("times returned"), default=0)
    rehandle_count = models.PositiveSmallIntegerField(_("times re-handled"), default=0)
    state = FSMField(_("state"), default=State.REGISTERED, choices=State.choices, protected=True)
    # The earliest open step's due date, kept by petitions/deadlines.py for inboxes and sweeps.
    due_on = models.DateField(_("due on"), null=True, blank=True)
    due_step = models.CharField(_("step due"), max_length=20, choices=Step.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["lead_unit", "due_on"], name="petition_lead_due"),
            models.Index(fields=["proposed_unit", "due_on"], name="petition_proposed_due"),
            # The handler inbox: a unit's led petitions per state by due date, and what awaits its
            # confirmation (bench/README.md: p95 under 50 ms at a million rows).
            models.Index(fields=["lead_unit", "state", "due_on"], name="petition_lead_state_due"),
            models.Index(
                fields=["proposed_unit", "due_on"],
                condition=Q(state="proposed"),
                name="petition_proposed_open",
            ),
            models.Index(fields=["state", "due_on"], name="petition_state_due"),
            models.Index(fields=["jurisdiction", "state"], name="petition_jur_state"),
            models.Index(fields=["enterprise", "-received_at"], name="petition_firm_recent"),
            # Statistics group a period's petitions by these columns; covering them keeps the page
            # under a second at a million rows (bench/README.md). PostgreSQL only uses `include`.
            models.Index(
                fields=["received_at"],
                include=[
                    "jurisdiction",
                    "lead_unit",
                    "theme",
                    "channel",
                    "type",
                    "concluded_at",
                    "return_count",
                    "rehandle_count",
                ],
                name="petition_received_stats",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_ref"],
                condition=~Q(channel_ref=""),
                name="petition_unique_channel_ref",
            ),
            models.CheckConstraint(
                condition=Q(extension_count__lte=10), name="petition_extension_count_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- triage (Shantou 二) -------------------------------------------------------------------

    @transition(field=state, source=State.REGISTERED, target=State.ACCEPTED)
    def accept(self, *, at: datetime) -> None:
        self.accepted_at = at

    @transition(field=state, source=State.REGISTERED, target=State.REJECTED)
    def reject(self, *, reason: str, explanation: str) -> None:
        self.reject_reason = reason
        self.reject_explanation = explanation

    @transition(field=state, source=State.REGISTERED, target=State.DUPLICATE)
    def mark_duplicate(self, *, original: Petition) -> None:
        self.duplicate_of = original

    @transition(field=state, source=State.REGISTERED, target=State.WITHDRAWN)
    def withdraw(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.REGISTERED, State.ACCEPTED, State.RETURNED],
        target=State.REGISTERED,
    )
    def move_level(self, *, to: OrgUnit) -> None:
        """Passed up or handed down: the receiving task force triages it afresh (docs/rules.md §1)."""
        self.jurisdiction = to
        self.accepted_at = None
        self.proposed_unit = None

    # --- assignment (Shantou 三(二)) ---------------------------------------------------------------

    @transition(field=state, source=[State.ACCEPTED, State.RETURNED], target=State.PROPOSED)
    def propose(self, *, unit: OrgUnit) -> None:
        self.proposed_unit = unit

    @transition(field=state, source=State.PROPOSED, target=State.CONFIRMED)
    def confirm(self, *, at: datetime) -> None:
        self.lead_unit = self.proposed_unit
        self.confirmed_at = at

    @transition(field=state, source=State.PROPOSED, target=State.RETURNED)
    def return_to_task_force(self) -> None:
        self.return_count += 1

    @transition(field=state, source=State.RETURNED, target=State.CONFIRMED)
    def overrule_return(self, *, at: datetime) -> None:
        """The task force rejects the return: the unit keeps the case (docs/rules.md §10)."""
        self.lead_unit = self.proposed_unit
        self.confirmed_at = at

    @transition(field=state, source=State.CONFIRMED, target=State.AWAITING_APPROVAL)
    def submit_for_approval(self, *, leader: User) -> None:
        self.needs_leader_approval = True
        self.approval_leader = leader

    @transition(field=state, source=State.AWAITING_APPROVAL, target=State.CONFIRMED)
    def approve(self, *, at: datetime, instruction: str) -> None:
        self.approved_at = at
        self.leader_instruction = instruction

    @transition(field=state, source=State.AWAITING_APPROVAL, target=State.CONFIRMED)
    def send_back(self, *, instruction: str) -> None:
        self.leader_instruction = instruction
        self.approved_at = None

    def approval_settled(self) -> bool:
        return not self.needs_leader_approval or self.approved_at is not None

    @transition(
        field=state, source=State.CONFIRMED, target=State.ASSIGNED, conditions=[approval_settled]
    )
    def issue_transfer_letter(self, *, letter_no: str, at: datetime) -> None:
        self.transfer_letter_no = letter_no
        self.transfer_letter_issued_at = at

    @transition(field=state, source=State.ACCEPTED, target=State.ASSIGNED)
    def assign_by_decision(self, *, unit: OrgUnit, letter_no: str, at: datetime) -> None:
        """A leader's decision at a meeting is itself the assignment (Uxin 二(四))."""
        self.proposed_unit = unit
        self.lead_unit = unit
        self.confirmed_at = at
        self.transfer_letter_no = letter_no
        self.transfer_letter_issued_at = at

    # --- handling (Shantou 三(三)–(四); Uxin 二(四)) ------------------------------------------------

    @transition(field=state, source=State.ASSIGNED, target=State.IN_PROGRESS)
    def record_contact(self, *, at: datetime) -> None:
        self.contacted_at = at

    @transition(field=state, source=State.IN_PROGRESS, target=State.REPLIED)
    def reply(self, *, at: datetime) -> None:
        self.replied_at = at

    # --- evaluation and close (Shantou 三(六)–(七)) -------------------------------------------------

    @transition(field=state, source=State.REPLIED, target=State.CONCLUDED)
    def conclude(self, *, at: datetime) -> None:
        self.concluded_at = at

    @transition(field=state, source=State.REPLIED, target=State.IN_PROGRESS)
    def rehandle(self) -> None:
        self.rehandle_count += 1
        self.replied_at = None

    @transition(
        field=state,
        source=[State.CONCLUDED, State.REJECTED, State.DUPLICATE, State.WITHDRAWN],
        target=State.ARCHIVED,
    )
    def archive(self, *, at: datetime) -> None:
        self.archived_at = at


class PetitionNumber(models.Model):
    """Per-year counter behind readable numbers such as ZQ2026-000123; rows are locked to increment."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("petition number counter")
        verbose_name_plural = _("petition number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class JurisdictionNumber(models.Model):
    """Per-jurisdiction, per-year counter for jurisdictions with a number prefix (ZQLH2026-000001)."""

    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("jurisdiction number counter")
        verbose_name_plural = _("jurisdiction number counters")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "year"], name="jurisdictionnumber_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id} {self.year}: {self.last}"
