from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from petitions.views import password_sms, profile
from petitions.views.files import attachment
from petitions.views.home import home
from zqztc import forms

admin.site.site_header = _("ZQZTC administration")
admin.site.site_title = _("ZQZTC")
admin.site.index_title = _("Reference data and petitions")

account_urls = [
    path("login/", auth_views.LoginView.as_view(authentication_form=forms.LoginForm), name="login"),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(form_class=forms.PasswordChangeForm),
        name="password_change",
    ),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=forms.PasswordResetForm,
            email_template_name="registration/password_reset_email.html",
        ),
        name="password_reset",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.SetPasswordForm),
        name="password_reset_confirm",
    ),
    path("password_reset/sms/", password_sms.request_code, name="password_reset_sms"),
    path("password_reset/sms/code/", password_sms.reset_with_code, name="password_reset_sms_code"),
    path("profile/", profile.profile, name="profile"),
    path("profile/email/", profile.save_email, name="profile_email"),
    path("profile/mobile/", profile.ask_mobile_code, name="profile_mobile"),
    path("profile/mobile/code/", profile.enter_mobile_code, name="profile_mobile_confirm"),
    path("", include("django.contrib.auth.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include(account_urls)),
    path("files/<int:pk>/", attachment, name="attachment"),
    path("portal/", include("petitions.urls.portal")),
    path("handle/", include("petitions.urls.handler")),
    path("staff/supervision/", include("supervision.urls")),
    path("meetings/", include("meetings.urls")),
    path("notices/", include("notices.urls")),
    path("staff/", include("petitions.urls.staff")),
    path("admin/", admin.site.urls),
]
