"""Accounts and groups: only a superuser manages staff, roles, groups and permissions; the task force
changes the firm accounts of its own jurisdictions (petitions/roles.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from petitions.admin.history import HistoryAdmin
from petitions.admin.scoping import MissingIs404Mixin, enterprises_for
from petitions.models import (
    Role,
    User,
)

# --- accounts: only a superuser manages staff, roles, groups and permissions ------------------------

# A non-superuser who may change users (the task force, petitions/roles.py) sees only the firm
# accounts of its jurisdiction, and may change only the name and whether the account may sign in.
# Not the e-mail (a password reset is sent there), not the firm, role or unit (they decide what the
# account sees), never the password, the admin flags, groups or permissions.
FIRM_ACCOUNT_FIELDSETS = (
    (None, {"fields": ("username", "first_name", "last_name", "email", "mobile")}),
    (_("Organisation"), {"fields": ("role", "enterprise")}),
    (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
)
FIRM_ACCOUNT_EDITABLE = ("first_name", "last_name", "is_active")


class FirmAccountForm(forms.ModelForm):
    """Without the stock form's password field, whose link leads to setting a new password."""

    class Meta:
        model = User
        fields = FIRM_ACCOUNT_EDITABLE


@admin.register(User)
class UserAdmin(MissingIs404Mixin, HistoryAdmin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("role", "unit", "enterprise", "mobile")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Organisation"), {"classes": ("wide",), "fields": ("role", "unit", "enterprise")}),
    )
    list_display = ("username", "first_name", "last_name", "role", "unit", "enterprise", "is_staff")
    list_filter = (
        "role",
        "is_staff",
        "is_superuser",
        "is_active",
        ("unit", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("unit", "enterprise")
    autocomplete_fields = ("unit", "enterprise")

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(
            role=Role.ENTERPRISE,
            is_staff=False,
            is_superuser=False,
            enterprise__in=enterprises_for(request.user),
        )

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return FIRM_ACCOUNT_FIELDSETS

    def get_form(
        self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if not request.user.is_superuser:
            kwargs["form"] = FirmAccountForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        shown = [f for _name, opts in FIRM_ACCOUNT_FIELDSETS for f in opts["fields"]]
        return tuple(f for f in shown if f not in FIRM_ACCOUNT_EDITABLE)

    def get_list_display(self, request: HttpRequest) -> Any:
        if request.user.is_superuser:
            return self.list_display
        return ("username", "first_name", "last_name", "enterprise", "is_active")

    def get_list_filter(self, request: HttpRequest) -> Any:
        return self.list_filter if request.user.is_superuser else ("is_active",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Firms open their own accounts on the portal; officials are added by a superuser.
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Whoever sets an account's password can sign in as it; firms reset theirs by e-mail.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


class SuperuserOnlyAdmin:
    """Groups decide who may do what: only a superuser sees or changes them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SuperuserOnlyAdmin, DjangoGroupAdmin):
    pass
