"""A meeting in a real browser, from planning to the supervision ledger (docs/rules.md §6; Heyuan 四).

A firm submits a topic form in the portal; the task force plans a meeting, takes the firm's topic and a
late petition the agenda rules propose, verifies both, drafts and submits the catalogue; the chair
approves it and prints it (the PDF is read back with pdftotext and rendered to PNG); the task force
holds the meeting, records the decisions row by row (htmx), prints the handling opinions and assigns
the decisions; the supervision office finds the new petitions in its ledger; the firm evaluates.
Screenshots and PDFs go to test-artifacts/<test>/.
"""

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Topic, TopicStatus
from petitions.models import EnterpriseTag, Petition, State
from tests.petitions import flow

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
FIRM_PROBLEM = "园区道路未通，货车无法进出厂区"
TITLE = "第四季度政企面对面交流活动"


def shot(page, artifacts, name, *, mobile=False):
    page.set_viewport_size(MOBILE if mobile else DESKTOP)
    page.screenshot(path=artifacts / name, full_page=True)


def submit(page, action):
    """Press the button of the form that posts to `action`."""
    page.locator(f"form[action='{action}'] button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def as_user(page, login, username):
    """Log in afresh as someone else (the login page of a logged-in user shows a logout button)."""
    page.context.clear_cookies()
    login(username)


def pdf_text(path):
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return re.sub(r"\s+", "", out.stdout)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_meeting_from_planning_to_the_supervision_ledger(
    page, live_server, world, login, artifacts, time_machine
):
    url = live_server.url
    now = timezone.now()
    world.firm.tags.add(EnterpriseTag.objects.get(code="above_size"))  # 规上企业
    # A petition answered late: the agenda rules will propose it (Shantou 四(一)).
    time_machine.move_to(now - timedelta(days=30), tick=False)
    late = flow.in_progress(world)
    time_machine.move_to(now, tick=True)
    assert late.due_on < timezone.localdate()

    # 1. The firm submits a topic form (议题表) in the portal, on a phone.
    as_user(page, login, "firm")
    page.set_viewport_size(MOBILE)
    page.goto(f"{url}{reverse('meetings:portal_topic_new')}")
    page.fill("#id_person_in_charge", "张总")
    page.fill("#id_phone", "13800138000")
    page.fill("#id_problem", FIRM_PROBLEM)
    page.fill("#id_suggestion", "请协调住建、自然资源部门尽快打通道路")
    shot(page, artifacts, "01-portal-topic-form.png", mobile=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    firm_topic = Topic.objects.get(problem=FIRM_PROBLEM)
    assert page.url.endswith(reverse("meetings:portal_topic", args=[firm_topic.pk]))
    shot(page, artifacts, "02-portal-topic.png", mobile=True)

    # 2. The task force plans the meeting, inviting the firms tagged 规上企业.
    as_user(page, login, "staff")
    page.goto(f"{url}{reverse('meetings:plan')}")
    day = timezone.localdate() + timedelta(days=21)
    page.select_option("#id_kind", "talks")
    page.fill("#id_title", TITLE)
    page.fill("#id_date", day.isoformat())
    page.fill("#id_location", "市政府第一会议室")
    page.select_option("#id_chair", str(world.leader.pk))
    page.check(f"#id_leaders input[value='{world.leader.pk}']")
    page.check(f"#id_departments input[value='{world.dept.pk}']")
    page.check(f"#id_departments input[value='{world.other_dept.pk}']")
    page.select_option("#firm-tag", "above_size")
    assert page.locator(f"#id_firms input[value='{world.other_firm.pk}']").is_hidden()
    page.click("#firm-all")
    assert page.locator("#firm-warning").is_visible()  # talks: fewer than 10 firms
    shot(page, artifacts, "03-plan-form.png")
    page.select_option("#id_kind", "face_to_face")
    page.locator("#plan-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    meeting = Meeting.objects.get(title=TITLE)
    assert list(meeting.firms.all()) == [world.firm]
    assert page.url.endswith(reverse("meetings:meeting", args=[meeting.pk]))
    assert meeting.catalogue_due_on.isoformat() in page.content()
    shot(page, artifacts, "04-meeting-planned.png")

    # 3. Topics: take the firm's topic and the proposed late petition, each in one click.
    page.goto(f"{url}{reverse('meetings:topics', args=[meeting.pk])}")
    assert late.number in page.content()
    shot(page, artifacts, "05-topics-proposals.png")
    take_topic = reverse("meetings:take_topic", args=[meeting.pk])
    page.locator(f"form[action='{take_topic}']:has(input[value='{firm_topic.pk}']) button").click()
    page.wait_for_load_state("networkidle")
    take_petition = reverse("meetings:take_petition", args=[meeting.pk])
    page.locator(f"form[action='{take_petition}']:has(input[value='{late.pk}']) button").click()
    page.wait_for_load_state("networkidle")
    petition_topic = Topic.objects.get(petition=late)
    assert petition_topic.rule == "unresolved"

    # 4. Verify both with the departments: opinion, lead and co-handling units.
    for topic, opinion, co in (
        (firm_topic, "由市工信局牵头，会同市自然资源局年内打通道路", world.other_dept),
        (petition_topic, "由市工信局督促供电部门一周内完成报装", None),
    ):
        page.goto(f"{url}{reverse('meetings:verify_topic', args=[topic.pk])}")
        page.fill("#id_note", "已与市住建局、市自然资源局核实情况属实")
        page.fill("#id_opinion", opinion)
        page.select_option("#id_lead_unit", str(world.dept.pk))
        if co:
            page.locator("#keep-fields details summary").click()
            page.check(f"#id_co_units input[value='{co.pk}']")
        if topic is firm_topic:
            shot(page, artifacts, "06-verify.png")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
    assert set(Topic.objects.filter(meeting=meeting).values_list("status", flat=True)) == {
        TopicStatus.VERIFIED
    }
    shot(page, artifacts, "07-topics-verified.png")

    # 5. Draft and submit the catalogue.
    page.goto(f"{url}{reverse('meetings:meeting', args=[meeting.pk])}")
    submit(page, reverse("meetings:draft", args=[meeting.pk]))
    submit(page, reverse("meetings:submit", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.state == "submitted"
    shot(page, artifacts, "08-submitted.png")

    # 6. The chair approves it and prints it.
    as_user(page, login, "leader")
    page.goto(f"{url}{reverse('meetings:meeting', args=[meeting.pk])}")
    shot(page, artifacts, "09-leader-approval.png")
    submit(page, reverse("meetings:approve", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.state == "approved"
    page.goto(f"{url}{reverse('meetings:catalogue', args=[meeting.pk])}")
    page.set_viewport_size(DESKTOP)
    shot(page, artifacts, "10-catalogue-print-view.png")
    with page.expect_download() as download:
        page.click(f"a[href='{reverse('meetings:catalogue_pdf', args=[meeting.pk])}?download=1']")
    catalogue = artifacts / "catalogue.pdf"
    download.value.save_as(catalogue)
    text = pdf_text(catalogue)
    for needle in (FIRM_PROBLEM, late.title, "由市工信局牵头，会同市自然资源局年内打通道路"):
        assert needle in text
    assert world.dept.name in text
    assert world.other_dept.name in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(catalogue), str(artifacts / "catalogue")], check=True
    )
    assert (artifacts / "catalogue-1.png").exists()

    # 7. On the day: notice, held, decisions row by row (htmx), the handling opinions, assignment.
    as_user(page, login, "staff")
    page.goto(f"{url}{reverse('meetings:meeting', args=[meeting.pk])}")
    submit(page, reverse("meetings:issue_notice", args=[meeting.pk]))
    submit(page, reverse("meetings:hold", args=[meeting.pk]))
    assert page.url.endswith(reverse("meetings:decisions", args=[meeting.pk]))
    first, second = meeting.items.order_by("number")
    for item, decision, outcome in (
        (first, "市工信局牵头，12月底前打通道路，市自然资源局配合", 1),
        (second, "供电部门已承诺一周内完成报装，请市工信局跟踪", 1),
    ):
        row = page.locator(f"#item-{item.pk}")
        row.locator(f"#id_item-{item.pk}-decision").fill(decision)
        row.locator(f"#id_item-{item.pk}-outcome_{outcome}").check()
        row.locator("button[type=submit]").click()
        page.locator(f"#item-{item.pk} [role=status]").wait_for()
    assert page.url.endswith(reverse("meetings:decisions", args=[meeting.pk]))  # no reload
    shot(page, artifacts, "11-decisions.png")
    with page.expect_download() as download:
        page.goto(f"{url}{reverse('meetings:opinions', args=[meeting.pk])}")
        page.click(f"a[href='{reverse('meetings:opinions_pdf', args=[meeting.pk])}?download=1']")
    download.value.save_as(artifacts / "opinions.pdf")
    assert "12月底前打通道路" in pdf_text(artifacts / "opinions.pdf")
    page.goto(f"{url}{reverse('meetings:meeting', args=[meeting.pk])}")
    submit(page, reverse("meetings:assign", args=[meeting.pk]))
    petitions = list(Petition.objects.filter(channel="meeting").order_by("pk"))
    assert len(petitions) == 2
    for petition in petitions:
        assert petition.state == State.ASSIGNED
        assert petition.transfer_letter_no
        assert petition.number in page.content()
    shot(page, artifacts, "12-assigned.png")

    # 8. The supervision office finds them in its ledger.
    as_user(page, login, "supervisor")
    page.goto(f"{url}/staff/supervision/ledger/")
    for petition in petitions:
        assert petition.number in page.content()
    shot(page, artifacts, "13-ledger.png")

    # 9. The firm gives its overall evaluation (总体评价表).
    as_user(page, login, "firm")
    page.goto(f"{url}{reverse('meetings:portal_meetings')}")
    page.click(f"a[href='{reverse('meetings:portal_evaluate', args=[meeting.pk])}']")
    page.check("#id_rating_0")
    page.fill("#id_suggestions", "希望每季度都举办")
    shot(page, artifacts, "14-portal-evaluate.png", mobile=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert meeting.evaluations.get().rating == "satisfied"

    # 10. The task force closes the meeting.
    as_user(page, login, "staff")
    page.goto(f"{url}{reverse('meetings:meeting', args=[meeting.pk])}")
    submit(page, reverse("meetings:close", args=[meeting.pk]))
    meeting.refresh_from_db()
    assert meeting.state == "closed"
    shot(page, artifacts, "15-closed.png")
