"""Printed documents carry one issuing body (petitions/issuer.py; docs/rules.md §1): the task force of
the level that runs the case names the transfer letter, the approval form and the dossier in their
header, signature and seal line, with the case's number series; a parent that stands in says so."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from meetings import workflow as meetings_workflow
from meetings.models import MeetingKind
from petitions import workflow
from petitions.issuer import issuing_body, task_force_unit
from petitions.models import Channel, OrgUnit, PetitionType, Role, UnitKind
from tests.factories import EnterpriseFactory, firm_user, member
from tests.petitions import flow

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils missing"
)

HTML_DOCUMENTS = ["staff:transfer_letter", "staff:approval_form", "staff:dossier"]
PDF_DOCUMENTS = ["staff:transfer_letter_pdf", "staff:approval_form_pdf", "staff:dossier_pdf"]


def seal(name: str) -> str:
    return gettext("%(name)s (seal)") % {"name": name}


def on_behalf(jurisdiction: OrgUnit) -> str:
    return gettext("on behalf of %(jurisdiction)s") % {"jurisdiction": jurisdiction.name}


def pdf_text(data: bytes, tmp_path) -> str:
    """The PDF's text without white space: the spaced-out header and wrapped cells read whole."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", out)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def html_of(client, user, name, petition) -> str:
    client.force_login(user)
    response = client.get(reverse(name, args=[petition.pk]))
    assert response.status_code == 200, name
    return response.content.decode()


def header(html: str) -> str:
    """The issuer block at the top of a print page (before the red rule)."""
    return re.search(r'<div class="issuer">(.*?)<hr class="rule">', html, re.S).group(1)


def signature(html: str) -> str:
    return re.search(r'<div class="signature">(.*?)</div>\s*</div>', html, re.S).group(0)


def register(world, jurisdiction):
    firm = EnterpriseFactory(jurisdiction=jurisdiction)
    return workflow.register(
        actor=firm_user(firm),
        enterprise=firm,
        channel=Channel.PORTAL,
        type=PetitionType.COMPLAINT,
        title="用电报装审批时间过长",
        content="企业新厂房用电报装已提交两个月，仍未审批，影响投产。",
        request="尽快完成用电报装。",
        theme_id=world.theme.pk,
    )


def through_approval(petition, *, staff, unit, handler, leader):
    """Accept, propose, confirm, submit to a leader, approve and issue the letter."""
    workflow.accept(petition_id=petition.pk, actor=staff)
    workflow.propose(petition_id=petition.pk, actor=staff, unit=unit)
    workflow.confirm(petition_id=petition.pk, actor=handler)
    workflow.submit_for_approval(
        petition_id=petition.pk, actor=staff, leader=leader, note="需领导协调"
    )
    workflow.approve(petition_id=petition.pk, actor=leader, instruction="同意，抓紧办理。")
    return workflow.issue_transfer_letter(petition_id=petition.pk, actor=staff)


@pytest.fixture
def city_case(world):
    petition = flow.confirmed(world)
    workflow.submit_for_approval(
        petition_id=petition.pk, actor=world.staff, leader=world.leader, note="需市领导协调"
    )
    workflow.approve(petition_id=petition.pk, actor=world.leader, instruction="同意。")
    return workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)


@pytest.fixture
def district_case(world, levels):
    """A case of 龙湖区, which runs itself (its own task force and leader)."""
    return through_approval(
        register(world, world.district),
        staff=levels.district_staff,
        unit=world.district_dept,
        handler=world.district_handler,
        leader=levels.district_leader,
    )


@pytest.fixture
def zone_case(world, levels):
    """A case of the zone, which has no task force: the city's runs it."""
    return through_approval(
        register(world, levels.zone),
        staff=world.staff,
        unit=levels.zone_dept,
        handler=member(levels.zone_dept, Role.HANDLER, username="zone_handler"),
        leader=world.leader,
    )


