"""Excel columns ↔ fields (docs/conventions.md C10: resources only map columns; petitions/imports.py runs imports).

The column headers are the file format the governments' own spreadsheets use, so they are fixed
Chinese strings, not translated interface text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from petitions.models import (
    JURISDICTION_KINDS,
    Channel,
    Enterprise,
    EnterpriseTag,
    OrgUnit,
    Ownership,
    Petition,
    PetitionType,
    Rating,
    State,
    Theme,
)
from petitions.validators import normalise_uscc

# --- cells ---------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as text: Excel stores a phone number or a ticket number typed as digits as a number."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value: object, row: dict | None = None, **kwargs: object) -> str:
        return cell_text(value)


class UsccWidget(TextWidget):
    def clean(self, value: object, row: dict | None = None, **kwargs: object) -> str:
        return normalise_uscc(cell_text(value))


def labels(choices: type) -> dict[str, str]:
    """Every spelling a person may type for a choice: its code, its Chinese and English labels."""
    found: dict[str, str] = {}
    for value, label in choices.choices:
        found[value.lower()] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                found[str(label).lower()] = value
    return found


class ChoiceWidget(widgets.Widget):
    """A choice given by its label (民营, 投诉) or its code; the label on export."""

    def __init__(self, choices: type, **kwargs: object) -> None:
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value: object, row: dict | None = None, **kwargs: object) -> str:
        text = cell_text(value)
        if not text:
            return ""
        found = labels(self.choices).get(text.lower())
        if found is None:
            allowed = "、".join(str(label) for label in self.choices.labels)
            raise ValueError(
                _("“%(value)s” is not one of: %(allowed)s.") % {"value": text, "allowed": allowed}
            )
        return found

    def render(self, value: object, obj: object = None, **kwargs: object) -> str:
        return str(self.choices(value).label) if value else ""


class JurisdictionWidget(widgets.ForeignKeyWidget):
    """A jurisdiction (city, district or zone) by name, among those the importing user covers."""

    def __init__(self, **kwargs: object) -> None:
        self.allowed_ids: list[int] = []
        super().__init__(OrgUnit, field="name", **kwargs)

    def get_queryset(self, value: object, row: dict, *args: object, **kwargs: object) -> QuerySet:
        return OrgUnit.objects.filter(pk__in=self.allowed_ids, kind__in=JURISDICTION_KINDS)

    def clean(self, value: object, row: dict | None = None, **kwargs: object) -> OrgUnit | None:
        name = cell_text(value)
        if not name:
            return None
        try:
            return self.get_queryset(name, row).get(name=name)
        except OrgUnit.DoesNotExist:
            raise ValueError(
                _(
                    "Unknown jurisdiction “%(name)s”: use the name of a city, district or zone you cover."
                )
                % {"name": name}
            ) from None
        except OrgUnit.MultipleObjectsReturned:
            raise ValueError(
                _("More than one jurisdiction is called “%(name)s”.") % {"name": name}
            ) from None


TAG_SEPARATORS = re.compile(r"[,，;；]")  # not 、: a tag name may contain it


class TagsWidget(widgets.ManyToManyWidget):
    """Tag names separated by commas; an unknown name is an error, not silently dropped."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(EnterpriseTag, separator=",", field="name", **kwargs)

    def clean(self, value: object, row: dict | None = None, **kwargs: object) -> QuerySet:
        names = [n.strip() for n in TAG_SEPARATORS.split(cell_text(value)) if n.strip()]
        if not names:
            return EnterpriseTag.objects.none()
        found = EnterpriseTag.objects.filter(name__in=names)
        unknown = sorted(set(names) - {t.name for t in found})
        if unknown:
            raise ValueError(_("Unknown tags: %(names)s.") % {"names": "、".join(unknown)})
        return found

    def render(self, value: object, obj: object = None, **kwargs: object) -> str:
        return "，".join(t.name for t in value.all()) if value is not None else ""


class ReceivedAtWidget(widgets.Widget):
    """A date and time as Excel stores it, or typed as 2026-03-02 10:15 (Beijing time)."""

    FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")

    def clean(self, value: object, row: dict | None = None, **kwargs: object) -> datetime | None:
        if value in (None, ""):
            return None
        zone = timezone.get_current_timezone()
        if isinstance(value, datetime):
            moment = value if timezone.is_aware(value) else value.replace(tzinfo=zone)
        elif isinstance(value, date):
            moment = datetime.combine(value, time.min, tzinfo=zone)
        else:
            text = cell_text(value)
            for pattern in self.FORMATS:
                try:
                    moment = datetime.strptime(text, pattern).replace(tzinfo=zone)
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(
                    _("“%(value)s” is not a date and time such as 2026-03-02 10:15.")
                    % {"value": text}
                )
        return moment


class ThemeWidget(widgets.ForeignKeyWidget):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(Theme, field="name", **kwargs)

    def clean(self, value: object, row: dict | None = None, **kwargs: object) -> Theme | None:
        name = cell_text(value)
        if not name:
            return None
        theme = Theme.objects.filter(name=name).first() or Theme.objects.filter(code=name).first()
        if theme is None:
            raise ValueError(_("Unknown theme “%(name)s”.") % {"name": name})
        return theme


# --- enterprise registry ----------------------------------------------------------------------


