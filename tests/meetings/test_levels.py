"""Each level runs its own meetings, and a topic it cannot settle goes up to the parent level's next
meeting (docs/rules.md §1, §6; Uxin 二(三) "提交上级恳谈会研究解决").

The `levels` fixture gives the world's district 龙湖区 its own task force and leader; its functional
zone has none, so the city runs the zone's meetings. `other` adds a second district with its own
task force and leader, whose staff must never see 龙湖区's meetings (404).
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from meetings import agenda, selectors, workflow
from meetings.models import (
    AgendaRule,
    CatalogueItem,
    Meeting,
    MeetingKind,
    MeetingState,
    Outcome,
    Topic,
    TopicSource,
    TopicStatus,
)
from notices.models import Delivery
from petitions import workflow as petitions_workflow
from petitions.exceptions import WorkflowError
from petitions.models import (
    Channel,
    LevelMove,
    LevelTransfer,
    Petition,
    PetitionType,
    Role,
    State,
    UnitKind,
)
from tests.factories import EnterpriseFactory, OrgUnitFactory, firm_user, member

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MEETING_DAY = date(2026, 12, 10)  # a Thursday; the catalogue is due on Fri 4 Dec
REASON = "涉及市级用地指标调整，区级无法协调解决"


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2026, 11, 23), tick=False)


def zh(text: str, **values) -> str:
    """The text as a page in Chinese shows it (the catalogue's translation once merged)."""
    with translation.override("zh-hans"):
        translated = translation.gettext(text)
    return translated % values if values else translated


@pytest.fixture
def district(world, levels):
    """龙湖区 with its own task force, leader and a firm of its own."""
    firm = EnterpriseFactory(jurisdiction=world.district, name="龙湖精密制造有限公司")
    return SimpleNamespace(
        unit=world.district,
        staff=levels.district_staff,
        leader=levels.district_leader,
        firm=firm,
        firm_user=firm_user(firm, username="lh_firm"),
        theme=world.theme,
    )


@pytest.fixture
def other(world):
    """金平区, another district of the city with its own task force and leader."""
    unit = OrgUnitFactory(name="金平区", kind=UnitKind.DISTRICT, parent=world.city)
    task_force = OrgUnitFactory(
        name="金平区政企直通车工作专班", kind=UnitKind.TASK_FORCE, parent=unit
    )
    leaders = OrgUnitFactory(name="金平区政府领导", kind=UnitKind.LEADERSHIP, parent=unit)
    return SimpleNamespace(
        unit=unit,
        staff=member(task_force, Role.TASK_FORCE, username="jp_staff"),
        leader=member(leaders, Role.LEADER, username="jp_leader"),
    )


# --- bringing meetings, topics and cases about, through the workflows ------------------------------


def plan(actor, jurisdiction, chair, *, title="龙湖区政企恳谈会", firms=()):
    return workflow.plan(
        actor=actor,
        jurisdiction=jurisdiction,
        kind=MeetingKind.FACE_TO_FACE,
        title=title,
        date=MEETING_DAY,
        chair=chair,
        location="区政府第一会议室",
        leaders=[chair],
        firms=firms,
    )


def district_meeting(world, district, **kw):
    return plan(district.staff, world.district, district.leader, firms=[district.firm], **kw)


def city_meeting(world, title="市政企面对面交流活动"):
    return plan(world.staff, world.city, world.leader, title=title)


def add(meeting, actor, firm=None, problem="园区配套道路未通，货车无法进出"):
    return workflow.add_topic(
        meeting_id=meeting.pk,
        actor=actor,
        problem=problem,
        enterprise=firm,
        person_in_charge="李总",
        phone="13800138000",
    )


def verify(topic, actor, lead_unit, co_units=()):
    return workflow.verify_topic(
        topic_id=topic.pk,
        actor=actor,
        keep=True,
        note="已与相关部门核实",
        opinion="由牵头单位限期协调解决",
        lead_unit=lead_unit,
        co_units=co_units,
    )


def pooled(district, problem="厂房扩建用地指标不足"):
    """A firm's topic form submitted while its district plans no meeting: it waits in the pool."""
    return workflow.submit_topic_by_firm(
        actor=district.firm_user, person_in_charge="李总", phone="13800138000", problem=problem
    )


def send_up(topic, actor, reason=REASON):
    return workflow.send_up(topic_id=topic.pk, actor=actor, reason=reason)


def district_case(district) -> Petition:
    return petitions_workflow.register(
        actor=district.firm_user,
        enterprise=district.firm,
        channel=Channel.PORTAL,
        type=PetitionType.COMPLAINT,
        title="厂房用电报装迟迟未批",
        content="新厂房用电报装已提交两个月，仍未审批。",
        theme_id=district.theme.pk,
    )


def accepted_case(district) -> Petition:
    case = district_case(district)
    return petitions_workflow.accept(petition_id=case.pk, actor=district.staff)


def assigned_case(world, district) -> Petition:
    case = accepted_case(district)
    petitions_workflow.propose(petition_id=case.pk, actor=district.staff, unit=world.district_dept)
    petitions_workflow.confirm(petition_id=case.pk, actor=world.district_handler)
    return petitions_workflow.issue_transfer_letter(petition_id=case.pk, actor=district.staff)


def in_progress_case(actor, firm, unit, handler, theme) -> Petition:
    case = petitions_workflow.register(
        actor=actor,
        enterprise=firm,
        channel=Channel.VISIT,
        type=PetitionType.COMPLAINT,
        title="审批时间过长",
        content="项目审批超过法定时限。",
        received_at=timezone.now(),
        theme_id=theme.pk,
    )
    petitions_workflow.accept(petition_id=case.pk, actor=actor)
    petitions_workflow.propose(petition_id=case.pk, actor=actor, unit=unit)
    petitions_workflow.confirm(petition_id=case.pk, actor=handler)
    petitions_workflow.issue_transfer_letter(petition_id=case.pk, actor=actor)
    petitions_workflow.record_contact(
        petition_id=case.pk,
        actor=handler,
        contacted_at=timezone.now(),
        method="phone",
        summary="电话联系企业。",
    )
    return Petition.objects.get(pk=case.pk)


def on_meeting(meeting, actor, case, rule=AgendaRule.OTHER):
    return workflow.take_petition(
        meeting_id=meeting.pk, actor=actor, petition_id=case.pk, rule=rule
    )


def held_district_meeting(world, district):
    """A district meeting taken to held by the district, with one catalogue item."""
    meeting = district_meeting(world, district)
    verify(add(meeting, district.staff, district.firm), district.staff, world.district_dept)
    workflow.draft_catalogue(meeting_id=meeting.pk, actor=district.staff)
    workflow.submit_catalogue(meeting_id=meeting.pk, actor=district.staff)
    workflow.approve_catalogue(meeting_id=meeting.pk, actor=district.leader)
    workflow.issue_notice(meeting_id=meeting.pk, actor=district.staff)
    return workflow.hold(meeting_id=meeting.pk, actor=district.staff)


def page(client, user, url, method="get", data=None, **extra):
    client.force_login(user)
    return getattr(client, method)(url, data or {}, **extra)


# --- 1. each level runs its own meetings ------------------------------------------------------------


class TestWhoRunsMeetings:
    def test_a_district_runs_its_own_meeting_from_plan_to_assignment(self, world, levels, district):
        meeting = district_meeting(world, district)
        topic = add(meeting, district.staff, district.firm)
        verify(topic, district.staff, world.district_dept, co_units=[levels.district_dept2])
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=district.staff)
        workflow.submit_catalogue(meeting_id=meeting.pk, actor=district.staff)
        workflow.review_catalogue(meeting_id=meeting.pk, actor=district.leader, note="同意")
        workflow.approve_catalogue(meeting_id=meeting.pk, actor=district.leader)
        workflow.issue_notice(meeting_id=meeting.pk, actor=district.staff)
        workflow.hold(meeting_id=meeting.pk, actor=district.staff)
        item = meeting.items.get()
        workflow.record_decision(
            item_id=item.pk,
            actor=district.staff,
            decision="区市场监管局牵头",
            outcome=Outcome.ASSIGNED,
        )
        created = workflow.assign_decisions(meeting_id=meeting.pk, actor=district.staff)
        assert len(created) == 1
        assert created[0].jurisdiction == world.district
        assert created[0].lead_unit == world.district_dept
        assert created[0].state == State.ASSIGNED

    def test_the_city_reads_a_districts_meeting_but_changes_nothing(self, world, levels, district):
        meeting = district_meeting(world, district)
        topic = add(meeting, district.staff, district.firm)
        assert meeting in selectors.meetings_visible_to(world.staff)
        assert topic in selectors.topics_visible_to(world.staff)
        refusals = [
            lambda: plan(world.staff, world.district, district.leader),
            lambda: add(meeting, world.staff),
            lambda: workflow.take_topic(
                meeting_id=meeting.pk, actor=world.staff, topic_id=topic.pk
            ),
            lambda: verify(topic, world.staff, world.district_dept),
            lambda: workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff),
            lambda: send_up(topic, world.staff),
        ]
        for refused in refusals:
            with pytest.raises(PermissionDenied):
                refused()
        assert Meeting.objects.filter(jurisdiction=world.district).count() == 1
        assert meeting.topics.count() == 1
        topic.refresh_from_db()
        assert topic.status == TopicStatus.NEW

    def test_the_citys_leader_does_not_review_a_districts_catalogue(self, world, levels, district):
        meeting = district_meeting(world, district)
        verify(add(meeting, district.staff), district.staff, world.district_dept)
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=district.staff)
        workflow.submit_catalogue(meeting_id=meeting.pk, actor=district.staff)
        with pytest.raises(PermissionDenied):
            workflow.review_catalogue(meeting_id=meeting.pk, actor=world.leader, note="市级意见")
        with pytest.raises(PermissionDenied):
            workflow.send_back_catalogue(meeting_id=meeting.pk, actor=world.leader, note="退回")
        reviewed = workflow.review_catalogue(
            meeting_id=meeting.pk, actor=district.leader, note="区领导审核"
        )
        assert reviewed.reviewed_by == district.leader
        assert reviewed.state == MeetingState.SUBMITTED

    def test_the_city_runs_the_meetings_of_a_level_without_a_task_force(
        self, world, levels, district
    ):
        meeting = plan(world.staff, levels.zone, world.leader, title="高新区恳谈会")
        topic = verify(add(meeting, world.staff), world.staff, levels.zone_dept)
        drafted = workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        assert drafted.state == MeetingState.DRAFTED
        assert topic.jurisdiction == levels.zone
        assert meeting not in selectors.meetings_visible_to(district.staff)
        with pytest.raises(PermissionDenied):
            workflow.reopen_catalogue(meeting_id=meeting.pk, actor=district.staff)

    def test_another_districts_staff_neither_see_nor_touch_a_districts_meeting(
        self, world, levels, district, other
    ):
        meeting = district_meeting(world, district)
        topic = add(meeting, district.staff)
        assert meeting not in selectors.meetings_visible_to(other.staff)
        assert topic not in selectors.topics_visible_to(other.staff)
        with pytest.raises(PermissionDenied):
            add(meeting, other.staff)
        with pytest.raises(PermissionDenied):
            send_up(topic, other.staff)
        assert meeting.topics.count() == 1

    def test_the_citys_agenda_leaves_a_districts_cases_to_the_district(
        self, world, levels, district, time_machine
    ):
        zone_handler = member(levels.zone_dept, Role.HANDLER, username="zone_handler")
        zone_firm = EnterpriseFactory(jurisdiction=levels.zone)
        time_machine.move_to(at(2026, 11, 2), tick=False)
        district_late = in_progress_case(
            district.staff, district.firm, world.district_dept, world.district_handler, world.theme
        )
        zone_late = in_progress_case(
            world.staff, zone_firm, levels.zone_dept, zone_handler, world.theme
        )
        time_machine.move_to(at(2026, 11, 23), tick=False)
        today = timezone.localdate()
        city = city_meeting(world)
        proposed = {p.petition.pk for p in agenda.proposals(city, today)}
        assert zone_late.pk in proposed  # the city stands in for the zone
        assert district_late.pk not in proposed
        ours = district_meeting(world, district)
        assert district_late.pk in {p.petition.pk for p in agenda.proposals(ours, today)}
        with pytest.raises(WorkflowError) as refused:
            on_meeting(city, world.staff, district_late, AgendaRule.UNRESOLVED)
        assert refused.value.code == "other_level"
        assert not city.topics.exists()


