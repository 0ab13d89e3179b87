"""The supervision models in the admin: the policy is editable, the records are read-only."""

from datetime import date

import pytest
from django.urls import reverse

from supervision.models import (
    JobRun,
    KeySupervision,
    Reminder,
    SupervisionPolicy,
    Sweep,
    SweepItem,
)
from supervision.sweep import run_monthly_sweep
from tests.factories import UserFactory
from tests.supervision.test_selectors import handled

pytestmark = pytest.mark.django_db
RECORDS = [JobRun, Sweep, SweepItem, KeySupervision, Reminder]  # follow-ups: inline of a key item


@pytest.fixture
def admin_client(client, world):
    handled(world)
    run_monthly_sweep(date(2026, 11, 25))
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def url(model, action: str, *args: object) -> str:
    return reverse(f"admin:supervision_{model._meta.model_name}_{action}", args=args)


def test_every_supervision_model_is_listed(admin_client):
    for model in [SupervisionPolicy, *RECORDS]:
        assert admin_client.get(url(model, "changelist")).status_code == 200, model


def test_the_policy_is_edited_in_the_admin(admin_client):
    policy = SupervisionPolicy.objects.get(jurisdiction__isnull=True)
    page = admin_client.get(url(SupervisionPolicy, "change", policy.pk))
    assert page.status_code == 200
    assert 'name="recurring_threshold"' in page.content.decode()


def test_records_cannot_be_added_changed_or_deleted_by_hand(admin_client):
    for model in RECORDS:
        assert admin_client.get(url(model, "add")).status_code == 403, model
    key = KeySupervision.objects.get()
    page = admin_client.get(url(KeySupervision, "change", key.pk)).content.decode()
    assert 'name="status"' not in page  # shown read-only
    assert (
        admin_client.post(url(KeySupervision, "delete", key.pk), {"post": "yes"}).status_code == 403
    )
    assert KeySupervision.objects.filter(pk=key.pk).exists()
