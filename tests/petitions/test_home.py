"""The start page and the shared account pages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_login_page_is_in_chinese_and_works(client, world):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in response.content.decode()
    assert "登录" in response.content.decode()
    response = client.post(reverse("login"), {"username": "staff", "password": "pass-for-tests-1"})
    assert response.status_code == 302


def test_a_wrong_password_shows_a_chinese_error_and_keeps_the_username(client, world):
    response = client.post(reverse("login"), {"username": "staff", "password": "wrong"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="staff"' in body
    assert "请输入一个正确的" in body


def test_a_user_without_a_role_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("norole", password="x-pass-123456")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403


def test_password_reset_mails_a_link(client, world, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": world.firm_user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
