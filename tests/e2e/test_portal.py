"""A firm in a real browser: registers, waits for verification, submits with a PDF, is offered its
own look-alike petition, follows the handling done by the task force and the unit, reads the reply,
rates it and reads its notices. Screenshots of each page go to test-artifacts/."""

import pytest
from django.utils import timezone, translation

from petitions import workflow
from petitions.forms.portal import FILES_AGAIN
from petitions.models import Enterprise, Notification, Petition, State, User
from tests.factories import make_uscc
from tests.petitions import flow

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
MOBILE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
USCC = make_uscc(4242)
TITLE = "新厂房用电报装审批时间过长"
CONTENT = "我司新厂房用电报装已提交两个月，仍未审批，影响设备调试和投产。"


def shot(page, artifacts, name, *, mobile=False):
    page.set_viewport_size(MOBILE if mobile else DESKTOP)
    page.screenshot(path=artifacts / name, full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_firm_goes_from_registration_to_rating_the_reply(page, live_server, world, artifacts):
    url = live_server.url
    # 1. Registration (mobile).
    page.set_viewport_size(MOBILE)
    page.goto(f"{url}/portal/signup/")
    page.fill("#id_uscc", USCC.lower())
    page.fill("#id_name", "汕头新能源科技有限公司")
    page.select_option("#id_jurisdiction", label=world.city.name)
    page.fill("#id_contact_name", "李明")
    page.fill("#id_mobile", "13923456789")
    page.fill("#id_email", "liming@example.com")
    page.fill("#id_username", "xinnengyuan")
    page.fill("#id_password1", "Kx8-dianli-2026")
    page.fill("#id_password2", "Kx8-dianli-2026")
    shot(page, artifacts, "01-registration.png", mobile=True)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    # 2. Pending until the task force verifies the firm.
    assert page.url == f"{url}/portal/"
    assert USCC in page.content()
    shot(page, artifacts, "02-pending.png", mobile=True)
    page.goto(f"{url}/portal/petitions/new/")
    assert page.locator("#id_title").count() == 0  # no form for a pending firm
    firm = Enterprise.objects.get(uscc=USCC)
    firm.is_verified = True  # as staff would in the admin
    firm.save()
    user = User.objects.get(username="xinnengyuan")

    # 3. Submit with a PDF.
    page.goto(f"{url}/portal/")
    assert page.url == f"{url}/portal/petitions/"
    page.goto(f"{url}/portal/petitions/new/")
    page.select_option("#id_type", "coordination")
    page.select_option("#id_theme", label=world.theme.name)
    page.fill("#id_title", TITLE)
    page.fill("#id_content", CONTENT)
    page.fill("#id_request", "请协调供电部门尽快完成报装。")
    page.set_input_files(
        "#id_attachments",
        files=[{"name": "报装申请.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.check("#id_publication_consent")
    shot(page, artifacts, "03-submit-form.png")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    petition = Petition.objects.get(enterprise=firm)
    assert page.url == f"{url}/portal/petitions/{petition.pk}/"
    assert "报装申请.pdf" in page.content()
    assert petition.attachments.get().content_type == "application/pdf"

    # 4. A second, similar text: the open look-alike is offered while typing.
    page.goto(f"{url}/portal/petitions/new/")
    page.select_option("#id_type", "complaint")
    page.fill("#id_title", "用电报装两个月未批")
    page.fill("#id_content", "新厂房用电报装两个月仍未审批，影响投产，请督促。")
    offer = page.locator(f"#merge_{petition.pk}")
    offer.wait_for(timeout=10_000)
    page.fill("#id_request", "请督促供电部门。")
    shot(page, artifacts, "04-similar-offer.png", mobile=True)
    offer.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert Petition.objects.filter(enterprise=firm).count() == 1
    assert page.url == f"{url}/portal/petitions/{petition.pk}/"

    # 5. The task force and the unit act (as they would on their own screens).
    workflow.accept(petition_id=petition.pk, actor=world.staff)
    workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.dept)
    workflow.confirm(petition_id=petition.pk, actor=world.handler)
    workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
    workflow.record_contact(
        petition_id=petition.pk,
        actor=world.handler,
        contacted_at=timezone.now(),
        method="phone",
        summary="电话联系李明，了解报装进度。",
    )
    workflow.reply(
        petition_id=petition.pk,
        actor=world.handler,
        text="已协调供电局，报装将于本周五前完成，现场勘查已安排。",
    )

    # 6. The firm follows it: the list, its unread notices, the reply opened from its notice.
    page.goto(f"{url}/portal/petitions/")
    assert petition.number in page.content()
    shot(page, artifacts, "05-my-petitions.png", mobile=True)
    unread = Notification.objects.filter(user=user).unread()
    # accepted, letter issued, contacted, replied (earlier ones were read on the petition page)
    assert unread.count() == 4
    page.goto(f"{url}/portal/notifications/")
    shot(page, artifacts, "06-notifications.png", mobile=True)
    reply_notice = unread.get(kind="firm.replied")
    page.locator(f"a[href='/portal/notifications/{reply_notice.pk}/']").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{url}/portal/petitions/{petition.pk}/"
    assert not unread.exists()  # opening the notice, then the petition, read them
    body = page.content()
    assert "已协调供电局" in body
    assert world.dept.name in body
    shot(page, artifacts, "07-detail-with-reply.png")

    # 7. Rate it.
    page.check("input[name=rating][value=satisfied]")
    page.fill("#id_comment", "答复及时，问题已解决。")
    page.locator("form[action$='/evaluate/'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    petition.refresh_from_db()
    assert petition.state == State.CONCLUDED
    assert petition.evaluations.get().comment == "答复及时，问题已解决。"
    shot(page, artifacts, "08-evaluation-done.png", mobile=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_errors_in_chinese_next_to_the_fields_and_an_unsatisfied_rating(
    page, live_server, world, login, artifacts
):
    url = live_server.url
    login("firm")
    page.set_viewport_size(MOBILE)
    page.goto(f"{url}/portal/petitions/new/")
    page.fill("#id_content", CONTENT)
    page.set_input_files(
        "#id_attachments", files=[{"name": "a.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#id_content").input_value() == CONTENT  # what was typed is kept
    title_error = page.locator("#id_title ~ .invalid-feedback")
    assert title_error.inner_text() == "这个字段是必填项。"
    with translation.override("zh-hans"):
        files_again = str(FILES_AGAIN)
    assert page.locator("#id_attachments ~ .invalid-feedback").inner_text() == files_again
    assert not Petition.objects.exists()
    shot(page, artifacts, "submit-errors.png", mobile=True)

    petition = flow.replied(world)
    page.goto(f"{url}/portal/petitions/{petition.pk}/")
    page.check("input[name=rating][value=unsatisfied]")
    page.locator("form[action$='/evaluate/'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#id_comment ~ .invalid-feedback").count() == 1  # a comment is needed
    page.fill("#id_comment", "供电局仍未上门勘查。")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    petition.refresh_from_db()
    assert petition.state == State.IN_PROGRESS
    assert page.url == f"{url}/portal/petitions/{petition.pk}/"
    shot(page, artifacts, "unsatisfied-rehandling.png", mobile=True)
