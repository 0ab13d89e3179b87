"""The routing catalogue (派单目录, docs/rules.md §10): the proposal shown at assignment, and how often
staff take or replace it, so the task force can see which rules need improving."""

from __future__ import annotations

from django.db.models import F

from petitions.models import OrgUnit, Petition, RoutingRule


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
    from petitions import levels
    from petitions.models import Theme

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
    from django.conf import settings
    from django.utils import translation
    from django.utils.translation import gettext

    # Stored text: in the site's language, whoever runs the seeding.
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Default of the catalogue; edit it to suit this jurisdiction.")