@pytest.fixture
def passed_up_case(world, levels):
    """A district case the district passed up: the city triages it and issues the letter."""
    petition = register(world, world.district)
    workflow.accept(petition_id=petition.pk, actor=levels.district_staff)
    workflow.pass_up(petition_id=petition.pk, actor=levels.district_staff, reason="需市级协调")
    return through_approval(
        petition, staff=world.staff, unit=world.dept, handler=world.handler, leader=world.leader
    )


class TestTheIssuingBody:
    def test_a_city_case_is_issued_by_the_citys_task_force(self, world, city_case):
        body = issuing_body(city_case)
        assert body.unit == world.task_force_unit
        assert body.name == world.task_force_unit.name
        assert body.jurisdiction == world.city
        assert not body.stands_in
        assert body.on_behalf == ""
        assert body.seal == seal(world.task_force_unit.name)
        assert (body.number, body.letter_number) == (
            city_case.number,
            city_case.transfer_letter_no,
        )

    def test_a_district_case_is_issued_by_the_districts_own_task_force(
        self, world, levels, district_case
    ):
        body = issuing_body(district_case)
        assert body.unit == levels.district_tf_unit
        assert body.jurisdiction == world.district
        assert not body.stands_in

    def test_a_level_without_a_task_force_is_stood_in_for_by_the_parent(
        self, world, levels, zone_case
    ):
        body = issuing_body(zone_case)
        assert body.unit == world.task_force_unit
        assert body.jurisdiction == world.city
        assert body.case_jurisdiction == levels.zone
        assert body.stands_in
        assert body.on_behalf == on_behalf(levels.zone)

    def test_a_task_force_unit_without_accounts_does_not_issue(self, world, levels):
        # The zone has a task-force unit on paper but nobody in it: the city still runs its cases.
        OrgUnit.objects.create(name="高新区工作专班", kind=UnitKind.TASK_FORCE, parent=levels.zone)
        body = issuing_body(register(world, levels.zone))
        assert body.unit == world.task_force_unit
        assert body.stands_in

    def test_the_unit_holding_the_task_force_accounts_issues(self, world, levels):
        # The zone's task-force accounts sit in an office of another kind: that office runs it.
        office = OrgUnit.objects.create(
            name="高新区管委会办公室", kind=UnitKind.DEPARTMENT, parent=levels.zone
        )
        member(office, Role.TASK_FORCE, username="zone_staff")
        assert task_force_unit(levels.zone) == office
        body = issuing_body(register(world, levels.zone))
        assert body.unit == office
        assert not body.stands_in

    def test_a_level_without_a_task_force_unit_falls_back_to_the_parents_unit(self, world):
        # Nobody has accounts yet: the district has no unit on record, the city's unit is named.
        world.staff.is_active = False
        world.staff.save()
        body = issuing_body(register(world, world.district))
        assert body.unit == world.task_force_unit
        assert body.jurisdiction == world.city
        assert body.on_behalf == on_behalf(world.district)

    def test_no_unit_anywhere_names_the_jurisdictions_task_force(self, world):
        world.task_force_unit.members.update(is_active=False)
        world.task_force_unit.is_active = False
        world.task_force_unit.save()
        body = issuing_body(flow.registered(world))
        assert body.unit is None
        assert body.name == world.city.name + gettext("Enterprise Direct Line task force")
        assert not body.stands_in

    def test_a_reprint_names_who_signed_even_when_the_level_later_gets_its_own_task_force(
        self, world, levels, zone_case
    ):
        staff = OrgUnit.objects.create(
            name="高新区政企直通车工作专班", kind=UnitKind.TASK_FORCE, parent=levels.zone
        )
        member(staff, Role.TASK_FORCE, username="zone_staff")
        signer = zone_case.events.get(action="issue_transfer_letter").actor
        letter = issuing_body(zone_case, signer)
        assert letter.unit == world.task_force_unit
        assert letter.stands_in
        # A document printed before any letter follows whoever runs the level now.
        assert issuing_body(register(world, levels.zone)).unit == staff

    def test_a_passed_up_case_is_issued_by_the_city(self, world, passed_up_case):
        body = issuing_body(passed_up_case)
        assert passed_up_case.jurisdiction == world.city
        assert body.unit == world.task_force_unit
        assert not body.stands_in

    def test_a_case_handed_down_is_issued_by_the_district(self, world, levels):
        petition = workflow.hand_down(
            petition_id=flow.registered(world).pk,
            actor=world.staff,
            to=world.district,
            reason="属区级事权",
        )
        body = issuing_body(petition)
        assert body.unit == levels.district_tf_unit
        assert not body.stands_in


