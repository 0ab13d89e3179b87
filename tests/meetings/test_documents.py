"""The printed meeting documents: the issue catalogue (A4 landscape, numbered pages, a header on every
page, a table header that repeats, Chinese fonts), 《企业诉求事项处理意见》 and the three forms of
Uxin 附件1–3, each as a PDF and as the HTML print view of the same template (docs/conventions.md C11)."""

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override

from meetings import workflow
from petitions import workflow as pw
from petitions.models import Petition, Rating
from supervision.models import KeyStatus, KeySupervision
from tests.meetings.test_views import assigned, drafted, frozen, held, page  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed"),
]


def pdf_text(pdf: bytes, tmp_path, page_no: int | None = None) -> str:
    """The PDF's text with all white space removed (table cells wrap anywhere)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page_no), "-l", str(page_no)] if page_no else []
    out = subprocess.run(
        ["pdftotext", *pages, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", "", out)


def pdf_info(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout


def pdf_fonts(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout


def zh(msgid: str) -> str:
    with override("zh-hans"):
        return re.sub(r"\s+", "", gettext(msgid))


@pytest.mark.slow
def test_the_catalogue_pdf_is_a4_landscape_with_chinese_fonts_and_every_item(
    client, world, tmp_path
):
    meeting = drafted(world)
    response = page(client, world.leader, reverse("meetings:catalogue_pdf", args=[meeting.pk]))
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    info = pdf_info(pdf, tmp_path)
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+", info), info  # A4 landscape
    assert "Noto-Serif-CJK-SC" in pdf_fonts(pdf, tmp_path)  # embedded: Chinese is not boxes
    # A long name may wrap inside its table cell: compare without the line breaks pdftotext keeps.
    text = "".join(pdf_text(pdf, tmp_path).split())
    for needle in (
        "园区道路未通，货车无法进出",
        "融资难，贷款审批慢",
        "由市工信局牵头，会同市自然资源局限期解决",
        world.dept.name,
        world.other_dept.name,
        "1/1",
    ):
        assert needle in text
    # The firm's name may wrap in its narrow cell, and pdftotext then reads the next cells of the
    # row before the name's last characters: its characters in order, close together.
    assert re.search(".{0,120}?".join(map(re.escape, world.firm.name)), text), text


@pytest.mark.slow
def test_a_long_catalogue_repeats_the_header_and_table_head_on_every_page(client, world, tmp_path):
    meeting = drafted(world, extra=30)
    pdf = page(client, world.staff, reverse("meetings:catalogue_pdf", args=[meeting.pk])).content
    pages = int(re.search(r"Pages:\s+(\d+)", pdf_info(pdf, tmp_path)).group(1))
    assert pages >= 3
    head = zh("Proposed handling opinion")
    for n in range(1, pages + 1):
        text = pdf_text(pdf, tmp_path, n)
        assert re.sub(r"\s+", "", meeting.title) in text  # the running header
        assert "2026年12月10日" in text
        assert head in text  # the table's header row
        assert f"{n}/{pages}" in text  # numbered pages


def test_the_html_print_view_uses_the_same_template_with_a_toolbar(client, world):
    meeting = drafted(world)
    response = page(client, world.supervisor, reverse("meetings:catalogue", args=[meeting.pk]))
    text = response.content.decode()
    assert "size: A4 landscape" in text
    assert "园区道路未通，货车无法进出" in text
    assert reverse("meetings:catalogue_pdf", args=[meeting.pk]) in text  # the toolbar
    assert response.templates[0].name == "print/meetings/catalogue.html"


def test_the_catalogue_is_not_printed_before_it_is_drafted(client, world):
    meeting = workflow.plan(
        actor=world.staff,
        jurisdiction=world.city,
        kind="talks",
        title="x",
        date=timezone.localdate() + timedelta(days=20),
        chair=world.leader,
    )
    assert (
        page(client, world.staff, reverse("meetings:catalogue", args=[meeting.pk])).status_code
        == 404
    )
    assert (
        page(client, world.staff, reverse("meetings:opinions", args=[meeting.pk])).status_code
        == 404
    )


@pytest.mark.slow
def test_the_handling_opinions_list_each_decision_with_its_lead_unit_and_limit(
    client, world, tmp_path
):
    meeting = assigned(world)
    petition = Petition.objects.get(channel="meeting")
    pdf = page(client, world.staff, reverse("meetings:opinions_pdf", args=[meeting.pk])).content
    text = pdf_text(pdf, tmp_path)
    assert "市工信局牵头，12月底前打通道路" in text
    assert "现场答复" in text
    assert world.dept.name in text
    assert petition.number in text
    assert "2026-12-08" in text  # reply due: 15 days
    assert zh("Settled on the spot") in text


@pytest.mark.slow
def test_the_topic_form_prints_the_fields_of_the_firms_form(client, world, tmp_path):
    topic = workflow.submit_topic_by_firm(
        actor=world.firm_user,
        person_in_charge="张总",
        phone="13800138000",
        problem="用电报装审批时间过长",
        suggestion="压缩审批时限",
        remarks="曾于8月反映，已受理未办结",
    )
    staff_pdf = page(client, world.staff, reverse("meetings:topic_form_pdf", args=[topic.pk]))
    firm_pdf = page(client, world.firm_user, reverse("meetings:portal_topic_pdf", args=[topic.pk]))
    for pdf in (staff_pdf.content, firm_pdf.content):
        text = pdf_text(pdf, tmp_path)
        for needle in (
            world.firm.name,
            "张总",
            "13800138000",
            "用电报装审批时间过长",
            "压缩审批时限",
        ):
            assert needle in text
        assert "曾于8月反映，已受理未办结" in text
        assert "2026-11-23" in text


@pytest.mark.slow
def test_the_handling_form_shows_contacts_the_reply_the_rating_and_supervision(
    client, world, tmp_path, time_machine
):
    world.dept.contact_name = "陈联络"
    world.dept.contact_phone = "13900001111"
    world.dept.save()
    world.other_dept.contact_name = "林联络"
    world.other_dept.contact_phone = "13900002222"
    world.other_dept.save()
    meeting = assigned(world)
    item = meeting.items.get(number=1)
    url = reverse("meetings:handling_form_pdf", args=[item.pk])
    text = pdf_text(page(client, world.staff, url).content, tmp_path)
    for needle in (
        "陈联络",
        "13900001111",
        "林联络",
        "13900002222",
        "市工信局牵头，12月底前打通道路",
    ):
        assert needle in text
    petition = item.petition
    pw.record_contact(
        petition_id=petition.pk,
        actor=world.handler,
        contacted_at=timezone.now(),
        method="phone",
        summary="已电话联系企业",
    )
    pw.reply(petition_id=petition.pk, actor=world.handler, text="道路已于12月5日打通。")
    pw.evaluate(petition_id=petition.pk, actor=world.firm_user, rating=Rating.SATISFIED)
    text = pdf_text(page(client, world.staff, url).content, tmp_path)
    assert "道路已于12月5日打通。" in text
    assert zh("Satisfied") in text


@pytest.mark.slow
def test_the_handling_form_flags_an_overdue_item_on_key_supervision(
    client, world, tmp_path, time_machine
):
    meeting = assigned(world)
    item = meeting.items.get(number=1)
    KeySupervision.objects.create(petition=item.petition, reasons="逾期", status=KeyStatus.APPROVED)
    time_machine.move_to(timezone.now() + timedelta(days=40), tick=False)
    url = reverse("meetings:handling_form_pdf", args=[item.pk])
    text = pdf_text(page(client, world.staff, url).content, tmp_path)
    assert zh("Overdue") in text
    assert zh("Key supervision") in text


@pytest.mark.slow
def test_the_handling_forms_of_a_meeting_print_one_per_page(client, world, tmp_path):
    meeting = assigned(world)
    pdf = page(
        client, world.staff, reverse("meetings:handling_forms_pdf", args=[meeting.pk])
    ).content
    assert re.search(r"Pages:\s+2\b", pdf_info(pdf, tmp_path))


@pytest.mark.slow
def test_the_overall_evaluation_form_lists_each_firms_evaluation(client, world, tmp_path):
    meeting = held(world)
    workflow.evaluate(
        meeting_id=meeting.pk,
        actor=world.firm_user,
        rating="basically_satisfied",
        person_in_charge="张总",
        phone="13800138000",
        suggestions="希望每季度都举办",
    )
    url = reverse("meetings:evaluations_pdf", args=[meeting.pk])
    text = pdf_text(page(client, world.leader, url).content, tmp_path)
    for needle in (world.firm.name, "张总", "13800138000", "希望每季度都举办", "2026-11-23"):
        assert needle in text
    assert zh("Basically satisfied") in text
