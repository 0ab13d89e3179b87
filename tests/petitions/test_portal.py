"""The enterprise portal: submit, follow, supplement, withdraw, rate, read notices (docs/rules.md §3, §4, §8)."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from petitions import uploads, workflow
from petitions.forms.portal import FILES_AGAIN
from petitions.models import (
    Attachment,
    Evaluation,
    Notification,
    Petition,
    PetitionType,
    Rating,
    ReplyKind,
    State,
)
from petitions.views.portal import too_many_message
from tests.factories import PetitionFactory
from tests.petitions import flow

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def firm(client, world):
    client.force_login(world.firm_user)
    return client


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def pdf(name="合同.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def new_petition(**changes):
    data = {
        "type": PetitionType.COMPLAINT,
        "title": "厂区道路积水",
        "content": "园区东门道路每逢下雨严重积水，货车无法进出。",
        "request": "请尽快疏通排水管道。",
        "similar_checked": "1",
    }
    data.update(changes)
    return data


# --- submit ----------------------------------------------------------------------------------


def test_the_submit_form_offers_active_themes_and_a_multiple_file_input(firm, world):
    world.theme.__class__.objects.create(code="retired", name="已停用主题", is_active=False)
    response = firm.get(reverse("portal:submit"))
    body = response.content.decode()
    assert response.status_code == 200
    assert world.theme.name in body
    assert "已停用主题" not in body
    assert 'type="file"' in body
    assert "multiple" in body
    assert 'enctype="multipart/form-data"' in body
    assert "csrfmiddlewaretoken" in body


def test_a_firm_submits_a_petition_with_a_file(firm, world):
    data = new_petition(theme=world.theme.pk, publication_consent="on", attachments=[pdf()])
    response = firm.post(reverse("portal:submit"), data)
    petition = Petition.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:petition", args=[petition.pk])
    assert petition.state == State.REGISTERED
    assert petition.enterprise == world.firm
    assert petition.submitted_by == world.firm_user
    assert petition.channel == "portal"
    assert petition.theme == world.theme
    assert petition.publication_consent
    assert petition.request == "请尽快疏通排水管道。"
    [attachment] = petition.attachments.all()
    assert attachment.original_name == "合同.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.visible_to_firm
    assert [e.action for e in petition.events.all()] == ["register", "attach"]


def test_errors_are_shown_next_to_the_fields_keeping_the_text(firm, world):
    response = firm.post(
        reverse("portal:submit"), new_petition(title="", type="nonsense", attachments=[pdf()])
    )
    body = response.content.decode()
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"title", "type"}
    assert "这个字段是必填项。" in body
    assert "园区东门道路每逢下雨严重积水" in body  # typed content kept
    # A browser cannot keep chosen files: the form says so next to the file input.
    assert errors["attachments"] == [zh(FILES_AGAIN)]
    assert not Petition.objects.exists()
    assert not Attachment.objects.exists()


def test_a_file_that_is_not_a_document_is_refused_by_its_content(firm, world):
    fake = SimpleUploadedFile("发票.pdf", b"MZ\x90\x00 an executable")
    response = firm.post(reverse("portal:submit"), new_petition(attachments=[fake]))
    assert response.status_code == 400
    assert "发票.pdf" in response.context["form"].errors["attachments"][0]
    assert not Petition.objects.exists()


def test_at_most_five_files(firm, world):
    files = [pdf(f"{i}.pdf") for i in range(6)]
    response = firm.post(reverse("portal:submit"), new_petition(attachments=files))
    assert "attachments" in response.context["form"].errors
    assert not Petition.objects.exists()


def test_look_alikes_are_offered_while_typing(firm, world):
    original = flow.registered(world)
    flow.registered(world, by=world.colleague)  # a colleague's petition is the firm's too
    response = firm.post(
        reverse("portal:similar"),
        {"title": "用电报装审批慢", "content": "新厂房用电报装两个月未审批，影响投产"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert original.number in body
    assert 'name="merge_into"' in body
    assert "%" in body
    assert 'name="similar_checked"' in body


def test_another_firms_petitions_are_never_offered(client, world):
    mine = flow.registered(world)
    client.force_login(world.other_firm_user)
    response = client.post(
        reverse("portal:similar"), {"title": mine.title, "content": mine.content}
    )
    assert mine.number not in response.content.decode()


def test_without_javascript_the_look_alikes_are_offered_before_saving(firm, world):
    original = flow.registered(world)
    data = new_petition(title=original.title, content=original.content, attachments=[pdf()])
    del data["similar_checked"]
    response = firm.post(reverse("portal:submit"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert original.number in body
    assert response.context["form"].errors["attachments"] == [zh(FILES_AGAIN)]
    assert Petition.objects.count() == 1
    # Seen now: submitting again as new goes through.
    again = {**data, "similar_checked": "1", "attachments": [pdf()]}
    response = firm.post(reverse("portal:submit"), again)
    assert response.status_code == 302
    assert Petition.objects.count() == 2


def test_the_text_and_files_can_go_to_the_open_look_alike_instead(firm, world):
    original = flow.accepted(world)
    data = new_petition(merge_into=original.pk, attachments=[pdf("照片说明.pdf")])
    response = firm.post(reverse("portal:submit"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:petition", args=[original.pk])
    assert Petition.objects.count() == 1
    assert original.attachments.get().original_name == "照片说明.pdf"
    event = original.events.order_by("-pk").first()
    assert event.action == "attach"
    assert event.visible_to_firm
    assert "园区东门道路每逢下雨严重积水" in event.note
    assert "照片说明.pdf" in event.note


@pytest.mark.parametrize("target", ["other_firm", "finished"])
def test_only_an_open_petition_of_the_firm_can_take_the_text(firm, world, target):
    if target == "other_firm":
        petition = workflow.register(
            actor=world.other_firm_user,
            enterprise=world.other_firm,
            channel="portal",
            type=PetitionType.COMPLAINT,
            title="厂区道路积水",
            content="园区东门道路每逢下雨严重积水，货车无法进出。",
        )
    else:
        petition = flow.concluded(world)
    before = petition.events.count()
    response = firm.post(reverse("portal:submit"), new_petition(merge_into=petition.pk))
    assert response.status_code == 400
    assert "merge_into" in response.context["form"].errors
    assert petition.events.count() == before


def test_the_eleventh_submission_in_an_hour_is_refused_and_nothing_is_written(firm, world):
    for i in range(10):
        response = firm.post(reverse("portal:submit"), new_petition(title=f"诉求{i}"))
        assert response.status_code == 302
    response = firm.post(
        reverse("portal:submit"), new_petition(title="第十一件", attachments=[pdf()])
    )
    assert response.status_code == 429
    assert zh(too_many_message()) in response.content.decode()
    assert 'value="第十一件"' in response.content.decode()
    assert Petition.objects.count() == 10
    assert not Attachment.objects.exists()


def test_the_limit_per_address_covers_every_account_behind_it(client, world, settings):
    settings.PORTAL_SUBMIT_PER_IP = 2
    client.force_login(world.firm_user)
    client.post(reverse("portal:submit"), new_petition(title="一"))
    client.force_login(world.colleague)
    client.post(reverse("portal:submit"), new_petition(title="二"))
    client.force_login(world.other_firm_user)
    response = client.post(reverse("portal:submit"), new_petition(title="三"))
    assert response.status_code == 429
    assert Petition.objects.count() == 2


def test_invalid_forms_do_not_count_against_the_limit(firm, world, settings):
    settings.PORTAL_SUBMIT_PER_ACCOUNT = 1
    for _ in range(3):
        firm.post(reverse("portal:submit"), new_petition(title=""))
    assert firm.post(reverse("portal:submit"), new_petition()).status_code == 302


def test_submit_needs_the_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.firm_user)
    assert strict.post(reverse("portal:submit"), new_petition()).status_code == 403
    assert not Petition.objects.exists()


# --- my petitions ----------------------------------------------------------------------------


def test_my_petitions_lists_the_firms_petitions_with_state_number_and_due_date(firm, world):
    mine = flow.assigned(world)
    colleagues = flow.registered(world, by=world.colleague)
    theirs = PetitionFactory(enterprise=world.other_firm, title="别家企业的诉求")
    response = firm.get(reverse("portal:petitions"))
    body = response.content.decode()
    assert mine.number in body
    assert colleagues.number in body
    assert theirs.number not in body
    assert "别家企业的诉求" not in body
    assert mine.get_state_display() in body
    assert f"{mine.due_on:%Y-%m-%d}" in body


def test_my_petitions_costs_the_same_queries_for_many_rows(firm, world, django_assert_num_queries):
    for _ in range(25):
        PetitionFactory(enterprise=world.firm, due_on=timezone.localdate())
    # 1 session, 2 user, 3 enterprise (verified?), 4 count for the pages, 5 the page's rows
    # with their themes, 6 calendar overrides for days left, 7 unread notices for the menu.
    with django_assert_num_queries(7):
        response = firm.get(reverse("portal:petitions"))
    assert len(response.context["page"].object_list) == 20
    with django_assert_num_queries(7):
        response = firm.get(reverse("portal:petitions"), {"page": 2})
    assert len(response.context["page"].object_list) == 5


def test_the_detail_shows_only_what_the_firm_may_see(firm, world):
    petition = flow.in_progress(world, co_units=[world.other_dept])
    workflow.submit_opinion(
        petition_id=petition.pk, actor=world.other_handler, text="协办意见：内部建议先核查"
    )
    workflow.request_extension(
        petition_id=petition.pk, actor=world.handler, reason="内部原因：需要会商", amount=3
    )
    internal = uploads.validate_uploads([pdf("会商纪要.pdf")])
    workflow.add_material(petition_id=petition.pk, actor=world.handler, files=internal)
    workflow.reply(
        petition_id=petition.pk, actor=world.handler, text="已协调供电局，下周完成报装。"
    )
    response = firm.get(reverse("portal:petition", args=[petition.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "已协调供电局，下周完成报装。" in body  # the reply
    assert world.dept.name in body  # the lead unit, once the transfer letter is out
    assert "协办意见" not in body  # co-handler's opinion
    assert "内部原因" not in body  # internal event note
    assert "会商纪要.pdf" not in body  # internal document
    assert "电话联系企业负责人" in body  # the contact, which the firm sees
    assert petition.replies.filter(kind=ReplyKind.OPINION).exists()


def test_the_lead_unit_is_not_named_before_the_transfer_letter(firm, world):
    petition = flow.confirmed(world)
    body = firm.get(reverse("portal:petition", args=[petition.pk])).content.decode()
    assert world.dept.name not in body


def test_the_detail_costs_a_fixed_number_of_queries(firm, world, django_assert_num_queries):
    petition = flow.replied(world)
    # session, user, enterprise, petition, notices read, reply deadline, events, replies,
    # attachments, evaluations, unread count (no calendar: the reply step is closed).
    with django_assert_num_queries(11):
        firm.get(reverse("portal:petition", args=[petition.pk]))


# --- supplementary material, withdrawal ---------------------------------------------------------


def test_the_firm_adds_supplementary_material(firm, world):
    petition = flow.assigned(world)
    url = reverse("portal:add_material", args=[petition.pk])
    assert firm.get(url).status_code == 200
    response = firm.post(url, {"note": "补充现场照片", "attachments": [pdf("现场.pdf")]})
    assert response.status_code == 302
    assert petition.attachments.get().original_name == "现场.pdf"
    assert "补充现场照片" in petition.events.order_by("-pk").first().note


def test_supplementary_material_needs_something_and_keeps_the_limit(firm, world):
    petition = flow.assigned(world)
    url = reverse("portal:add_material", args=[petition.pk])
    empty = firm.post(url, {"note": "  "})
    assert empty.status_code == 400
    assert empty.context["form"].non_field_errors()
    for i in range(5):
        firm.post(url, {"attachments": [pdf(f"{i}.pdf")]})
    response = firm.post(url, {"note": "再来一份", "attachments": [pdf("6.pdf")]})
    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert 'name="note"' in response.content.decode()
    assert "再来一份" in response.content.decode()
    assert petition.attachments.count() == 5


def test_a_finished_petition_takes_no_more_material(firm, world):
    petition = flow.registered(world)
    workflow.withdraw(petition_id=petition.pk, actor=world.firm_user)
    response = firm.post(reverse("portal:add_material", args=[petition.pk]), {"note": "补充"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def test_the_firm_withdraws_before_acceptance(firm, world):
    petition = flow.registered(world)
    url = reverse("portal:withdraw", args=[petition.pk])
    assert firm.get(url).status_code == 200
    response = firm.post(url, {"note": "问题已自行解决"})
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.WITHDRAWN


def test_after_acceptance_withdrawal_is_refused_with_a_message(firm, world):
    petition = flow.accepted(world)
    response = firm.post(reverse("portal:withdraw", args=[petition.pk]), {})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    petition.refresh_from_db()
    assert petition.state == State.ACCEPTED


# --- evaluation ------------------------------------------------------------------------------


def test_the_firm_rates_a_reply_and_the_petition_is_concluded(firm, world):
    petition = flow.replied(world)
    page = firm.get(reverse("portal:petition", args=[petition.pk])).content.decode()
    assert reverse("portal:evaluate", args=[petition.pk]) in page
    response = firm.post(
        reverse("portal:evaluate", args=[petition.pk]),
        {"rating": Rating.BASICALLY_SATISFIED, "comment": "基本解决"},
    )
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.state == State.CONCLUDED
    evaluation = Evaluation.objects.get()
    assert evaluation.rating == Rating.BASICALLY_SATISFIED
    assert evaluation.recorded_by == world.firm_user


def test_unsatisfied_needs_a_comment(firm, world):
    petition = flow.replied(world)
    response = firm.post(
        reverse("portal:evaluate", args=[petition.pk]), {"rating": Rating.UNSATISFIED}
    )
    assert response.status_code == 400
    assert "comment" in response.context["form"].errors
    assert not Evaluation.objects.exists()


def test_unsatisfied_sends_it_back_and_the_page_says_so(firm, world):
    petition = flow.replied(world)
    response = firm.post(
        reverse("portal:evaluate", args=[petition.pk]),
        {"rating": Rating.UNSATISFIED, "comment": "供电局仍未上门"},
        follow=True,
    )
    petition.refresh_from_db()
    assert petition.state == State.IN_PROGRESS
    assert petition.rehandle_count == 1
    assert response.context["rehandling"]
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1


def test_a_petition_without_a_reply_cannot_be_rated(firm, world):
    petition = flow.in_progress(world)
    response = firm.post(
        reverse("portal:evaluate", args=[petition.pk]), {"rating": Rating.SATISFIED}
    )
    assert response.status_code == 400
    assert not Evaluation.objects.exists()


# --- notifications ---------------------------------------------------------------------------


def test_notices_are_listed_counted_in_the_menu_and_read_when_opened(
    firm, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the notices go out after commit
        petition = flow.registered(world)
    notice = Notification.objects.get(user=world.firm_user)
    listing = firm.get(reverse("portal:notifications"))
    assert listing.context["unread_count"] == 1
    assert notice.title in listing.content.decode()
    response = firm.get(reverse("portal:notification", args=[notice.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:petition", args=[petition.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert firm.get(reverse("portal:notifications")).context["unread_count"] == 0


def test_opening_a_petition_reads_its_notices_and_all_can_be_marked_read(
    firm, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = flow.registered(world)
    with django_capture_on_commit_callbacks(execute=True):
        second = flow.registered(world)
    firm.get(reverse("portal:petition", args=[first.pk]))
    unread = Notification.objects.filter(user=world.firm_user).unread()
    assert list(unread.values_list("petition_id", flat=True)) == [second.pk]
    firm.post(reverse("portal:notifications_read_all"))
    assert not unread.exists()


def test_a_notice_link_never_leaves_the_site(firm, world):
    notice = Notification.objects.create(
        user=world.firm_user, title="x", link="https://evil.example.com/"
    )
    response = firm.get(reverse("portal:notification", args=[notice.pk]))
    assert response["Location"] == reverse("portal:notifications")


def test_the_notification_list_costs_a_fixed_number_of_queries(
    firm, world, django_assert_num_queries
):
    for i in range(25):
        Notification.objects.create(user=world.firm_user, title=f"通知{i}")
    # 1 session, 2 user, 3 enterprise (verified?), 4 count for the pages, 5 the page's rows,
    # 6 unread notices for the menu.
    with django_assert_num_queries(6):
        response = firm.get(reverse("portal:notifications"))
    assert len(response.context["page"].object_list) == 20


# --- who may see what (docs/rules.md §8) ---------------------------------------------------------------

ID_URLS = ["portal:petition", "portal:add_material", "portal:withdraw", "portal:evaluate"]


@pytest.mark.parametrize("name", ID_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_firm_gets_404_for_every_url_with_an_id(client, world, name, method):
    petition = flow.replied(world)
    before = (petition.events.count(), petition.state)
    client.force_login(world.other_firm_user)
    response = getattr(client, method)(
        reverse(name, args=[petition.pk]), {"rating": Rating.SATISFIED, "note": "x"}
    )
    # The detail page only answers GET: a POST is refused before anything is looked up.
    expected = 405 if (name, method) == ("portal:petition", "post") else 404
    assert response.status_code == expected
    petition.refresh_from_db()
    assert (petition.events.count(), petition.state) == before


def test_another_firm_cannot_open_a_notice_or_download_a_file(client, world):
    petition = flow.registered(world)
    files = uploads.validate_uploads([pdf()])
    [attachment] = workflow.add_material(
        petition_id=petition.pk, actor=world.firm_user, files=files
    )
    notice = Notification.objects.create(user=world.firm_user, petition=petition, title="通知")
    client.force_login(world.other_firm_user)
    assert client.get(reverse("portal:notification", args=[notice.pk])).status_code == 404
    assert client.get(reverse("attachment", args=[attachment.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_colleague_of_the_same_firm_shares_the_petitions(client, world):
    petition = flow.registered(world)
    client.force_login(world.colleague)
    assert client.get(reverse("portal:petition", args=[petition.pk])).status_code == 200


ALL_URLS = [
    ("portal:home", False),
    ("portal:petitions", False),
    ("portal:submit", False),
    ("portal:similar", False),
    ("portal:notifications", False),
    ("portal:notifications_read_all", False),
    ("portal:notification", True),
    *[(name, True) for name in ID_URLS],
]


@pytest.mark.parametrize(("name", "takes_id"), ALL_URLS)
@pytest.mark.parametrize("who", ["handler", "staff", "leader", "supervisor"])
def test_officials_get_403_in_the_portal(client, world, name, takes_id, who):
    petition = flow.registered(world)
    notice = Notification.objects.create(user=world.firm_user, petition=petition, title="通知")
    args = [notice.pk if name == "portal:notification" else petition.pk] if takes_id else []
    client.force_login(getattr(world, who))
    method = "post" if name in ("portal:similar", "portal:notifications_read_all") else "get"
    assert getattr(client, method)(reverse(name, args=args)).status_code == 403


def test_a_visitor_is_sent_to_log_in(client, world):
    petition = flow.registered(world)
    response = client.get(reverse("portal:petition", args=[petition.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
