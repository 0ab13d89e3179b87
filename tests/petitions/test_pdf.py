"""Printed documents: the transfer letter and the archive dossier as PDF (WeasyPrint), the same
template as their HTML print pages; and the system check for a CJK font."""

import shutil
import subprocess
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from petitions import checks, workflow
from petitions.models import Rating, Step
from tests.petitions import flow

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils missing"
)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def letter(world):
    world.staff.first_name = "李小明"
    world.staff.mobile = "13912345678"
    world.staff.save()
    world.firm.address = "汕头市龙湖区珠津工业区 8 号"
    world.firm.save()
    return flow.assigned(world, co_units=[world.other_dept])


@pytest.mark.slow
@needs_poppler
def test_the_transfer_letter_pdf_carries_everything_the_unit_needs(client, world, letter, tmp_path):
    client.force_login(world.staff)
    response = client.get(reverse("staff:transfer_letter_pdf", args=[letter.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content, tmp_path)
    contact = letter.deadlines.get(step=Step.CONTACT)
    reply = letter.deadlines.get(step=Step.REPLY)
    for expected in (
        letter.number,
        letter.transfer_letter_no,
        world.firm.name,
        world.firm.uscc,
        "张经理",  # the firm's contact person
        "138 0013 8000",  # and phone
        "企业新厂房用电报装已提交两个月",  # content
        "尽快完成用电报装",  # request
        world.dept.name,
        world.other_dept.name,
        f"{contact.due_on:%Y-%m-%d}",
        f"{reply.due_on:%Y-%m-%d}",
        "李小明",
        "139 1234 5678",
        world.task_force_unit.name,
    ):
        assert expected in text.replace("\n", " "), expected


def test_the_html_print_view_uses_the_same_template(client, world, letter):
    client.force_login(world.leader)
    response = client.get(reverse("staff:transfer_letter", args=[letter.pk]))
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "print/transfer_letter.html"
    html = response.content.decode()
    assert letter.transfer_letter_no in html
    assert reverse("staff:transfer_letter_pdf", args=[letter.pk]) in html  # the download link


def test_there_is_no_letter_before_it_is_issued(client, world):
    petition = flow.confirmed(world)
    client.force_login(world.staff)
    assert client.get(reverse("staff:transfer_letter", args=[petition.pk])).status_code == 404
    assert client.get(reverse("staff:transfer_letter_pdf", args=[petition.pk])).status_code == 404


@pytest.mark.slow
def test_the_pdf_can_be_downloaded_as_a_file(client, world, letter):
    client.force_login(world.staff)
    response = client.get(reverse("staff:transfer_letter_pdf", args=[letter.pk]), {"download": 1})
    assert response["Content-Disposition"].startswith("attachment")
    assert letter.transfer_letter_no in response["Content-Disposition"]


@pytest.mark.slow
@needs_poppler
def test_the_dossier_holds_the_whole_case(client, world, tmp_path):
    petition = flow.confirmed(world, co_units=[world.other_dept])
    workflow.submit_for_approval(
        petition_id=petition.pk, actor=world.staff, leader=world.leader, note="需市领导协调"
    )
    workflow.approve(petition_id=petition.pk, actor=world.leader, instruction="同意，抓紧办理。")
    workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
    workflow.record_contact(
        petition_id=petition.pk,
        actor=world.handler,
        contacted_at=timezone.now(),
        method="phone",
        summary="电话了解用电需求。",
    )
    workflow.report_progress(petition_id=petition.pk, actor=world.handler, text="已与供电局会商。")
    workflow.submit_opinion(
        petition_id=petition.pk, actor=world.other_handler, text="用地手续齐全。"
    )
    extension = workflow.request_extension(
        petition_id=petition.pk, actor=world.handler, reason="需现场勘查。", amount=2
    )
    workflow.decide_extension(extension_id=extension.pk, actor=world.staff, approve=True)
    workflow.reply(petition_id=petition.pk, actor=world.handler, text="报装已于本周完成。")
    workflow.evaluate(
        petition_id=petition.pk, actor=world.staff, rating=Rating.SATISFIED, method="phone"
    )
    workflow.archive(petition_id=petition.pk, actor=world.staff)

    client.force_login(world.supervisor)
    response = client.get(reverse("staff:dossier_pdf", args=[petition.pk]))
    text = pdf_text(response.content, tmp_path).replace("\n", " ")
    for expected in (
        petition.number,
        "需市领导协调",
        "同意，抓紧办理。",
        f"ZB{petition.number[2:]}",
        "电话了解用电需求。",
        "已与供电局会商。",
        "用地手续齐全。",
        "需现场勘查。",
        "报装已于本周完成。",
        "满意",
        world.other_dept.name,
    ):
        assert expected in text, expected


def test_the_dossier_print_page_renders_for_a_rejected_petition(client, world):
    petition = flow.registered(world)
    workflow.reject(
        petition_id=petition.pk, actor=world.staff, reason="unclear", explanation="内容不清。"
    )
    client.force_login(world.staff)
    response = client.get(reverse("staff:dossier", args=[petition.pk]))
    assert response.status_code == 200
    assert "内容不清。" in response.content.decode()


# --- the CJK font check ------------------------------------------------------------------------------


def test_the_check_warns_when_no_chinese_font_is_installed(monkeypatch):
    monkeypatch.setattr(checks.shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(
        checks.subprocess, "run", lambda *a, **k: SimpleNamespace(returncode=0, stdout="\n")
    )
    warnings = checks.cjk_font_installed()
    assert [w.id for w in warnings] == ["petitions.W001"]
    assert warnings[0].level < 40  # a warning, not an error


def test_the_check_is_silent_without_fc_list(monkeypatch):
    monkeypatch.setattr(checks.shutil, "which", lambda name: None)
    assert checks.cjk_font_installed() == []


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig missing")
def test_the_check_passes_on_this_machine():
    assert checks.cjk_font_installed() == []


def test_the_check_is_registered():
    from django.core.checks import registry

    assert checks.cjk_font_installed in registry.registry.get_checks()
