"""A department handler works a petition in a real browser, from confirmation to the reply.

Screenshots of each step go to test-artifacts/<test name>/.
"""

import re

import pytest
from playwright.sync_api import expect

from petitions import workflow
from petitions.models import Petition, State
from tests.petitions import flow


def post_then_reload(page, form_id: str, petition: Petition) -> None:
    """Submit an action form (htmx posts it) and wait until the page's main area is swapped in."""
    path = f"/handle/petitions/{petition.pk}/"
    with page.expect_response(lambda r: r.request.method == "GET" and r.url.endswith(path)):
        page.locator(f"#{form_id} button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#main .alert-success")).to_be_visible()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_handler_works_a_petition_from_confirmation_to_reply(
    page, live_server, world, login, artifacts
):
    earlier = flow.concluded(world)
    petition = flow.proposed(world, co_units=[world.other_dept])
    page.set_viewport_size({"width": 1280, "height": 900})

    login("handler")
    expect(page).to_have_url(re.compile(r"/handle/$"))
    page.goto(f"{live_server.url}/handle/?tab=confirm")
    expect(page.locator("table.zq-inbox")).to_contain_text(petition.number)
    page.screenshot(path=artifacts / "01_inbox_to_confirm.png", full_page=True)

    page.get_by_role("link", name=petition.number).click()
    expect(page.locator("#form-confirm")).to_be_visible()
    expect(page.locator("#earlier-title + ul")).to_contain_text(earlier.number)
    page.screenshot(path=artifacts / "02_petition_proposed.png", full_page=True)

    # Confirm receipt (htmx posts the form; the page's main area is swapped in).
    post_then_reload(page, "form-confirm", petition)
    expect(page.locator("#form-confirm")).to_have_count(0)
    assert Petition.objects.get(pk=petition.pk).state == State.CONFIRMED
    page.screenshot(path=artifacts / "03_confirmed.png", full_page=True)

    # The task force issues the transfer letter; the co-handler sends its opinion.
    workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
    workflow.submit_opinion(
        petition_id=petition.pk, actor=world.other_handler, text="建议由供电局牵头，我局配合。"
    )
    page.reload()
    letter = Petition.objects.get(pk=petition.pk).transfer_letter_no
    expect(page.locator("#action-contact")).to_contain_text(letter)
    page.screenshot(path=artifacts / "04_assigned_contact_due.png", full_page=True)

    # A validation error comes back in place, next to the field, with the typed values kept.
    page.select_option("#id_contact-method", "phone")
    post_form_with_error(page, "form-contact")
    expect(page.locator("#form-contact .invalid-feedback")).to_be_visible()
    page.locator("#form-contact").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "05_contact_error.png", full_page=True)

    page.fill("#id_contact-summary", "电话联系张经理，了解用电报装进度和厂房投产时间。")
    post_then_reload(page, "form-contact", petition)
    assert Petition.objects.get(pk=petition.pk).state == State.IN_PROGRESS
    page.screenshot(path=artifacts / "06_contacted.png", full_page=True)

    page.fill("#id_progress-text", "已与供电局会商，现场勘查已完成，正在排期接电。")
    post_then_reload(page, "form-progress", petition)
    expect(page.locator("header [data-flag=progress-due]")).to_have_count(0)
    page.screenshot(path=artifacts / "07_progress_reported.png", full_page=True)

    page.fill("#id_extension-reason", "需等待省电网公司批复变压器增容方案。")
    page.fill("#id_extension-amount", "5")
    post_then_reload(page, "form-extension", petition)
    expect(page.locator("#form-extension")).to_have_count(0)  # one request waits for a decision
    page.locator("#action-extension").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "08_extension_requested.png", full_page=True)

    expect(page.locator("#action-reply")).to_contain_text("建议由供电局牵头")
    page.fill("#id_reply-text", "已协调供电局完成变压器增容，下周三前完成接电，请企业做好准备。")
    post_then_reload(page, "form-reply", petition)
    assert Petition.objects.get(pk=petition.pk).state == State.REPLIED
    page.screenshot(path=artifacts / "09_replied.png", full_page=True)

    page.goto(f"{live_server.url}/handle/?tab=replied")
    expect(page.locator("table.zq-inbox")).to_contain_text(petition.number)
    page.screenshot(path=artifacts / "10_inbox_replied.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/handle/?tab=replied")
    page.screenshot(path=artifacts / "11_inbox_phone.png", full_page=True)
    page.goto(f"{live_server.url}/handle/petitions/{petition.pk}/")
    page.screenshot(path=artifacts / "12_petition_phone.png", full_page=True)


def post_form_with_error(page, form_id: str) -> None:
    """Submit a form that the server refuses: htmx swaps the form alone."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator(f"#{form_id} button[type=submit]").click()
    page.wait_for_load_state("networkidle")
