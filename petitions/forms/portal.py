"""Forms of the enterprise portal: they check shape; petitions/workflow.py checks the rules (docs/conventions.md C6)."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from petitions.forms.fields import login_name_field, new_password_fields
from petitions.models import Enterprise, OrgUnit, Petition, PetitionType, Rating, Theme, User
from petitions.uploads import MAX_FILES, validate_uploads
from petitions.validators import normalise_uscc, validate_uscc
from zqztc.forms import Form

ACCEPT = ".pdf,.png,.jpg,.jpeg,.gif,.webp,.doc,.docx,.xls,.xlsx,.ppt,.pptx"
FILES_HELP = _("Up to 5 files, each at most 10 MB: PDF, images or Office documents.")
FILES_AGAIN = _(
    "Please choose your files again: for your safety a browser never keeps chosen files "
    "when a form is shown again."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (Django's documented pattern)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class PortalForm(Form):
    """No colon after labels: the Chinese labels read better without it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class UploadsMixin:
    """`attachments` cleans to (file, content type) pairs checked by their bytes."""

    already_attached = 0

    def clean_attachments(self) -> list[tuple[UploadedFile, str]]:
        files = self.cleaned_data.get("attachments") or []
        return validate_uploads(files, already=self.already_attached)

    def ask_for_files_again(self, files_sent: bool) -> None:
        """A browser cannot re-fill a file input: say so next to it when the form comes back."""
        if files_sent and self.errors and "attachments" not in self.errors:
            self.add_error("attachments", FILES_AGAIN)


# --- account ---------------------------------------------------------------------------------


def mobile_message() -> str:
    return _(
        "Enter a mainland China mobile number: 11 digits starting with 1, e.g. 139 2345 6789. "
        "Codes and notices are sent to it by SMS, so a landline will not do."
    )


class MobileField(forms.CharField):
    """A mainland mobile number (SMS reaches it; a landline does not), cleaned to E.164 (+86…).

    Spaces and hyphens as people type them are allowed, and a +86 prefix.
    """

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        )
        super().__init__(**kwargs)

    def clean(self, value: object) -> str:
        raw = super().clean(value)
        if raw in self.empty_values:
            return raw
        digits = "".join(raw.split()).replace("-", "")
        try:
            number = phonenumbers.parse(digits, "CN")
        except phonenumbers.NumberParseException:
            number = None
        if (
            number is None
            or not phonenumbers.is_valid_number(number)
            or phonenumbers.region_code_for_number(number) != "CN"
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
        ):
            raise ValidationError(mobile_message(), code="invalid")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SignupForm(PortalForm):
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        help_text=_("18 characters, as on your business licence."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    name = forms.CharField(label=_("Enterprise name"), max_length=200)
    jurisdiction = forms.ModelChoiceField(
        label=_("Jurisdiction"),
        queryset=OrgUnit.objects.none(),
        empty_label=_("Choose the city, district or zone"),
        help_text=_("Where the enterprise is registered; its task force handles your petitions."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    mobile = MobileField(
        help_text=_(
            "The enterprise's main contact: notices and password-reset codes come here by SMS."
        ),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("Notices are also sent here, and you can reset your password by e-mail."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    username = login_name_field()
    password1, password2 = new_password_fields()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = (
            OrgUnit.objects.jurisdictions().filter(is_active=True).order_by("kind", "name")
        )

    def clean_uscc(self) -> str:
        code = normalise_uscc(self.cleaned_data["uscc"])
        validate_uscc(code)
        # Say only that the code is taken, never which firm holds it or who its accounts are.
        if Enterprise.objects.filter(uscc=code).exists():
            raise ValidationError(already_registered_message(), code="uscc_taken")
        return code

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This login name is taken; choose another."), code="taken")
        return username

    def clean(self) -> dict:
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords do not match."))
        elif one:
            probe = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                first_name=data.get("contact_name", ""),
            )
            try:
                password_validation.validate_password(one, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


def already_registered_message() -> str:
    return _(
        "This unified social credit code is already registered. If your enterprise already has an "
        "account, a colleague can ask the task force to add you; otherwise contact the task force."
    )


# --- petitions -------------------------------------------------------------------------------


class SubmitForm(UploadsMixin, PortalForm):
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", _("Choose the type")), *PetitionType.choices],
        help_text=_(
            "Consultations are answered in 1 working day, suggestions in 2, complaints in 3."
        ),
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.none(),
        required=False,
        empty_label=_("Not sure (the task force will choose)"),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The facts: what, where, since when, who is involved."),
    )
    request = forms.CharField(
        label=_("What you ask for"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False, help_text=FILES_HELP)
    publication_consent = forms.BooleanField(
        label=_("The result may be published after names and contacts are removed"),
        required=False,
    )
    merge_into = forms.ModelChoiceField(
        label=_("Add to an open petition instead"),
        queryset=Petition.objects.none(),
        required=False,
        widget=forms.HiddenInput,
    )
    # Set by the similar-petitions panel once the firm has seen it (petitions/similar.py).
    similar_checked = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, enterprise: Enterprise, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = Theme.objects.filter(is_active=True).order_by("name")
        self.fields["merge_into"].queryset = Petition.objects.filter(enterprise=enterprise).open()


class SimilarQueryForm(PortalForm):
    title = forms.CharField(max_length=200, required=False)
    content = forms.CharField(required=False)


class MaterialForm(UploadsMixin, PortalForm):
    note = forms.CharField(
        label=_("Supplementary explanation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("Files"), required=False, help_text=FILES_HELP)

    def __init__(self, *args: object, already_attached: int = 0, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.already_attached = already_attached
        left = max(MAX_FILES - already_attached, 0)
        self.fields["attachments"].help_text = _(
            "You can add %(n)d more files, each at most 10 MB: PDF, images or Office documents."
        ) % {"n": left}

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not data.get("attachments") and not data.get("note", "").strip():
            raise ValidationError(_("Add a file or an explanation."), code="required")
        return data


class WithdrawForm(PortalForm):
    note = forms.CharField(
        label=_("Why do you withdraw it? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EvaluateForm(PortalForm):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the reply?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required if you are unsatisfied: tell us what is still unresolved."),
    )
