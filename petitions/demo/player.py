"""Plays the demo: each step of each case calls one `petitions.workflow` function as the person who
would act, at the step's moment in the past, so that deadlines are realistic and some petitions are
overdue today. The task force and the leader who act are those of the level that runs the case at
that moment (docs/rules.md §1).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from petitions import workflow
from petitions.demo import verification as demo_verification
from petitions.demo.plan import Case, Planner
from petitions.demo.scenarios import (
    APPROVAL_NOTE,
    APPROVE_TEXT,
    CONCLUDE_NOTE,
    CONTACT_SUMMARIES,
    EVALUATION_COMMENTS,
    EXTENSION_REASON,
    OPINION_TEXT,
    PROGRESS_TEXTS,
    REVISIT_METHODS,
    SEND_BACK_TEXT,
    TICKET_PREFIX,
    UNSAT,
    WITHDRAW_NOTE,
    WRONG_UNIT,
)
from petitions.demo.world import World
from petitions.models import (
    Channel,
    OrgUnit,
    PetitionType,
    Rating,
    ReturnReason,
    Tier,
    User,
)


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Keep eager Celery's one line per task off the console while hundreds of notices are sent."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


Travel = Callable[[datetime], contextlib.AbstractContextManager[object]]


class Player:
    """Plays the steps of every case in time order, each at its moment (time-machine's `travel`)."""

    def __init__(self, world: World, travel: Travel) -> None:
        self.world = world
        self.travel = travel

    def play(self, cases: list[Case]) -> None:
        steps = sorted(
            (
                (at, case.index, n, case, action, opts)
                for case in cases
                for n, (at, action, opts) in enumerate(case.steps)
            ),
            key=lambda s: s[:3],
        )
        for at, _index, _n, case, action, opts in steps:
            with self.travel(at):
                getattr(self, f"_do_{action}")(case, **opts)

    # --- steps: each calls one workflow function as the person who would act -------------------------

    def _staff(self, case: Case) -> User:
        """The task force of the level that runs the case now."""
        return self.world.task_forces[case.jurisdiction.pk]

    def _leader(self, case: Case) -> User:
        return self.world.leaders[case.jurisdiction.pk]

    def _pid(self, case: Case) -> int:
        assert case.petition_id is not None
        return case.petition_id

    def _do_register(self, case: Case) -> None:
        topic = case.topic
        common = {
            "enterprise": case.firm,
            "channel": case.channel,
            "type": topic["type"],
            "title": case.title,
            "content": case.content,
            "request": topic["request"],
            "theme_id": self.world.themes[topic["theme"]],
            "publication_consent": case.index % 4 == 0,
        }
        if case.channel == Channel.PORTAL:
            petition = workflow.register(actor=self.world.firm_users[case.firm.pk], **common)
        else:
            prefix = TICKET_PREFIX.get(case.channel)
            assert case.received_at is not None
            ref = (
                f"{prefix}-{timezone.localtime(case.received_at):%Y%m%d}-{case.index:04d}"
                if prefix
                else ""
            )
            petition = workflow.register(
                actor=self._staff(case), received_at=case.received_at, channel_ref=ref, **common
            )
        case.petition_id = petition.pk

    def _do_withdraw(self, case: Case) -> None:
        workflow.withdraw(
            petition_id=self._pid(case),
            actor=self.world.firm_users[case.firm.pk],
            note=WITHDRAW_NOTE,
        )

    def _do_reject(self, case: Case) -> None:
        workflow.reject(
            petition_id=self._pid(case),
            actor=self._staff(case),
            reason=case.topic["reason"],
            explanation=case.topic["explanation"],
        )

    def _do_duplicate(self, case: Case) -> None:
        assert case.original is not None
        workflow.mark_duplicate(
            petition_id=self._pid(case),
            actor=self._staff(case),
            original_id=self._pid(case.original),
            note="补充材料已转原承办单位。",
        )

    def _do_accept(self, case: Case) -> None:
        topic, i = case.topic, case.index
        suggestion = topic["type"] == PetitionType.SUGGESTION
        policy = topic["theme"] in (
            "financing",
            "policy_delivery",
            "talent",
            "individual_to_company",
        )
        workflow.accept(
            petition_id=self._pid(case),
            actor=self._staff(case),
            classification={
                "scope_class": "overall" if suggestion else "departmental",
                "demand_class": "common" if suggestion else "individual",
                "nature_class": "policy" if policy else "procedure",
                "age_class": "existing" if i % 3 == 0 else "new",
            },
            tier=self._tier(case),
        )

    def _tier(self, case: Case) -> str:
        """一般问题部门办理 · 复杂问题联合会商 · 重点问题领导协调 (Hailar 二(四)2)."""
        if any(action == "submit" for action, _opts in case.script):
            return Tier.KEY
        return Tier.COMPLEX if case.co_units else Tier.GENERAL

    def _do_pass_up(self, case: Case) -> None:
        petition = workflow.pass_up(
            petition_id=self._pid(case), actor=self._staff(case), reason=case.topic["level_reason"]
        )
        case.jurisdiction = petition.jurisdiction

    def _do_hand_down(self, case: Case, to: str) -> None:
        petition = workflow.hand_down(
            petition_id=self._pid(case),
            actor=self._staff(case),
            to=self.world.units[to],
            reason=case.topic["level_reason"],
        )
        case.jurisdiction = petition.jurisdiction

    def _wrong_unit(self, case: Case) -> OrgUnit:
        """A plausible wrong first choice: the topic's own, or the usual mix-up of its lead."""
        return self.world.units[case.topic.get("wrong") or WRONG_UNIT[case.topic["lead"]]]

    def _do_propose(self, case: Case, wrong: bool = False) -> None:
        unit = self._wrong_unit(case) if wrong else case.lead
        case.proposed = unit
        workflow.propose(
            petition_id=self._pid(case),
            actor=self._staff(case),
            unit=unit,
            co_units=[u for u in case.co_units if u.pk != unit.pk],
        )

    def _do_confirm(self, case: Case) -> None:
        assert case.proposed is not None
        workflow.confirm(petition_id=self._pid(case), actor=self.world.handlers[case.proposed.pk])

    def _do_return(self, case: Case, code: str) -> None:
        assert case.proposed is not None
        if code == ReturnReason.NOT_OUR_REMIT:
            suggested = case.lead
            reason = (
                f"该事项主要涉及{suggested.short_name or suggested.name}职责，建议由其牵头办理。"
            )
        else:
            suggested = self._wrong_unit(case)
            reason = (
                f"该事项涉及资金和政策调整，建议由{suggested.short_name or suggested.name}牵头。"
            )
        workflow.return_petition(
            petition_id=self._pid(case),
            actor=self.world.handlers[case.proposed.pk],
            reason_code=code,
            reason=reason,
            suggested_unit=suggested,
        )

    def _do_uphold(self, case: Case) -> None:
        case.proposed = case.lead
        workflow.review_return(
            petition_id=self._pid(case),
            actor=self._staff(case),
            uphold=True,
            unit=case.lead,
            co_units=[u for u in case.co_units if u.pk != case.lead.pk],
            note="同意退回意见。",
        )

    def _do_overrule(self, case: Case) -> None:
        workflow.review_return(
            petition_id=self._pid(case),
            actor=self._staff(case),
            uphold=False,
            note="经研究，该事项主要职责在你单位，请按规定牵头办理。",
        )

    def _do_submit(self, case: Case) -> None:
        workflow.submit_for_approval(
            petition_id=self._pid(case),
            actor=self._staff(case),
            leader=self._leader(case),
            note=APPROVAL_NOTE,
        )

    def _do_approve(self, case: Case) -> None:
        workflow.approve(
            petition_id=self._pid(case),
            actor=self._leader(case),
            instruction=APPROVE_TEXT,
        )

    def _do_send_back(self, case: Case) -> None:
        workflow.send_back(
            petition_id=self._pid(case),
            actor=self._leader(case),
            instruction=SEND_BACK_TEXT,
        )

    def _do_letter(self, case: Case) -> None:
        workflow.issue_transfer_letter(petition_id=self._pid(case), actor=self._staff(case))

    def _do_contact(self, case: Case) -> None:
        method, summary = CONTACT_SUMMARIES[case.index % len(CONTACT_SUMMARIES)]
        workflow.record_contact(
            petition_id=self._pid(case),
            actor=self.world.handlers[case.lead.pk],
            contacted_at=timezone.now(),
            method=method,
            summary=summary,
        )

    def _do_progress(self, case: Case) -> None:
        done = len([a for a in case.steps if a[0] <= timezone.now() and a[1] == "progress"])
        workflow.report_progress(
            petition_id=self._pid(case),
            actor=self.world.handlers[case.lead.pk],
            text=PROGRESS_TEXTS[(case.index + done) % len(PROGRESS_TEXTS)],
        )

    def _do_opinion(self, case: Case) -> None:
        workflow.submit_opinion(
            petition_id=self._pid(case),
            actor=self.world.handlers[case.co_units[0].pk],
            text=OPINION_TEXT,
        )

    def _do_extend(self, case: Case) -> None:
        amount = 10 if case.topic["type"] == PetitionType.COORDINATION else 3
        extension = workflow.request_extension(
            petition_id=self._pid(case),
            actor=self.world.handlers[case.lead.pk],
            reason=EXTENSION_REASON,
            amount=amount,
        )
        case.extension_id = extension.pk

    def _do_decide(self, case: Case, approve: bool) -> None:
        assert case.extension_id is not None
        workflow.decide_extension(
            extension_id=case.extension_id,
            actor=self._staff(case),
            approve=approve,
            note="理由充分，同意延期。"
            if approve
            else "该事项不属于需上级审批情形，请按原期限办结。",
        )

    def _do_reply(self, case: Case) -> None:
        workflow.reply(
            petition_id=self._pid(case),
            actor=self.world.handlers[case.lead.pk],
            text=case.topic["reply"],
        )

    def _do_evaluate(self, case: Case, rating: str, by: str) -> None:
        firm_user = self.world.firm_users.get(case.firm.pk)
        if by == "auto":
            by = "firm" if firm_user and case.index % 2 == 0 else "revisit"
        comment = EVALUATION_COMMENTS[Rating(rating)] if (rating == UNSAT or case.index % 3) else ""
        if by == "firm":
            assert firm_user is not None
            workflow.evaluate(
                petition_id=self._pid(case), actor=firm_user, rating=rating, comment=comment
            )
        else:
            workflow.evaluate(
                petition_id=self._pid(case),
                actor=self._staff(case),
                rating=rating,
                comment=comment,
                method=REVISIT_METHODS[case.index % len(REVISIT_METHODS)],
            )

    def _do_conclude(self, case: Case) -> None:
        workflow.conclude(petition_id=self._pid(case), actor=self._staff(case), note=CONCLUDE_NOTE)

    def _do_archive(self, case: Case) -> None:
        workflow.archive(petition_id=self._pid(case), actor=self._staff(case))


def load(data: dict[str, Any], travel: Travel) -> None:
    """Create the demo in one transaction: reference data, then every case played step by step.

    `travel(at)` runs a step at a past moment; the command passes time-machine's, an optional
    dependency (the `demo` extra), so that this module imports without it.
    """
    # Notices go to memory, not to the console of `make run`; they are sent on commit.
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", SMS_URL="locmem://"
        ),
        _quiet("celery.app.trace"),
        transaction.atomic(),
    ):
        world = World(data)
        world.create()
        now = timezone.now()
        Player(world, travel).play(Planner(world).plan(now))
        demo_verification.create(world, data["password"])
