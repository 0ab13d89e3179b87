"""The steps every workflow module takes the same way (docs/conventions.md C1): lock the row, fire
the transition or say why not, insist on a text.

petitions/workflow.py and meetings/workflow.py use these; meetings may import petitions, never the
reverse, so the kit lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from petitions.exceptions import WorkflowError
from petitions.models import OrgUnit, User

M = TypeVar("M", bound=models.Model)


def lock(model: type[M], pk: int, missing: str, *, related: Sequence[str] = ()) -> M:
    """The row `pk` of `model` with the `related` rows joined; only the row itself is locked until
    the transaction ends. `missing` is the message when there is no such row.
    """
    rows = model._default_manager.select_for_update(of=("self",))
    if related:  # select_related() without names would follow every foreign key
        rows = rows.select_related(*related)
    row = rows.filter(pk=pk).first()
    if row is None:
        raise WorkflowError(missing, code="missing")
    return row


def acting_unit(actor: User) -> OrgUnit:
    """The unit an official acts for; the access checks before it have already required one."""
    if actor.unit is None:
        raise PermissionDenied(_("You may not do this."))
    return actor.unit


def not_now(instance: Any, message: str) -> WorkflowError:
    """`message` names the current state through `%(state)s`."""
    return WorkflowError(
        message % {"state": instance.get_state_display()}, code="invalid_transition"
    )


def fire(instance: Any, name: str, refusal: str, /, **kwargs: object) -> None:
    """Fire the transition `name`, or refuse with `refusal` (see `not_now`) when it cannot happen now."""
    method = getattr(instance, name)
    if not can_proceed(method):
        raise not_now(instance, refusal)
    method(**kwargs)


def required(text: str | None, message: str) -> str:
    """The text stripped; refused with `message` when nothing is left."""
    text = (text or "").strip()
    if not text:
        raise WorkflowError(message, code="required")
    return text
