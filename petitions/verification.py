"""Verifying firms: the task force's queue, and a firm's way in (docs/rules.md §2, docs/decisions.md
D25; issue 12 §6).

A firm may petition once the task force has checked it (`Enterprise.is_verified`). One atomic,
keyword-only function per action, each taking the actor and locking the firm's row
(docs/conventions.md C1):

    action             who                                   the firm afterwards
    -----------------  ------------------------------------  -----------------------------------
    verify (a batch)   task force of the firm's jurisdiction verified; told
    refuse (reason)    task force of the firm's jurisdiction refused with the reason; told
    correct_details    the firm's own account, until verified  back in the queue
    invite             task force, firm without an account   an activation code sent by SMS/e-mail
    activate           whoever holds the code (no login)     an account, verified, code used up

Each records who and when on the firm (and in its history, with the actor as `history_user`) and
writes the firm's notice in the same transaction (notices.outbox.tell), so the change and its notice
commit or vanish together. Activation codes are stored as a keyed hash (notices.models.OneTimeCode).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import PhoneNumber

from notices import outbox
from notices.models import OneTimeCode
from petitions import access
from petitions import workflow_kit as kit
from petitions.exceptions import WorkflowError
from petitions.models import Enterprise, OrgUnit, Role, UnitKind, User
from petitions.validators import normalise_uscc

ACTIVATION_VALID = timedelta(days=7)
REINVITE_AFTER = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
MAX_BATCH = 200
CODE_DIGITS = 6
_HMAC_SALT = "petitions.verification.activation"

Purpose = OneTimeCode.Purpose


@dataclass(frozen=True)
class Result:
    """What happened to one firm of a batch; `name` is empty for a firm the actor may not see."""

    enterprise_id: int
    name: str
    ok: bool
    message: str


# --- who may act ---------------------------------------------------------------------------------


def scope(actor: User) -> list[int]:
    """The jurisdictions whose firms this task force member verifies; refused for anyone else."""
    if not (actor.has_role(Role.TASK_FORCE) and actor.unit_id):
        raise PermissionDenied(_("Only the task force may verify enterprises."))
    return access.jurisdiction_ids_under(actor.unit)


def _lock_in_scope(enterprise_id: int, actor: User) -> Enterprise:
    ids = scope(actor)
    firm = kit.lock(Enterprise, enterprise_id, _("There is no such enterprise."))
    if firm.jurisdiction_id not in ids:
        raise PermissionDenied(
            _("Only the task force of the enterprise's jurisdiction may do this.")
        )
    return firm


def _save(firm: Enterprise, actor: User | None, fields: Iterable[str]) -> None:
    # The actor is the history's author even outside a request (petitions/history.py).
    firm._history_user = actor  # type: ignore[attr-defined]  # simple-history reads it
    firm.save(update_fields=list(fields))


def _tell(code: str, firm: Enterprise, occasion: str, context: dict, link: str) -> None:
    outbox.tell(
        code,
        outbox.firm(firm),
        source=f"enterprise:{firm.pk}:{occasion}",
        context={"name": firm.name, "enterprise": firm.name, **context},
        link=link,
    )


def _verified(firm: Enterprise, by: User | None, at: datetime, history_user: User | None) -> None:
    firm.is_verified = True
    firm.verified_at, firm.verified_by = at, by
    firm.refused_at, firm.refused_by, firm.refusal_reason = None, None, ""
    _save(
        firm,
        history_user,
        ["is_verified", "verified_at", "verified_by", "refused_at", "refused_by", "refusal_reason"],
    )


# --- the task force's actions ----------------------------------------------------------------------


@transaction.atomic
def verify(*, enterprise_ids: Iterable[int], actor: User) -> list[Result]:
    """Verify each firm of the batch that is in the actor's jurisdictions and not yet verified;
    every other id gets its own refusal, and the rest of the batch goes through."""
    ids = scope(actor)
    wanted = list(dict.fromkeys(int(pk) for pk in enterprise_ids))  # in order, each once
    if not wanted:
        raise WorkflowError(_("Choose at least one enterprise."), code="empty")
    if len(wanted) > MAX_BATCH:
        raise WorkflowError(
            _("Choose at most %(n)d enterprises at a time.") % {"n": MAX_BATCH}, code="too_many"
        )
    # Locked in the order of their ids, so two batches that overlap cannot deadlock.
    rows = (
        Enterprise.objects.select_for_update()
        .filter(pk__in=wanted, jurisdiction_id__in=ids)
        .order_by("pk")
    )
    firms = {firm.pk: firm for firm in rows}
    prefetch_related_objects(list(firms.values()), "accounts")  # whom to tell, in one query
    now = timezone.now()
    results = []
    for pk in wanted:
        firm = firms.get(pk)
        if firm is None:
            # Not told apart from a firm that does not exist: other jurisdictions' firms stay theirs.
            results.append(
                Result(
                    pk,
                    "",
                    False,
                    _("Enterprise no. %(id)d is not among the firms of your jurisdiction.")
                    % {"id": pk},
                )
            )
            continue
        if firm.is_verified:
            results.append(
                Result(
                    pk, firm.name, False, _("%(name)s is already verified.") % {"name": firm.name}
                )
            )
            continue
        _verified(firm, actor, now, actor)
        _tell("firm.verified", firm, f"verified:{now.isoformat()}", {}, reverse("portal:home"))
        results.append(Result(pk, firm.name, True, _("%(name)s verified.") % {"name": firm.name}))
    return results


@transaction.atomic
def refuse(*, enterprise_id: int, actor: User, reason: str) -> Enterprise:
    """Refuse to verify a firm, saying why; the firm sees the reason and may correct its details."""
    firm = _lock_in_scope(enterprise_id, actor)
    reason = kit.required(
        reason, _("Say why the enterprise cannot be verified: the enterprise is told.")
    )
    if firm.is_verified:
        raise WorkflowError(
            _("%(name)s is already verified.") % {"name": firm.name}, code="already_verified"
        )
    if firm.refused_at is not None:
        raise WorkflowError(
            _("%(name)s was already refused; it waits for the enterprise to correct its details.")
            % {"name": firm.name},
            code="already_refused",
        )
    now = timezone.now()
    firm.refused_at, firm.refused_by, firm.refusal_reason = now, actor, reason
    _save(firm, actor, ["refused_at", "refused_by", "refusal_reason"])
    _tell(
        "firm.verification_refused",
        firm,
        f"refused:{now.isoformat()}",
        {"note": outbox.clip(reason), "full_note": reason},
        reverse("portal:home"),
    )
    return firm


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(enterprise_id: int, code: str) -> str:
    """Keyed with SECRET_KEY: a stolen table alone does not give the six digits back. Deterministic,
    so a code typed in can be found among the firm's codes and told apart (replaced, used, expired)."""
    return salted_hmac(_HMAC_SALT, f"{enterprise_id}:{code}", algorithm="sha256").hexdigest()


