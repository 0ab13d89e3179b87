"""My account: the shape of the e-mail and mobile-number forms (petitions/views/profile.py checks
the rules: the current password, limits, the code; docs/conventions.md C6)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from petitions.forms.password_sms import CodeResetForm
from petitions.forms.portal import MobileField
from petitions.models import Role, User
from zqztc.forms import Form


def current_password() -> forms.CharField:
    """The account's password, asked before a recovery channel (e-mail, mobile) moves, so that a
    session left open or stolen cannot take the account over. Never shown back (PasswordInput)."""
    return forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,  # bounds the hashing work; no real password is longer
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your current password to confirm the change.")},
    )


class EmailForm(Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Officials need an e-mail address: your notices are sent there."),
        },
    )
    password = current_password()

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        # Both forms have a password field and share one page: ids of their own.
        kwargs.setdefault("auto_id", "email_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        # A firm is reached by SMS first (issue 12); officials' notices go by e-mail (docs/notices.md).
        if user.role == Role.ENTERPRISE:
            field.required = False
            field.help_text = _("Optional. Leave it empty to remove the address.")

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])


class MobileForm(Form):
    mobile = MobileField(
        label=_("New mobile number"),
        help_text=_(
            "A 6-digit code is sent to this number by SMS; the number is saved once you enter it."
        ),
    )
    password = current_password()

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "mobile_%s")
        super().__init__(*args, **kwargs)


class MobileCodeForm(Form):
    # The same field and check as the SMS password reset: 6 digits, spaces ignored.
    code = CodeResetForm.base_fields["code"]
    clean_code = CodeResetForm.clean_code