class TestPrintPages:
    def test_a_city_case(self, client, world, city_case):
        for name in HTML_DOCUMENTS:
            html = html_of(client, world.staff, name, city_case)
            assert world.task_force_unit.name in header(html), name
            assert seal(world.task_force_unit.name) in signature(html), name
            assert city_case.number in html
            assert 'class="on-behalf' not in html

    def test_a_district_case_names_the_district_in_header_and_signature(
        self, client, world, levels, district_case
    ):
        name_ = levels.district_tf_unit.name
        for name in HTML_DOCUMENTS:
            html = html_of(client, levels.district_staff, name, district_case)
            assert name_ in header(html), name
            assert seal(name_) in signature(html), name
            # The old letter said the district in its header and the city in its signature.
            assert world.task_force_unit.name not in html, name
            assert world.city.name + gettext("Enterprise Direct Line task force") not in html
        letter = html_of(client, levels.district_staff, "staff:transfer_letter", district_case)
        meta = re.search(r'<p class="meta">(.*?)</p>', letter).group(1)
        assert district_case.transfer_letter_no in meta
        assert district_case.number in meta

    def test_a_zone_without_a_task_force_is_marked_as_stood_in_for(
        self, client, world, levels, zone_case
    ):
        for name in HTML_DOCUMENTS:
            html = html_of(client, world.staff, name, zone_case)
            top = header(html)
            assert world.task_force_unit.name in top, name
            assert on_behalf(levels.zone) in top, name
            assert levels.zone.name in html[html.index('class="on-behalf-note"') :]
            sign = signature(html)
            assert seal(world.task_force_unit.name) in sign, name
            assert on_behalf(levels.zone) in sign, name

    def test_a_passed_up_case_is_signed_by_the_city_and_the_district_reads_it(
        self, client, world, levels, passed_up_case
    ):
        for user in (world.staff, levels.district_staff):
            html = html_of(client, user, "staff:transfer_letter", passed_up_case)
            assert world.task_force_unit.name in header(html)
            assert seal(world.task_force_unit.name) in signature(html)
            assert levels.district_tf_unit.name not in header(html) + signature(html)
            assert 'class="on-behalf' not in html

    def test_a_prefixed_number_series_is_printed(self, client, world, levels):
        world.district.number_prefix = "LH"
        world.district.save()
        petition = through_approval(
            register(world, world.district),
            staff=levels.district_staff,
            unit=world.district_dept,
            handler=world.district_handler,
            leader=levels.district_leader,
        )
        year = timezone.localdate().year
        assert petition.number == f"ZQLH{year}-000001"
        assert petition.transfer_letter_no == f"ZBLH{year}-000001"
        for name in HTML_DOCUMENTS:
            html = html_of(client, levels.district_staff, name, petition)
            meta = re.search(r'<p class="meta">(.*?)</p>', html).group(1)
            assert petition.number in meta, name
            assert petition.transfer_letter_no in meta, name

    def test_the_approval_form_before_the_leader_decides(self, client, world, levels):
        petition = register(world, world.district)
        workflow.accept(petition_id=petition.pk, actor=levels.district_staff)
        workflow.propose(
            petition_id=petition.pk, actor=levels.district_staff, unit=world.district_dept
        )
        workflow.confirm(petition_id=petition.pk, actor=world.district_handler)
        workflow.submit_for_approval(
            petition_id=petition.pk,
            actor=levels.district_staff,
            leader=levels.district_leader,
            note="涉及跨部门用地",
        )
        html = html_of(client, levels.district_leader, "staff:approval_form", petition)
        assert levels.district_tf_unit.name in header(html)
        assert "涉及跨部门用地" in html
        assert gettext("Awaiting the leader's decision.") in html
        assert '<table class="list small">' not in html  # one round: no separate history
        assert reverse("staff:approval_form_pdf", args=[petition.pk]) in html
        # Linked from the leader's decision page and the petition page.
        assert reverse("staff:approval_form", args=[petition.pk]) in html_of(
            client, levels.district_leader, "staff:approval", petition
        )
        assert reverse("staff:approval_form", args=[petition.pk]) in html_of(
            client, levels.district_staff, "staff:petition", petition
        )

    def test_a_resubmission_shows_the_new_round_and_the_history(self, client, world):
        petition = flow.awaiting_approval(world)
        workflow.send_back(petition_id=petition.pk, actor=world.leader, instruction="先核实用地。")
        workflow.submit_for_approval(
            petition_id=petition.pk, actor=world.staff, leader=world.leader, note="已核实。"
        )
        html = html_of(client, world.leader, "staff:approval_form", petition)
        assert gettext("Awaiting the leader's decision.") in html  # the send-back was last round's
        assert "先核实用地。" in html  # and still in the history
        assert "已核实。" in html