# --- 2. sending a topic up ------------------------------------------------------------------------


class TestSendUp:
    def test_a_pooled_topic_goes_to_the_citys_pool_and_stays_here_marked(
        self, world, levels, district
    ):
        topic = pooled(district)
        assert topic.meeting is None
        referral = send_up(topic, district.staff)
        assert referral.jurisdiction == world.city
        assert referral.source == TopicSource.REFERRED
        assert referral.referred_from == topic
        assert referral.referral_reason == REASON
        assert referral.meeting is None
        assert referral.status == TopicStatus.NEW
        assert referral.enterprise == district.firm
        assert referral.problem == topic.problem
        assert referral.submitted_by == district.staff
        topic.refresh_from_db()
        assert topic.status == TopicStatus.SENT_UP
        assert topic.referral == referral
        city = city_meeting(world)
        assert referral in selectors.topic_pool(city)
        assert referral in selectors.pooled_topics(world.staff)
        assert topic in selectors.sent_up_topics(district.staff)
        assert topic not in selectors.pooled_topics(district.staff)
        assert referral not in selectors.topics_visible_to(district.staff)

    def test_the_citys_task_force_is_told_once(self, world, levels, district):
        topic = pooled(district)
        referral = send_up(topic, district.staff)
        told = Delivery.objects.filter(kind="tf.topic_arrived")
        assert set(told.values_list("user", flat=True)) == {world.staff.pk}
        assert all(f"topic:{referral.pk}:arrived" in d.key for d in told)
        with pytest.raises(WorkflowError):
            send_up(topic, district.staff)
        assert Delivery.objects.filter(kind="tf.topic_arrived").count() == told.count()

    def test_an_early_petition_goes_up_with_its_topic(self, world, levels, district):
        case = accepted_case(district)
        topic = on_meeting(district_meeting(world, district), district.staff, case)
        referral = send_up(topic, district.staff)
        case.refresh_from_db()
        assert case.jurisdiction == world.city
        assert case.state == State.REGISTERED
        move = LevelTransfer.objects.get(petition=case)
        assert move.direction == LevelMove.UP
        assert move.from_jurisdiction == world.district
        assert move.to_jurisdiction == world.city
        assert move.reason == REASON
        assert referral.petition == case
        assert case in Petition.objects.visible_to(district.staff)  # the district keeps reading it

    def test_an_assigned_petition_stays_with_its_lead_unit_and_only_the_topic_goes_up(
        self, world, levels, district
    ):
        case = assigned_case(world, district)
        topic = on_meeting(district_meeting(world, district), district.staff, case)
        referral = send_up(topic, district.staff)
        case.refresh_from_db()
        assert case.jurisdiction == world.district
        assert case.state == State.ASSIGNED
        assert case.lead_unit == world.district_dept
        assert not LevelTransfer.objects.filter(petition=case).exists()
        assert referral.petition == case
        assert referral.jurisdiction == world.city

    def test_sending_twice_does_nothing_twice(self, world, levels, district):
        case = accepted_case(district)
        topic = on_meeting(district_meeting(world, district), district.staff, case)
        send_up(topic, district.staff)
        with pytest.raises(WorkflowError) as again:
            send_up(topic, district.staff, reason="再次提交")
        assert again.value.code == "sent_up"
        assert Topic.objects.filter(referred_from=topic).count() == 1
        assert LevelTransfer.objects.filter(petition=case).count() == 1

    def test_the_citys_own_topic_has_nowhere_to_go(self, world, levels):
        topic = add(city_meeting(world), world.staff)
        with pytest.raises(WorkflowError) as refused:
            send_up(topic, world.staff)
        assert refused.value.code == "no_parent"
        topic.refresh_from_db()
        assert topic.status == TopicStatus.NEW
        assert not Topic.objects.filter(source=TopicSource.REFERRED).exists()

    @pytest.mark.parametrize(
        "who",
        [
            "city_staff",
            "other_staff",
            "district_leader",
            "city_leader",
            "supervisor",
            "handler",
            "district_handler",
            "firm",
        ],
    )
    def test_only_the_task_force_that_runs_the_level_sends_up(
        self, world, levels, district, other, who
    ):
        actors = {
            "city_staff": world.staff,
            "other_staff": other.staff,
            "district_leader": district.leader,
            "city_leader": world.leader,
            "supervisor": world.supervisor,
            "handler": world.handler,
            "district_handler": world.district_handler,
            "firm": district.firm_user,
        }
        topic = pooled(district)
        with pytest.raises(PermissionDenied):
            send_up(topic, actors[who])
        topic.refresh_from_db()
        assert topic.status == TopicStatus.NEW
        assert not Topic.objects.filter(referred_from=topic).exists()

    def test_a_reason_is_required(self, world, levels, district):
        topic = pooled(district)
        with pytest.raises(WorkflowError) as refused:
            send_up(topic, district.staff, reason="   ")
        assert refused.value.code == "required"
        topic.refresh_from_db()
        assert topic.status == TopicStatus.NEW

    def test_a_catalogued_or_dropped_topic_is_not_sent_up(self, world, levels, district):
        meeting = district_meeting(world, district)
        catalogued = verify(add(meeting, district.staff), district.staff, world.district_dept)
        dropped = add(meeting, district.staff, problem="企业已自行解决")
        workflow.verify_topic(topic_id=dropped.pk, actor=district.staff, keep=False, note="已解决")
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=district.staff)
        for topic in (catalogued, dropped):
            with pytest.raises(WorkflowError) as refused:
                send_up(topic, district.staff)
            assert refused.value.code == "closed"
        assert not Topic.objects.filter(source=TopicSource.REFERRED).exists()
        with pytest.raises(WorkflowError) as missing:
            workflow.send_up(topic_id=999999, actor=district.staff, reason=REASON)
        assert missing.value.code == "missing"

    def test_the_city_sends_up_nothing_from_a_zone_but_to_itself(self, world, levels):
        meeting = plan(world.staff, levels.zone, world.leader, title="高新区恳谈会")
        referral = send_up(add(meeting, world.staff), world.staff)
        assert referral.jurisdiction == world.city
        assert referral.referred_from.jurisdiction == levels.zone

    def test_a_topic_sent_up_leaves_its_districts_catalogue(self, world, levels, district):
        meeting = district_meeting(world, district)
        kept = verify(add(meeting, district.staff), district.staff, world.district_dept)
        gone = verify(
            add(meeting, district.staff, problem="需市级统筹的跨区问题"),
            district.staff,
            world.district_dept,
        )
        send_up(gone, district.staff)
        with pytest.raises(WorkflowError):
            verify(gone, district.staff, world.district_dept)
        with pytest.raises(WorkflowError):
            workflow.take_topic(meeting_id=meeting.pk, actor=district.staff, topic_id=gone.pk)
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=district.staff)
        assert [i.topic_id for i in meeting.items.all()] == [kept.pk]
        gone.refresh_from_db()
        assert gone.meeting == meeting  # the district keeps it on its meeting, marked
        assert gone.status == TopicStatus.SENT_UP

    def test_the_city_puts_a_referred_topic_on_its_next_meeting_like_any_topic(
        self, world, levels, district
    ):
        referral = send_up(pooled(district), district.staff)
        meeting = city_meeting(world)
        with pytest.raises(PermissionDenied):
            workflow.take_topic(meeting_id=meeting.pk, actor=district.staff, topic_id=referral.pk)
        workflow.take_topic(meeting_id=meeting.pk, actor=world.staff, topic_id=referral.pk)
        verify(referral, world.staff, world.dept, co_units=[world.district])
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        item = CatalogueItem.objects.get(topic=referral)
        assert item.meeting == meeting
        assert item.enterprise_name == district.firm.name

    def test_a_referred_topic_meets_its_petition_once_per_meeting(self, world, levels, district):
        case = accepted_case(district)
        referral = send_up(
            on_meeting(district_meeting(world, district), district.staff, case), district.staff
        )
        meeting = city_meeting(world)
        on_meeting(meeting, world.staff, Petition.objects.get(pk=case.pk))  # now the city's case
        with pytest.raises(WorkflowError) as refused:
            workflow.take_topic(meeting_id=meeting.pk, actor=world.staff, topic_id=referral.pk)
        assert refused.value.code == "duplicate"
        assert meeting.topics.count() == 1

    def test_the_citys_decision_on_a_referred_topic_becomes_a_city_case(
        self, world, levels, district
    ):
        referral = send_up(pooled(district), district.staff)
        meeting = city_meeting(world)
        workflow.take_topic(meeting_id=meeting.pk, actor=world.staff, topic_id=referral.pk)
        verify(referral, world.staff, world.dept)
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=world.staff)
        workflow.submit_catalogue(meeting_id=meeting.pk, actor=world.staff)
        workflow.approve_catalogue(meeting_id=meeting.pk, actor=world.leader)
        workflow.issue_notice(meeting_id=meeting.pk, actor=world.staff)
        workflow.hold(meeting_id=meeting.pk, actor=world.staff)
        item = meeting.items.get()
        workflow.record_decision(
            item_id=item.pk, actor=world.staff, decision="市工信局牵头", outcome=Outcome.ASSIGNED
        )
        created = workflow.assign_decisions(meeting_id=meeting.pk, actor=world.staff)
        assert created[0].jurisdiction == world.city


