"""Meetings 面对面 / 恳谈会 / 直通车工作会议, their topics and the printed issue catalogue (docs/rules.md §6)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class MeetingKind(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _("Face-to-face activity")
    SYMPOSIUM = "symposium", _("Approval-service symposium")
    TALKS = "talks", _("Qinqing government-enterprise talks")
    WORK_MEETING = "work_meeting", _("Through-train work meeting")


# 亲清 talks invite at least ten firms (Uxin 二(二)).
MIN_FIRMS_FOR_TALKS = 10


class MeetingState(models.TextChoices):
    PLANNING = "planning", _("Planning")
    DRAFTED = "drafted", _("Catalogue drafted")
    SUBMITTED = "submitted", _("Catalogue submitted")
    APPROVED = "approved", _("Catalogue approved")
    NOTICE_ISSUED = "notice_issued", _("Notice issued")
    HELD = "held", _("Held")
    ASSIGNED = "assigned", _("Decisions assigned")
    CLOSED = "closed", _("Closed")


class Meeting(ConcurrentTransitionMixin, models.Model):
    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("meeting date"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chair"),
        on_delete=models.PROTECT,
        related_name="chaired_meetings",
        limit_choices_to={"role": "leader"},
    )
    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attending leaders"),
        blank=True,
        related_name="attended_meetings",
        limit_choices_to={"role": "leader"},
    )
    departments = models.ManyToManyField(
        "petitions.OrgUnit", verbose_name=_("departments involved"), blank=True, related_name="+"
    )
    firms = models.ManyToManyField(
        "petitions.Enterprise",
        verbose_name=_("invited enterprises"),
        blank=True,
        related_name="meetings",
    )
    catalogue_due_on = models.DateField(_("catalogue due to the government office"))
    state = FSMField(
        _("state"), default=MeetingState.PLANNING, choices=MeetingState.choices, protected=True
    )
    submitted_at = models.DateTimeField(_("catalogue submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by (deputy leader)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    notice_issued_at = models.DateTimeField(_("notice issued at"), null=True, blank=True)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("decisions assigned at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["jurisdiction", "date"], name="meeting_jur_date")]

    def __str__(self) -> str:
        return f"{self.title} {self.date:%Y-%m-%d}"

    @property
    def too_few_firms(self) -> bool:
        return self.kind == MeetingKind.TALKS and self.firms.count() < MIN_FIRMS_FOR_TALKS

    def submitted_late(self) -> bool:
        return self.submitted_at is not None and self.submitted_at.date() > self.catalogue_due_on

    @transition(field=state, source=MeetingState.PLANNING, target=MeetingState.DRAFTED)
    def draft_catalogue(self) -> None:
        pass

    @transition(field=state, source=MeetingState.DRAFTED, target=MeetingState.PLANNING)
    def reopen_catalogue(self) -> None:
        pass

    @transition(field=state, source=MeetingState.DRAFTED, target=MeetingState.SUBMITTED)
    def submit_catalogue(self, *, at: datetime) -> None:
        self.submitted_at = at

    @transition(field=state, source=MeetingState.SUBMITTED, target=MeetingState.SUBMITTED)
    def review(self, *, by: object, at: datetime, note: str) -> None:
        self.reviewed_by, self.reviewed_at, self.review_note = by, at, note

    @transition(field=state, source=MeetingState.SUBMITTED, target=MeetingState.APPROVED)
    def approve(self, *, by: object, at: datetime) -> None:
        self.approved_by, self.approved_at = by, at

    @transition(field=state, source=MeetingState.SUBMITTED, target=MeetingState.DRAFTED)
    def send_back(self) -> None:
        self.submitted_at = None

    @transition(field=state, source=MeetingState.APPROVED, target=MeetingState.NOTICE_ISSUED)
    def issue_notice(self, *, at: datetime) -> None:
        self.notice_issued_at = at

    @transition(field=state, source=MeetingState.NOTICE_ISSUED, target=MeetingState.HELD)
    def hold(self, *, at: datetime) -> None:
        self.held_at = at

    @transition(field=state, source=MeetingState.HELD, target=MeetingState.ASSIGNED)
    def assign_decisions(self, *, at: datetime) -> None:
        self.assigned_at = at

    @transition(field=state, source=MeetingState.ASSIGNED, target=MeetingState.CLOSED)
    def close(self, *, at: datetime) -> None:
        self.closed_at = at


class TopicSource(models.TextChoices):
    FIRM = "firm", _("Submitted by an enterprise")
    STAFF = "staff", _("Entered by staff for a department")
    PETITION = "petition", _("Proposed from a petition")
    # A lower level could not settle it (Uxin 二(三) "提交上级恳谈会研究解决"; docs/rules.md §1).
    REFERRED = "referred", _("Sent up by a lower level")


class TopicStatus(models.TextChoices):
    NEW = "new", _("New")
    VERIFIED = "verified", _("Verified with departments")
    DROPPED = "dropped", _("Dropped")
    CATALOGUED = "catalogued", _("On the catalogue")
    SENT_UP = "sent_up", _("Sent up to the higher level")


class AgendaRule(models.TextChoices):
    """Why a petition goes on the agenda (Shantou 四(一))."""

    UNRESOLVED = "unresolved", _("Unresolved or unsatisfied after handling")
    MULTI_DEPARTMENT = "multi_department", _("Needs more departments than the lead can coordinate")
    TYPICAL_SUGGESTION = "typical_suggestion", _("Typical business-environment suggestion")
    LEADER_INSTRUCTION = "leader_instruction", _("A leader's instruction")
    OTHER = "other", _("Other")


class Topic(models.Model):
    """议题: the topic form of Uxin 附件1 — from a firm, a department's channel, or a petition."""

    jurisdiction = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        related_name="topics",
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="topics",
    )
    source = models.CharField(_("source"), max_length=20, choices=TopicSource.choices)
    rule = models.CharField(_("agenda rule"), max_length=30, choices=AgendaRule.choices, blank=True)
    enterprise = models.ForeignKey(
        "petitions.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topics",
    )
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topics",
    )
    channel_unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("collected by department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_in_charge = models.CharField(_("person in charge"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    problem = models.TextField(_("problem"))
    suggestion = models.TextField(_("suggestion"), blank=True)
    remarks = models.TextField(_("remarks (earlier reports and their result)"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=TopicStatus.choices, default=TopicStatus.NEW
    )
    verification_note = models.TextField(_("verification with departments"), blank=True)
    opinion = models.TextField(_("proposed handling opinion"), blank=True)
    lead_unit = models.ForeignKey(
        "petitions.OrgUnit",
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    co_units = models.ManyToManyField(
        "petitions.OrgUnit", verbose_name=_("co-handling units"), blank=True, related_name="+"
    )
    # The topic of the lower level this one was sent up from; one referral per topic, so a topic
    # cannot go up twice (docs/rules.md §1).
    referred_from = models.OneToOneField(
        "self",
        verbose_name=_("sent up from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referral",
    )
    referral_reason = models.TextField(_("why the lower level sent it up"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "petition"],
                condition=models.Q(petition__isnull=False, meeting__isnull=False),
                name="topic_petition_once_per_meeting",
            ),
            # A referred topic always names its origin, and only a referred one does.
            models.CheckConstraint(
                condition=models.Q(source="referred", referred_from__isnull=False)
                | (~models.Q(source="referred") & models.Q(referred_from__isnull=True)),
                name="topic_referred_names_its_origin",
            ),
        ]

    def __str__(self) -> str:
        return self.problem[:40]


class Outcome(models.TextChoices):
    PENDING = "pending", _("Not yet decided")
    SETTLED = "settled", _("Settled on the spot")
    ASSIGNED = "assigned", _("Assigned to departments")


class CatalogueItem(models.Model):
    """One row of the issue catalogue 问题目录 that leaders work from (Heyuan 四(二)–(六))."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items"
    )
    topic = models.OneToOneField(
        Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="item"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    enterprise_name = models.CharField(_("enterprise"), max_length=200)
    problem = models.TextField(_("problem"))
    opinion = models.TextField(_("proposed handling opinion"))
    lead_unit = models.ForeignKey(
        "petitions.OrgUnit", verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+"
    )
    co_units = models.ManyToManyField(
        "petitions.OrgUnit", verbose_name=_("co-handling units"), blank=True, related_name="+"
    )
    limit_days = models.PositiveSmallIntegerField(_("limit (days)"))
    decision = models.TextField(_("leader's decision"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )
    assign_due_on = models.DateField(_("to be assigned by"), null=True, blank=True)
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("supervised petition"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_items",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("issue catalogue")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="catalogue_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id}-{self.number}"


class OverallRating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class MeetingEvaluation(models.Model):
    """总体评价表 (Uxin 附件3): a firm that attended rates the meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="evaluations"
    )
    enterprise = models.ForeignKey(
        "petitions.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    person_in_charge = models.CharField(_("person in charge"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30)
    rating = models.CharField(_("overall evaluation"), max_length=20, choices=OverallRating.choices)
    suggestions = models.TextField(_("other suggestions"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("overall evaluation")
        verbose_name_plural = _("overall evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "enterprise"], name="meeting_evaluation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.enterprise_id}"
