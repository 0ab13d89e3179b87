"""Form fields shared by the staff workbench and the meetings pages: units and leaders by name."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from petitions.models import OrgUnit, User


def textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.name


class UnitsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.name


class LeaderChoiceField(forms.ModelChoiceField):
    """A leader as 姓名（单位）, so two leaders of the same name can be told apart."""

    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name}（{obj.unit.name}）" if obj.unit_id else name


def login_name_field() -> forms.CharField:
    """The login name a firm chooses at sign-up or activation."""
    return forms.CharField(
        label=_("Login name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only; you log in with it."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


def new_password_fields() -> tuple[forms.CharField, forms.CharField]:
    """A new password and the same again (the form's clean() compares them)."""
    return (
        forms.CharField(
            label=_("Password"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            help_text=password_validation.password_validators_help_text_html(),
        ),
        forms.CharField(
            label=_("Password again"),
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        ),
    )