@transaction.atomic
def invite(*, enterprise_id: int, actor: User) -> Enterprise:
    """Send a firm without an account an activation code, by SMS to its contact phone and by e-mail
    if it has one. A new invitation replaces the previous code, at most once every ten minutes."""
    firm = _lock_in_scope(enterprise_id, actor)
    if User.objects.filter(enterprise=firm).exists():
        raise WorkflowError(
            _("%(name)s already has an account; its people log in with it.") % {"name": firm.name},
            code="has_account",
        )
    if firm.refused_at is not None:
        raise WorkflowError(
            _("%(name)s was refused verification; it cannot be invited.") % {"name": firm.name},
            code="refused",
        )
    phone = _e164(firm.contact_phone)
    if not phone:
        raise WorkflowError(
            _("%(name)s has no contact phone on record to send the code to.") % {"name": firm.name},
            code="no_phone",
        )
    now = timezone.now()
    if firm.invited_at is not None and now < firm.invited_at + REINVITE_AFTER:
        raise WorkflowError(
            _("%(name)s was invited at %(at)s; a new invitation can be sent from %(next)s.")
            % {
                "name": firm.name,
                "at": f"{timezone.localtime(firm.invited_at):%H:%M}",
                "next": f"{timezone.localtime(firm.invited_at + REINVITE_AFTER):%H:%M}",
            },
            code="too_soon",
        )
    # The previous code stops working: only the latest invitation counts.
    OneTimeCode.objects.filter(
        purpose=Purpose.ACTIVATION, enterprise=firm, used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    code = _new_code()
    row = OneTimeCode.objects.create(
        purpose=Purpose.ACTIVATION,
        enterprise=firm,
        phone=phone,
        code_hash=code_hash(firm.pk, code),
        expires_at=now + ACTIVATION_VALID,
    )
    firm.invited_at, firm.invited_by = now, actor
    _save(firm, actor, ["invited_at", "invited_by"])
    _tell(
        "firm.invitation", firm, f"invitation:{row.pk}", {"code": code}, reverse("portal:activate")
    )
    return firm


# --- the firm's actions ------------------------------------------------------------------------------


@transaction.atomic
def correct_details(
    *,
    enterprise_id: int,
    actor: User,
    uscc: str,
    name: str,
    jurisdiction: OrgUnit,
    contact_name: str,
    contact_phone: str,
    email: str,
) -> Enterprise:
    """The firm corrects its registered details while it is not verified; a refused firm is back in
    its task force's queue (the refusal stays in the firm's history)."""
    if not (actor.has_role(Role.ENTERPRISE) and actor.enterprise_id == enterprise_id):
        raise PermissionDenied(_("Only the enterprise's own accounts may do this."))
    firm = kit.lock(Enterprise, enterprise_id, _("There is no such enterprise."))
    if firm.is_verified:
        raise WorkflowError(
            _("Your enterprise is already verified; ask the task force to change its details."),
            code="already_verified",
        )
    if not (jurisdiction.is_jurisdiction and jurisdiction.is_active):
        raise WorkflowError(_("Choose a city, district or zone."), code="bad_jurisdiction")
    uscc = normalise_uscc(uscc)
    taken = _(
        "This unified social credit code is registered by another enterprise; contact the task force."
    )
    if Enterprise.objects.filter(uscc=uscc).exclude(pk=firm.pk).exists():
        raise WorkflowError(taken, code="uscc_taken")
    firm.uscc, firm.name, firm.jurisdiction = uscc, name.strip(), jurisdiction
    firm.contact_name, firm.contact_phone, firm.email = contact_name.strip(), contact_phone, email
    firm.refused_at, firm.refused_by, firm.refusal_reason = None, None, ""
    try:
        with transaction.atomic():
            _save(
                firm,
                actor,
                [
                    "uscc",
                    "name",
                    "jurisdiction",
                    "contact_name",
                    "contact_phone",
                    "email",
                    "refused_at",
                    "refused_by",
                    "refusal_reason",
                ],
            )
    except IntegrityError:  # the same code registered a moment ago
        raise WorkflowError(taken, code="uscc_taken") from None
    return firm


def _e164(phone: object) -> str:
    """The number in E.164 (+86…), or "" when it is not a phone number."""
    raw = getattr(phone, "as_e164", None) or str(phone or "")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def activate(*, uscc: str, phone: str, code: str, username: str, password: str) -> User:
    """The firm's person proves the invitation (credit code, the phone it went to, the code) and
    chooses a login: an account is created, the firm is verified, the code is used up.

    A wrong code counts against the code and five lock it. The count must survive the refusal, so
    the transaction that counts commits before the refusal is raised.
    """
    outcome = _activate(uscc=uscc, phone=phone, code=code, username=username, password=password)
    if isinstance(outcome, WorkflowError):
        raise outcome
    return outcome


def _code_refusal(row: OneTimeCode, now: datetime) -> WorkflowError | None:
    if row.used_at is not None:
        return WorkflowError(
            _("This activation code was already used: log in with the account created with it."),
            code="used",
        )
    if row.failed_attempts >= MAX_CODE_ATTEMPTS:
        return WorkflowError(
            _(
                "A wrong code was entered too many times, so this invitation no longer works. "
                "Ask your task force to send a new one."
            ),
            code="locked",
        )
    if row.expires_at <= now:
        return WorkflowError(
            _("This activation code has expired. Ask your task force to send a new one."),
            code="expired",
        )
    return None


@transaction.atomic
def _activate(
    *, uscc: str, phone: str, code: str, username: str, password: str
) -> User | WorkflowError:
    nothing = WorkflowError(
        _(
            "No invitation was sent for this credit code and phone number. Check both, or ask "
            "your task force for an invitation."
        ),
        code="no_invitation",
    )
    # The firm first, then its codes: the same order as invite(), so the two cannot deadlock;
    # a second submit of the same form waits here and then finds the code used.
    firm = Enterprise.objects.select_for_update().filter(uscc=normalise_uscc(uscc or "")).first()
    number = _e164(phone)
    if firm is None or not number:
        raise nothing
    codes = list(
        OneTimeCode.objects.select_for_update()
        .filter(purpose=Purpose.ACTIVATION, enterprise=firm, phone=number)
        .order_by("-created_at", "-pk")
    )
    if not codes:
        raise nothing
    latest, now = codes[0], timezone.now()
    typed = code_hash(firm.pk, "".join((code or "").split()))
    match = next((row for row in codes if constant_time_compare(row.code_hash, typed)), None)
    if match is not None and match.pk != latest.pk:
        raise WorkflowError(
            _("A newer activation code was sent since this one; enter the latest code."),
            code="replaced",
        )
    refusal = _code_refusal(latest, now)
    if refusal is not None:
        raise refusal
    if match is None:
        latest.failed_attempts += 1
        latest.save(update_fields=["failed_attempts"])
        left = MAX_CODE_ATTEMPTS - latest.failed_attempts
        # Returned, not raised: the count is kept (see activate). The fifth wrong code locks.
        return _code_refusal(latest, now) or WorkflowError(
            _("The activation code is not right; %(n)d tries left.") % {"n": left},
            code="wrong_code",
        )
    if User.objects.filter(username__iexact=username).exists():
        raise WorkflowError(_("This login name is taken; choose another."), code="username_taken")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                email=firm.email,
                password=password,
                first_name=firm.contact_name,
                role=Role.ENTERPRISE,
                enterprise=firm,
                mobile=number,
            )
    except IntegrityError:  # the same name taken a moment ago
        raise WorkflowError(
            _("This login name is taken; choose another."), code="username_taken"
        ) from None
    latest.used_at = now
    latest.save(update_fields=["used_at"])
    # The task force vouched for the firm when it invited it.
    _verified(firm, firm.invited_by, now, user)
    _tell("firm.verified", firm, f"activated:{latest.pk}", {}, reverse("portal:home"))
    return user


