"""The meeting pages: who may open each, what each shows, and that forms keep what was typed
(docs/rules.md §6; docs/conventions.md C5, C9). The lifecycle itself is tested in test_workflow.py."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse

from meetings import workflow
from meetings.models import (
    AgendaRule,
    Meeting,
    MeetingEvaluation,
    MeetingKind,
    MeetingState,
    Outcome,
    Topic,
    TopicSource,
    TopicStatus,
)
from petitions.models import EnterpriseTag, Petition, Role, State, UnitKind
from tests.factories import EnterpriseFactory, OrgUnitFactory, firm_user, member
from tests.petitions import flow

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MEETING_DAY = date(2026, 12, 10)  # a Thursday; the catalogue is due on Fri 4 Dec


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2026, 11, 23), tick=False)


# --- bringing a meeting to a state through meetings/workflow.py ----------------------------------


def planned(world, **kw):
    return workflow.plan(
        actor=world.staff,
        jurisdiction=world.city,
        kind=kw.pop("kind", MeetingKind.FACE_TO_FACE),
        title=kw.pop("title", "2026年第四季度政企面对面交流活动"),
        date=kw.pop("day", MEETING_DAY),
        chair=world.leader,
        location="市政府第一会议室",
        leaders=[world.leader],
        departments=[world.dept, world.other_dept],
        firms=kw.pop("firms", [world.firm]),
    )


def verified(world, meeting, problem="园区道路未通，货车无法进出", co_units=None):
    topic = workflow.add_topic(
        meeting_id=meeting.pk,
        actor=world.staff,
        problem=problem,
        enterprise=world.firm,
        person_in_charge="张总",
        phone="13800138000",
    )
    return workflow.verify_topic(
        topic_id=topic.pk,
        actor=world.staff,
        keep=True,
        note="市住建局确认年内可通车",
        opinion="由市工信局牵头，会同市自然资源局限期解决",
        lead_unit=world.dept,
        co_units=[world.other_dept] if co_units is None else co_units,
    )


def drafted(world, extra=0, **kw):
    meeting = planned(world, **kw)
    verified(world, meeting)
    verified(world, meeting, problem="融资难，贷款审批慢", co_units=[])
    for n in range(extra):
        verified(world, meeting, problem=f"其他问题{n}")
    return workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)


def submitted(world, **kw):
    meeting = drafted(world, **kw)
    return workflow.submit_catalogue(meeting_id=meeting.pk, actor=world.staff)[0]


def held(world, **kw):
    meeting = submitted(world, **kw)
    workflow.approve_catalogue(meeting_id=meeting.pk, actor=world.leader)
    workflow.issue_notice(meeting_id=meeting.pk, actor=world.staff)
    return workflow.hold(meeting_id=meeting.pk, actor=world.staff)


def decided(world, **kw):
    meeting = held(world, **kw)
    first, second = meeting.items.order_by("number")
    workflow.record_decision(
        item_id=first.pk,
        actor=world.staff,
        decision="市工信局牵头，12月底前打通道路",
        outcome=Outcome.ASSIGNED,
        co_units=[world.other_dept],
    )
    workflow.record_decision(
        item_id=second.pk, actor=world.staff, decision="现场答复", outcome=Outcome.SETTLED
    )
    return meeting


def assigned(world, **kw):
    meeting = decided(world, **kw)
    workflow.assign_decisions(meeting_id=meeting.pk, actor=world.staff)
    return Meeting.objects.get(pk=meeting.pk)


def page(client, user, url, method="get", data=None, **extra):
    client.force_login(user)
    return getattr(client, method)(url, data or {}, **extra)


# --- who may open what --------------------------------------------------------------------------

READERS = ("staff", "leader", "supervisor")
# (url name, method, roles allowed): by meeting id
BY_MEETING = [
    ("meetings:meeting", "get", READERS),
    ("meetings:topics", "get", READERS),
    ("meetings:add_topic", "get", ("staff",)),
    ("meetings:take_topic", "post", ("staff",)),
    ("meetings:take_petition", "post", ("staff",)),
    ("meetings:draft", "post", ("staff",)),
    ("meetings:reopen", "post", ("staff",)),
    ("meetings:submit", "post", ("staff",)),
    ("meetings:review", "post", ("leader",)),
    ("meetings:approve", "post", ("leader",)),
    ("meetings:send_back", "post", ("leader",)),
    ("meetings:issue_notice", "post", ("staff",)),
    ("meetings:hold", "post", ("staff",)),
    ("meetings:decisions", "get", READERS),
    ("meetings:assign", "post", ("staff",)),
    ("meetings:close", "post", ("staff",)),
    ("meetings:catalogue", "get", READERS),
    ("meetings:catalogue_pdf", "get", READERS),
    ("meetings:opinions", "get", READERS),
    ("meetings:opinions_pdf", "get", READERS),
    ("meetings:handling_forms", "get", READERS),
    ("meetings:handling_forms_pdf", "get", READERS),
    ("meetings:evaluations", "get", READERS),
    ("meetings:evaluations_pdf", "get", READERS),
]
BY_TOPIC = [
    ("meetings:verify_topic", "get", ("staff",)),
    ("meetings:topic_form", "get", READERS),
    ("meetings:topic_form_pdf", "get", READERS),
]
BY_ITEM = [
    ("meetings:record_decision", "post", ("staff",)),
    ("meetings:handling_form", "get", READERS),
    ("meetings:handling_form_pdf", "get", READERS),
]
STAFF_LISTS = [("meetings:list", READERS), ("meetings:plan", ("staff",))]
PORTAL_LISTS = ["meetings:portal_meetings", "meetings:portal_topics", "meetings:portal_topic_new"]
OUTSIDERS = ("firm_user", "handler")
EVERYONE = ("staff", "leader", "supervisor", "firm_user", "handler")


def _who(world, name):
    return world.staff if name == "staff" else getattr(world, name)


@pytest.fixture
def case(world):
    """A held meeting with two catalogue items, the first of its topics, and one item."""
    meeting = held(world)
    item = meeting.items.order_by("number").first()
    return meeting, item.topic, item


def _stranger(world, roles):
    """Someone of the right audience, but of another city."""
    if roles == ("leader",):
        unit = OrgUnitFactory(
            name="河源市政府领导", kind=UnitKind.LEADERSHIP, parent=world.other_city
        )
        return member(unit, Role.LEADER, username="foreign_leader")
    return world.foreign_staff


def _ids(name_method_roles):
    return [n for n, *_ in name_method_roles]


@pytest.mark.parametrize(("name", "method", "roles"), BY_MEETING, ids=_ids(BY_MEETING))
def test_staff_of_another_city_get_404_for_a_meeting(client, world, case, name, method, roles):
    url = reverse(name, args=[case[0].pk])
    assert page(client, _stranger(world, roles), url, method).status_code == 404


@pytest.mark.parametrize(("name", "method", "roles"), BY_MEETING, ids=_ids(BY_MEETING))
@pytest.mark.parametrize("who", EVERYONE)
def test_each_audience_gets_its_pages_and_403_for_the_others(
    client, world, case, name, method, roles, who
):
    url = reverse(name, args=[case[0].pk])
    status = page(client, _who(world, who), url, method).status_code
    if who not in roles:
        assert status == 403
    elif method == "get":
        assert status == 200
    else:
        assert status in (200, 302, 400)


@pytest.mark.parametrize(
    ("name", "method", "roles"), BY_TOPIC + BY_ITEM, ids=_ids(BY_TOPIC + BY_ITEM)
)
def test_staff_of_another_city_get_404_for_a_topic_or_item(
    client, world, case, name, method, roles
):
    pk = case[1].pk if "topic" in name else case[2].pk
    assert (
        page(client, _stranger(world, roles), reverse(name, args=[pk]), method).status_code == 404
    )


@pytest.mark.parametrize(
    ("name", "method", "roles"), BY_TOPIC + BY_ITEM, ids=_ids(BY_TOPIC + BY_ITEM)
)
@pytest.mark.parametrize("who", EVERYONE)
def test_topic_and_item_pages_are_for_their_audience(client, world, case, name, method, roles, who):
    pk = case[1].pk if "topic" in name else case[2].pk
    status = page(client, _who(world, who), reverse(name, args=[pk]), method).status_code
    if who not in roles:
        assert status == 403
    elif method == "get":
        assert status == 200
    else:
        assert status in (200, 302, 400)


@pytest.mark.parametrize(("name", "roles"), STAFF_LISTS)
@pytest.mark.parametrize("who", EVERYONE)
def test_staff_lists_are_for_staff(client, world, name, roles, who):
    status = page(client, _who(world, who), reverse(name)).status_code
    assert status == (200 if who in roles else 403)


@pytest.mark.parametrize("name", PORTAL_LISTS)
@pytest.mark.parametrize("who", ["staff", "leader", "supervisor", "handler"])
def test_portal_pages_are_for_enterprises_only(client, world, name, who):
    assert page(client, _who(world, who), reverse(name)).status_code == 403
    assert page(client, world.firm_user, reverse(name)).status_code == 200


def test_an_unverified_firm_sees_the_pending_page(client, world):
    world.firm.is_verified = False
    world.firm.save()
    response = page(client, world.firm_user, reverse("meetings:portal_topic_new"))
    assert response.status_code == 403
    assert b"id_problem" not in response.content


@pytest.mark.parametrize("name", ["meetings:portal_topic", "meetings:portal_topic_pdf"])
def test_a_firm_sees_only_its_own_topics(client, world, name):
    topic = workflow.submit_topic_by_firm(
        actor=world.firm_user, person_in_charge="张总", phone="13800138000", problem="融资难"
    )
    url = reverse(name, args=[topic.pk])
    assert page(client, world.other_firm_user, url).status_code == 404
    assert page(client, world.staff, url).status_code == 403
    assert page(client, world.colleague, url).status_code == 200  # same firm, another account


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_firm_not_invited_gets_404_for_the_evaluation(client, world, case, method):
    url = reverse("meetings:portal_evaluate", args=[case[0].pk])
    assert page(client, world.other_firm_user, url, method).status_code == 404
    assert page(client, world.staff, url, method).status_code == 403
    assert page(client, world.firm_user, url, "get").status_code == 200


# --- the list -----------------------------------------------------------------------------------


def test_the_list_shows_meetings_by_jurisdiction_with_state_and_date(client, world):
    meeting = submitted(world)
    district_meeting = workflow.plan(
        actor=world.staff,
        jurisdiction=world.district,
        kind=MeetingKind.TALKS,
        title="龙湖区亲清恳谈会",
        date=date(2026, 12, 3),
        chair=world.leader,
    )
    response = page(client, world.leader, reverse("meetings:list"))
    text = response.content.decode()
    assert meeting.title in text
    assert district_meeting.title in text
    assert "2026-12-10" in text
    assert str(MeetingState.SUBMITTED.label) in text
    only = page(
        client, world.leader, reverse("meetings:list"), data={"jurisdiction": world.district.pk}
    )
    assert district_meeting.title in only.content.decode()
    assert meeting.title not in only.content.decode()
    assert (
        meeting.title
        not in page(client, world.foreign_staff, reverse("meetings:list")).content.decode()
    )


def test_the_list_does_not_query_per_row(client, world, django_assert_num_queries):
    for n in range(3):
        planned(world, title=f"会议{n}")
    client.force_login(world.staff)
    url = reverse("meetings:list")
    # session, user, the user's unit and its parent (the jurisdiction), the jurisdictions below
    # it (two levels), the count, the page, the filter's jurisdictions, the quarterly warning
    with django_assert_num_queries(10) as ctx:
        client.get(url)
    baseline = len(ctx.captured_queries)
    for n in range(5):
        planned(world, title=f"更多会议{n}")
    with django_assert_num_queries(baseline):
        client.get(url)


# --- planning ------------------------------------------------------------------------------------


def test_the_plan_form_offers_the_firms_with_their_tags(client, world):
    tag = EnterpriseTag.objects.get(code="above_size")
    world.firm.tags.add(tag)
    response = page(client, world.staff, reverse("meetings:plan"))
    text = response.content.decode()
    assert 'data-tags="above_size"' in text
    assert world.firm.name in text
    assert tag.name in text
    assert world.dept.name in text  # a department that can be involved
    assert world.foreign_dept.name not in text


def test_planning_a_meeting_redirects_to_its_page(client, world):
    data = {
        "jurisdiction": world.city.pk,
        "kind": MeetingKind.FACE_TO_FACE,
        "title": "第四季度面对面",
        "date": "2026-12-10",
        "location": "市政府",
        "chair": world.leader.pk,
        "leaders": [world.leader.pk],
        "departments": [world.dept.pk],
        "firms": [world.firm.pk, world.other_firm.pk],
    }
    response = page(client, world.staff, reverse("meetings:plan"), "post", data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("meetings:meeting", args=[meeting.pk])
    assert set(meeting.firms.all()) == {world.firm, world.other_firm}
    assert meeting.catalogue_due_on == date(2026, 12, 4)


def test_talks_with_fewer_than_ten_firms_are_planned_with_a_warning(client, world):
    data = {
        "jurisdiction": world.city.pk,
        "kind": MeetingKind.TALKS,
        "title": "亲清恳谈会",
        "date": "2026-12-10",
        "chair": world.leader.pk,
        "firms": [world.firm.pk],
    }
    response = page(client, world.staff, reverse("meetings:plan"), "post", data, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success", "warning"]
    assert response.context["too_few_firms"]
    assert Meeting.objects.get().too_few_firms


def test_a_past_date_is_refused_next_to_the_field_and_the_title_is_kept(client, world):
    data = {
        "jurisdiction": world.city.pk,
        "kind": MeetingKind.TALKS,
        "title": "已过去的会议",
        "date": "2026-11-01",
        "chair": world.leader.pk,
    }
    response = page(client, world.staff, reverse("meetings:plan"), "post", data)
    assert response.status_code == 400
    assert response.context["form"].errors["date"]
    assert 'value="已过去的会议"' in response.content.decode()
    assert not Meeting.objects.exists()


# --- the meeting page ----------------------------------------------------------------------------


def test_the_meeting_page_shows_the_state_the_due_date_and_the_next_actions(client, world):
    meeting = planned(world)
    response = page(client, world.staff, reverse("meetings:meeting", args=[meeting.pk]))
    text = response.content.decode()
    assert "2026-12-04" in text
    assert reverse("meetings:draft", args=[meeting.pk]) in text
    assert 'aria-current="step"' in text
    assert reverse("meetings:approve", args=[meeting.pk]) not in text


def test_a_late_catalogue_is_flagged_until_submitted_and_then_shown_as_late(
    client, world, time_machine
):
    meeting = planned(world, day=date(2026, 11, 26))  # due Fri 20 Nov: already late
    url = reverse("meetings:meeting", args=[meeting.pk])
    assert page(client, world.staff, url).context["catalogue_late"]
    verified(world, meeting)
    workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
    response = page(
        client, world.staff, reverse("meetings:submit", args=[meeting.pk]), "post", follow=True
    )
    assert not response.context["catalogue_late"]
    assert response.context["meeting"].submitted_late()
    assert "2026-11-20" in response.content.decode()


def test_the_chair_sees_approve_and_another_leader_only_review(client, world):
    deputy = member(world.leaders_unit, "leader", username="deputy")
    meeting = submitted(world)
    url = reverse("meetings:meeting", args=[meeting.pk])
    chair_page = page(client, world.leader, url).content.decode()
    assert reverse("meetings:approve", args=[meeting.pk]) in chair_page
    deputy_page = page(client, deputy, url).content.decode()
    assert reverse("meetings:approve", args=[meeting.pk]) not in deputy_page
    assert reverse("meetings:review", args=[meeting.pk]) in deputy_page
    assert (
        page(client, deputy, reverse("meetings:approve", args=[meeting.pk]), "post").status_code
        == 403
    )


def test_the_deputy_reviews_and_the_chair_approves(client, world):
    deputy = member(world.leaders_unit, "leader", username="deputy")
    meeting = submitted(world)
    page(
        client,
        deputy,
        reverse("meetings:review", args=[meeting.pk]),
        "post",
        {"review-note": "部门意见一致"},
    )
    page(client, world.leader, reverse("meetings:approve", args=[meeting.pk]), "post")
    meeting.refresh_from_db()
    assert (meeting.state, meeting.reviewed_by, meeting.approved_by) == (
        MeetingState.APPROVED,
        deputy,
        world.leader,
    )


def test_sending_back_needs_a_note(client, world):
    meeting = submitted(world)
    url = reverse("meetings:send_back", args=[meeting.pk])
    response = page(client, world.leader, url, "post", {"send_back-note": ""})
    assert response.status_code == 400
    assert response.context["send_back_form"].errors["note"]
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.SUBMITTED
    page(client, world.leader, url, "post", {"send_back-note": "请补充第2项的牵头单位意见"})
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.DRAFTED
    text = page(
        client, world.staff, reverse("meetings:meeting", args=[meeting.pk])
    ).content.decode()
    assert "请补充第2项的牵头单位意见" in text


def test_an_illegal_step_is_refused_with_a_message(client, world):
    meeting = planned(world)
    response = page(
        client, world.staff, reverse("meetings:close", args=[meeting.pk]), "post", follow=True
    )
    assert response.status_code == 200
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.PLANNING
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_drafting_with_nothing_verified_is_refused(client, world):
    meeting = planned(world)
    page(client, world.staff, reverse("meetings:draft", args=[meeting.pk]), "post")
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.PLANNING


# --- topics --------------------------------------------------------------------------------------


def test_a_pooled_firm_topic_is_taken_onto_the_meeting(client, world):
    topic = workflow.submit_topic_by_firm(
        actor=world.firm_user, person_in_charge="张总", phone="13800138000", problem="用地指标不足"
    )
    assert topic.meeting is None  # no meeting was being planned
    meeting = planned(world)
    url = reverse("meetings:topics", args=[meeting.pk])
    assert "用地指标不足" in page(client, world.staff, url).content.decode()
    page(
        client,
        world.staff,
        reverse("meetings:take_topic", args=[meeting.pk]),
        "post",
        {"topic": topic.pk},
    )
    topic.refresh_from_db()
    assert topic.meeting == meeting


def test_proposals_show_the_rule_and_are_taken_in_one_click(client, world, time_machine):
    time_machine.move_to(at(2026, 11, 2), tick=False)
    late = flow.in_progress(world)  # reply due 5 Nov
    time_machine.move_to(at(2026, 11, 23), tick=False)
    meeting = planned(world)
    url = reverse("meetings:topics", args=[meeting.pk])
    text = page(client, world.staff, url).content.decode()
    assert late.number in text
    assert str(AgendaRule.UNRESOLVED.label) in text
    data = {"petition": late.pk, "rule": AgendaRule.UNRESOLVED}
    page(client, world.staff, reverse("meetings:take_petition", args=[meeting.pk]), "post", data)
    topic = Topic.objects.get(petition=late)
    assert (topic.source, topic.rule, topic.meeting) == (
        TopicSource.PETITION,
        AgendaRule.UNRESOLVED,
        meeting,
    )
    text = page(client, world.staff, url).content.decode()
    assert str(AgendaRule.UNRESOLVED.label) in text  # now on the topic itself


def test_the_topics_page_does_not_query_per_row(
    client, world, time_machine, django_assert_num_queries
):
    time_machine.move_to(at(2026, 11, 2), tick=False)
    flow.in_progress(world)
    time_machine.move_to(at(2026, 11, 23), tick=False)
    meeting = planned(world)
    verified(world, meeting)
    workflow.submit_topic_by_firm(
        actor=world.firm_user, person_in_charge="张", phone="13800138000", problem="池中议题"
    )
    Topic.objects.filter(meeting=meeting, source=TopicSource.FIRM).update(meeting=None)
    client.force_login(world.staff)
    url = reverse("meetings:topics", args=[meeting.pk])
    # session, user, the user's unit, its parent, the jurisdictions below (two levels), meeting,
    # the levels the task force runs (one), topics, their co-units, the pool, the agenda rules
    # (the levels the meeting's level runs, and one query per rule)
    with django_assert_num_queries(16) as ctx:
        client.get(url)
    time_machine.move_to(at(2026, 11, 2), tick=False)
    flow.in_progress(world)
    flow.in_progress(world)
    time_machine.move_to(at(2026, 11, 23), tick=False)
    verified(world, meeting, problem="再一个")
    workflow.submit_topic_by_firm(
        actor=world.other_firm_user, person_in_charge="王", phone="13800138000", problem="又一个"
    )
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(url)
    assert len(response.context["proposals"]) == 3


def test_a_petition_of_another_city_cannot_be_taken(client, world):
    foreign_firm = EnterpriseFactory(jurisdiction=world.other_city)
    foreign = Petition.objects.create(
        number="ZQ2026-900001",
        enterprise=foreign_firm,
        channel="portal",
        received_at=at(2026, 11, 1),
        type="complaint",
        title="x",
        content="y",
        jurisdiction=world.other_city,
    )
    meeting = planned(world)
    data = {"petition": foreign.pk, "rule": AgendaRule.OTHER}
    page(client, world.staff, reverse("meetings:take_petition", args=[meeting.pk]), "post", data)
    assert not Topic.objects.exists()


def test_staff_add_a_topic_for_a_department_channel(client, world):
    meeting = planned(world)
    url = reverse("meetings:add_topic", args=[meeting.pk])
    response = page(
        client, world.staff, url, "post", {"channel_unit": world.dept.pk, "problem": ""}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["problem"]
    data = {
        "channel_unit": world.dept.pk,
        "enterprise": world.firm.pk,
        "problem": "人大代表反映停车难",
    }
    response = page(client, world.staff, url, "post", data)
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert (topic.source, topic.channel_unit, topic.meeting) == (
        TopicSource.STAFF,
        world.dept,
        meeting,
    )


def test_verifying_keeps_needs_an_opinion_and_a_lead_and_keeps_what_was_typed(client, world):
    meeting = planned(world)
    topic = workflow.add_topic(meeting_id=meeting.pk, actor=world.staff, problem="融资难")
    url = reverse("meetings:verify_topic", args=[topic.pk])
    data = {"decision": "keep", "note": "已与金融局核实", "opinion": ""}
    response = page(client, world.staff, url, "post", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["opinion"]
    assert errors["lead_unit"]
    assert "已与金融局核实" in response.content.decode()
    data |= {
        "opinion": "金融局牵头对接银行",
        "lead_unit": world.dept.pk,
        "co_units": [world.other_dept.pk],
    }
    assert page(client, world.staff, url, "post", data).status_code == 302
    topic.refresh_from_db()
    assert (topic.status, topic.lead_unit) == (TopicStatus.VERIFIED, world.dept)
    assert list(topic.co_units.all()) == [world.other_dept]


def test_a_topic_can_be_dropped_with_a_note(client, world):
    meeting = planned(world)
    topic = workflow.add_topic(meeting_id=meeting.pk, actor=world.staff, problem="已解决的问题")
    url = reverse("meetings:verify_topic", args=[topic.pk])
    page(client, world.staff, url, "post", {"decision": "drop", "note": "部门已解决"})
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DROPPED


# --- on the day ----------------------------------------------------------------------------------


def _decision(item, **kw):
    prefix = f"item-{item.pk}"
    data = {
        f"{prefix}-decision": kw.get("decision", "市工信局牵头办理"),
        f"{prefix}-outcome": kw.get("outcome", ""),
    }
    if "lead_unit" in kw:
        data[f"{prefix}-lead_unit"] = kw["lead_unit"]
    if "co_units" in kw:
        data[f"{prefix}-co_units"] = kw["co_units"]
    return data


def test_a_decision_is_recorded_with_a_plain_post(client, world, case):
    _meeting, _topic, item = case
    url = reverse("meetings:record_decision", args=[item.pk])
    data = _decision(
        item, outcome=Outcome.ASSIGNED, lead_unit=world.other_dept.pk, co_units=[world.dept.pk]
    )
    response = page(client, world.staff, url, "post", data)
    assert response.status_code == 302
    assert response.url.endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert (item.outcome, item.lead_unit) == (Outcome.ASSIGNED, world.other_dept)
    assert list(item.co_units.all()) == [world.dept]


def test_a_decision_without_an_outcome_is_shown_on_the_page_with_what_was_typed(
    client, world, case
):
    _meeting, _topic, item = case
    url = reverse("meetings:record_decision", args=[item.pk])
    response = page(
        client, world.staff, url, "post", _decision(item, decision="领导要求月底前解决")
    )
    assert response.status_code == 400
    assert "领导要求月底前解决" in response.content.decode()
    item.refresh_from_db()
    assert item.outcome == Outcome.PENDING


def test_htmx_saves_one_row_and_sends_back_only_that_row(client, world, case):
    _meeting, _topic, item = case
    url = reverse("meetings:record_decision", args=[item.pk])
    response = page(
        client,
        world.staff,
        url,
        "post",
        _decision(item, outcome=Outcome.SETTLED),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert f'id="item-{item.pk}"' in text
    assert "<html" not in text
    assert 'hx-swap-oob="true"' in text  # the count of undecided items is refreshed too
    item.refresh_from_db()
    assert item.outcome == Outcome.SETTLED
    bad = page(
        client, world.staff, url, "post", _decision(item, decision=""), HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200
    assert "invalid-feedback" in bad.content.decode()


def test_the_decisions_page_has_one_form_per_item_and_does_not_query_per_row(
    client, world, django_assert_num_queries
):
    meeting = held(world)
    client.force_login(world.staff)
    # session, user, meeting, items, their co-units, the user's unit, its parent, the jurisdictions
    # below it (two levels), the levels the task force runs (one), the unit tree under the
    # meeting's jurisdiction (three levels), which of them handle petitions, those units (no
    # petitions yet, so no reply deadlines)
    with django_assert_num_queries(15) as ctx:
        response = client.get(reverse("meetings:decisions", args=[meeting.pk]))
    assert response.content.decode().count('hx-post="') == 2
    bigger = held(world, extra=4, title="另一次会议")
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(reverse("meetings:decisions", args=[bigger.pk]))
    assert response.content.decode().count('hx-post="') == 6


def test_assigning_creates_supervised_petitions_listed_with_their_due_dates(client, world):
    meeting = decided(world)
    response = page(
        client, world.staff, reverse("meetings:assign", args=[meeting.pk]), "post", follow=True
    )
    petition = Petition.objects.get(channel="meeting")
    assert petition.state == State.ASSIGNED
    assert petition.transfer_letter_no
    text = response.content.decode()
    assert petition.number in text
    assert reverse("staff:petition", args=[petition.pk]) in text
    assert "2026-12-08" in text  # 15 days after 23 Nov: several departments


def test_assigning_with_an_undecided_item_is_refused(client, world, case):
    meeting = case[0]
    page(client, world.staff, reverse("meetings:assign", args=[meeting.pk]), "post")
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.HELD
    assert not Petition.objects.filter(channel="meeting").exists()


# --- the portal -----------------------------------------------------------------------------------


def test_a_firm_submits_a_topic_form_and_gets_its_number(client, world):
    url = reverse("meetings:portal_topic_new")
    form = page(client, world.firm_user, url)
    assert form.context["form"].initial["person_in_charge"] == world.firm.contact_name
    assert world.firm.name in form.content.decode()
    response = page(
        client,
        world.firm_user,
        url,
        "post",
        {
            "person_in_charge": "张总",
            "phone": "13800138000",
            "problem": "融资难",
            "suggestion": "设立贷款",
        },
        follow=True,
    )
    topic = Topic.objects.get()
    assert (topic.source, topic.enterprise, topic.submitted_by) == (
        TopicSource.FIRM,
        world.firm,
        world.firm_user,
    )
    assert str(topic.pk) in response.content.decode()


def test_a_topic_form_without_a_problem_keeps_what_was_typed(client, world):
    url = reverse("meetings:portal_topic_new")
    data = {"person_in_charge": "张总", "phone": "13800138000", "problem": ""}
    response = page(client, world.firm_user, url, "post", data)
    assert response.status_code == 400
    assert response.context["form"].errors["problem"]
    assert 'value="张总"' in response.content.decode()
    assert not Topic.objects.exists()


def test_my_topics_lists_only_the_firms_own(client, world, django_assert_num_queries):
    mine = workflow.submit_topic_by_firm(
        actor=world.colleague, person_in_charge="李", phone="13800138000", problem="我的问题"
    )
    workflow.submit_topic_by_firm(
        actor=world.other_firm_user,
        person_in_charge="王",
        phone="13800138000",
        problem="别人的问题",
    )
    client.force_login(world.firm_user)
    # session, user, enterprise (is it verified?), count, unread notices, page
    with django_assert_num_queries(6):
        response = client.get(reverse("meetings:portal_topics"))
    text = response.content.decode()
    assert mine.problem in text
    assert "别人的问题" not in text


def test_an_invited_firm_evaluates_a_held_meeting_once(
    client, world, case, django_assert_num_queries
):
    meeting = case[0]
    client.force_login(world.firm_user)
    # session, user, enterprise (is it verified?), count, unread notices, page (with `evaluated`)
    with django_assert_num_queries(6):
        listing = client.get(reverse("meetings:portal_meetings"))
    assert reverse("meetings:portal_evaluate", args=[meeting.pk]) in listing.content.decode()
    url = reverse("meetings:portal_evaluate", args=[meeting.pk])
    bad = client.post(url, {"person_in_charge": "张总", "phone": "13800138000"})
    assert bad.status_code == 400
    assert bad.context["form"].errors["rating"]
    data = {
        "person_in_charge": "张总",
        "phone": "13800138000",
        "rating": "satisfied",
        "suggestions": "多组织",
    }
    assert client.post(url, data).status_code == 302
    evaluation = MeetingEvaluation.objects.get()
    assert (evaluation.enterprise, evaluation.rating) == (world.firm, "satisfied")
    again = page(client, world.colleague, url, "post", data)
    assert again.status_code == 400
    assert MeetingEvaluation.objects.count() == 1


def test_a_meeting_not_yet_held_cannot_be_evaluated(client, world):
    meeting = submitted(world)
    response = page(client, world.firm_user, reverse("meetings:portal_evaluate", args=[meeting.pk]))
    assert response.status_code == 200
    assert not response.context["held"]
    assert b"id_rating" not in response.content


# --- the quarterly warning -----------------------------------------------------------------------

TAG = Template("{% load meeting_tags %}{% quarter_warning user %}")


def _warning(user):
    return TAG.render(Context({"user": user}))


def test_the_quarter_warning_lists_jurisdictions_with_no_meeting_held(world):
    text = _warning(world.staff)
    assert world.city.name in text
    assert world.district.name in text
    assert world.other_city.name not in text


def test_a_meeting_held_this_quarter_removes_the_warning_for_its_jurisdiction(world):
    held(world)
    text = _warning(world.leader)
    assert world.district.name in text
    assert world.city.name not in text.replace(world.district.name, "")


def test_a_meeting_held_last_quarter_does_not_count(world, time_machine):
    time_machine.move_to(at(2026, 9, 1), tick=False)
    held(world, day=date(2026, 9, 10))
    time_machine.move_to(at(2026, 11, 23), tick=False)
    assert world.city.name in _warning(world.supervisor)


def test_a_planned_meeting_is_mentioned_but_still_warned_about(world):
    planned(world)
    text = _warning(world.staff)
    assert world.city.name in text
    assert "2026-12-10" in text


def test_firms_and_handlers_get_no_quarter_warning(world):
    assert _warning(world.firm_user).strip() == ""
    assert _warning(world.handler).strip() == ""


def test_a_new_firm_of_the_city_can_be_invited(world):
    firm = EnterpriseFactory(jurisdiction=world.city)
    firm_user(firm, username="newfirm")
    meeting = planned(world, firms=[firm])
    assert list(meeting.firms.all()) == [firm]


def test_the_staff_home_page_shows_the_quarter_warning(client, world):
    client.force_login(world.staff)
    body = client.get(reverse("staff:home")).content.decode()
    assert world.city.name in body
    assert "本季度" in body
