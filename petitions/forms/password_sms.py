"""Password reset by SMS code: the shape of the two pages (petitions/views/password_sms.py checks
the code and the password rules; docs/conventions.md C6)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from petitions.forms.portal import MobileField
from zqztc.forms import Form

CODE_LENGTH = 6


class CodeRequestForm(Form):
    mobile = MobileField(
        help_text=_("The mobile number saved on your account."),
    )


class CodeResetForm(Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "20"}
        ),
    )
    # Shown only when several accounts share the number, once the code is known to be right.
    username = forms.CharField(label=_("Login name"), max_length=150, required=False)
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != CODE_LENGTH or not (code.isascii() and code.isdigit()):
            raise ValidationError(
                _("The code has 6 digits; type it as it is in the SMS."), code="code_shape"
            )
        return code

    def clean(self) -> dict:
        data = super().clean()
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two passwords do not match."))
        return data
