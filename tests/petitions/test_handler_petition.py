"""The petition page of a handling unit and its actions: each a form, validated, done through the
workflow (one timeline event), as a normal POST + redirect or in place with htmx."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from petitions import workflow
from petitions.models import (
    Attachment,
    ContactRecord,
    ExtensionStatus,
    Petition,
    PetitionEvent,
    PetitionReturn,
    ProgressReport,
    Reply,
    ReplyKind,
    ReturnReason,
    State,
)
from tests.petitions import flow

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, petition: Petition) -> str:
    return reverse(f"handler:{name}", args=[petition.pk])


def events(petition: Petition) -> list[str]:
    return list(petition.events.values_list("action", flat=True))


@pytest.fixture
def as_handler(client, world):
    client.force_login(world.handler)
    return client


# --- the page -----------------------------------------------------------------------------------


def test_the_page_shows_what_the_unit_needs(as_handler, world):
    petition = flow.in_progress(world, co_units=[world.other_dept])
    workflow.add_material(
        petition_id=petition.pk,
        actor=world.firm_user,
        files=[(SimpleUploadedFile("营业执照.pdf", PDF), "application/pdf")],
    )
    workflow.add_material(
        petition_id=petition.pk,
        actor=world.handler,
        files=[(SimpleUploadedFile("内部会商纪要.pdf", PDF), "application/pdf")],
    )
    petition.refresh_from_db()
    response = as_handler.get(url("petition", petition))
    body = response.content.decode()
    firm = world.firm
    assert firm.name in body
    assert firm.contact_name in body
    assert "tel:+8613800138000" in body
    assert firm.uscc in body
    assert petition.content in body
    assert petition.transfer_letter_no in body
    assert "营业执照.pdf" in body
    assert "内部会商纪要.pdf" in body  # internal documents too: the unit is on the government side
    assert reverse("attachment", args=[Attachment.objects.first().pk]) in body
    assert world.other_dept.name in body  # co-handling units
    # The whole timeline, internal events included (e.g. the confirmation, not shown to the firm).
    page = response.context["page"]
    assert [e.action for e in page.events] == events(petition)
    assert not next(e for e in page.events if e.action == "confirm").visible_to_firm
    assert "badge text-bg-secondary" in body  # the "internal" marker


def test_every_open_deadline_is_shown_with_working_days_left(as_handler, world):
    petition = flow.assigned(world)
    page = as_handler.get(url("petition", petition)).context["page"]
    assert {d.step for d in page.open_deadlines} == {"contact", "reply"}
    assert all(isinstance(d.days_left, int) for d in page.open_deadlines)


def test_earlier_petitions_of_the_firm_are_only_those_the_unit_may_see(as_handler, world):
    ours = flow.concluded(world)
    theirs = flow.proposed(world, unit=world.other_dept)
    current = flow.in_progress(world)
    response = as_handler.get(url("petition", current))
    earlier = [p.number for p in response.context["page"].earlier]
    assert earlier == [ours.number]
    assert theirs.number not in response.content.decode()


@pytest.mark.parametrize("reports", [1, 5])
def test_the_page_costs_a_fixed_number_of_queries(
    as_handler, world, reports, django_assert_num_queries
):
    petition = flow.in_progress(world, co_units=[world.other_dept])
    for _ in range(reports):
        workflow.report_progress(petition_id=petition.pk, actor=world.handler, text="进展。")
        workflow.submit_opinion(petition_id=petition.pk, actor=world.other_handler, text="意见。")
    with django_assert_num_queries(15):
        # 1 session, 2 user, 3 the user's unit, 4 the petition with firm, theme, jurisdiction and
        # units (through visible_to), 5 replies and opinions with unit and author, 6 open deadlines,
        # 7 calendar overrides for the days left, 8 the firm's earlier petitions this unit may see,
        # 9 co-handling units, 10 attachments, 11 the timeline with actors, 12 contact records,
        # 13 progress reports, 14 extensions, 15 the extension limit (policy rows).
        as_handler.get(url("petition", petition))


def test_a_get_on_an_action_url_shows_the_card_on_the_petition_page(as_handler, world):
    petition = flow.in_progress(world)
    response = as_handler.get(url("progress", petition))
    assert response.status_code == 302
    assert response["Location"] == url("petition", petition) + "#action-progress"


def test_the_page_offers_only_what_the_unit_can_do_now(client, world):
    petition = flow.in_progress(world, co_units=[world.other_dept])
    client.force_login(world.handler)
    lead = [a.name for a in client.get(url("petition", petition)).context["actions"]]
    assert lead == ["reply", "progress", "extension", "contact", "documents"]
    client.force_login(world.other_handler)
    co = [a.name for a in client.get(url("petition", petition)).context["actions"]]
    assert co == ["opinion", "documents"]
    proposed = flow.proposed(world)
    client.force_login(world.handler)
    names = [a.name for a in client.get(url("petition", proposed)).context["actions"]]
    assert names == ["confirm", "return"]


# --- confirm or return --------------------------------------------------------------------------


def test_confirm_with_a_normal_post_redirects_to_the_petition(as_handler, world):
    petition = flow.proposed(world)
    response = as_handler.post(url("confirm", petition))
    assert response.status_code == 302
    assert response["Location"] == url("petition", petition)
    petition.refresh_from_db()
    assert petition.state == State.CONFIRMED
    assert petition.lead_unit == world.dept
    assert events(petition)[-1] == "confirm"


def test_confirm_with_htmx_reloads_the_main_area(as_handler, world):
    petition = flow.proposed(world)
    response = as_handler.post(url("confirm", petition), **HTMX)
    assert response.status_code == 200
    location = json.loads(response["HX-Location"])
    assert location == {
        "path": url("petition", petition),
        "target": "#main",
        "swap": "outerHTML",
        "select": "#main",
    }
    petition.refresh_from_db()
    assert petition.state == State.CONFIRMED


def test_confirming_twice_explains_why_not(as_handler, world):
    petition = flow.confirmed(world)
    response = as_handler.post(url("confirm", petition), **HTMX)
    assert response.status_code == 200
    assert 'id="form-confirm"' in response.content.decode()
    assert response.context["action"].form.non_field_errors()
    assert events(petition).count("confirm") == 1


def test_a_return_needs_a_reason_code_and_an_explanation(as_handler, world):
    petition = flow.proposed(world)
    response = as_handler.post(url("return", petition), {"return-reason": "不属于本单位职责"})
    assert response.status_code == 200
    form = next(a.form for a in response.context["actions"] if a.name == "return")
    assert "reason_code" in form.errors
    assert "不属于本单位职责" in response.content.decode()  # what was typed is kept
    response = as_handler.post(url("return", petition), {"return-reason_code": ReturnReason.OTHER})
    form = next(a.form for a in response.context["actions"] if a.name == "return")
    assert "reason" in form.errors
    petition.refresh_from_db()
    assert petition.state == State.PROPOSED
    assert not PetitionReturn.objects.exists()


def test_a_return_with_a_suggested_unit(as_handler, world):
    petition = flow.proposed(world)
    response = as_handler.post(
        url("return", petition),
        {
            "return-reason_code": ReturnReason.NOT_OUR_REMIT,
            "return-reason": "属于自然资源部门职责。",
            "return-suggested_unit": world.other_dept.pk,
        },
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.RETURNED
    record = PetitionReturn.objects.get()
    assert record.suggested_unit == world.other_dept
    assert record.reason_code == ReturnReason.NOT_OUR_REMIT
    assert events(petition)[-1] == "return"


def test_the_suggested_unit_cannot_be_the_unit_itself_or_another_city(as_handler, world):
    petition = flow.proposed(world)
    for unit in (world.dept, world.foreign_dept):
        response = as_handler.post(
            url("return", petition),
            {
                "return-reason_code": ReturnReason.OTHER,
                "return-reason": "原因",
                "return-suggested_unit": unit.pk,
            },
            **HTMX,
        )
        assert "suggested_unit" in response.context["action"].form.errors


# --- contact, progress, extension ---------------------------------------------------------------


def test_the_contact_card_says_when_contact_is_due(as_handler, world):
    petition = flow.assigned(world)
    response = as_handler.get(url("petition", petition))
    page = response.context["page"]
    assert page.contact_deadline.due_on == petition.due_on
    body = response.content.decode()
    assert 'id="action-contact"' in body
    assert f"{page.contact_deadline.due_on:%Y-%m-%d}" in body
    assert petition.transfer_letter_no in body


def test_record_contact(as_handler, world):
    petition = flow.assigned(world)
    response = as_handler.post(
        url("contact", petition),
        {
            "contact-contacted_at": "2026-01-05T09:30",
            "contact-method": "phone",
            "contact-summary": "电话联系张经理。",
        },
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.IN_PROGRESS
    record = ContactRecord.objects.get()
    assert record.method == "phone"
    assert timezone.localtime(record.contacted_at).strftime("%Y-%m-%d %H:%M") == "2026-01-05 09:30"
    assert events(petition)[-1] == "record_contact"


def test_a_contact_in_the_future_is_refused_next_to_the_time(as_handler, world):
    petition = flow.assigned(world)
    response = as_handler.post(
        url("contact", petition),
        {
            "contact-contacted_at": "2099-01-01T09:00",
            "contact-method": "visit",
            "contact-summary": "上门走访。",
        },
        **HTMX,
    )
    form = response.context["action"].form
    assert "contacted_at" in form.errors
    assert "上门走访。" in response.content.decode()
    petition.refresh_from_db()
    assert petition.state == State.ASSIGNED


def test_a_contact_needs_a_method_and_a_summary(as_handler, world):
    petition = flow.assigned(world)
    response = as_handler.post(
        url("contact", petition), {"contact-contacted_at": "2026-01-05T09:30"}
    )
    form = next(a.form for a in response.context["actions"] if a.name == "contact")
    assert {"method", "summary"} <= set(form.errors)
    assert not ContactRecord.objects.exists()


def test_report_progress(as_handler, world):
    petition = flow.in_progress(world)
    assert as_handler.get(url("petition", petition)).context["page"].progress_due
    response = as_handler.post(url("progress", petition), {"progress-text": "已与供电局会商。"})
    assert response.status_code == 302
    assert ProgressReport.objects.get().text == "已与供电局会商。"
    assert events(petition)[-1] == "report_progress"
    assert not as_handler.get(url("petition", petition)).context["page"].progress_due


def test_an_empty_progress_report_is_refused(as_handler, world):
    petition = flow.in_progress(world)
    response = as_handler.post(url("progress", petition), {"progress-text": "   "}, **HTMX)
    assert "text" in response.context["action"].form.errors
    assert not ProgressReport.objects.exists()


def test_request_an_extension_and_see_how_many_are_used(as_handler, world):
    petition = flow.in_progress(world)
    body = as_handler.get(url("petition", petition)).content.decode()
    assert 'id="form-extension"' in body
    response = as_handler.post(
        url("extension", petition), {"extension-reason": "需省厅批复。", "extension-amount": 5}
    )
    assert response.status_code == 302
    assert events(petition)[-1] == "request_extension"
    page = as_handler.get(url("petition", petition)).context["page"]
    assert page.pending_extension.reason == "需省厅批复。"
    assert page.extensions_used == 0
    assert page.max_extensions == 2


def test_an_extension_needs_a_reason_and_a_sane_amount(as_handler, world):
    petition = flow.in_progress(world)
    response = as_handler.post(
        url("extension", petition), {"extension-reason": "", "extension-amount": 0}, **HTMX
    )
    assert {"reason", "amount"} <= set(response.context["action"].form.errors)
    assert not petition.extensions.exists()


def test_no_third_extension(as_handler, world):
    petition = flow.in_progress(world)
    for _ in range(2):
        extension = workflow.request_extension(
            petition_id=petition.pk, actor=world.handler, reason="原因", amount=2
        )
        workflow.decide_extension(extension_id=extension.pk, actor=world.staff, approve=True)
    response = as_handler.get(url("petition", petition))
    assert response.context["page"].extensions_used == 2
    assert 'id="form-extension"' not in response.content.decode()
    response = as_handler.post(
        url("extension", petition), {"extension-reason": "再延", "extension-amount": 2}, **HTMX
    )
    assert response.context["action"].form.non_field_errors()
    assert petition.extensions.filter(status=ExtensionStatus.PENDING).count() == 0


def test_a_pending_extension_hides_the_form(as_handler, world):
    petition = flow.in_progress(world)
    workflow.request_extension(
        petition_id=petition.pk, actor=world.handler, reason="原因", amount=2
    )
    body = as_handler.get(url("petition", petition)).content.decode()
    assert 'id="form-extension"' not in body


# --- opinions and the reply ---------------------------------------------------------------------


def test_a_co_handler_sends_its_opinion_to_the_lead(client, world):
    petition = flow.in_progress(world, co_units=[world.other_dept])
    client.force_login(world.other_handler)
    response = client.post(url("opinion", petition), {"opinion-text": "建议由供电局牵头。"})
    assert response.status_code == 302
    opinion = Reply.objects.get()
    assert (opinion.kind, opinion.unit) == (ReplyKind.OPINION, world.other_dept)
    assert events(petition)[-1] == "submit_opinion"


def test_the_lead_replies_seeing_every_opinion_on_the_same_page(client, world):
    petition = flow.in_progress(world, co_units=[world.other_dept, world.district_dept])
    workflow.submit_opinion(petition_id=petition.pk, actor=world.other_handler, text="同意办理。")
    client.force_login(world.handler)
    response = client.get(url("petition", petition))
    body = response.content.decode()
    assert 'id="action-reply"' in body
    assert "同意办理。" in body
    assert [u.name for u in response.context["page"].silent_co_units] == [world.district_dept.name]
    response = client.post(url("reply", petition), {"reply-text": "已协调供电局，下周完成报装。"})
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.REPLIED
    assert events(petition)[-1] == "reply"


def test_an_empty_reply_is_refused(as_handler, world):
    petition = flow.in_progress(world)
    response = as_handler.post(url("reply", petition), {"reply-text": ""})
    form = next(a.form for a in response.context["actions"] if a.name == "reply")
    assert "text" in form.errors
    petition.refresh_from_db()
    assert petition.state == State.IN_PROGRESS


# --- documents ----------------------------------------------------------------------------------


def test_uploaded_documents_are_internal_by_default(as_handler, world):
    petition = flow.in_progress(world)
    response = as_handler.post(
        url("documents", petition),
        {
            "documents-files": [SimpleUploadedFile("会商纪要.pdf", PDF)],
            "documents-note": "会商纪要",
        },
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.visible_to_firm is False
    assert attachment.unit == world.dept
    event = PetitionEvent.objects.filter(petition=petition).last()
    assert (event.action, event.visible_to_firm) == ("attach", False)


def test_documents_may_be_shown_to_the_firm(as_handler, world):
    petition = flow.in_progress(world)
    as_handler.post(
        url("documents", petition),
        {
            "documents-files": [SimpleUploadedFile("答复函.pdf", PDF)],
            "documents-visible_to_firm": "on",
        },
    )
    assert Attachment.objects.get().visible_to_firm is True


def test_a_file_that_is_not_a_document_is_refused(as_handler, world):
    petition = flow.in_progress(world)
    response = as_handler.post(
        url("documents", petition),
        {
            "documents-files": [SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00")],
            "documents-note": "附件",
        },
        **HTMX,
    )
    assert "files" in response.context["action"].form.errors
    assert 'value="附件"' not in response.content.decode()  # a textarea keeps it as text
    assert "附件" in response.content.decode()
    assert not Attachment.objects.exists()


def test_nothing_to_upload_is_explained(as_handler, world):
    petition = flow.in_progress(world)
    response = as_handler.post(url("documents", petition), {"documents-note": ""}, **HTMX)
    assert response.context["action"].form.non_field_errors()
