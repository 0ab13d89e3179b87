"""The steps petitions/workflow.py and meetings/workflow.py share (petitions/workflow_kit.py)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from petitions import workflow_kit as kit
from petitions.exceptions import WorkflowError
from petitions.models import Role, Theme
from tests.factories import ThemeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL prints FOR UPDATE; SQLite locks the file",
)
def test_a_row_is_locked_and_returned_without_joins_unless_asked(django_assert_num_queries):
    theme = ThemeFactory()
    with django_assert_num_queries(1) as captured:
        assert kit.lock(Theme, theme.pk, "gone") == theme
    sql = captured.captured_queries[0]["sql"]
    assert "FOR UPDATE" in sql
    assert "JOIN" not in sql


def test_locking_a_row_that_does_not_exist_is_refused_with_the_callers_message():
    with pytest.raises(WorkflowError) as exc:
        kit.lock(Theme, 0, "This theme does not exist.")
    assert exc.value.code == "missing"
    assert exc.value.messages == ["This theme does not exist."]


@pytest.mark.parametrize("text", ["", "   ", None])
def test_a_required_text_refuses_nothing_but_whitespace(text):
    with pytest.raises(WorkflowError) as exc:
        kit.required(text, "Write something.")
    assert exc.value.code == "required"


def test_a_required_text_comes_back_stripped():
    assert kit.required("  理由  ", "Write something.") == "理由"


def test_an_official_without_a_unit_cannot_act_for_one(world):
    assert kit.acting_unit(world.staff) == world.staff.unit
    orphan = UserFactory(role=Role.TASK_FORCE, unit=None)
    with pytest.raises(PermissionDenied):
        kit.acting_unit(orphan)