# --- reads -------------------------------------------------------------------------------------------

TABS = ("pending", "refused", "no_account")


def _tab_filters() -> dict[str, Q]:
    return {
        "pending": Q(is_verified=False, refused_at__isnull=True),
        "refused": Q(is_verified=False, refused_at__isnull=False),
        "no_account": Q(has_account=False),
    }


def firms_for(actor: User) -> QuerySet[Enterprise]:
    """The firms of the actor's jurisdictions with whether each has an account; none for anyone
    but the task force (pages fetch through this, so another jurisdiction's firm is a 404)."""
    try:
        ids = scope(actor)
    except PermissionDenied:
        return Enterprise.objects.none()
    return Enterprise.objects.filter(jurisdiction_id__in=ids).annotate(
        has_account=Exists(User.objects.filter(enterprise=OuterRef("pk")))
    )


def queue(actor: User, tab: str) -> QuerySet[Enterprise]:
    """One tab of the queue: waiting oldest first; refused latest first; without account by name."""
    tab = tab if tab in TABS else "pending"
    order = {"pending": ("created_at", "pk"), "refused": ("-refused_at", "pk")}.get(
        tab, ("name", "pk")
    )
    return (
        firms_for(actor).filter(_tab_filters()[tab]).select_related("jurisdiction").order_by(*order)
    )


def tab_counts(actor: User) -> dict[str, int]:
    """The number of firms in each tab, in one query."""
    return firms_for(actor).aggregate(
        **{tab: Count("pk", filter=q) for tab, q in _tab_filters().items()}
    )


def awaiting_count(actor: User) -> int:
    return firms_for(actor).filter(_tab_filters()["pending"]).count()


def task_force_phone(firm: Enterprise) -> PhoneNumber | None:
    """The number a waiting firm calls: its jurisdiction's task force, else the jurisdiction's own
    liaison phone; None when neither is on record (one query)."""
    units = list(
        OrgUnit.objects.filter(
            Q(pk=firm.jurisdiction_id)
            | Q(parent_id=firm.jurisdiction_id, kind=UnitKind.TASK_FORCE, is_active=True)
        )
        .exclude(contact_phone="")
        .order_by("pk")
    )
    for unit in units:
        if unit.kind == UnitKind.TASK_FORCE:
            return unit.contact_phone
    return units[0].contact_phone if units else None
