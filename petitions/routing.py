"""The routing catalogue (派单目录, docs/rules.md §10): the proposal shown at assignment, and how often
staff take or replace it, so the task force can see which rules need improving."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import translation
from django.utils.translation import gettext as _

from petitions import levels
from petitions.exceptions import WorkflowError
from petitions.models import OrgUnit, Petition, Role, RoutingRule, Theme, User


def proposal(petition: Petition) -> RoutingRule | None:
    """The rule for the petition's theme in its current jurisdiction, if the catalogue has one."""
    if not petition.theme_id:
        return None
    return (
        RoutingRule.objects.filter(
            jurisdiction_id=petition.jurisdiction_id, theme_id=petition.theme_id
        )
        .select_related("unit", "theme")
        .prefetch_related("co_units")
        .first()
    )


def record_choice(petition: Petition, chosen: OrgUnit) -> None:
    """Count the proposal as taken or overridden; an update, so the rule's history stays clean."""
    if not petition.theme_id:
        return
    rules = RoutingRule.objects.filter(
        jurisdiction_id=petition.jurisdiction_id, theme_id=petition.theme_id
    )
    rules.update(times_proposed=F("times_proposed") + 1)
    rules.exclude(unit=chosen).update(times_overridden=F("times_overridden") + 1)


# Default lead (and co-handlers) per theme, found by words in the unit's name: a city's 自然资源局 and
# a district's 自然资源分局 both match. The first word that matches a unit wins (docs/rules.md §10).
DEFAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "arrears": (("工业和信息化", "工信", "经济"), ("财政",)),
    "financing": (("金融", "工业和信息化", "工信", "经济"), ()),
    "individual_to_company": (("市场监督", "市场监管"), ("税务",)),
    "land": (("自然资源",), ("住房和城乡建设", "住建")),
    "approval": (("政务服务", "行政审批"), ()),
    "factor_supply": (("发展和改革", "发改", "经济"), ("工业和信息化", "工信")),
    "policy_delivery": (("工业和信息化", "工信", "经济"), ("财政",)),
    "talent": (("人力资源", "人社"), ()),
    "infrastructure": (("住房和城乡建设", "住建", "城市管理"), ("供电",)),
    "law_enforcement": (("市场监督", "市场监管", "司法"), ()),
    "other": (("工业和信息化", "工信", "经济"), ()),
}


def _match(units: list[OrgUnit], words: tuple[str, ...]) -> OrgUnit | None:
    for word in words:
        for unit in units:
            if word in unit.name:
                return unit
    return None


def seed_defaults(jurisdiction: OrgUnit) -> int:
    """Add the default rule for every theme the jurisdiction has no rule for yet; existing rules are
    the task force's and stay as they are. Returns how many rules were added."""

    units = list(levels.lead_units(jurisdiction).order_by("name"))
    have = set(
        RoutingRule.objects.filter(jurisdiction=jurisdiction).values_list("theme__code", flat=True)
    )
    added = 0
    for theme in Theme.objects.exclude(code__in=have).order_by("code"):
        lead_words, co_words = DEFAULTS.get(theme.code, ((), ()))
        lead = _match(units, lead_words)
        if lead is None:
            continue
        rule = RoutingRule.objects.create(
            jurisdiction=jurisdiction, theme=theme, unit=lead, note=_default_note()
        )
        co = [
            unit
            for word in co_words
            if (unit := _match(units, (word,))) is not None and unit.pk != lead.pk
        ]
        rule.co_units.set(co[:1])
        added += 1
    return added


def _default_note() -> str:

    # Stored text: in the site's language, whoever runs the seeding.
    with translation.override(settings.LANGUAGE_CODE):
        return _("Default of the catalogue; edit it to suit this jurisdiction.")


# --- the task force edits its catalogue (docs/rules.md §10) --------------------------------------------


