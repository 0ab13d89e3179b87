"""Forms of the department handler's pages. They check shape; petitions/workflow.py checks rules
(docs/conventions.md C6): each form's `cleaned_data` goes to one workflow function as keyword arguments."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions import levels
from petitions.models import ContactMethod, OrgUnit, Petition, PetitionType, ReturnReason, Theme
from petitions.uploads import MAX_FILES
from zqztc.dates import PastDateTimeField, SaneDateFilter
from zqztc.forms import Form

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def text_area(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# --- inbox filters ----------------------------------------------------------------------------


class InboxFilterForm(Form):
    """The filter form's layout: small inputs in one row on wide screens."""


class InboxFilter(django_filters.FilterSet):
    """Type, theme, jurisdiction, received date range, and a text search (the issue's filters).

    The search is a case-insensitive substring match (icontains) on the number, the firm's name, the
    title and the content. It always runs inside one unit's inbox, already narrowed by the indexed
    unit columns to at most a few tens of thousands of rows, so a scan of those is cheap. PostgreSQL's
    built-in full-text search does not segment Chinese (it needs zhparser or pg_jieba), so it would
    not find words inside a sentence; a pg_trgm GIN index is the next step if a unit's history grows
    far beyond that.
    """

    q = django_filters.CharFilter(method="search", label=_("Search"))
    type = django_filters.ChoiceFilter(choices=PetitionType.choices, label=_("Type"))
    theme = django_filters.ModelChoiceFilter(
        queryset=Theme.objects.filter(is_active=True), label=_("Theme")
    )
    jurisdiction = django_filters.ModelChoiceFilter(
        queryset=lambda request: jurisdictions_for(request.user.unit), label=_("Jurisdiction")
    )
    received_from = SaneDateFilter(
        field_name="received_at",
        lookup_expr="date__gte",
        label=_("Received from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = SaneDateFilter(
        field_name="received_at",
        lookup_expr="date__lte",
        label=_("Received to"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Petition
        fields: list[str] = []
        form = InboxFilterForm

    def search(self, queryset: QuerySet[Petition], name: str, value: str) -> QuerySet[Petition]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(enterprise__name__icontains=value)
            | Q(title__icontains=value)
            | Q(content__icontains=value)
        )

    @property
    def is_active(self) -> bool:
        """True when the person asked for any filter or search (the form is valid by then)."""
        data = self.form.cleaned_data
        return any(data.get(name) not in (None, "") for name in self.filters)


def jurisdictions_for(unit: OrgUnit | None) -> QuerySet[OrgUnit]:
    """The jurisdictions a unit's petitions can come from: the top of its tree and the levels
    directly below (a district department handles city and district petitions)."""
    if unit is None:
        return OrgUnit.objects.none()
    top = levels.top_of(unit)
    return (
        OrgUnit.objects.jurisdictions()
        .filter(Q(pk=top.pk) | Q(parent_id=top.pk))
        .order_by(F("parent_id").asc(nulls_first=True), "kind", "name")
    )


# --- actions ----------------------------------------------------------------------------------


class ActionForm(Form):
    """An action card's form: several share a page, so each is prefixed with its action's name."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ConfirmForm(ActionForm):
    """签收: nothing to fill in; the button is the confirmation."""


class ReturnForm(ActionForm):
    """退回 with a standard reason and an explanation; optionally the unit that should handle it."""

    reason_code = forms.ChoiceField(
        label=_("Reason"), choices=[("", "---------"), *ReturnReason.choices]
    )
    reason = forms.CharField(label=_("Explanation"), widget=text_area(3))
    suggested_unit = forms.ModelChoiceField(
        label=_("Unit that should handle it"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Optional: helps the task force reassign it quickly."),
    )

    def __init__(self, *args: object, unit: OrgUnit, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        top = levels.top_of(unit)
        self.fields["suggested_unit"].queryset = (
            OrgUnit.objects.handling_units()
            .filter(is_active=True)
            .filter(Q(parent_id=top.pk) | Q(parent__parent_id=top.pk))
            .exclude(pk=unit.pk)
            .order_by("kind", "name")
        )


class ContactForm(ActionForm):
    """The lead unit's contact with the firm (Shantou 三(三))."""

    contacted_at = PastDateTimeField(
        label=_("Contacted at"),
        error_messages={"future": _("The contact time cannot be in the future.")},
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    method = forms.ChoiceField(label=_("Method"), choices=ContactMethod.choices)
    summary = forms.CharField(
        label=_("Summary"),
        widget=text_area(3),
        help_text=_("Who you spoke with and what the enterprise needs."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault(
            "initial", {"contacted_at": timezone.localtime().replace(second=0, microsecond=0)}
        )
        super().__init__(*args, **kwargs)


class ProgressForm(ActionForm):
    """Weekly progress while unresolved (Shantou 三(四))."""

    text = forms.CharField(label=_("Progress this week"), widget=text_area(4))


class ExtensionForm(ActionForm):
    """延期: a stated reason (Uxin 二(四)); the task force decides."""

    reason = forms.CharField(label=_("Reason"), widget=text_area(3))
    amount = forms.IntegerField(
        label=_("Extra time"),
        min_value=1,
        max_value=60,
        help_text=_("In the unit of the reply limit (working days or days)."),
    )


class OpinionForm(ActionForm):
    """A co-handler's opinion to the lead unit (Uxin 附件2 注1)."""

    text = forms.CharField(label=_("Opinion"), widget=text_area(5))


class ReplyForm(ActionForm):
    """办理结果: the lead unit's reply to the firm and the task force."""

    text = forms.CharField(
        label=_("Reply to the enterprise"),
        widget=text_area(6),
        help_text=_("The enterprise reads this. Consolidate the co-handlers' opinions."),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class DocumentForm(ActionForm):
    """Documents from the unit: internal unless the enterprise should see them."""

    files = MultipleFileField(
        label=_("Files"),
        required=False,
        help_text=_("PDF, images or Office documents; at most %(n)d files of 10 MB each.")
        % {"n": MAX_FILES},
    )
    note = forms.CharField(label=_("Note"), required=False, widget=text_area(2))
    visible_to_firm = forms.BooleanField(
        label=_("The enterprise may see these documents"), required=False, initial=False
    )

    def clean_files(self) -> list:
        from petitions.uploads import validate_uploads

        return validate_uploads(self.cleaned_data.get("files") or [])