class TestPdf:
    @pytest.mark.slow
    @needs_poppler
    def test_a_district_case_read_by_the_city(self, client, world, levels, district_case, tmp_path):
        client.force_login(world.staff)  # the city reads its district's documents
        for name in PDF_DOCUMENTS:
            response = client.get(reverse(name, args=[district_case.pk]))
            assert response.status_code == 200, name
            text = pdf_text(response.content, tmp_path)
            assert text.startswith(levels.district_tf_unit.name), name  # the header
            assert squeeze(seal(levels.district_tf_unit.name)) in text, name
            assert world.task_force_unit.name not in text, name
            assert district_case.number in text, name
            assert district_case.transfer_letter_no in text, name

    @pytest.mark.slow
    @needs_poppler
    def test_a_zone_case_is_marked_in_the_pdf(self, client, world, levels, zone_case, tmp_path):
        client.force_login(world.staff)
        response = client.get(reverse("staff:transfer_letter_pdf", args=[zone_case.pk]))
        text = pdf_text(response.content, tmp_path)
        behalf = f"（{on_behalf(levels.zone)}）"
        assert text.startswith(squeeze(world.task_force_unit.name + behalf))
        assert squeeze(seal(world.task_force_unit.name) + behalf) in text

    @pytest.mark.slow
    @needs_poppler
    def test_a_prefixed_passed_up_case_and_a_city_case(self, client, world, levels, tmp_path):
        world.district.number_prefix = "LH"
        world.district.save()
        petition = register(world, world.district)
        workflow.pass_up(petition_id=petition.pk, actor=levels.district_staff, reason="需市级协调")
        petition = through_approval(
            petition, staff=world.staff, unit=world.dept, handler=world.handler, leader=world.leader
        )
        assert petition.transfer_letter_no.startswith("ZBLH")
        city = flow.assigned(world)
        client.force_login(world.staff)
        for case in (petition, city):
            response = client.get(reverse("staff:transfer_letter_pdf", args=[case.pk]))
            text = pdf_text(response.content, tmp_path)
            assert text.startswith(world.task_force_unit.name)
            assert squeeze(seal(world.task_force_unit.name)) in text
            assert case.transfer_letter_no in text
            assert levels.district_tf_unit.name not in text


