"""The task force in a real browser: triage, assignment, a return and the reassignment, a leader's
approval, the transfer letter as PDF, the revisit and the archive. Screenshots and PDFs go to
test-artifacts/<test name>/."""

import re
import shutil
import subprocess

import pytest
from django.utils import timezone

from petitions import workflow
from petitions.models import Enterprise, Petition, ReturnReason, RoutingRule, State, Step
from tests.petitions import flow
from tests.petitions.test_imports import firm_row, registry

DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


def shot(page, artifacts, name, *, mobile=False):
    page.set_viewport_size(MOBILE if mobile else DESKTOP)
    page.screenshot(path=artifacts / name, full_page=True)
    page.set_viewport_size(DESKTOP)


def submit(page, form_selector):
    page.locator(f"{form_selector} button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")


def to_png(pdf, prefix):
    """Pages as PNG (60 dpi) beside the PDF, to look at (transfer-letter-1.png, ...)."""
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(prefix)], check=True)


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_the_task_force_takes_a_petition_from_intake_to_the_archive(
    page, live_server, world, login, artifacts
):
    url = live_server.url
    world.staff.first_name, world.staff.mobile = "李专班", "13912345678"
    world.staff.save()
    world.leader.first_name = "王市长"
    world.leader.save()
    RoutingRule.objects.create(jurisdiction=world.city, theme=world.theme, unit=world.dept)
    petition = flow.registered(world)  # submitted by the firm on the portal
    page.set_viewport_size(DESKTOP)

    # 1. Intake: the new petition with its due badge; triage it (accept).
    login("staff")
    page.goto(f"{url}/staff/intake/")
    assert petition.number in page.content()
    shot(page, artifacts, "01-intake.png")
    shot(page, artifacts, "01-intake-mobile.png", mobile=True)
    page.locator(f"#petition-{petition.pk} a.btn").click()
    page.wait_for_load_state("networkidle")
    page.select_option("#accept_type", "complaint")
    page.select_option("#accept_scope_class", "departmental")
    page.select_option("#accept_demand_class", "individual")
    page.select_option("#accept_tier", "complex")
    shot(page, artifacts, "02-triage.png")
    submit(page, "form[action$='/accept/']")

    # 2. Assign: the routing catalogue proposes the industry bureau; add a co-handler.
    assert page.url.endswith(f"/staff/petitions/{petition.pk}/assign/")
    assert page.locator("#id_unit").input_value() == str(world.dept.pk)
    page.locator("details summary").click()
    page.check(f"input[name=co_units][value='{world.district_dept.pk}']")
    shot(page, artifacts, "03-assign.png")
    submit(page, "main form")
    assert Petition.objects.get(pk=petition.pk).state == State.PROPOSED

    # 3. The bureau returns it (in its own pages); the task force upholds and reassigns.
    workflow.return_petition(
        petition_id=petition.pk,
        actor=world.handler,
        reason_code=ReturnReason.NOT_OUR_REMIT,
        reason="用地问题属于自然资源部门职责。",
        suggested_unit=world.other_dept,
    )
    page.goto(f"{url}/staff/intake/?state=returned")
    assert world.dept.name in page.content()
    page.locator(f"#petition-{petition.pk} a.btn").click()
    page.wait_for_load_state("networkidle")
    assert "用地问题属于自然资源部门职责。" in page.content()
    assert page.locator("#id_unit").input_value() == str(world.other_dept.pk)
    page.check("input[name=decision][value=uphold]")
    shot(page, artifacts, "04-review-return.png")
    submit(page, "main form[action$='/review-return/']")
    petition.refresh_from_db()
    assert (petition.state, petition.proposed_unit) == (State.PROPOSED, world.other_dept)
    workflow.confirm(petition_id=petition.pk, actor=world.other_handler)

    # 4. It needs the mayor: submit for approval.
    page.goto(f"{url}/staff/petitions/{petition.pk}/")
    page.select_option("#approval_leader", str(world.leader.pk))
    page.fill("#approval_note", "涉及用地与用电，需市领导协调。")
    shot(page, artifacts, "05-confirmed.png")
    submit(page, "form[action$='/submit-approval/']")
    assert Petition.objects.get(pk=petition.pk).state == State.AWAITING_APPROVAL

    # 5. The leader approves in the browser.
    switch_user(page, login, "leader")
    page.goto(f"{url}/staff/approvals/")
    assert petition.number in page.content()
    shot(page, artifacts, "06-approvals.png")
    page.locator(f"a[href$='/petitions/{petition.pk}/approval/']").click()
    page.wait_for_load_state("networkidle")
    assert "涉及用地与用电，需市领导协调。" in page.content()
    page.fill("#id_instruction", "同意，请自然资源局牵头，限期办结。")
    shot(page, artifacts, "07-approval-form.png")
    page.locator("button[name=decision][value=approve]").click()
    page.wait_for_load_state("networkidle")
    petition.refresh_from_db()
    assert petition.approved_at is not None

    # 6. The task force issues the transfer letter and downloads it as PDF.
    switch_user(page, login, "staff")
    page.goto(f"{url}/staff/petitions/{petition.pk}/")
    submit(page, "form[action$='/issue-letter/']")
    petition.refresh_from_db()
    assert petition.state == State.ASSIGNED
    shot(page, artifacts, "08-assigned.png")
    with page.expect_download() as download:
        page.locator("a[href$='/transfer-letter.pdf?download=1']").click()
    letter_pdf = artifacts / "transfer-letter.pdf"
    download.value.save_as(letter_pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(letter_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", " ", text)
    contact = petition.deadlines.get(step=Step.CONTACT)
    reply = petition.deadlines.get(step=Step.REPLY)
    for expected in (
        petition.number,
        petition.transfer_letter_no,
        world.firm.name,
        f"{contact.due_on:%Y-%m-%d}",
        f"{reply.due_on:%Y-%m-%d}",
        world.other_dept.name,
        world.district_dept.name,
        "李专班",
        "同意，请自然资源局牵头，限期办结。",
    ):
        assert expected in flat, expected
    to_png(letter_pdf, artifacts / "transfer-letter")
    page.goto(f"{url}/staff/petitions/{petition.pk}/transfer-letter/")
    shot(page, artifacts, "09-transfer-letter-print.png")

    # 7. The unit contacts the firm and replies (in its own pages); the task force revisits.
    workflow.record_contact(
        petition_id=petition.pk,
        actor=world.other_handler,
        contacted_at=timezone.now(),
        method="phone",
        summary="电话联系企业，了解用地与用电情况。",
    )
    workflow.reply(
        petition_id=petition.pk,
        actor=world.other_handler,
        text="已完成用地手续，用电报装下周完成。",
    )
    page.goto(f"{url}/staff/revisits/")
    assert petition.number in page.content()
    page.locator(f"a[href$='/petitions/{petition.pk}/revisit/']").click()
    page.wait_for_load_state("networkidle")
    page.select_option("#id_method", "phone")
    page.check("input[name=rating][value=satisfied]")
    page.fill("#id_comment", "问题已解决，感谢。")
    shot(page, artifacts, "10-revisit.png")
    submit(page, "main form:not([action])")
    assert Petition.objects.get(pk=petition.pk).state == State.CONCLUDED

    # 8. Archive, and keep the dossier.
    page.goto(f"{url}/staff/petitions/{petition.pk}/")
    submit(page, "form[action$='/archive/']")
    assert Petition.objects.get(pk=petition.pk).state == State.ARCHIVED
    shot(page, artifacts, "11-archived.png")
    with page.expect_download() as download:
        page.locator("a[href$='/dossier.pdf?download=1']").click()
    dossier_pdf = artifacts / "dossier.pdf"
    download.value.save_as(dossier_pdf)
    dossier = subprocess.run(
        ["pdftotext", str(dossier_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "问题已解决，感谢。" in re.sub(r"\s+", "", dossier)
    to_png(dossier_pdf, artifacts / "dossier")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_registering_for_a_firm_searching_and_a_rejected_import(
    page, live_server, world, login, artifacts
):
    url = live_server.url
    page.set_viewport_size(DESKTOP)
    login("staff")
    page.goto(f"{url}/staff/")
    shot(page, artifacts, "01-home.png")

    # Register what came by a 12345 transfer: pick the firm by part of its name.
    page.goto(f"{url}/staff/register/")
    page.fill("#firm-q", world.firm.name[:6])
    page.locator(f"#firm-{world.firm.pk}").wait_for()
    page.check(f"#firm-{world.firm.pk}")
    page.select_option("#id_channel", "hotline_12345")
    page.fill("#id_channel_ref", "GD-20260302-0042")
    page.fill("#id_received_at", "2026-03-02T09:30")
    page.select_option("#id_type", "consultation")
    page.select_option("#id_theme", str(world.theme.pk))
    page.fill("#id_title", "技改贷款贴息政策咨询")
    page.fill("#id_content", "企业想了解技改贷款贴息的申请条件和材料。")
    shot(page, artifacts, "02-register.png")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    petition = Petition.objects.get(channel_ref="GD-20260302-0042")
    assert page.url.endswith(f"/staff/petitions/{petition.pk}/triage/")

    # Search by the firm's code and by text.
    page.goto(f"{url}/staff/search/?firm={world.firm.uscc}&text=贴息")
    assert petition.number in page.content()
    shot(page, artifacts, "03-search.png")
    shot(page, artifacts, "03-search-mobile.png", mobile=True)

    # A registry workbook with bad rows: every error by row, nothing written.
    path = artifacts / "registry-with-errors.xlsx"
    path.write_bytes(
        registry(
            firm_row(1),
            firm_row(2, **{"统一社会信用代码": "91440500ABC"}),
            firm_row(3, **{"联系电话": "12345"}),
            firm_row(4, **{"所属辖区": "火星区"}),
        )
    )
    page.goto(f"{url}/staff/imports/")
    page.check("input[name=kind][value=enterprises]")
    page.set_input_files("#id_file", str(path))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    for number in (3, 4, 5):
        assert page.locator(f"#row-{number}.table-danger").count() == 1
    assert "火星区" in page.locator("#row-5").inner_text()
    assert page.locator("input[name=token]").count() == 0  # nothing to confirm
    shot(page, artifacts, "04-import-errors.png")
    assert not Enterprise.objects.filter(name__startswith="汕头导入企业").exists()
