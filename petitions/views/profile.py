"""My account (issue 12): every signed-in person sees their name, role, unit or enterprise, mobile
number and e-mail address, and changes the last two themselves.

The e-mail address is simply saved (optional for a firm account, which is reached by SMS first).
A new mobile number is saved only once the person proves it reaches them: a 6-digit code is sent to
the new number by SMS (notices.outbox, after commit), hashed, valid 10 minutes, used once, locked
after five wrong tries, like the SMS password reset (petitions/views/password_sms.py, whose code
and limits are reused here). Only the person's latest code counts, and only for the number it was
sent to; codes belong to one account, so nobody can use another's. Per account at most one code a
minute and five an hour, and per number five an hour whoever asks, counted from the code rows in
the database. A number already on another account is accepted: colleagues of a firm may share its
phone (docs/decisions.md D42), and the password reset asks which account is meant.

A firm account's own mobile changes, not the enterprise's registered contact phone, which the task
force verifies.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notices import outbox
from notices.models import OneTimeCode
from petitions.exceptions import WorkflowError
from petitions.forms.profile import EmailForm, MobileCodeForm, MobileForm
from petitions.models import Role, User
from petitions.views.actions import run_action
from petitions.views.password_sms import (
    CODE_MINUTES,
    MAX_TRIES,
    MIN_GAP,
    PER_HOUR,
    expired_message,
    locked_message,
    new_code,
)

logger = logging.getLogger(__name__)

PURPOSE = OneTimeCode.Purpose.MOBILE_CHANGE
# Refusals that mean "not now" rather than "wrong input": answered 429.
WAIT = ("too_soon", "too_many")


def _layout(user: User) -> str:
    """The audience's own layout, so its menu stays (as on the notice settings page)."""
    if user.role == Role.ENTERPRISE:
        return "layouts/portal.html"
    if user.role == Role.HANDLER:
        return "layouts/handler.html"
    if user.role in (Role.TASK_FORCE, Role.LEADER, Role.SUPERVISOR):
        return "layouts/staff.html"
    return "layouts/base.html"


def _e164(phone: object) -> str:
    return getattr(phone, "as_e164", "") or str(phone or "")


# --- the rules ------------------------------------------------------------------------------------


@transaction.atomic
def change_email(*, actor: User, email: str) -> str:
    user = User.objects.select_for_update().get(pk=actor.pk)
    user.email = email
    user.save(update_fields=["email"])
    return email