class TestWhoMayOpen:
    @pytest.fixture
    def other_district(self, world):
        jinping = OrgUnit.objects.create(name="金平区", kind=UnitKind.DISTRICT, parent=world.city)
        unit = OrgUnit.objects.create(
            name="金平区政企直通车工作专班", kind=UnitKind.TASK_FORCE, parent=jinping
        )
        leaders = OrgUnit.objects.create(
            name="金平区政府领导", kind=UnitKind.LEADERSHIP, parent=jinping
        )
        return (
            member(unit, Role.TASK_FORCE, username="jinping_staff"),
            member(leaders, Role.LEADER, username="jinping_leader"),
        )

    @pytest.mark.parametrize("name", HTML_DOCUMENTS + PDF_DOCUMENTS)
    def test_another_districts_staff_and_leaders_get_404(
        self, client, world, levels, district_case, other_district, name
    ):
        url = reverse(name, args=[district_case.pk])
        for user in (*other_district, world.foreign_staff):
            client.force_login(user)
            assert client.get(url).status_code == 404, user.username

    @pytest.mark.parametrize("name", HTML_DOCUMENTS + PDF_DOCUMENTS)
    def test_a_district_cannot_open_the_citys_or_the_zones_documents(
        self, client, world, levels, city_case, zone_case, name
    ):
        for case in (city_case, zone_case):
            for user in (levels.district_staff, levels.district_leader):
                client.force_login(user)
                assert client.get(reverse(name, args=[case.pk])).status_code == 404

    @pytest.mark.parametrize("name", HTML_DOCUMENTS + PDF_DOCUMENTS)
    def test_handlers_and_firms_get_403(self, client, world, levels, district_case, name):
        for user in (
            world.district_handler,
            world.handler,
            district_case.enterprise.accounts.get(),
        ):
            client.force_login(user)
            assert client.get(reverse(name, args=[district_case.pk])).status_code == 403

    @pytest.mark.parametrize("name", HTML_DOCUMENTS)
    def test_the_citys_staff_leaders_and_supervisors_read_a_districts_documents(
        self, client, world, levels, district_case, name
    ):
        for user in (world.staff, world.leader, world.supervisor):
            html = html_of(client, user, name, district_case)
            assert levels.district_tf_unit.name in header(html)

    @pytest.mark.parametrize("name", ["staff:approval_form", "staff:approval_form_pdf"])
    def test_no_approval_form_for_a_case_never_submitted(self, client, world, name):
        petition = flow.assigned(world)
        client.force_login(world.staff)
        assert client.get(reverse(name, args=[petition.pk])).status_code == 404


class TestMeetingDocuments:
    """The meeting documents print the meeting's own jurisdiction (Meeting.jurisdiction)."""

    def test_a_district_meetings_catalogue_and_topic_form_name_the_district(
        self, client, world, levels
    ):
        meeting = meetings_workflow.plan(
            actor=levels.district_staff,
            jurisdiction=world.district,
            kind=MeetingKind.FACE_TO_FACE,
            title="龙湖区政企面对面交流活动",
            date=timezone.localdate() + timedelta(days=30),
            chair=levels.district_leader,
        )
        topic = meetings_workflow.add_topic(
            meeting_id=meeting.pk, actor=levels.district_staff, problem="园区道路未通"
        )
        meetings_workflow.verify_topic(
            topic_id=topic.pk,
            actor=levels.district_staff,
            keep=True,
            note="已核实",
            opinion="由区市场监管局牵头解决",
            lead_unit=world.district_dept,
        )
        meetings_workflow.draft_catalogue(meeting_id=meeting.pk, actor=levels.district_staff)
        client.force_login(levels.district_staff)
        catalogue = client.get(reverse("meetings:catalogue", args=[meeting.pk])).content.decode()
        meta = re.search(r'<p class="meta">(.*?)</p>', catalogue, re.S).group(1)
        assert meta.startswith(f"{world.district.name} ·")
        form = client.get(reverse("meetings:topic_form", args=[topic.pk])).content.decode()
        running = re.search(r'<div class="running-header">(.*?)</div>', form, re.S).group(1)
        assert world.district.name in running
        assert world.city.name not in running
        client.force_login(world.staff)  # the city reads its district's meeting documents
        assert client.get(reverse("meetings:catalogue", args=[meeting.pk])).status_code == 200