# --- 3. the pages ----------------------------------------------------------------------------------


class TestMeetingPagesPerLevel:
    def test_a_district_plans_and_runs_its_meetings_from_the_pages(
        self, client, world, levels, district
    ):
        form = page(client, district.staff, reverse("meetings:plan")).context["form"]
        assert list(form.fields["jurisdiction"].queryset) == [world.district]
        response = page(
            client,
            district.staff,
            reverse("meetings:plan"),
            "post",
            {
                "jurisdiction": world.district.pk,
                "kind": MeetingKind.TALKS,
                "title": "龙湖区亲清政企恳谈会",
                "date": "2026-12-10",
                "chair": district.leader.pk,
                "leaders": [district.leader.pk],
                "firms": [district.firm.pk],
            },
        )
        meeting = Meeting.objects.get(title="龙湖区亲清政企恳谈会")
        assert response.status_code == 302
        assert meeting.jurisdiction == world.district
        shown = page(client, district.staff, reverse("meetings:meeting", args=[meeting.pk]))
        assert shown.context["actions"] == {"add_topic", "draft"}
        assert page(client, district.staff, reverse("meetings:topics", args=[meeting.pk])).context[
            "can_act"
        ]
        added = page(
            client,
            district.staff,
            reverse("meetings:add_topic", args=[meeting.pk]),
            "post",
            {"problem": "区内园区道路不通"},
        )
        assert added.status_code == 302
        assert meeting.topics.get().problem == "区内园区道路不通"

    def test_the_city_reads_a_districts_pages_without_their_buttons(
        self, client, world, levels, district
    ):
        meeting = district_meeting(world, district)
        topic = add(meeting, district.staff, district.firm)
        shown = page(client, world.staff, reverse("meetings:meeting", args=[meeting.pk]))
        assert shown.status_code == 200
        assert shown.context["actions"] == set()
        topics = page(client, world.staff, reverse("meetings:topics", args=[meeting.pk]))
        assert topics.status_code == 200
        assert topics.context["can_act"] is False
        assert reverse("meetings:add_topic", args=[meeting.pk]) not in topics.content.decode()
        for name, pk in (("meetings:add_topic", meeting.pk), ("meetings:verify_topic", topic.pk)):
            assert page(client, world.staff, reverse(name, args=[pk])).status_code == 403
        for name in ("meetings:draft", "meetings:take_topic"):
            url = reverse(name, args=[meeting.pk])
            assert page(client, world.staff, url, "post", {"topic": topic.pk}).status_code == 403
        read = page(client, world.staff, reverse("meetings:topic", args=[topic.pk]))
        assert read.status_code == 200
        assert read.context["form"] is None
        assert (
            zh("The task force of %(unit)s runs this topic; you can read it.", unit="龙湖区")
            in read.content.decode()
        )
        choices = page(client, world.staff, reverse("meetings:plan")).context["form"]
        assert set(choices.fields["jurisdiction"].queryset) == {world.city, levels.zone}
        assert meeting.topics.count() == 1

    def test_the_citys_leader_reads_a_districts_catalogue_and_the_districts_decides(
        self, client, world, levels, district
    ):
        meeting = district_meeting(world, district)
        verify(add(meeting, district.staff), district.staff, world.district_dept)
        workflow.draft_catalogue(meeting_id=meeting.pk, actor=district.staff)
        workflow.submit_catalogue(meeting_id=meeting.pk, actor=district.staff)
        url = reverse("meetings:meeting", args=[meeting.pk])
        assert page(client, world.leader, url).context["actions"] == set()
        assert page(client, district.leader, url).context["actions"] == {
            "review",
            "send_back",
            "approve",
        }
        review = reverse("meetings:review", args=[meeting.pk])
        refused = page(client, world.leader, review, "post", {"review-note": "市级意见"})
        assert refused.status_code == 403

    def test_the_decisions_are_recorded_by_the_district_only(self, client, world, levels, district):
        meeting = held_district_meeting(world, district)
        url = reverse("meetings:decisions", args=[meeting.pk])
        assert page(client, world.staff, url).context["editable"] is False
        assert page(client, district.staff, url).context["editable"] is True
        item = meeting.items.get()
        data = {f"item-{item.pk}-decision": "现场答复", f"item-{item.pk}-outcome": Outcome.SETTLED}
        decide = reverse("meetings:record_decision", args=[item.pk])
        assert page(client, world.staff, decide, "post", data).status_code == 403
        item.refresh_from_db()
        assert item.outcome == Outcome.PENDING


