from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        from petitions import checks  # noqa: F401  (registers the system checks)
        from zqztc import admin_guards

        admin_guards.install()  # an id that is not one is not a 500 in the admin
