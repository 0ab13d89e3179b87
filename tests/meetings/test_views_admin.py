"""The meetings admin is for data: every model is registered, `state` is read-only, a task force
sees only its jurisdictions, and the admin actions go through meetings/workflow.py (docs/conventions.md C10)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from meetings import workflow
from meetings.models import CatalogueItem, Meeting, MeetingEvaluation, MeetingState, Topic
from tests.meetings.test_views import frozen, held, submitted  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_staff(world):
    for user in (world.staff, world.foreign_staff):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="meetings"))
    return world.staff


def test_every_meetings_model_is_registered():
    assert {Meeting, Topic, CatalogueItem, MeetingEvaluation} <= set(admin.site._registry)


@pytest.mark.parametrize("model", ["meeting", "topic", "catalogueitem"])
def test_changelist_and_change_page_render_with_a_row(client, world, admin_staff, model):
    meeting = held(world)
    obj = {
        "meeting": meeting,
        "topic": meeting.topics.first(),
        "catalogueitem": meeting.items.first(),
    }[model]
    client.force_login(admin_staff)
    assert client.get(reverse(f"admin:meetings_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:meetings_{model}_change", args=[obj.pk])).status_code == 200


def test_state_is_read_only_on_the_change_form(client, world, admin_staff):
    meeting = submitted(world)
    client.force_login(admin_staff)
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    form = client.get(url).context["adminform"].form
    assert "state" not in form.fields
    data = {
        "jurisdiction": world.city.pk,
        "kind": meeting.kind,
        "title": "改过的标题",
        "date": meeting.date.isoformat(),
        "location": "",
        "chair": world.leader.pk,
        "state": MeetingState.CLOSED,
        "items-TOTAL_FORMS": 2,
        "items-INITIAL_FORMS": 2,
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 1000,
        **{f"items-{i}-id": item.pk for i, item in enumerate(meeting.items.order_by("number"))},
        **{f"items-{i}-meeting": meeting.pk for i in range(2)},
    }
    client.post(url, data)
    meeting.refresh_from_db()
    assert meeting.title == "改过的标题"
    assert meeting.state == MeetingState.SUBMITTED


def test_a_task_force_of_another_city_does_not_see_the_meeting(client, world, admin_staff):
    meeting = submitted(world)
    client.force_login(world.foreign_staff)
    response = client.get(reverse("admin:meetings_meeting_changelist"))
    assert meeting.title not in response.content.decode()
    assert (
        client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk])).status_code == 302
    )


def test_the_notice_action_goes_through_the_workflow_and_reports_refusals(
    client, world, admin_staff
):
    approved = submitted(world, title="已审定的会议")
    workflow.approve_catalogue(meeting_id=approved.pk, actor=world.leader)
    not_approved = submitted(world, title="未审定的会议")
    client.force_login(admin_staff)
    response = client.post(
        reverse("admin:meetings_meeting_changelist"),
        {"action": "issue_notice", "_selected_action": [approved.pk, not_approved.pk]},
        follow=True,
    )
    approved.refresh_from_db()
    not_approved.refresh_from_db()
    assert approved.state == MeetingState.NOTICE_ISSUED
    assert not_approved.state == MeetingState.SUBMITTED
    levels = sorted(m.level_tag for m in response.context["messages"])
    assert levels == ["error", "success"]