# Every meetings page that takes an id, and whom of the other district it is tried with.
BY_MEETING = [
    "meetings:meeting",
    "meetings:topics",
    "meetings:add_topic",
    "meetings:take_topic",
    "meetings:take_petition",
    "meetings:draft",
    "meetings:reopen",
    "meetings:submit",
    "meetings:review",
    "meetings:approve",
    "meetings:send_back",
    "meetings:issue_notice",
    "meetings:hold",
    "meetings:decisions",
    "meetings:assign",
    "meetings:close",
    "meetings:catalogue",
    "meetings:catalogue_pdf",
    "meetings:opinions",
    "meetings:opinions_pdf",
    "meetings:handling_forms",
    "meetings:handling_forms_pdf",
    "meetings:evaluations",
    "meetings:evaluations_pdf",
]
BY_TOPIC = [
    "meetings:topic",
    "meetings:send_up",
    "meetings:verify_topic",
    "meetings:topic_form",
    "meetings:topic_form_pdf",
]
BY_ITEM = ["meetings:record_decision", "meetings:handling_form", "meetings:handling_form_pdf"]
POSTED = {
    "meetings:take_topic",
    "meetings:take_petition",
    "meetings:draft",
    "meetings:reopen",
    "meetings:submit",
    "meetings:review",
    "meetings:approve",
    "meetings:send_back",
    "meetings:issue_notice",
    "meetings:hold",
    "meetings:assign",
    "meetings:close",
    "meetings:send_up",
    "meetings:record_decision",
}
LEADERS_ONLY = {"meetings:review", "meetings:approve", "meetings:send_back"}


