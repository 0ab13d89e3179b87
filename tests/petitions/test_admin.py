"""The task force's admin: every model renders, transitions go through the workflow (docs/conventions.md C10)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalChanges

from petitions import workflow
from petitions.models import (
    Attachment,
    CalendarOverride,
    CalendarYear,
    Channel,
    Extension,
    ExtensionStatus,
    Notification,
    Petition,
    PetitionEvent,
    PetitionType,
    Rating,
    RejectReason,
    ReturnReason,
    RoutingRule,
    State,
    User,
)
from tests.factories import EnterpriseFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The history tables are read through each model's "History" page, not admins of their own.
PETITION_MODELS = sorted(
    (
        m
        for m in apps.get_app_config("petitions").get_models()
        if not issubclass(m, HistoricalChanges)
    ),
    key=lambda m: m._meta.model_name,
)


@pytest.fixture(autouse=True)
def _a_thursday_in_2026(time_machine):
    # 2026 is confirmed by the seed data; 2027 and 2028 are estimates.
    time_machine.move_to(datetime(2026, 11, 19, 10, 0, tzinfo=SHANGHAI))


def make_staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="petitions"))
    return user


@pytest.fixture
def staff(world):
    return make_staff(world.staff)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    # English msgids, so the assertions do not depend on the zh_Hans catalogue.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def petition_at(world, state: str, *, title: str = "用电报装审批时间过长") -> Petition:
    """A petition walked through the workflow, step by step, until it reaches `state`."""
    petition = workflow.register(
        actor=world.staff,
        enterprise=world.firm,
        channel=Channel.VISIT,
        type=PetitionType.COMPLAINT,
        title=title,
        content="企业反映用电报装审批时间过长，影响投产。",
        theme_id=world.theme.pk,
    )
    pk = petition.pk
    steps = {
        State.REGISTERED: lambda: workflow.accept(petition_id=pk, actor=world.staff),
        State.ACCEPTED: lambda: workflow.propose(
            petition_id=pk, actor=world.staff, unit=world.dept
        ),
        State.PROPOSED: (
            lambda: (
                workflow.return_petition(
                    petition_id=pk,
                    actor=world.handler,
                    reason_code=ReturnReason.NOT_OUR_REMIT,
                    reason="不属于本单位职责。",
                )
                if state == State.RETURNED
                else workflow.confirm(petition_id=pk, actor=world.handler)
            )
        ),
        State.CONFIRMED: lambda: workflow.issue_transfer_letter(petition_id=pk, actor=world.staff),
        State.ASSIGNED: lambda: workflow.record_contact(
            petition_id=pk,
            actor=world.handler,
            contacted_at=timezone.now(),
            method="phone",
            summary="已电话联系企业。",
        ),
        State.IN_PROGRESS: lambda: workflow.reply(
            petition_id=pk, actor=world.handler, text="已协调供电局加快办理。"
        ),
        State.REPLIED: lambda: workflow.evaluate(
            petition_id=pk, actor=world.staff, rating=Rating.SATISFIED, method="phone"
        ),
        State.CONCLUDED: lambda: workflow.archive(petition_id=pk, actor=world.staff),
    }
    while petition.state != state:
        steps[petition.state]()
        petition.refresh_from_db()
    return petition


@pytest.fixture
def full_record(world):
    """One petition with a row of every kind of record, and a calendar override."""
    petition = petition_at(world, State.RETURNED)
    workflow.review_return(petition_id=petition.pk, actor=world.staff, uphold=False)
    workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
    workflow.record_contact(
        petition_id=petition.pk,
        actor=world.handler,
        contacted_at=timezone.now(),
        method="phone",
        summary="已电话联系企业。",
    )
    workflow.report_progress(petition_id=petition.pk, actor=world.handler, text="正在协调。")
    workflow.request_extension(
        petition_id=petition.pk, actor=world.handler, reason="需要现场勘查。", amount=2
    )
    workflow.reply(petition_id=petition.pk, actor=world.handler, text="已办结。")
    workflow.evaluate(
        petition_id=petition.pk, actor=world.staff, rating=Rating.SATISFIED, method="phone"
    )
    Attachment.objects.create(
        petition=petition,
        file=ContentFile(b"%PDF-1.4 letter", name="letter.pdf"),
        original_name="转办函.pdf",
        content_type="application/pdf",
        size=15,
        uploaded_by=world.staff,
    )
    CalendarOverride.objects.create(date=date(2027, 2, 20), is_working_day=True, note="调休上班")
    Notification.objects.create(
        user=world.firm_user, petition=petition, kind="reply", title=f"{petition.number} 已答复"
    )
    RoutingRule.objects.create(jurisdiction=world.city, theme=world.theme, unit=world.dept)
    # A case handed down and a prefixed series, so the level records have a row.
    moved = petition_at(world, State.REGISTERED)
    workflow.hand_down(petition_id=moved.pk, actor=world.staff, to=world.district, reason="属区级")
    world.district.number_prefix = "LH"
    world.district.save()
    workflow.register(
        actor=world.staff,
        enterprise=EnterpriseFactory(jurisdiction=world.district),
        channel=Channel.VISIT,
        type=PetitionType.COMPLAINT,
        title="区级编号",
        content="区级编号系列。",
    )
    return petition


def changelist(model=Petition) -> str:
    return reverse(f"admin:petitions_{model._meta.model_name}_changelist")


def run_action(client, action: str, *petitions, model=Petition, **data):
    """Post an admin action as the changelist does; with `apply`, as the intermediate page does."""
    payload = {"action": action, "_selected_action": [p.pk for p in petitions], **data}
    if "apply" not in data:
        payload["index"] = 0
    return client.post(changelist(model), payload)


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- registration -------------------------------------------------------------------------------


def test_every_model_of_the_app_is_registered():
    assert set(PETITION_MODELS) <= set(admin.site._registry)


@pytest.mark.parametrize("model", PETITION_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_change_page_render_with_a_row(staff_client, full_record, model):
    response = staff_client.get(changelist(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1

    obj = response.context["cl"].result_list[0]
    response = staff_client.get(
        reverse(f"admin:petitions_{model._meta.model_name}_change", args=[obj.pk])
    )
    assert response.status_code == 200


def test_petition_page_shows_the_timeline(staff_client, full_record):
    response = staff_client.get(reverse("admin:petitions_petition_change", args=[full_record.pk]))
    assert "Transfer letter issued" in response.text
    assert "已电话联系企业。" in response.text


def test_records_cannot_be_added_or_changed(staff_client, full_record):
    assert staff_client.get(reverse("admin:petitions_petitionevent_add")).status_code == 403
    event = PetitionEvent.objects.first()
    response = staff_client.post(
        reverse("admin:petitions_petitionevent_change", args=[event.pk]), {"note": "edited"}
    )
    assert response.status_code == 403


# --- lifecycle actions --------------------------------------------------------------------------


def test_accept_goes_through_the_workflow_and_writes_a_timeline_event(staff_client, world):
    petition = petition_at(world, State.REGISTERED)

    response = run_action(staff_client, "accept", petition)

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.ACCEPTED
    event = petition.events.last()
    assert (event.action, event.actor, event.from_state) == ("accept", world.staff, "registered")
    assert message_texts(response) == ["“Accept” done for 1 selected item."]


def test_reject_first_shows_the_form_for_reason_and_explanation(staff_client, world):
    petition = petition_at(world, State.REGISTERED)

    response = run_action(staff_client, "reject", petition)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/petitions/action_form.html"
    assert 'name="reason"' in response.text
    assert 'name="explanation"' in response.text
    assert f'name="_selected_action" value="{petition.pk}"' in response.text
    petition.refresh_from_db()
    assert petition.state == State.REGISTERED


def test_reject_without_explanation_shows_the_error_and_changes_nothing(staff_client, world):
    petition = petition_at(world, State.REGISTERED)

    response = run_action(
        staff_client, "reject", petition, apply="1", reason=RejectReason.UNCLEAR, explanation=" "
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"explanation": ["This field is required."]}
    petition.refresh_from_db()
    assert petition.state == State.REGISTERED
    assert not petition.events.filter(action="reject").exists()


def test_reject_with_reason_and_explanation_rejects(staff_client, world):
    petition = petition_at(world, State.REGISTERED)

    response = run_action(
        staff_client,
        "reject",
        petition,
        apply="1",
        reason=RejectReason.UNCLEAR,
        explanation="诉求内容不明确，请补充具体请求。",
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.REJECTED
    assert petition.reject_reason == RejectReason.UNCLEAR
    assert petition.events.filter(action="reject", actor=world.staff).exists()


def test_an_illegal_action_is_reported_and_changes_nothing(staff_client, world):
    petition = petition_at(world, State.REGISTERED)

    response = run_action(staff_client, "archive", petition)

    assert response.status_code == 302
    assert message_texts(response) == [
        f"{petition.number}: This cannot be done while the petition is “Registered”."
    ]
    petition.refresh_from_db()
    assert petition.state == State.REGISTERED
    assert petition.archived_at is None
    assert not petition.events.filter(action="archive").exists()


def test_one_refusal_does_not_stop_the_others(staff_client, world):
    registered = petition_at(world, State.REGISTERED, title="一")
    accepted = petition_at(world, State.ACCEPTED, title="二")

    response = run_action(staff_client, "accept", registered, accepted)

    texts = message_texts(response)
    assert f"{accepted.number}: This cannot be done while the petition is “Accepted”." in texts
    assert "“Accept” done for 1 selected item." in texts
    registered.refresh_from_db()
    assert registered.state == State.ACCEPTED


def test_a_refusal_by_access_rules_is_reported(client, world):
    """A leader may use the admin, but only the task force may accept."""
    petition = petition_at(world, State.REGISTERED)
    client.force_login(make_staff(world.leader))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = run_action(client, "accept", petition)

    assert message_texts(response) == [
        f"{petition.number}: Only the task force of this jurisdiction may do this."
    ]
    petition.refresh_from_db()
    assert petition.state == State.REGISTERED


def test_propose_then_issue_the_transfer_letter(staff_client, world):
    petition = petition_at(world, State.ACCEPTED)

    response = run_action(
        staff_client,
        "propose",
        petition,
        apply="1",
        unit=world.dept.pk,
        co_units=[world.other_dept.pk],
        note="",
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.PROPOSED
    assert petition.proposed_unit == world.dept
    assert list(petition.co_units.all()) == [world.other_dept]


def test_propose_offers_only_units_of_the_jurisdiction(staff_client, world):
    petition = petition_at(world, State.ACCEPTED)

    response = run_action(staff_client, "propose", petition)

    units = set(response.context["form"].fields["unit"].queryset)
    assert {world.dept, world.other_dept, world.district, world.district_dept} <= units
    assert world.foreign_dept not in units
    assert world.task_force_unit not in units


def test_a_leader_approves_what_the_task_force_submitted(staff_client, world):
    petition = petition_at(world, State.CONFIRMED)
    run_action(staff_client, "submit_for_approval", petition, apply="1", leader=world.leader.pk)
    petition.refresh_from_db()
    assert petition.state == State.AWAITING_APPROVAL
    staff_client.force_login(make_staff(world.leader))

    response = run_action(staff_client, "approve", petition, apply="1", instruction="请抓紧办理。")

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.CONFIRMED
    assert petition.leader_instruction == "请抓紧办理。"
    assert petition.events.filter(action="approve", actor=world.leader).exists()


def test_send_back_needs_an_instruction(client, world):
    petition = petition_at(world, State.CONFIRMED)
    workflow.submit_for_approval(petition_id=petition.pk, actor=world.staff, leader=world.leader)
    client.force_login(make_staff(world.leader))

    response = run_action(client, "send_back", petition, apply="1", instruction="")

    assert response.status_code == 200
    assert "instruction" in response.context["form"].errors
    petition.refresh_from_db()
    assert petition.state == State.AWAITING_APPROVAL


def test_mark_duplicate_needs_a_known_number(staff_client, world):
    petition = petition_at(world, State.REGISTERED)

    response = run_action(
        staff_client, "mark_duplicate", petition, apply="1", original_number="ZQ2026-999999"
    )

    assert response.status_code == 200
    assert response.context["form"].errors["original_number"] == [
        "No petition numbered ZQ2026-999999 was found."
    ]


def test_mark_duplicate_links_to_the_original(staff_client, world):
    original = petition_at(world, State.ACCEPTED, title="原件")
    petition = petition_at(world, State.REGISTERED, title="重复件")

    run_action(
        staff_client,
        "mark_duplicate",
        petition,
        apply="1",
        original_number=original.number.lower(),
    )

    petition.refresh_from_db()
    assert petition.state == State.DUPLICATE
    assert petition.duplicate_of == original


def test_overrule_a_return_from_the_return_list(staff_client, world):
    petition = petition_at(world, State.RETURNED)
    returned = petition.returns.get()

    response = run_action(
        staff_client, "overrule_return", returned, model=returned.__class__, apply="1", note=""
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.CONFIRMED
    assert petition.lead_unit == world.dept


def test_approve_an_extension_moves_the_reply_deadline(staff_client, world):
    petition = petition_at(world, State.IN_PROGRESS)
    extension = workflow.request_extension(
        petition_id=petition.pk, actor=world.handler, reason="需要现场勘查。", amount=2
    )

    response = run_action(
        staff_client, "approve_extension", extension, model=Extension, apply="1", note=""
    )

    assert response.status_code == 302
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.APPROVED
    assert extension.due_after > extension.due_before
    assert petition.events.filter(action="approve_extension").exists()


def test_the_petition_list_does_not_query_per_row(staff_client, world):
    petition_at(world, State.IN_PROGRESS, title="一")
    with CaptureQueriesContext(connection) as one:
        staff_client.get(changelist())
    for title in ("二", "三", "四"):
        petition_at(world, State.IN_PROGRESS, title=title)

    with CaptureQueriesContext(connection) as four:
        response = staff_client.get(changelist())

    assert response.context["cl"].result_count == 4
    assert len(four) == len(one), "\n".join(q["sql"] for q in four.captured_queries)


# --- the petition form ----------------------------------------------------------------------------


def test_state_is_read_only_on_the_change_form(staff_client, world):
    petition = petition_at(world, State.REGISTERED)

    response = staff_client.get(reverse("admin:petitions_petition_change", args=[petition.pk]))

    form = response.context["adminform"].form
    assert "state" not in form.fields
    assert "lead_unit" not in form.fields
    assert set(form.fields) == {
        "title",
        "content",
        "request",
        "theme",
        "scope_class",
        "demand_class",
        "nature_class",
        "age_class",
        "tier",
        "publication_consent",
    }
    assert 'name="state"' not in response.text


def _inline_management(response) -> dict[str, int]:
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = 0
        data[f"{prefix}-INITIAL_FORMS"] = 0
    return data


def test_content_can_be_edited_but_state_is_left_alone(staff_client, world):
    petition = petition_at(world, State.ACCEPTED)
    url = reverse("admin:petitions_petition_change", args=[petition.pk])
    page = staff_client.get(url)

    response = staff_client.post(
        url,
        {
            "title": "用电报装审批时间过长（补充）",
            "content": petition.content,
            "request": "",
            "theme": world.theme.pk,
            "tier": "complex",
            "state": "archived",
            **_inline_management(page),
        },
    )

    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.title == "用电报装审批时间过长（补充）"
    assert petition.tier == "complex"
    assert petition.state == State.ACCEPTED


def test_adding_a_petition_registers_it_through_the_workflow(staff_client, world):
    response = staff_client.post(
        reverse("admin:petitions_petition_add"),
        {
            "enterprise": world.firm.pk,
            "channel": Channel.HOTLINE_12345,
            "channel_ref": "12345-0001",
            "received_at_0": "2026-11-19",
            "received_at_1": "09:30:00",
            "type": PetitionType.CONSULTATION,
            "theme": world.theme.pk,
            "title": "融资贴息政策咨询",
            "content": "企业咨询贷款贴息申报条件。",
            "request": "",
        },
    )

    assert response.status_code == 302
    petition = Petition.objects.get(channel_ref="12345-0001")
    assert petition.number.startswith("ZQ2026-")
    assert petition.state == State.REGISTERED
    assert petition.submitted_by == world.staff
    assert petition.jurisdiction == world.city
    assert petition.events.filter(action="register").exists()
    assert petition.deadlines.filter(step="triage", closed_at__isnull=True).exists()


def test_a_refused_registration_is_shown_on_the_form(client, world):
    """A leader may not register petitions; the form says so and nothing is created."""
    client.force_login(make_staff(world.leader))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.post(
        reverse("admin:petitions_petition_add"),
        {
            "enterprise": world.firm.pk,
            "channel": Channel.VISIT,
            "received_at_0": "2026-11-19",
            "received_at_1": "09:30:00",
            "type": PetitionType.CONSULTATION,
            "title": "咨询",
            "content": "内容",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Only an enterprise or the task force may register a petition."
    ]
    assert not Petition.objects.exists()


# --- who sees what ------------------------------------------------------------------------------


def test_a_task_force_of_another_city_does_not_see_the_petition(client, world):
    petition = petition_at(world, State.REGISTERED)
    client.force_login(make_staff(world.foreign_staff))

    assert client.get(changelist()).context["cl"].result_count == 0
    response = client.get(reverse("admin:petitions_petition_change", args=[petition.pk]))
    assert response.status_code == 404


def test_a_task_force_of_another_city_cannot_act_on_the_petition(client, world):
    petition = petition_at(world, State.REGISTERED)
    client.force_login(make_staff(world.foreign_staff))

    run_action(client, "accept", petition)

    petition.refresh_from_db()
    assert petition.state == State.REGISTERED


def test_a_superuser_sees_every_petition(client, world, django_user_model):
    petition_at(world, State.REGISTERED)
    superuser = django_user_model.objects.create_superuser("root", "root@example.gov.cn", "x")
    client.force_login(superuser)

    assert client.get(changelist()).context["cl"].result_count == 1


# --- calendar -----------------------------------------------------------------------------------


def test_the_calendar_pages_say_which_years_are_estimates(staff_client):
    for model in (CalendarYear, CalendarOverride):
        texts = message_texts(staff_client.get(changelist(model)))
        assert any(t.startswith("2027 is an estimate") for t in texts)
        assert any(t.startswith("2028 is an estimate") for t in texts)
        assert not any(t.startswith("2026") for t in texts)


@pytest.fixture
def root_client(client, db):
    """The national calendar applies to every city: only a superuser confirms a year."""
    root = User.objects.create_superuser("root", "root@example.gov.cn", "pass-for-tests-1")
    client.force_login(root)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_adding_a_calendar_year_confirms_it_and_drops_its_estimate_notice(root_client):
    response = root_client.post(
        reverse("admin:petitions_calendaryear_add"),
        {"year": 2027, "source": "国办发明电〔2026〕7号"},
    )

    assert response.status_code == 302
    year = CalendarYear.objects.get(year=2027)
    assert year.confirmed_by.username == "root"
    assert year.confirmed_at is not None
    texts = message_texts(root_client.get(changelist(CalendarYear)))
    assert not any(t.startswith("2027 is an estimate") for t in texts)
    assert any(t.startswith("2028 is an estimate") for t in texts)


def test_a_confirmed_year_cannot_be_confirmed_again(root_client):
    response = root_client.post(reverse("admin:petitions_calendaryear_add"), {"year": 2026})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert CalendarYear.objects.filter(year=2026).count() == 1
