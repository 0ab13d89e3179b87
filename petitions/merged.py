"""What a firm is told about its petition merged into another as a duplicate (重复件).

A firm learns that its request joined a case already being handled, and by whom (the lead unit once
the transfer letter is out, else the task force), never another firm's petition: its number, title
or text are that firm's (docs/rules.md, "Confidentiality"). Its own earlier petition it may see by
number. The timeline note written at the merge and the portal page read from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from petitions.models import Petition


@dataclass(frozen=True)
class Merged:
    text: str
    handler: str
    own_original: Petition | None  # the firm's own petition it joined, else None


def handler_name(original: Petition) -> str:
    """Who handles the case, as the firm's own pages say it: the unit only once it was assigned."""
    if original.transfer_letter_issued_at is not None and original.lead_unit_id is not None:
        return original.lead_unit.name
    return _("the task force")


def describe(petition: Petition, original: Petition) -> Merged:
    if original.enterprise_id == petition.enterprise_id:
        text = _("Merged into %(number)s, which is already being handled.") % {
            "number": original.number
        }
        return Merged(text=text, handler=handler_name(original), own_original=original)
    if original.transfer_letter_issued_at is not None and original.lead_unit_id is not None:
        text = _("Your request joined a case already being handled by %(unit)s.") % {
            "unit": original.lead_unit.name
        }
    else:
        text = _("Your request joined a case the task force is already handling.")
    return Merged(text=text, handler=handler_name(original), own_original=None)


def for_firm(petition: Petition) -> Merged | None:
    """The merge as the firm's portal page shows it (one query), or None if not merged."""
    if petition.duplicate_of_id is None:
        return None
    original = (
        Petition.objects.select_related("lead_unit")
        .only("number", "enterprise_id", "transfer_letter_issued_at", "lead_unit__name")
        .get(pk=petition.duplicate_of_id)
    )
    return describe(petition, original)
