"""重点督办: a leader decides what the sweep proposed; follow-ups; close-out when settled."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from petitions import workflow as petition_workflow
from petitions.exceptions import WorkflowError
from petitions.models import Rating
from supervision import sweep, workflow
from supervision.models import KeyStatus, KeySupervision
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def key(world):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        flow.in_progress(world)
    sweep.run_monthly_sweep(date(2026, 11, 25))
    return KeySupervision.objects.get()


def test_a_leader_puts_a_proposed_item_on_the_key_list(world, key):
    key = workflow.decide(
        key_id=key.pk, actor=world.leader, approve=True, note="请市工信局限期办结"
    )
    assert key.status == KeyStatus.APPROVED
    assert key.follow_up_due_on == timezone.localdate() + workflow.FOLLOW_UP_EVERY
    with pytest.raises(WorkflowError):
        workflow.decide(key_id=key.pk, actor=world.leader, approve=False)


def test_only_a_leader_of_the_jurisdiction_decides(world, key):
    for stranger in (world.staff, world.handler, world.supervisor):
        with pytest.raises(PermissionDenied):
            workflow.decide(key_id=key.pk, actor=stranger, approve=True)
    assert KeySupervision.objects.get().status == KeyStatus.PROPOSED


def test_follow_ups_need_text_and_an_approved_item(world, key):
    with pytest.raises(WorkflowError):
        workflow.follow_up(key_id=key.pk, actor=world.supervisor, text="督促")
    workflow.decide(key_id=key.pk, actor=world.leader, approve=True)
    with pytest.raises(WorkflowError):
        workflow.follow_up(key_id=key.pk, actor=world.supervisor, text=" ")
    entry = workflow.follow_up(key_id=key.pk, actor=world.supervisor, text="已电话督促承办单位")
    assert entry.key_id == key.pk
    with pytest.raises(PermissionDenied):
        workflow.follow_up(key_id=key.pk, actor=world.handler, text="x")


def test_an_unknown_item_is_a_clear_error(world):
    with pytest.raises(WorkflowError):
        workflow.decide(key_id=98765, actor=world.leader, approve=True)


def test_a_settled_petition_is_closed_out_of_the_key_list(world, key):
    workflow.decide(key_id=key.pk, actor=world.leader, approve=True)
    assert workflow.close_settled(date(2026, 11, 26)) == 0
    petition = key.petition
    petition_workflow.reply(petition_id=petition.pk, actor=world.handler, text="已办结")
    petition_workflow.evaluate(
        petition_id=petition.pk, actor=world.firm_user, rating=Rating.SATISFIED
    )
    assert workflow.close_settled(date(2026, 11, 27)) == 1
    assert KeySupervision.objects.get().status == KeyStatus.CLOSED
    assert workflow.close_settled(date(2026, 11, 28)) == 0
