"""Choice lists of the petition domain (docs/rules.md §3, §4, §7)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Not accepted")
    DUPLICATE = "duplicate", _("Merged as duplicate")
    ACCEPTED = "accepted", _("Accepted")
    PROPOSED = "proposed", _("Awaiting confirmation")
    RETURNED = "returned", _("Returned by unit")
    CONFIRMED = "confirmed", _("Confirmed by unit")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting leader approval")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    REPLIED = "replied", _("Replied")
    CONCLUDED = "concluded", _("Concluded")
    ARCHIVED = "archived", _("Archived")


# States in which someone still owes work; everything else is finished.
OPEN_STATES = (
    State.REGISTERED,
    State.ACCEPTED,
    State.PROPOSED,
    State.RETURNED,
    State.CONFIRMED,
    State.AWAITING_APPROVAL,
    State.ASSIGNED,
    State.IN_PROGRESS,
    State.REPLIED,
)
# Handling has begun and not ended: what the supervision ledger and the Thursday reports cover.
HANDLING_STATES = (State.ASSIGNED, State.IN_PROGRESS)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Web portal")
    HOTLINE_12345 = "hotline_12345", _("12345 hotline transfer")
    VISIT = "visit", _("Visit or field research")
    MEETING = "meeting", _("Face-to-face meeting or talks")
    MEAL_OR_PHONE = "meal_or_phone", _("Breakfast or dinner meeting, phone call")
    PROVINCIAL_APP = "provincial_app", _("Provincial enterprise app")
    DEPUTY = "deputy", _("NPC deputy or CPPCC member")
    ACFIC = "acfic", _("Federation of industry and commerce")
    HOTLINE_96888 = "hotline_96888", _("96888 enterprise hotline")
    SERVICE_HALL = "service_hall", _("Service hall window")


class PetitionType(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    SUGGESTION = "suggestion", _("Suggestion")
    COMPLAINT = "complaint", _("Complaint")
    COORDINATION = "coordination", _("Problem needing coordination")


class Tier(models.TextChoices):
    GENERAL = "general", _("General: handled by the department")
    COMPLEX = "complex", _("Complex: joint consultation")
    KEY = "key", _("Key: coordinated by a leader")
    MAJOR = "major", _("Major: special meeting")


class ScopeClass(models.TextChoices):
    OVERALL = "overall", _("Overall work")
    DEPARTMENTAL = "departmental", _("Departmental task")


class DemandClass(models.TextChoices):
    COMMON = "common", _("Common need")
    INDIVIDUAL = "individual", _("Individual request")


class NatureClass(models.TextChoices):
    POLICY = "policy", _("Policy measure")
    PROCEDURE = "procedure", _("Procedure")


class AgeClass(models.TextChoices):
    EXISTING = "existing", _("Existing problem")
    NEW = "new", _("New problem")


class RejectReason(models.TextChoices):
    """The ten grounds for not accepting a petition (Shantou 二)."""

    SECRETS = "secrets", _("Involves state secrets, trade secrets or personal privacy")
    MILITARY = "military", _("Military or national-security matter")
    NON_GOVERNMENT = "non_government", _("Function of a non-government body")
    OTHER_PROCEDURE = (
        "other_procedure",
        _(
            "In litigation, arbitration, review, petition-letter, supervision or disclosure procedures"
        ),
    )
    CONCLUDED = "concluded", _("Already lawfully concluded, raised again on the same grounds")
    EMERGENCY = "emergency", _("Emergency for 110, 119, 120 or 122")
    UNCLEAR = "unclear", _("Unclear content, no concrete request or unreachable")
    UNLAWFUL = "unlawful", _("Against laws, regulations or public order")
    HARMS_OTHERS = "harms_others", _("Harms the lawful rights of others")
    OUT_OF_SCOPE = "out_of_scope", _("Otherwise out of scope")


class ReturnReason(models.TextChoices):
    NOT_OUR_REMIT = "not_our_remit", _("Not within our remit")
    OTHER_UNIT_LEADS = "other_unit_leads", _("Another unit should lead")
    INSUFFICIENT = "insufficient", _("Information insufficient to handle")
    OTHER = "other", _("Other")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Step(models.TextChoices):
    """A step with a time limit; each open one is a Deadline row."""

    TRIAGE = "triage", _("Triage")
    CONFIRM = "confirm", _("Confirm receipt")
    ISSUE_LETTER = "issue_letter", _("Issue transfer letter")
    CONTACT = "contact", _("Contact the enterprise")
    REPLY = "reply", _("Reply")
    REVISIT = "revisit", _("Revisit")