def latest_code(user: User) -> OneTimeCode | None:
    return (
        OneTimeCode.objects.filter(purpose=PURPOSE, user=user)
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def send_mobile_code(*, actor: User, mobile: str) -> OneTimeCode:
    """Store a code for the new number `mobile` (E.164) and send it there by SMS; a WorkflowError
    when it is already the account's number or a limit is reached."""
    # Locks the account, so two requests at once cannot both pass the counts below.
    user = User.objects.select_for_update().get(pk=actor.pk)
    if _e164(user.mobile) == mobile:
        raise WorkflowError(_("This is already your mobile number."), code="same")
    now = timezone.now()
    hour = now - timedelta(hours=1)
    mine = list(
        OneTimeCode.objects.filter(purpose=PURPOSE, user=user, created_at__gt=hour).values_list(
            "created_at", flat=True
        )
    )
    if mine and max(mine) > now - MIN_GAP:
        wait = math.ceil((max(mine) + MIN_GAP - now).total_seconds())
        raise WorkflowError(
            ngettext(
                "A code was sent less than a minute ago. Wait %(n)d second before asking for "
                "another one, or enter the code you received.",
                "A code was sent less than a minute ago. Wait %(n)d seconds before asking for "
                "another one, or enter the code you received.",
                wait,
            )
            % {"n": wait},
            code="too_soon",
        )
    if len(mine) >= PER_HOUR:
        raise WorkflowError(
            _(
                "Five codes were sent for your account in the last hour, the most allowed. "
                "Please try again later."
            ),
            code="too_many",
        )
    # Many accounts must not flood one phone either.
    if (
        OneTimeCode.objects.filter(purpose=PURPOSE, phone=mobile, created_at__gt=hour).count()
        >= PER_HOUR
    ):
        raise WorkflowError(
            _(
                "Five codes were sent to this number in the last hour, the most allowed. "
                "Please try again later."
            ),
            code="too_many",
        )
    code = new_code()
    row = OneTimeCode.objects.create(
        purpose=PURPOSE,
        user=user,
        phone=mobile,
        code_hash=make_password(code),
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    # To the new number only: the code proves that it reaches this person.
    outbox.tell(
        "account.code",
        [outbox.Recipient(user=user, phone=mobile)],
        source=f"code:{row.pk}",
        context={"code": code, "minutes": str(CODE_MINUTES)},
    )
    return row


def confirm_mobile(*, actor: User, code: str) -> User:
    """Save the number the person's latest code was sent to; a WorkflowError says why not.

    A wrong try is counted and kept (committed) even though the change is refused.
    """
    outcome = _confirm(actor, code)
    if isinstance(outcome, WorkflowError):
        raise outcome
    return outcome


@transaction.atomic
def _confirm(actor: User, code: str) -> User | WorkflowError:
    row = (
        OneTimeCode.objects.select_for_update()
        .filter(purpose=PURPOSE, user=actor)
        .order_by("-created_at", "-pk")
        .first()
    )
    if row is None:
        return WorkflowError(no_code_message(), code="none")
    user = User.objects.select_for_update().get(pk=actor.pk)
    if row.used_at is not None:
        # The same form sent twice: the number is already saved, answer as the first time.
        if _e164(user.mobile) == row.phone and check_password(code, row.code_hash):
            return user
        return WorkflowError(used_message(), code="used")
    if row.expires_at <= timezone.now():
        return WorkflowError(expired_message(), code="expired")
    if row.failed_attempts >= MAX_TRIES:
        return WorkflowError(locked_message(), code="locked")
    if not check_password(code, row.code_hash):
        row.failed_attempts += 1
        row.save(update_fields=["failed_attempts"])
        left = MAX_TRIES - row.failed_attempts
        if left <= 0:
            return WorkflowError(locked_message(), code="locked")
        return WorkflowError(
            ngettext(
                "The code is wrong. You can try %(n)d more time, then ask for a new code.",
                "The code is wrong. You can try %(n)d more times, then ask for a new code.",
                left,
            )
            % {"n": left},
            code="wrong",
        )
    user.mobile = row.phone
    user.save(update_fields=["mobile"])
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    logger.info("Mobile number changed by SMS code for user %s.", user.pk)
    return user


def no_code_message() -> str:
    return _("First enter your new mobile number to receive a code.")


def used_message() -> str:
    return _(
        "This code has already been used. To change your mobile number again, ask for a new code."
    )


# --- the pages ------------------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    *,
    email_form: EmailForm | None = None,
    mobile_form: MobileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    pending = latest_code(user)
    if pending is not None and (
        pending.used_at is not None
        or pending.expires_at <= timezone.now()
        or pending.failed_attempts >= MAX_TRIES
    ):
        pending = None
    return render(
        request,
        "registration/profile.html",
        {
            "layout": _layout(user),
            "email_form": email_form or EmailForm(user=user, initial={"email": user.email}),
            "mobile_form": mobile_form or MobileForm(),
            "pending": _national(pending.phone) if pending else "",
        },
        status=status,
    )


def _codes(form: MobileForm) -> set[str]:
    return {error.code or "" for error in form.non_field_errors().as_data()}


@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
def save_email(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = EmailForm(request.POST, user=user)
    outcome = run_action(
        request,
        form,
        lambda data: change_email(actor=user, email=data["email"]),
        success=lambda email: (
            _("Your e-mail address is saved.") if email else _("Your e-mail address is removed.")
        ),
        redirect_to="profile",
    )
    return outcome.response or _page(request, email_form=form, status=400)


@require_POST
def ask_mobile_code(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = MobileForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: send_mobile_code(actor=user, mobile=data["mobile"]),
        fields={"same": "mobile"},
        success=lambda row: (
            _("A 6-digit code was sent by SMS to %(phone)s. It is valid for %(n)d minutes.")
            % {"phone": _national(row.phone), "n": CODE_MINUTES}
        ),
        redirect_to="profile_mobile_confirm",
    )
    if outcome.response:
        return outcome.response
    return _page(request, mobile_form=form, status=429 if _codes(form) & set(WAIT) else 400)


@require_http_methods(["GET", "POST"])
def enter_mobile_code(request: HttpRequest) -> HttpResponse:
    user = request.user
    row = latest_code(user)
    if row is None or (request.method == "GET" and row.used_at is not None):
        messages.info(request, no_code_message())
        return redirect("profile")
    form = MobileCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        outcome = run_action(
            request,
            form,
            lambda data: confirm_mobile(actor=user, code=data["code"]),
            fields=dict.fromkeys(("used", "expired", "locked", "wrong"), "code"),
            success=lambda saved: (
                _(
                    "Your mobile number is now %(phone)s. Codes and SMS notices go there from now on."
                )
                % {"phone": _national(_e164(saved.mobile))}
            ),
            redirect_to="profile",
        )
        if outcome.response:
            return outcome.response
    return render(
        request,
        "registration/profile_mobile_confirm.html",
        {"layout": _layout(user), "form": form, "phone": _national(row.phone)},
        status=400 if form.errors else 200,
    )


def _national(phone: str) -> str:
    """+8613923456789 → 139 2345 6789: the person's own new number, in full so a typo shows."""
    digits = phone.removeprefix("+86")
    if len(digits) == 11:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return phone