@pytest.mark.parametrize("name", BY_MEETING + BY_TOPIC + BY_ITEM)
def test_another_districts_officials_get_404_on_every_page_with_an_id(
    client, world, levels, district, other, name
):
    meeting = held_district_meeting(world, district)
    item = meeting.items.get()
    pk = {**dict.fromkeys(BY_MEETING, meeting.pk), **dict.fromkeys(BY_TOPIC, item.topic_id)}.get(
        name, item.pk
    )
    who = other.leader if name in LEADERS_ONLY else other.staff
    method = "post" if name in POSTED else "get"
    response = page(client, who, reverse(name, args=[pk]), method, {"reason": REASON})
    assert response.status_code == 404
    assert (
        page(client, world.staff, reverse("meetings:meeting", args=[meeting.pk])).status_code == 200
    )


class TestSendUpPages:
    def test_the_district_sends_a_topic_up_from_its_page(self, client, world, levels, district):
        topic = pooled(district)
        url = reverse("meetings:topic", args=[topic.pk])
        shown = page(client, district.staff, url)
        assert shown.context["form"] is not None
        assert shown.context["parent"] == world.city
        assert reverse("meetings:send_up", args=[topic.pk]) in shown.content.decode()
        done = page(
            client,
            district.staff,
            reverse("meetings:send_up", args=[topic.pk]),
            "post",
            {"reason": REASON},
            follow=True,
        )
        referral = Topic.objects.get(referred_from=topic)
        assert done.redirect_chain == [(url, 302)]
        text = done.content.decode()
        assert (
            zh(
                "Topic %(n)d is sent up to %(unit)s, for its next meeting.",
                n=topic.pk,
                unit="汕头市",
            )
            in text
        )
        assert zh("Sent up to %(unit)s", unit="汕头市") in text
        assert REASON in text
        assert done.context["referral"] == referral
        assert done.context["form"] is None  # nothing more to send
        pool = page(client, district.staff, reverse("meetings:pool"))
        assert [t.pk for t in pool.context["sent_up"]] == [topic.pk]
        assert pool.context["pooled"] == []

    def test_a_missing_reason_is_said_on_the_page_and_nothing_goes_up(
        self, client, world, levels, district
    ):
        topic = pooled(district)
        response = page(
            client,
            district.staff,
            reverse("meetings:send_up", args=[topic.pk]),
            "post",
            {"reason": "  "},
        )
        assert response.status_code == 400
        assert "这个字段是必填项。" in response.content.decode()
        assert not Topic.objects.filter(referred_from=topic).exists()

    def test_sending_twice_from_the_page_says_so_and_keeps_what_was_typed(
        self, client, world, levels, district
    ):
        topic = pooled(district)
        url = reverse("meetings:send_up", args=[topic.pk])
        assert page(client, district.staff, url, "post", {"reason": REASON}).status_code == 302
        again = page(client, district.staff, url, "post", {"reason": "企业再次反映，请市里协调"})
        assert again.status_code == 400
        text = again.content.decode()
        assert zh("This topic has already been sent up.") in text
        assert "企业再次反映，请市里协调" in text
        assert Topic.objects.filter(referred_from=topic).count() == 1

    @pytest.mark.parametrize(
        ("who", "status"),
        [
            ("city_staff", 403),
            ("district_leader", 403),
            ("city_leader", 403),
            ("supervisor", 403),
            ("district_handler", 403),
            ("firm", 403),
            ("other_staff", 404),
        ],
    )
    def test_the_send_up_button_is_refused_to_everyone_else(
        self, client, world, levels, district, other, who, status
    ):
        actors = {
            "city_staff": world.staff,
            "district_leader": district.leader,
            "city_leader": world.leader,
            "supervisor": world.supervisor,
            "district_handler": world.district_handler,
            "firm": district.firm_user,
            "other_staff": other.staff,
        }
        topic = pooled(district)
        url = reverse("meetings:send_up", args=[topic.pk])
        assert page(client, actors[who], url, "post", {"reason": REASON}).status_code == status
        topic.refresh_from_db()
        assert topic.status == TopicStatus.NEW

    @pytest.mark.parametrize(("who", "status"), [("district_handler", 403), ("firm", 403)])
    def test_the_topic_page_and_the_pool_are_for_officials(
        self, client, world, levels, district, who, status
    ):
        actor = world.district_handler if who == "district_handler" else district.firm_user
        topic = pooled(district)
        assert page(client, actor, reverse("meetings:topic", args=[topic.pk])).status_code == status
        assert page(client, actor, reverse("meetings:pool")).status_code == status

    def test_the_citys_own_topic_page_offers_no_send_up(self, client, world, levels):
        topic = add(city_meeting(world), world.staff)
        shown = page(client, world.staff, reverse("meetings:topic", args=[topic.pk]))
        assert shown.status_code == 200
        assert shown.context["form"] is None
        assert reverse("meetings:send_up", args=[topic.pk]) not in shown.content.decode()

    def test_the_city_finds_the_topic_in_its_pool_marked_and_takes_it(
        self, client, world, levels, district
    ):
        topic = pooled(district)
        referral = send_up(topic, district.staff)
        pool = page(client, world.staff, reverse("meetings:pool"))
        assert referral in pool.context["pooled"]
        assert zh("Sent up by %(unit)s", unit="龙湖区") in pool.content.decode()
        meeting = city_meeting(world)
        topics_url = reverse("meetings:topics", args=[meeting.pk])
        topics = page(client, world.staff, topics_url)
        assert referral in topics.context["pool"]
        assert zh("Sent up by %(unit)s", unit="龙湖区") in topics.content.decode()
        taken = page(
            client,
            world.staff,
            reverse("meetings:take_topic", args=[meeting.pk]),
            "post",
            {"topic": referral.pk},
        )
        assert taken.status_code == 302
        referral.refresh_from_db()
        assert referral.meeting == meeting
        city_view = page(client, world.staff, reverse("meetings:topic", args=[referral.pk]))
        assert city_view.context["origin"] == topic
        assert city_view.context["origin_link"] is True
        assert REASON in city_view.content.decode()
        district_view = page(client, district.staff, reverse("meetings:topic", args=[topic.pk]))
        assert district_view.context["referral"] == referral
        assert district_view.context["referral_link"] is False  # the city's topic is not theirs
        assert meeting.title in district_view.content.decode()
        assert (
            page(client, district.staff, reverse("meetings:topic", args=[referral.pk])).status_code
            == 404
        )

    def test_the_districts_meeting_shows_where_its_topic_went(
        self, client, world, levels, district
    ):
        meeting = district_meeting(world, district)
        topic = add(meeting, district.staff, district.firm)
        send_up(topic, district.staff)
        text = page(
            client, district.staff, reverse("meetings:topics", args=[meeting.pk])
        ).content.decode()
        assert zh("Sent up to %(unit)s", unit="汕头市") in text
        assert reverse("meetings:verify_topic", args=[topic.pk]) not in text

    def test_the_firm_reads_that_its_topic_went_up(self, client, world, levels, district):
        send_up(pooled(district), district.staff)
        text = page(client, district.firm_user, reverse("meetings:portal_topics")).content.decode()
        assert zh("Sent up to the higher level's meeting") in text


