"""Plain-text mail says what the firm and the staff typed, character for character.

Django's templates escape for HTML; a text/plain mail read `&lt;`, `&#x27;` and `&amp;` until every
mail template turned autoescaping off. The HTML pages that show the same text stay escaped.
"""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from notices import sender
from petitions import workflow
from petitions.models import Channel, PetitionType, RejectReason
from supervision import reminders
from tests.factories import EnterpriseFactory, firm_user
from tests.petitions import flow

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
HOSTILE = "A<B> & \"C\" 'D'"
FIRM_NAME = "甲&乙<丙>\"丁\"'戊'有限公司"
ESCAPES = ("&lt;", "&gt;", "&amp;", "&#x27;", "&quot;", "&#39;")

# Every template rendered into a text/plain mail or its subject.
TEMPLATES = Path(settings.BASE_DIR) / "templates"
MAIL_TEMPLATES = sorted(
    [
        *(TEMPLATES / "emails").glob("*.txt"),
        TEMPLATES / "registration" / "password_reset_email.html",
        TEMPLATES / "registration" / "password_reset_subject.txt",
    ]
)


def assert_literal(text: str, *expected: str) -> None:
    for value in expected:
        assert value in text, text
    assert not [e for e in ESCAPES if e in text], text


@pytest.fixture
def hostile_firm(world):
    firm = EnterpriseFactory(name=FIRM_NAME, jurisdiction=world.city)
    return firm, firm_user(firm, username="hostile")


def register(world, firm, actor, **kw):
    return workflow.register(
        actor=actor,
        enterprise=firm,
        channel=Channel.PORTAL,
        type=PetitionType.COMPLAINT,
        title=HOSTILE,
        content="企业反映用电报装审批时间过长。",
        theme_id=world.theme.pk,
        **kw,
    )


@pytest.mark.parametrize("path", MAIL_TEMPLATES, ids=lambda p: p.name)
def test_every_mail_template_turns_autoescaping_off(path):
    # A new mail template that forgets it would escape whatever the firm typed.
    source = path.read_text(encoding="utf-8")
    body = source.split("%}", 1)[1] if source.startswith("{% load") else source
    assert body.startswith("{% autoescape off %}"), path
    assert body.rstrip().endswith("{% endautoescape %}"), path


def test_the_event_notice_keeps_the_title_and_firm_name_literal(
    world, hostile_firm, django_capture_on_commit_callbacks
):
    firm, user = hostile_firm
    with django_capture_on_commit_callbacks(execute=True):
        petition = register(world, firm, user)

    [message] = [m for m in mail.outbox if m.to == [user.email]]
    assert_literal(message.body, HOSTILE, FIRM_NAME)
    assert_literal(message.subject, petition.number)
    # Plain text only: there is no HTML part that would need the escaping.
    assert message.content_subtype == "plain"
    assert not getattr(message, "alternatives", [])


def test_the_event_notice_keeps_the_staff_note_literal(
    world, hostile_firm, django_capture_on_commit_callbacks
):
    firm, user = hostile_firm
    petition = register(world, firm, user)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reject(
            petition_id=petition.pk,
            actor=world.staff,
            reason=RejectReason.UNCLEAR,
            explanation=f"请说明 {HOSTILE}",
        )

    [message] = [m for m in mail.outbox if m.to == [user.email]]
    assert_literal(message.body, f"请说明 {HOSTILE}", HOSTILE, FIRM_NAME)


def test_the_same_text_stays_escaped_on_the_portal_pages(
    client, world, hostile_firm, django_capture_on_commit_callbacks
):
    firm, user = hostile_firm
    petition = register(world, firm, user)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.reject(
            petition_id=petition.pk,
            actor=world.staff,
            reason=RejectReason.UNCLEAR,
            explanation=HOSTILE,
        )
    client.force_login(user)

    # The list and detail show the title, the notices and the detail show the note.
    for url in (
        reverse("portal:petitions"),
        reverse("portal:notifications"),
        reverse("portal:petition", args=[petition.pk]),
    ):
        page = client.get(url).content.decode()
        assert "A&lt;B&gt; &amp; &quot;C&quot; &#x27;D&#x27;" in page, url
        assert "A<B>" not in page, url


def test_the_subject_templates_do_not_escape():
    subject = render_to_string("emails/notice_subject.txt", {"number": HOSTILE, "label": HOSTILE})
    assert_literal(subject, HOSTILE)


def test_the_password_reset_mail_is_not_escaped(world):
    # The link is built from the site's host; nothing a firm types reaches this mail today, so the
    # host stands in for any value that would.
    PasswordResetForm().send_mail(
        "registration/password_reset_subject.txt",
        "registration/password_reset_email.html",
        {"protocol": "https", "domain": "zq.example?a=1&b='2'", "uid": "MQ", "token": "c-d"},
        None,
        world.firm_user.email,
    )

    [message] = mail.outbox
    assert_literal(message.body, "https://zq.example?a=1&b='2'/accounts/reset/MQ/c-d/")
    assert message.subject.strip()


def test_the_daily_digest_keeps_titles_and_firm_names_literal(world, hostile_firm):
    firm, user = hostile_firm
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        petition = register(world, firm, user)
    sender.deliver_due()  # the workflow's own notices first, out of the way
    mail.outbox.clear()

    reminders.send_daily_digests(petition.due_on)
    sender.deliver_due()

    [digest] = [m for m in mail.outbox if m.to == [world.staff.email]]
    assert_literal(digest.body, petition.number, HOSTILE, FIRM_NAME)


def test_the_progress_reminder_keeps_titles_and_firm_names_literal(world, hostile_firm):
    firm, user = hostile_firm
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        petition = register(world, firm, user)
        workflow.accept(petition_id=petition.pk, actor=world.staff)
        workflow.propose(petition_id=petition.pk, actor=world.staff, unit=world.dept)
        workflow.confirm(petition_id=petition.pk, actor=world.handler)
        workflow.issue_transfer_letter(petition_id=petition.pk, actor=world.staff)
    sender.deliver_due()  # the workflow's own notices first, out of the way
    mail.outbox.clear()

    reminders.send_progress_reminders(date(2026, 11, 12))
    sender.deliver_due()

    [reminder] = [m for m in mail.outbox if m.to == [world.handler.email]]
    assert_literal(reminder.body, petition.number, HOSTILE, FIRM_NAME)


def test_a_plain_petition_mail_is_unchanged(world, django_capture_on_commit_callbacks):
    # The ordinary case reads as before: title in Chinese quotes, the state, the footer.
    with django_capture_on_commit_callbacks(execute=True):
        petition = flow.registered(world)
    [message] = [m for m in mail.outbox if m.to == [world.firm_user.email]]
    assert f"“{petition.title}”" in message.body
