"""load_demo without time-machine (the `demo` extra): a clear error, and nothing is left behind."""

import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from petitions.models import Enterprise, OrgUnit, Petition, User

pytestmark = pytest.mark.django_db


def test_the_demo_stops_with_a_clear_error_when_time_machine_is_not_installed(
    settings, monkeypatch
):
    settings.DEBUG = True  # the demo loads only on a development setup
    monkeypatch.setitem(sys.modules, "time_machine", None)  # `import time_machine` now fails
    with pytest.raises(CommandError, match=r"needs time-machine, from the demo extra"):
        call_command("load_demo")
    # The demo loads in one transaction: the reference data written before the failure is gone.
    assert not User.objects.exists()
    assert not OrgUnit.objects.exists()
    assert not Enterprise.objects.exists()
    assert not Petition.objects.exists()
