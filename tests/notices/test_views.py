"""The notice pages (issue 12): a petition's delivery log, sending a failed notice again, and a
person's own notice settings; the read-only delivery admin.

E-mail goes to a real SMTP server on 127.0.0.1 (aiosmtpd) that can refuse recipients, so a failed
delivery is a real failure of the channel, not a row written by hand (docs/conventions.md C9).
"""

from __future__ import annotations

import re
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from notices import actions
from notices.catalogue import KINDS
from notices.models import Channel, Delivery, OptOut, Status
from notices.sms import locmem
from notices.views import mask
from petitions import workflow
from petitions.exceptions import WorkflowError
from petitions.models import Petition, RejectReason
from tests.factories import UserFactory
from tests.petitions import flow

pytestmark = pytest.mark.django_db

TURNED_OFF = "Turned off by the recipient."


def log_url(petition: Petition) -> str:
    return reverse("notices:deliveries", args=[petition.pk])


def retry_url(delivery: Delivery) -> str:
    return reverse("notices:retry", args=[delivery.pk])


def zh(text: object) -> str:
    """A label as the page shows it (Chinese), whether or not the catalogue has it yet."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


class Mailbox:
    """aiosmtpd handler: takes every message, or refuses every recipient while `refusing`."""

    def __init__(self) -> None:
        self.refusing = False
        self.received: list[list[str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refusing:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox(settings):
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    locmem.outbox.clear()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def failed_email(world, mailbox, django_capture_on_commit_callbacks):
    """A petition whose receipt e-mails were refused by the mail server (permanently: FAILED)."""
    mailbox.refusing = True
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    row = Delivery.objects.get(
        petition=petition, kind="firm.receipt", channel=Channel.EMAIL, user=world.firm_user
    )
    assert row.status == Status.FAILED
    assert row.reason.startswith("address refused")
    mailbox.refusing = False
    return row


# --- the delivery log ------------------------------------------------------------------------


def test_the_log_shows_who_was_told_what_by_which_channel_after_real_actions(world, client):
    petition = flow.assigned(world)
    client.force_login(world.staff)
    response = client.get(log_url(petition))
    assert response.status_code == 200
    kinds = {row.delivery.kind for row in response.context["rows"]}
    assert {
        "firm.receipt",
        "firm.accepted",
        "unit.proposal",
        "firm.assigned",
        "unit.assigned",
    } <= kinds
    assert len(response.context["rows"]) == Delivery.objects.filter(petition=petition).count()
    html = response.content.decode()
    assert zh(KINDS["firm.receipt"].label) in html
    assert zh(KINDS["unit.proposal"].label) in html
    assert zh(Status.SENT.label) in html  # in-app notices are delivered by writing them
    assert zh(Status.PENDING.label) in html  # e-mail and SMS wait for the worker (not run here)
    # Recipients by name with their firm or unit; addresses masked.
    assert f"{world.handler.username}（{world.dept.name}）" in html
    assert f"{world.firm_user.username}（{world.firm.name}）" in html
    assert "138****8000" in html
    assert "13800138000" not in html
    assert "f***@example.gov.cn" in html
    assert "firm@example.gov.cn" not in html
    # Nothing was sent by the worker yet: the top says how many wait.
    waiting = Delivery.objects.filter(petition=petition, status=Status.PENDING).count()
    assert waiting > 0
    assert response.context["waiting"] == waiting
    assert response.context["failed"] == 0
    # The staff petition page links here.
    assert (
        log_url(petition)
        in client.get(reverse("staff:petition", args=[petition.pk])).content.decode()
    )


def test_the_log_filters_by_status_and_ignores_an_unknown_one(world, client):
    petition = flow.accepted(world)
    client.force_login(world.supervisor)
    sent = client.get(log_url(petition), {"status": "sent"})
    assert sent.status_code == 200
    assert sent.context["rows"]
    assert {row.delivery.status for row in sent.context["rows"]} == {Status.SENT}
    waiting = client.get(log_url(petition), {"status": "waiting"})
    assert {row.delivery.status for row in waiting.context["rows"]} == {Status.PENDING}
    everything = client.get(log_url(petition), {"status": "nonsense\x00", "page": "-1"})
    assert everything.status_code == 200
    assert everything.context["current"] == ""
    assert len(everything.context["rows"]) == Delivery.objects.filter(petition=petition).count()
    none = client.get(log_url(petition), {"status": "failed"})
    assert none.context["rows"] == []


def test_the_log_counts_failed_notices_at_the_top_and_gives_the_reason(world, client, failed_email):
    client.force_login(world.staff)
    response = client.get(log_url(failed_email.petition))
    failed = Delivery.objects.filter(petition=failed_email.petition, status=Status.FAILED)
    assert failed.count() >= 2  # the firm accounts' mailboxes
    assert response.context["failed"] == failed.count()
    html = response.content.decode()
    assert "address refused" in html
    assert zh(Status.FAILED.label) in html
    assert retry_url(failed_email) in html  # the task force may send it again


@pytest.mark.parametrize("reader", ["leader", "supervisor"])
def test_leaders_and_the_supervision_office_read_the_log_without_the_retry_button(
    world, client, failed_email, reader
):
    client.force_login(getattr(world, reader))
    response = client.get(log_url(failed_email.petition))
    assert response.status_code == 200
    assert response.context["failed"] >= 2
    assert retry_url(failed_email) not in response.content.decode()


def test_the_lead_units_handler_sees_the_firms_and_own_units_notices_only(world, client):
    petition = flow.awaiting_approval(world)
    assert Delivery.objects.filter(petition=petition, kind="leader.approval").exists()
    client.force_login(world.handler)
    response = client.get(log_url(petition))
    assert response.status_code == 200
    kinds = {row.delivery.kind for row in response.context["rows"]}
    assert "firm.receipt" in kinds
    assert "unit.proposal" in kinds
    assert "leader.approval" not in kinds
    assert all(
        row.delivery.enterprise_id == world.firm.pk or row.delivery.user.unit_id == world.dept.pk
        for row in response.context["rows"]
    )
    assert reverse("handler:petition", args=[petition.pk]) in response.content.decode()
    assert "notices:retry" not in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("foreign_staff", 404),  # another jurisdiction's task force
        ("district_handler", 404),  # units that have nothing to do with the petition
        ("district_gov_handler", 404),
        ("other_handler", 404),  # co-handles it: sees the petition, not who was told what
        ("firm_user", 403),  # the firm itself: not this page's audience
        ("other_firm_user", 403),
    ],
)
def test_the_log_is_refused_outside_its_readers(world, client, who, status):
    petition = flow.proposed(world, co_units=[world.other_dept])
    client.force_login(getattr(world, who))
    assert client.get(log_url(petition)).status_code == status


def test_a_missing_petition_and_an_anonymous_visitor_get_nothing(world, client):
    petition = flow.registered(world)
    assert client.get(log_url(petition)).status_code == 302  # to the login page
    client.force_login(world.staff)
    assert client.get(reverse("notices:deliveries", args=[10**9])).status_code == 404


def test_the_log_takes_a_bounded_number_of_queries_whatever_the_number_of_notices(
    world, client, django_assert_max_num_queries
):
    small = flow.registered(world)
    big = flow.in_progress(world)
    assert (
        Delivery.objects.filter(petition=big).count()
        > 3 * Delivery.objects.filter(petition=small).count()
    )
    client.force_login(world.staff)
    for petition in (small, big):
        # session, user, the user's unit and its parent (its jurisdiction), the jurisdictions
        # below (one query per level: the district, then none), the petition with its firm, the
        # counts per status, the page's count, the page of deliveries with recipients, units, firms.
        with django_assert_max_num_queries(10):
            assert client.get(log_url(petition)).status_code == 200


# --- sending a failed notice again ------------------------------------------------------------


def test_the_task_force_sends_a_failed_notice_again_and_it_arrives(
    world, client, mailbox, failed_email, django_capture_on_commit_callbacks
):
    client.force_login(world.staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(retry_url(failed_email))
    assert response.status_code == 302
    assert response["Location"] == log_url(failed_email.petition)
    assert len(callbacks) == 1  # notices.tasks.deliver for this one row
    failed_email.refresh_from_db()
    assert failed_email.status == Status.SENT
    assert failed_email.attempts == 2
    assert failed_email.sent_at is not None
    assert failed_email.reason == ""
    assert mailbox.received == [[world.firm_user.email]]
    # The other refused mailbox was not touched.
    other = Delivery.objects.get(
        petition=failed_email.petition, channel=Channel.EMAIL, user=world.colleague
    )
    assert other.status == Status.FAILED


def test_retry_puts_the_row_back_to_pending_due_now_in_one_locked_transaction(
    world, failed_email, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = actions.retry(delivery_id=failed_email.pk, actor=world.staff)
    assert row.status == Status.PENDING
    stored = Delivery.objects.get(pk=failed_email.pk)
    assert stored.status == Status.PENDING
    assert stored.next_attempt_at <= timezone.now()
    assert stored.attempts == 1  # the worker counts the next try
    assert stored.reason.startswith("address refused")  # until the next try replaces it
    assert len(callbacks) == 1


def test_only_a_failed_notice_can_be_sent_again(world, client, failed_email):
    sent = Delivery.objects.get(
        petition=failed_email.petition, channel=Channel.INAPP, user=world.firm_user
    )
    assert sent.status == Status.SENT
    client.force_login(world.staff)
    response = client.post(retry_url(sent), follow=True)
    assert response.status_code == 200
    assert any("failed" in str(m) or "失败" in str(m) for m in response.context["messages"])
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert sent.attempts == 1
    with pytest.raises(WorkflowError):
        actions.retry(delivery_id=sent.pk, actor=world.staff)
    with pytest.raises(WorkflowError):
        actions.retry(delivery_id=10**9, actor=world.staff)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("foreign_staff", 404),
        ("leader", 403),
        ("supervisor", 403),
        ("handler", 403),
        ("firm_user", 403),
    ],
)
def test_sending_again_is_refused_for_everyone_but_the_jurisdictions_task_force(
    world, client, mailbox, failed_email, who, status, django_capture_on_commit_callbacks
):
    client.force_login(getattr(world, who))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.post(retry_url(failed_email)).status_code == status
    assert callbacks == []
    failed_email.refresh_from_db()
    assert failed_email.status == Status.FAILED
    assert mailbox.received == []


def test_the_retry_function_checks_the_jurisdiction_itself(world, failed_email):
    for outsider in (world.foreign_staff, world.leader, world.handler, world.firm_user):
        with pytest.raises(PermissionDenied):
            actions.retry(delivery_id=failed_email.pk, actor=outsider)
    assert Delivery.objects.get(pk=failed_email.pk).status == Status.FAILED


def test_retry_is_a_post(world, client, failed_email):
    client.force_login(world.staff)
    assert client.get(retry_url(failed_email)).status_code == 405


# --- my notice settings ----------------------------------------------------------------------


def settings_url() -> str:
    return reverse("notices:settings")


def all_checked(response, **unchecked: bool) -> dict[str, str]:
    """The posted form: every enabled box checked, except the names given."""
    form = response.context["form"]
    return {
        name: "on"
        for name, field in form.fields.items()
        if not field.disabled and name not in unchecked
    }


def test_a_firm_account_sees_the_firm_kinds_with_mandatory_ones_locked(world, client):
    client.force_login(world.firm_user)
    response = client.get(settings_url())
    assert response.status_code == 200
    codes = [row.kind.code for row in response.context["rows"]]
    assert "firm.accepted" in codes
    assert "account.code" in codes
    assert not any(code.startswith(("unit.", "tf.", "leader.")) for code in codes)
    form = response.context["form"]
    assert form.fields["firm.receipt:email"].disabled
    assert form.fields["firm.receipt:email"].initial is True
    assert not form.fields["firm.accepted:sms"].disabled
    assert "firm.progress:email" not in form.fields  # in-app only: nothing to turn off
    html = response.content.decode()
    locked = re.search(r'<input[^>]*name="firm\.receipt:email"[^>]*>', html).group()
    assert "disabled" in locked
    assert "checked" in locked
    # Where it goes: the account's own e-mail; the firm's registered contact is told as well.
    assert world.firm_user.email in html
    assert world.firm.email in html
    assert "13800138000" in re.sub(r"\s", "", html)
    # The menu links here.
    assert settings_url() in client.get(reverse("portal:petitions")).content.decode()


def test_each_role_sees_its_own_kinds(world, client):
    expected = {
        "handler": "unit.",
        "leader": "leader.",
        "staff": "tf.",
    }
    for who, prefix in expected.items():
        client.force_login(getattr(world, who))
        codes = [row.kind.code for row in client.get(settings_url()).context["rows"]]
        assert {c.split(".")[0] + "." for c in codes} == {prefix, "account."}, who
    client.force_login(world.supervisor)
    response = client.get(settings_url())
    assert [row.kind.code for row in response.context["rows"]] == [
        "account.code",
        "account.contact_changed",
    ]
    assert not response.context["optional"]  # nothing to turn off: no Save button


def test_a_missing_mobile_number_says_so(world, client):
    client.force_login(world.staff)
    html = client.get(settings_url()).content.decode()
    assert world.staff.email in html
    missing = zh("No mobile number on record.")
    assert missing in html


def test_a_notice_turned_off_is_skipped_on_the_next_occasion(world, client):
    petition = flow.registered(world)
    client.force_login(world.firm_user)
    page = client.get(settings_url())
    response = client.post(settings_url(), all_checked(page, **{"firm.accepted:email": False}))
    assert response.status_code == 302
    assert set(OptOut.objects.filter(user=world.firm_user).values_list("kind", "channel")) == {
        ("firm.accepted", Channel.EMAIL)
    }
    workflow.accept(petition_id=petition.pk, actor=world.staff)
    mine = Delivery.objects.get(
        petition=petition, kind="firm.accepted", channel=Channel.EMAIL, user=world.firm_user
    )
    assert mine.status == Status.SKIPPED
    assert mine.reason == TURNED_OFF
    # Only that person and that channel: the colleague's e-mail and the in-app notice still go.
    theirs = Delivery.objects.get(
        petition=petition, kind="firm.accepted", channel=Channel.EMAIL, user=world.colleague
    )
    assert theirs.status == Status.PENDING
    inapp = Delivery.objects.get(
        petition=petition, kind="firm.accepted", channel=Channel.INAPP, user=world.firm_user
    )
    assert inapp.status == Status.SENT
    # The log says why.
    client.force_login(world.staff)
    assert zh(TURNED_OFF) in client.get(log_url(petition)).content.decode()


def test_turning_a_notice_back_on_removes_the_opt_out(world, client):
    world.firm_user.mobile = "13900139000"
    world.firm_user.save()
    OptOut.objects.create(user=world.firm_user, kind="firm.accepted", channel=Channel.SMS)
    OptOut.objects.create(user=world.firm_user, kind="firm.assigned", channel=Channel.EMAIL)
    client.force_login(world.firm_user)
    page = client.get(settings_url())
    form = page.context["form"]
    assert form.fields["firm.accepted:sms"].initial is False
    assert form.fields["firm.assigned:email"].initial is False
    response = client.post(settings_url(), all_checked(page, **{"firm.assigned:email": False}))
    assert response.status_code == 302
    assert set(OptOut.objects.filter(user=world.firm_user).values_list("kind", "channel")) == {
        ("firm.assigned", Channel.EMAIL)
    }
    petition = flow.accepted(world)
    assert (
        Delivery.objects.get(
            petition=petition, kind="firm.accepted", channel=Channel.SMS, user=world.firm_user
        ).status
        == Status.PENDING
    )


def test_mandatory_notices_cannot_be_turned_off_even_by_a_crafted_post(world, client):
    client.force_login(world.firm_user)
    page = client.get(settings_url())
    crafted = all_checked(page)
    # Leave a mandatory box out (unchecked), post "off" values, and add pairs the form never had.
    crafted.update(
        {
            "firm.rejected:email": "",
            "firm.receipt:sms": "false",
            "firm.accepted:inapp": "",
            "unit.proposal:email": "",
        }
    )
    crafted.pop("firm.accepted:email", None)
    response = client.post(settings_url(), crafted)
    assert response.status_code == 302
    assert set(OptOut.objects.filter(user=world.firm_user).values_list("kind", "channel")) == {
        ("firm.accepted", Channel.EMAIL)
    }
    # The function itself ignores what may not be turned off, whoever calls it.
    actions.set_opt_outs(
        actor=world.firm_user,
        off=[
            ("firm.rejected", Channel.EMAIL),
            ("firm.receipt", Channel.SMS),
            ("firm.accepted", Channel.INAPP),
            ("unit.proposal", Channel.EMAIL),
            ("no.such.kind", Channel.EMAIL),
        ],
    )
    assert not OptOut.objects.filter(user=world.firm_user).exists()
    petition = flow.registered(world)
    workflow.reject(
        petition_id=petition.pk,
        actor=world.staff,
        reason=RejectReason.values[0],
        explanation="不属于政企直通车受理范围。",
    )
    rejected = Delivery.objects.get(
        petition=petition, kind="firm.rejected", channel=Channel.EMAIL, user=world.firm_user
    )
    assert rejected.status == Status.PENDING


def test_opt_outs_of_a_former_role_are_left_alone(world):
    OptOut.objects.create(user=world.handler, kind="tf.return", channel=Channel.EMAIL)
    actions.set_opt_outs(actor=world.handler, off=[("unit.overruled", Channel.EMAIL)])
    assert set(OptOut.objects.filter(user=world.handler).values_list("kind", "channel")) == {
        ("tf.return", Channel.EMAIL),
        ("unit.overruled", Channel.EMAIL),
    }


def test_the_settings_page_needs_a_login(client):
    assert client.get(settings_url()).status_code == 302


# --- the admin ---------------------------------------------------------------------------------


def test_the_delivery_admin_is_read_only_and_for_superusers(world, client, failed_email):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:notices_delivery_changelist")
    response = client.get(changelist, {"status__exact": "failed", "q": "example.gov.cn"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert client.get(reverse("admin:notices_delivery_add")).status_code == 403
    change = client.get(reverse("admin:notices_delivery_change", args=[failed_email.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert (
        client.get(reverse("admin:notices_delivery_delete", args=[failed_email.pk])).status_code
        == 403
    )
    with pytest.raises(NoReverseMatch):  # turned-off notices are not in the admin
        reverse("admin:notices_optout_changelist")
    world.staff.is_staff = True
    world.staff.save()
    client.force_login(world.staff)
    assert client.get(changelist).status_code == 403


def test_a_superuser_sends_failed_notices_again_from_the_admin(
    world, client, mailbox, failed_email, django_capture_on_commit_callbacks
):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    sent = Delivery.objects.filter(petition=failed_email.petition, status=Status.SENT).first()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:notices_delivery_changelist"),
            {"action": "send_again", "_selected_action": [failed_email.pk, sent.pk]},
            follow=True,
        )
    assert response.status_code == 200
    failed_email.refresh_from_db()
    assert failed_email.status == Status.SENT
    texts = [str(m) for m in response.context["messages"]]
    assert any(failed_email.petition.number in t for t in texts)  # the sent one was refused


# --- masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "address", "shown"),
    [
        (Channel.SMS, "13800138000", "138****8000"),
        (Channel.SMS, "+8613800138000", "138****8000"),
        (Channel.SMS, "138 0013 8000", "138****8000"),
        (Channel.SMS, "12345", "*****"),
        (Channel.EMAIL, "alice@x.cn", "a***@x.cn"),
        (Channel.EMAIL, "not-an-address", "***"),
        (Channel.EMAIL, "", ""),
    ],
)
def test_addresses_are_masked(channel, address, shown):
    assert mask(channel, address) == shown


def test_the_handler_page_links_the_log_for_the_lead_unit_not_a_co_handler(world, client):
    petition = flow.assigned(world, co_units=[world.other_dept])
    log = log_url(petition)
    client.force_login(world.handler)
    assert log in client.get(reverse("handler:petition", args=[petition.pk])).content.decode()
    client.force_login(world.other_handler)
    page = client.get(reverse("handler:petition", args=[petition.pk]))
    assert page.status_code == 200
    assert log not in page.content.decode()
