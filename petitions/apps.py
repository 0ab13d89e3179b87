from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        from petitions import checks  # noqa: F401  (registers the system checks)
        from zqztc import admin_widgets

        admin_widgets.install()  # a non-numeric id in an admin autocomplete field is not a 500
