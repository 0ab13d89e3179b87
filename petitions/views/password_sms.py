"""Password reset by SMS code, beside the e-mail reset (issue 12: in China a firm expects to hear
from the government by SMS, and many accounts have no e-mail address).

Page 1 takes a mobile number and always answers the same, whether or not an account uses it, so
the page cannot be used to find out who has an account. For an active account with that number it
stores a 6-digit code, hashed, valid 10 minutes, and sends it by SMS (notices.outbox, sent after
commit). For any other number it stores a decoy row with the hash of a code nobody receives: the
per-number limits (one code a minute, five an hour), the expiry and the lock-out after five wrong
codes then behave exactly alike for both, and the limits are counted from these rows in the
database, so they hold with Redis down. Requests per client address are limited too
(petitions/ratelimit.py, "reset_code").

Page 2 takes the code and the new password twice. Only the latest code of the number counts; it
works once, until it expires, and five wrong tries lock it. The row is locked while it is checked,
so two submissions of the same form cannot both use it: the second finds it used and, when its new
password is the one just set, is answered like the first (a double click changes nothing).
Neither the code nor the password is logged. Like Django's e-mail reset, a successful reset does
not log in and leaves django-axes' lock-outs alone: the person logs in on the login page.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from notices import outbox
from notices.models import OneTimeCode
from petitions import ratelimit
from petitions.forms.password_sms import CODE_LENGTH, CodeRequestForm, CodeResetForm
from petitions.models import User

logger = logging.getLogger(__name__)

PURPOSE = OneTimeCode.Purpose.PASSWORD_RESET
CODE_MINUTES = 10
MAX_TRIES = 5
MIN_GAP = timedelta(seconds=60)
PER_HOUR = 5
SESSION_KEY = "password_sms_phone"


@dataclass(frozen=True)
class Refusal:
    """Why a request was not granted, and the form field the message belongs to (None: above)."""

    error: str | ValidationError
    field: str | None = None


# --- the rules ------------------------------------------------------------------------------------


def accounts_with(phone: str) -> QuerySet[User]:
    """Active accounts of any role with this mobile number (E.164) that may reset their password
    (as Django's e-mail reset, not those without a usable password)."""
    return (
        User.objects.filter(mobile=phone, is_active=True)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .order_by("pk")
    )


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


@transaction.atomic
def issue_code(phone: str) -> Refusal | None:
    """Store a code for `phone` and send it if an account uses the number; a Refusal when the
    number had a code less than a minute ago or five in the last hour (known or not alike)."""
    # Locks the accounts, so two requests for one number cannot both pass the count below.
    accounts = list(accounts_with(phone).select_for_update())
    now = timezone.now()
    recent = list(
        OneTimeCode.objects.filter(
            purpose=PURPOSE, phone=phone, created_at__gt=now - timedelta(hours=1)
        ).values_list("created_at", flat=True)
    )
    if recent and max(recent) > now - MIN_GAP:
        wait = math.ceil((max(recent) + MIN_GAP - now).total_seconds())
        return Refusal(
            ngettext(
                "A code was sent to this number less than a minute ago. Wait %(n)d second "
                "before asking for another one, or enter the code you received.",
                "A code was sent to this number less than a minute ago. Wait %(n)d seconds "
                "before asking for another one, or enter the code you received.",
                wait,
            )
            % {"n": wait}
        )
    if len(recent) >= PER_HOUR:
        return Refusal(
            _(
                "Five codes were asked for this number in the last hour, the most allowed. "
                "Please try again later."
            )
        )
    code = new_code()
    # A decoy (no account) gets the hash of a code nobody receives: the same work, the same row.
    row = OneTimeCode.objects.create(
        purpose=PURPOSE,
        user=accounts[0] if accounts else None,
        phone=phone,
        code_hash=make_password(code),
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    if accounts:
        # One SMS to the number, however many accounts share it.
        outbox.tell(
            "account.code",
            [outbox.person(accounts[0])],
            source=f"code:{row.pk}",
            context={"code": code, "minutes": str(CODE_MINUTES)},
        )
    return None


def _pick(accounts: list[User], username: str) -> User | Refusal:
    """The account to reset: the only one with the number, or the one named when several share it."""
    if username:
        named = [a for a in accounts if a.username.casefold() == username.casefold()]
        if named:
            return named[0]
        return Refusal(_("No account with this login name uses this mobile number."), "username")
    if len(accounts) == 1:
        return accounts[0]
    return Refusal(
        _(
            "Several accounts use this mobile number: enter the login name of the one whose "
            "password you want to change. The code stays valid."
        ),
        "username",
    )


def _wrong(row: OneTimeCode) -> Refusal:
    """Count one wrong try; the fifth locks the code."""
    row.failed_attempts += 1
    row.save(update_fields=["failed_attempts"])
    left = MAX_TRIES - row.failed_attempts
    if left <= 0:
        return Refusal(locked_message(), "code")
    return Refusal(
        ngettext(
            "The code is wrong. You can try %(n)d more time, then ask for a new code.",
            "The code is wrong. You can try %(n)d more times, then ask for a new code.",
            left,
        )
        % {"n": left},
        "code",
    )


def locked_message() -> str:
    return _("This code was entered wrongly five times and no longer works. Ask for a new code.")


def expired_message() -> str:
    return _("This code has expired (a code is valid for %(n)d minutes). Ask for a new code.") % {
        "n": CODE_MINUTES
    }


def used_message() -> str:
    return _(
        "This code has already been used to change the password. Log in with the new password, "
        "or ask for a new code."
    )


@transaction.atomic
def redeem(*, phone: str, code: str, password: str, username: str = "") -> User | Refusal:
    """Set the password of the account `code` was sent for; a Refusal says why not.

    Checked in an order that treats a decoy like a real code: locked, expired, wrong; only the
    holder of the right code learns more (already used, which account, the password rules).
    A wrong try is counted and committed; nothing else is written unless the password changes.
    """
    row = (
        OneTimeCode.objects.select_for_update()
        .filter(purpose=PURPOSE, phone=phone)
        .order_by("-created_at", "-pk")
        .first()
    )
    now = timezone.now()
    if row is None or row.expires_at <= now:
        return Refusal(expired_message(), "code")
    if row.failed_attempts >= MAX_TRIES:
        return Refusal(locked_message(), "code")
    accounts = list(accounts_with(phone).select_for_update()) if row.user_id else []
    if not accounts or not check_password(code, row.code_hash):
        return _wrong(row)
    if row.used_at is not None:
        # The same form sent again: its password is already set, so answer as the first time.
        if any(a.pk == row.user_id and a.check_password(password) for a in accounts):
            return next(a for a in accounts if a.pk == row.user_id)
        return Refusal(used_message(), "code")
    user = _pick(accounts, username)
    if isinstance(user, Refusal):
        return user
    try:
        validate_password(password, user)
    except ValidationError as error:
        return Refusal(error, "new_password1")
    user.set_password(password)
    user.save(update_fields=["password"])
    row.user, row.used_at = user, now
    row.save(update_fields=["user", "used_at"])
    logger.info("Password reset by SMS code for user %s.", user.pk)
    return user


# --- the pages -----------------------------------------------------------------------------------


def masked(phone: str) -> str:
    """+8613923456789 → 139****6789: enough for the person to recognise, not to read off."""
    digits = phone.removeprefix("+86")
    return f"{digits[:3]}****{digits[-4:]}"


def too_many_from_address() -> str:
    return _("Too many code requests from this network. Nothing was sent; please try again later.")


@login_not_required
@require_http_methods(["GET", "POST"])
def request_code(request: HttpRequest) -> HttpResponse:
    form = CodeRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    waiting = False
    if request.method == "POST":
        # Every attempt counts, like the sign-up, so the page cannot be used to probe numbers fast.
        if not ratelimit.hit(request, "reset_code"):
            form.is_valid()
            form.add_error(None, too_many_from_address())
            status = 429
        elif form.is_valid():
            phone = form.cleaned_data["mobile"]
            refusal = issue_code(phone)
            request.session[SESSION_KEY] = phone
            if refusal is None:
                messages.info(
                    request,
                    _(
                        "If an account uses %(phone)s, a code was sent to it by SMS. It is valid "
                        "for %(n)d minutes."
                    )
                    % {"phone": masked(phone), "n": CODE_MINUTES},
                )
                return redirect("password_reset_sms_code")
            form.add_error(None, refusal.error)
            status, waiting = 429, True
        else:
            status = 400
    return render(
        request,
        "registration/password_reset_sms_form.html",
        {"form": form, "waiting": waiting},
        status=status,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def reset_with_code(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(SESSION_KEY)
    if not isinstance(phone, str) or not phone:
        messages.info(request, _("First enter your mobile number to receive a code."))
        return redirect("password_reset_sms")
    form = CodeResetForm(request.POST if request.method == "POST" else None)
    ask_username = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = redeem(
            phone=phone,
            code=data["code"],
            password=data["new_password1"],
            username=data["username"].strip(),
        )
        if isinstance(outcome, User):
            messages.success(request, _("Your password was changed. Log in with the new password."))
            return redirect("login")
        form.add_error(outcome.field, outcome.error)
        ask_username = outcome.field == "username"
    return render(
        request,
        "registration/password_reset_sms_code.html",
        {
            "form": form,
            "phone": masked(phone),
            "ask_username": ask_username or bool(form["username"].value()),
        },
        status=400 if form.errors else 200,
    )
