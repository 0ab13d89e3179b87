from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from petitions.views.home import home

admin.site.site_header = _("ZQZTC administration")
admin.site.site_title = _("ZQZTC")
admin.site.index_title = _("Reference data and petitions")

urlpatterns = [
    path("", home, name="home"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            html_email_template_name=None,
            email_template_name="registration/password_reset_email.html",
        ),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