def _require_keeper(actor: User, jurisdiction: OrgUnit) -> None:
    """Only the task force that runs the jurisdiction keeps its catalogue: its own, or a parent's
    standing in for it (docs/rules.md §1)."""
    if not (
        actor.has_role(Role.TASK_FORCE)
        and actor.unit_id is not None
        and jurisdiction.pk in levels.acting_ids(actor.unit)
    ):
        raise PermissionDenied(_("Only the task force of this jurisdiction keeps its catalogue."))


@transaction.atomic
def save_rule(
    *,
    actor: User,
    jurisdiction: OrgUnit,
    theme: Theme,
    unit: OrgUnit,
    co_units: Iterable[OrgUnit] = (),
    note: str = "",
) -> RoutingRule:
    """Create or change the rule of one theme; the lead must be able to lead here and the
    co-handlers to co-handle here (the same sets as at assignment, petitions/levels.py)."""

    _require_keeper(actor, jurisdiction)
    if not levels.lead_units(jurisdiction).filter(pk=unit.pk).exists():
        raise WorkflowError(
            _("%(unit)s cannot lead a petition of this jurisdiction.") % {"unit": unit.name},
            code="bad_unit",
        )
    co_units = list(co_units)
    allowed = set(
        levels.co_units(jurisdiction)
        .filter(pk__in=[u.pk for u in co_units])
        .values_list("pk", flat=True)
    )
    for co in co_units:
        if co.pk not in allowed:
            raise WorkflowError(
                _("%(unit)s cannot co-handle a petition of this jurisdiction.") % {"unit": co.name},
                code="bad_co_unit",
            )
        if co.pk == unit.pk:
            raise WorkflowError(_("The lead unit cannot also be a co-handler."), code="bad_co_unit")
    rule = (
        RoutingRule.objects.select_for_update()
        .filter(jurisdiction=jurisdiction, theme=theme)
        .first()
    )
    if rule is None:
        rule = RoutingRule(jurisdiction=jurisdiction, theme=theme)
    rule.unit, rule.note = unit, note.strip()
    rule.save()
    rule.co_units.set(co_units)
    return rule


@transaction.atomic
def delete_rule(*, actor: User, jurisdiction: OrgUnit, theme: Theme) -> bool:
    """Remove the rule of one theme (its history stays); False when there was none."""
    _require_keeper(actor, jurisdiction)
    rule = (
        RoutingRule.objects.select_for_update()
        .filter(jurisdiction=jurisdiction, theme=theme)
        .first()
    )
    if rule is None:
        return False
    rule.delete()
    return True


@transaction.atomic
def fill_defaults(*, actor: User, jurisdiction: OrgUnit) -> int:
    """The task force's button: the defaults for the themes without a rule, all or none."""
    _require_keeper(actor, jurisdiction)
    return seed_defaults(jurisdiction)


# --- reading the catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One theme of a jurisdiction's catalogue, with its rule if it has one."""

    theme: Theme
    rule: RoutingRule | None
    # False when the rule's lead can no longer lead here (moved or deactivated): fix the rule.
    offerable: bool = True

    @property
    def override_rate(self) -> int | None:
        """Per cent of the proposals staff replaced; None before the first proposal."""
        if self.rule is None or not self.rule.times_proposed:
            return None
        return round(100 * self.rule.times_overridden / self.rule.times_proposed)


def catalogue(jurisdiction: OrgUnit) -> list[Entry]:
    """Every active theme, and any inactive one that still has a rule, in code order (3 queries)."""

    rules = {
        rule.theme_id: rule
        for rule in RoutingRule.objects.filter(jurisdiction=jurisdiction)
        .select_related("unit")
        .prefetch_related(Prefetch("co_units", queryset=OrgUnit.objects.order_by("name")))
    }
    lead_ids = set(levels.lead_units(jurisdiction).values_list("pk", flat=True))
    themes = Theme.objects.filter(Q(is_active=True) | Q(pk__in=list(rules))).order_by("code")
    return [
        Entry(
            theme=theme,
            rule=(rule := rules.get(theme.pk)),
            offerable=rule is None or rule.unit_id in lead_ids,
        )
        for theme in themes
    ]
