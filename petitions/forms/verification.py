"""Forms of the verification pages: they check shape; petitions/verification.py checks the rules
(docs/conventions.md C6)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from petitions.forms.fields import login_name_field, new_password_fields, textarea
from petitions.models import OrgUnit, User
from petitions.validators import normalise_uscc, validate_cn_phone, validate_uscc
from petitions.verification import CODE_DIGITS, MAX_BATCH
from zqztc.forms import Form

# The largest id a bigint column holds: a larger number is no id, and PostgreSQL would refuse it.
MAX_ID = 2**63 - 1


class IdsField(forms.Field):
    """The ids of the ticked rows (every `name=enterprises` checkbox), as a list of integers."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("Choose enterprises from the list."),
        "required": _("Choose at least one enterprise."),
        "too_many": _("Choose at most %(n)d enterprises at a time."),
    }

    def to_python(self, value: object) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        ids = []
        for item in value:
            text = str(item).strip()
            if not text.isdigit() or not 0 < int(text) <= MAX_ID:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        return list(dict.fromkeys(ids))

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if len(value) > MAX_BATCH:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"n": MAX_BATCH}
            )


class VerifyBatchForm(Form):
    enterprises = IdsField()
    # The queue posts without it and gets the confirmation page; that page posts it.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RefuseForm(Form):
    reason = forms.CharField(
        label=_("Why it cannot be verified"),
        max_length=1000,
        widget=textarea(4),
        help_text=_(
            "The enterprise reads this on its portal and by SMS: say what to correct, "
            "e.g. the credit code does not match the business licence."
        ),
    )


class _PortalForm(Form):
    """No colon after labels, as on the other portal forms."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_uscc(self) -> str:
        code = normalise_uscc(self.cleaned_data["uscc"])
        validate_uscc(code)
        return code


def _uscc_field() -> forms.CharField:
    return forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        help_text=_("18 characters, as on your business licence."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


def _phone_field(label: object, help_text: object = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


def _clean_phone(value: str) -> str:
    phone = "".join(value.split()).replace("-", "")
    validate_cn_phone(phone)
    return phone


class ActivateForm(_PortalForm):
    uscc = _uscc_field()
    phone = _phone_field(_("Phone number"), _("The number the invitation was sent to by SMS."))
    code = forms.CharField(
        label=_("Activation code"),
        max_length=20,
        validators=[
            RegexValidator(
                rf"^\d{{{CODE_DIGITS}}}$",
                _("The activation code is the 6 digits sent to you by SMS."),
                code="code_shape",
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    username = login_name_field()
    password1, password2 = new_password_fields()

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data["phone"])

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())

    def clean(self) -> dict:
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords do not match."))
        elif one:
            try:
                password_validation.validate_password(one, User(username=data.get("username", "")))
            except ValidationError as error:
                self.add_error("password1", error)
        return data

    def activation(self) -> dict:
        """The keyword arguments of verification.activate."""
        data = self.cleaned_data
        return {
            "uscc": data["uscc"],
            "phone": data["phone"],
            "code": data["code"],
            "username": data["username"],
            "password": data["password1"],
        }


class DetailsForm(_PortalForm):
    """The firm's registered details, corrected after a refusal."""

    uscc = _uscc_field()
    name = forms.CharField(label=_("Enterprise name"), max_length=200)
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("Choose the city, district or zone"),
        help_text=_("Where the enterprise is registered; its task force handles your petitions."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = _phone_field(_("Mobile number"))
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = (
            OrgUnit.objects.jurisdictions().filter(is_active=True).order_by("kind", "name")
        )

    def clean_contact_phone(self) -> str:
        return _clean_phone(self.cleaned_data["contact_phone"])