class EnterpriseResource(resources.ModelResource):
    """The enterprise registry (docs/rules.md §2); a row updates the firm with the same code."""

    uscc = fields.Field("uscc", "统一社会信用代码", widget=UsccWidget())
    name = fields.Field("name", "企业名称", widget=TextWidget())
    legal_representative = fields.Field("legal_representative", "法定代表人", widget=TextWidget())
    contact_name = fields.Field("contact_name", "联系人", widget=TextWidget())
    contact_phone = fields.Field("contact_phone", "联系电话", widget=TextWidget())
    address = fields.Field("address", "地址", widget=TextWidget())
    jurisdiction = fields.Field("jurisdiction", "所属辖区", widget=JurisdictionWidget())
    industry = fields.Field("industry", "行业", widget=TextWidget())
    ownership = fields.Field(
        "ownership", "所有制", widget=ChoiceWidget(Ownership), default=Ownership.PRIVATE
    )
    tags = fields.Field("tags", "标签", widget=TagsWidget())

    class Meta:
        model = Enterprise
        fields = (
            "uscc",
            "name",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "address",
            "jurisdiction",
            "industry",
            "ownership",
            "tags",
        )
        import_id_fields = ("uscc",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        use_transactions = True

    def __init__(self, *, jurisdiction_ids: list[int], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.jurisdiction_ids = jurisdiction_ids
        self.fields["jurisdiction"].widget.allowed_ids = jurisdiction_ids

    def get_queryset(self) -> QuerySet[Enterprise]:
        """Only firms of the user's jurisdictions are updated; a code registered elsewhere is refused."""
        return Enterprise.objects.filter(jurisdiction_id__in=self.jurisdiction_ids)

    def import_instance(self, instance: Enterprise, row: dict, **kwargs: object) -> None:
        """Check the tags too before anything is saved (the library sets many-to-many fields late)."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        field = self.fields["tags"]
        if field.column_name in row:
            try:
                field.clean(row)
            except ValueError as e:
                errors["tags"] = [ValidationError(str(e), code="invalid")]
        if errors:
            raise ValidationError(errors)


ENTERPRISE_HEADERS = (
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "联系人",
    "联系电话",
    "地址",
    "所属辖区",
    "行业",
    "所有制",
    "标签",
)


# --- 12345 tickets ---------------------------------------------------------------------------------


class TicketResource(resources.Resource):
    """A 12345 ticket transferred to the task force; registered through `workflow.register`."""

    ref = fields.Field("ref", "工单编号", widget=TextWidget())
    uscc = fields.Field("uscc", "统一社会信用代码", widget=UsccWidget())
    received_at = fields.Field("received_at", "受理时间", widget=ReceivedAtWidget())
    type = fields.Field("type", "类型", widget=ChoiceWidget(PetitionType))
    theme = fields.Field("theme", "主题", widget=ThemeWidget())
    title = fields.Field("title", "标题", widget=TextWidget())
    content = fields.Field("content", "内容", widget=TextWidget())
    request = fields.Field("request", "诉求", widget=TextWidget())

    CHANNEL = Channel.HOTLINE_12345

    def parse(self, row: dict) -> tuple[dict, dict[str, str]]:
        """The row's values by field name, and an error message per column that could not be read."""
        values: dict = {}
        errors: dict[str, str] = {}
        for name, field in self.fields.items():
            try:
                values[name] = field.clean(row)
            except ValueError as e:
                errors[field.column_name] = str(e)
        return values, errors


TICKET_HEADERS = (
    "工单编号",
    "统一社会信用代码",
    "受理时间",
    "类型",
    "主题",
    "标题",
    "内容",
    "诉求",
)


# --- the ledger (search export) --------------------------------------------------------------------


class LedgerResource(resources.ModelResource):
    """The petitions ledger (台账) exported from a search, one row per petition."""

    number = fields.Field("number", "编号")
    enterprise = fields.Field("enterprise__name", "企业")
    uscc = fields.Field("enterprise__uscc", "统一社会信用代码")
    channel = fields.Field("channel", "渠道", widget=ChoiceWidget(Channel))
    type = fields.Field("type", "类型", widget=ChoiceWidget(PetitionType))
    theme = fields.Field("theme__name", "主题")
    title = fields.Field("title", "标题")
    state = fields.Field("state", "状态", widget=ChoiceWidget(State))
    lead_unit = fields.Field("lead_unit__name", "承办单位")
    co_units = fields.Field(column_name="协办单位")
    received_at = fields.Field(column_name="受理时间")
    due_on = fields.Field(column_name="到期日")
    concluded_at = fields.Field(column_name="办结时间")
    rating = fields.Field(column_name="评价")

    class Meta:
        model = Petition
        fields = (
            "number",
            "enterprise",
            "uscc",
            "channel",
            "type",
            "theme",
            "title",
            "state",
            "lead_unit",
            "co_units",
            "received_at",
            "due_on",
            "concluded_at",
            "rating",
        )
        export_order = (
            "number",
            "enterprise",
            "uscc",
            "channel",
            "type",
            "theme",
            "title",
            "state",
            "lead_unit",
            "co_units",
            "received_at",
            "due_on",
            "concluded_at",
            "rating",
        )

    def dehydrate_co_units(self, petition: Petition) -> str:
        return "、".join(u.name for u in petition.co_units.all())

    def dehydrate_received_at(self, petition: Petition) -> str:
        return f"{timezone.localtime(petition.received_at):%Y-%m-%d %H:%M}"

    def dehydrate_due_on(self, petition: Petition) -> str:
        return f"{petition.due_on:%Y-%m-%d}" if petition.due_on else ""

    def dehydrate_concluded_at(self, petition: Petition) -> str:
        if not petition.concluded_at:
            return ""
        return f"{timezone.localtime(petition.concluded_at):%Y-%m-%d %H:%M}"

    def dehydrate_rating(self, petition: Petition) -> str:
        valid = [e for e in petition.evaluations.all() if e.is_valid]
        return str(Rating(valid[-1].rating).label) if valid else ""
