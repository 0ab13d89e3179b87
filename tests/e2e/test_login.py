"""A real browser reaches the login page in Chinese and logs in."""

import pytest


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_force_member_logs_in_through_the_browser(
    page, live_server, world, login, artifacts
):
    world.staff.is_staff = True
    world.staff.save()
    page.goto(f"{live_server.url}/")
    assert "登录" in page.title()
    page.screenshot(path=artifacts / "login.png", full_page=True)
    login("staff")
    assert "/accounts/login/" not in page.url