def test_the_pool_page_does_not_query_per_row(
    client, world, levels, district, django_assert_num_queries
):
    send_up(pooled(district), district.staff)
    client.force_login(world.staff)
    url = reverse("meetings:pool")
    # session, user, the user's unit, its parent, the jurisdictions below (two levels), the
    # pooled topics, the topics sent up
    with django_assert_num_queries(8) as ctx:
        first = client.get(url)
    assert len(first.context["pooled"]) == 1
    for n in range(3):
        send_up(pooled(district, problem=f"跨区问题{n}"), district.staff)
    with django_assert_num_queries(len(ctx.captured_queries)):
        more = client.get(url)
    assert len(more.context["pooled"]) == 4
    assert len(more.context["sent_up"]) == 4  # the city reads what its district sent up


def test_the_admin_shows_where_a_referred_topic_came_from_and_cannot_change_it(
    client, world, levels, district
):
    topic = pooled(district)
    referral = send_up(topic, district.staff)
    world.staff.is_staff = True
    world.staff.save(update_fields=["is_staff"])
    world.staff.user_permissions.set(Permission.objects.filter(content_type__app_label="meetings"))
    client.force_login(world.staff)
    response = client.get(reverse("admin:meetings_topic_change", args=[referral.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "referred_from" not in form.fields
    assert "referral_reason" not in form.fields
    assert REASON in response.content.decode()
