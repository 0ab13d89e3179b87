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

Both changes first ask for the current password (Django's check_password): the e-mail and the
mobile are how the account is recovered (e-mail reset, SMS reset), so a session left open or
stolen must not be able to move them and keep the account. Wrong passwords are counted per account
(whatever the client address) in the database, as rows of django-axes' failure log
(AccessFailureLog, path = the form's address; axes itself only reads its AccessAttempt rows, and
no migration is needed); the fifth wrong one within an hour blocks both changes for an hour. After
a change is saved, the old address hears of it (notice `account.contact_changed`, docs/notices.md)
in the same transaction, and the current address of the other kind too.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from axes.helpers import get_client_ip_address
from axes.models import AccessFailureLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
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
WAIT = ("too_soon", "too_many", "password_locked")
# Wrong current passwords: this many within WINDOW block both changes for LOCK.
PASSWORD_TRIES = 5
WINDOW = timedelta(hours=1)
LOCK = timedelta(hours=1)
# Refusals about the password are shown next to its field.
PASSWORD_ERRORS = dict.fromkeys(("wrong_password", "password_locked"), "password")


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


def _password_paths() -> list[str]:
    return [reverse("profile_email"), reverse("profile_mobile")]


def _failures(user: User, now: datetime) -> QuerySet[AccessFailureLog]:
    return AccessFailureLog.objects.filter(
        username=user.get_username(), path_info__in=_password_paths(), attempt_time__gt=now - WINDOW
    )


def password_locked_until(user: User) -> datetime | None:
    """The moment the block on changes ends, or None. A block starts at the wrong try that was the
    fifth within an hour (marked locked_out) and lasts an hour; tries are refused meanwhile without
    being counted, so the rows within the last hour all came after any earlier block."""
    now = timezone.now()
    last = _failures(user, now).filter(locked_out=True).order_by("-attempt_time").first()
    return last.attempt_time + LOCK if last else None


def require_password(*, actor: User, password: str, request: HttpRequest) -> None:
    """A WorkflowError unless `password` is the account's current one. A wrong try is counted and
    kept (committed) although the change is refused."""
    outcome = _check_password(actor, password, request)
    if outcome is not None:
        raise outcome


@transaction.atomic
def _check_password(actor: User, password: str, request: HttpRequest) -> WorkflowError | None:
    # Locks the account, so that tries sent at once are counted one after the other.
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not user.has_usable_password():
        return WorkflowError(no_password_message(), code="no_password")
    until = password_locked_until(user)
    if until is not None:
        return WorkflowError(password_locked_message(until), code="password_locked")
    if user.check_password(password):  # django.contrib.auth.hashers.check_password
        return None
    count = _failures(user, timezone.now()).count() + 1
    locked = count >= PASSWORD_TRIES
    AccessFailureLog.objects.create(
        username=user.get_username(),
        ip_address=get_client_ip_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.path[:255],
        locked_out=locked,
    )
    logger.warning(
        "Wrong current password on My account for user %s (%d within an hour).", user.pk, count
    )
    if locked:
        return WorkflowError(password_locked_message(timezone.now() + LOCK), code="password_locked")
    left = PASSWORD_TRIES - count
    return WorkflowError(
        ngettext(
            "The password is wrong. After %(n)d more wrong try, changing your e-mail address or "
            "mobile number is blocked for an hour.",
            "The password is wrong. After %(n)d more wrong tries, changing your e-mail address or "
            "mobile number is blocked for an hour.",
            left,
        )
        % {"n": left},
        code="wrong_password",
    )


def no_password_message() -> str:
    return _(
        "Your account has no password, so your e-mail address and mobile number cannot be "
        "changed here. Set a password first with “Forgot your password?” on the login page, or "
        "ask your administrator."
    )


def password_locked_message(until: datetime) -> str:
    return _(
        "The password was wrong five times within an hour. For your safety, your e-mail address "
        "and mobile number cannot be changed until %(time)s."
    ) % {"time": formats.time_format(timezone.localtime(until), "H:i")}


def _tell_contact_changed(user: User, what: str, *, email: str, phone: str) -> None:
    """Tell the person at the old address (and the current one of the other kind) that `what`
    changed; called inside the change's transaction, so the notice and the change commit
    together. Keyed by the history row the change wrote, so a change is told once."""
    change = user.history.order_by("-history_id").values_list("history_id", flat=True).first()
    with translation.override(settings.LANGUAGE_CODE):  # the text is written now, in Chinese
        context = {"what": _(what), "date": timezone.localdate().isoformat()}
    outbox.tell(
        "account.contact_changed",
        [outbox.Recipient(user=user, email=email, phone=phone)],
        source=f"contact-changed:{user.pk}:{change or timezone.now().isoformat()}",
        context=context,
    )


def change_email(*, actor: User, email: str, password: str, request: HttpRequest) -> str:
    require_password(actor=actor, password=password, request=request)
    return _save_email(actor, email)


@transaction.atomic
def _save_email(actor: User, email: str) -> str:
    user = User.objects.select_for_update().get(pk=actor.pk)
    old = user.email
    if old == email:
        return email  # nothing changes (or the same form sent twice): nothing to tell
    user.email = email
    user.save(update_fields=["email"])
    # To the old e-mail and the current mobile: the new address proves nothing yet.
    _tell_contact_changed(user, gettext_noop("e-mail address"), email=old, phone=_e164(user.mobile))
    logger.info("E-mail address changed for user %s.", user.pk)
    return email


def latest_code(user: User) -> OneTimeCode | None:
    return (
        OneTimeCode.objects.filter(purpose=PURPOSE, user=user)
        .order_by("-created_at", "-pk")
        .first()
    )


def send_mobile_code(
    *, actor: User, mobile: str, password: str, request: HttpRequest
) -> OneTimeCode:
    """Store a code for the new number `mobile` (E.164) and send it there by SMS; a WorkflowError
    when the password is wrong, the number is already the account's or a limit is reached."""
    require_password(actor=actor, password=password, request=request)
    return _send_code(actor, mobile)


@transaction.atomic
def _send_code(actor: User, mobile: str) -> OneTimeCode:
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
    old = _e164(user.mobile)
    user.mobile = row.phone
    user.save(update_fields=["mobile"])
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    # To the old mobile and the current e-mail; the new number got the code.
    _tell_contact_changed(user, gettext_noop("mobile number"), email=user.email, phone=old)
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


def _status(form: EmailForm | MobileForm) -> int:
    codes = {error.code or "" for errors in form.errors.as_data().values() for error in errors}
    return 429 if codes & set(WAIT) else 400


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
        lambda data: change_email(
            actor=user, email=data["email"], password=data["password"], request=request
        ),
        fields=PASSWORD_ERRORS,
        success=lambda email: (
            _("Your e-mail address is saved.") if email else _("Your e-mail address is removed.")
        ),
        redirect_to="profile",
    )
    if outcome.response:
        return outcome.response
    return _page(request, email_form=form, status=_status(form))


@require_POST
def ask_mobile_code(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = MobileForm(request.POST)
    outcome = run_action(
        request,
        form,
        lambda data: send_mobile_code(
            actor=user, mobile=data["mobile"], password=data["password"], request=request
        ),
        fields={"same": "mobile", **PASSWORD_ERRORS},
        success=lambda row: (
            _("A 6-digit code was sent by SMS to %(phone)s. It is valid for %(n)d minutes.")
            % {"phone": _national(row.phone), "n": CODE_MINUTES}
        ),
        redirect_to="profile_mobile_confirm",
    )
    if outcome.response:
        return outcome.response
    return _page(request, mobile_form=form, status=_status(form))


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
