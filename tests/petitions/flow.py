"""Bring a petition to a given state the only legal way: through petitions/workflow.py."""

from __future__ import annotations

from django.utils import timezone

from petitions import workflow
from petitions.models import Channel, Petition, PetitionType, Rating, ReturnReason


def registered(world, *, type: str = PetitionType.COMPLAINT, by=None) -> Petition:
    return workflow.register(
        actor=by or world.firm_user,
        enterprise=world.firm,
        channel=Channel.PORTAL,
        type=type,
        title="用电报装审批时间过长",
        content="企业新厂房用电报装已提交两个月，仍未审批，影响投产。",
        request="尽快完成用电报装。",
        theme_id=world.theme.pk,
    )


def accepted(world, **kw) -> Petition:
    p = registered(world, **kw)
    return workflow.accept(petition_id=p.pk, actor=world.staff)


def proposed(world, unit=None, co_units=(), **kw) -> Petition:
    p = accepted(world, **kw)
    return workflow.propose(
        petition_id=p.pk, actor=world.staff, unit=unit or world.dept, co_units=co_units
    )


def returned(world, **kw) -> Petition:
    p = proposed(world, **kw)
    workflow.return_petition(
        petition_id=p.pk,
        actor=world.handler,
        reason_code=ReturnReason.NOT_OUR_REMIT,
        reason="属于自然资源部门职责。",
        suggested_unit=world.other_dept,
    )
    return Petition.objects.get(pk=p.pk)


def confirmed(world, **kw) -> Petition:
    p = proposed(world, **kw)
    return workflow.confirm(petition_id=p.pk, actor=world.handler)


def awaiting_approval(world, **kw) -> Petition:
    p = confirmed(world, **kw)
    return workflow.submit_for_approval(petition_id=p.pk, actor=world.staff, leader=world.leader)


def assigned(world, **kw) -> Petition:
    p = confirmed(world, **kw)
    return workflow.issue_transfer_letter(petition_id=p.pk, actor=world.staff)


def in_progress(world, **kw) -> Petition:
    p = assigned(world, **kw)
    workflow.record_contact(
        petition_id=p.pk,
        actor=world.handler,
        contacted_at=timezone.now(),
        method="phone",
        summary="电话联系企业负责人，了解用电需求。",
    )
    return Petition.objects.get(pk=p.pk)


def replied(world, **kw) -> Petition:
    p = in_progress(world, **kw)
    workflow.reply(petition_id=p.pk, actor=world.handler, text="已协调供电局，下周完成报装。")
    return Petition.objects.get(pk=p.pk)


def concluded(world, **kw) -> Petition:
    p = replied(world, **kw)
    workflow.evaluate(petition_id=p.pk, actor=world.firm_user, rating=Rating.SATISFIED)
    return Petition.objects.get(pk=p.pk)
