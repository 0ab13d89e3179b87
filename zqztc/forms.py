"""Form rendering shared by every audience: Bootstrap classes, Chinese errors next to the field."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    field_template_name = "_partials/field.html"


class BootstrapMixin:
    """Give each widget its Bootstrap class and mark invalid fields, so templates stay plain."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                css = ""
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class Form(BootstrapMixin, forms.Form):
    pass


class ModelForm(BootstrapMixin, forms.ModelForm):
    pass


class LoginForm(BootstrapMixin, auth_forms.AuthenticationForm):
    pass


class PasswordChangeForm(BootstrapMixin, auth_forms.PasswordChangeForm):
    pass


class PasswordResetForm(BootstrapMixin, auth_forms.PasswordResetForm):
    pass


class SetPasswordForm(BootstrapMixin, auth_forms.SetPasswordForm):
    pass
