"""Seed the default time limits (docs/rules.md §5), confirmed calendar years, themes and enterprise tags."""

from django.db import migrations

DEFAULT_LIMITS = {
    "triage": (1, "working_days", "our default; Shantou 三(一)"),
    "confirm": (1, "working_days", "Shantou 三(二)"),
    "confirm_lower": (2, "working_days", "Shantou 三(二)"),
    "issue_letter": (1, "working_days", "our default; Shantou 三(二)"),
    "contact": (1, "working_days", "Shantou 三(三)"),
    "reply_consultation": (1, "working_days", "Shantou 三(三)"),
    "reply_suggestion": (2, "working_days", "Shantou 三(三)"),
    "reply_complaint": (3, "working_days", "Shantou 三(三)"),
    "reply_coordination": (15, "days", "our default; Uxin 二(四)"),
    "revisit": (3, "working_days", "our default; Shantou 三(六)"),
    "meeting_assign": (1, "working_days", "Uxin 二(四)"),
    "meeting_reply_single": (7, "days", "Uxin 二(四)"),
    "meeting_reply_multi": (15, "days", "Uxin 二(四)"),
    "catalogue": (4, "working_days", "Heyuan 四(二)"),
    "max_extensions": (2, "days", "Uxin 二(四); a count, the unit is ignored"),
}

# Years whose State Council schedule (with make-up working days) the `holidays` package carries.
OFFICIAL_YEARS = range(2020, 2027)

THEMES = [
    ("arrears", "清理拖欠企业账款"),
    ("financing", "融资"),
    ("individual_to_company", "个转企"),
    ("land", "用地"),
    ("approval", "审批"),
    ("factor_supply", "要素保障"),
    ("policy_delivery", "政策兑现"),
    ("talent", "人才与用工"),
    ("infrastructure", "水电气路网配套"),
    ("law_enforcement", "涉企执法检查"),
    ("other", "其他"),
]

TAGS = [
    ("above_size", "规上企业"),
    ("near_above_size", "即将上规"),
    ("near_below_size", "濒临下规"),
    ("in_negotiation", "在谈重点企业"),
    ("hometown", "乡贤企业"),
    ("deputy", "人大代表、政协委员企业"),
    ("acfic_executive", "工商联执委企业"),
    ("key_liaison", "重点联络对象"),
]


def seed(apps, schema_editor):
    policy = apps.get_model("petitions", "TimeLimitPolicy")
    for rule, (amount, unit, source) in DEFAULT_LIMITS.items():
        policy.objects.get_or_create(
            jurisdiction=None,
            rule=rule,
            defaults={"amount": amount, "unit": unit, "source": source},
        )
    year = apps.get_model("petitions", "CalendarYear")
    for y in OFFICIAL_YEARS:
        year.objects.get_or_create(
            year=y, defaults={"source": "国务院办公厅节假日安排（holidays 软件包）"}
        )
    theme = apps.get_model("petitions", "Theme")
    for code, name in THEMES:
        theme.objects.get_or_create(code=code, defaults={"name": name})
    tag = apps.get_model("petitions", "EnterpriseTag")
    for code, name in TAGS:
        tag.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
