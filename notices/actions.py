"""What people do to notices from a page: send a failed one again, turn kinds of notice off or on.

One atomic, keyword-only function per action taking the acting user (docs/conventions.md C1): it
checks who may act, locks what it changes and leaves the sending to the worker after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import tasks
from notices.catalogue import Kind, kinds_for
from notices.models import Channel, Delivery, OptOut, Status
from petitions import access
from petitions.exceptions import WorkflowError
from petitions.models import Role, User
from zqztc import queue

log = logging.getLogger(__name__)

# The catalogue's audiences each role hears as (notices/catalogue.py). "person" is every account
# (verification codes); the supervision office is told nothing by petition events.
AUDIENCES = {
    Role.ENTERPRISE: ("firm", "person"),
    Role.HANDLER: ("unit", "person"),
    Role.LEADER: ("leader", "person"),
    Role.TASK_FORCE: ("task_force", "person"),
    Role.SUPERVISOR: ("person",),
}
# The channels a person may turn off; in-app notices always stay on the site.
OPTIONAL_CHANNELS = (Channel.EMAIL, Channel.SMS)


@transaction.atomic
def retry(*, delivery_id: int, actor: User) -> Delivery:
    """Send a failed delivery again now: back to pending, due at once, and queued after commit.

    Only the task force of the petition's jurisdiction (a delivery with no petition: a superuser).
    Attempts are kept, so the worker makes one more try and gives up again at once if it fails
    (notices/sender.py MAX_ATTEMPTS); the last failure stays as the reason until it is replaced.
    """
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("petition")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise WorkflowError(_("This notice does not exist."), code="missing")
    if not actor.is_superuser:
        if delivery.petition is None:
            raise PermissionDenied(_("Only the task force of this jurisdiction may do this."))
        access.require_task_force(actor, delivery.petition)
    if delivery.status != Status.FAILED:
        raise WorkflowError(
            _("Only a failed notice can be sent again; this one is “%(status)s”.")
            % {"status": delivery.get_status_display()},
            code="not_failed",
        )
    delivery.status = Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.lease_until = None
    delivery.save(update_fields=["status", "next_attempt_at", "lease_until"])
    log.info("delivery %s sent again at the request of %s", delivery.key, actor.username)
    queue.on_commit(tasks.deliver, [delivery.pk])
    return delivery


def kinds_of(user: User) -> list[Kind]:
    """The kinds of notice this person can receive, in the catalogue's order."""
    audiences = AUDIENCES.get(user.role, ())
    return [kind for audience in audiences for kind in kinds_for(audience)]


def choices_of(user: User) -> list[tuple[Kind, str]]:
    """Every (kind, channel) this person may turn off: not mandatory, not in-app, a channel the kind uses."""
    return [
        (kind, channel)
        for kind in kinds_of(user)
        if not kind.mandatory
        for channel in OPTIONAL_CHANNELS
        if channel in kind.channels
    ]


@transaction.atomic
def set_opt_outs(*, actor: User, off: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Make the person's turned-off (kind, channel) pairs exactly `off`, among those they may turn off.

    Pairs they may not turn off (mandatory kinds, in-app, another audience's kinds) are ignored
    whatever was posted; opt-outs outside their current choices (e.g. from a former role) are left
    alone. Returns the pairs now turned off.
    """
    allowed = {(kind.code, channel) for kind, channel in choices_of(actor)}
    wanted = {(kind, channel) for kind, channel in off if (kind, channel) in allowed}
    # Lock the person's row: two saves of the same page at once end with one of them, not a mix.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    current = set(OptOut.objects.filter(user=actor).values_list("kind", "channel")) & allowed
    for kind, channel in current - wanted:
        OptOut.objects.filter(user=actor, kind=kind, channel=channel).delete()
    OptOut.objects.bulk_create(
        [OptOut(user=actor, kind=kind, channel=channel) for kind, channel in wanted - current],
        ignore_conflicts=True,
    )
    return wanted
