import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.petitions import flow
from tests.petitions.test_staff_intake import register

pytestmark = pytest.mark.django_db

@pytest.mark.parametrize("url", ["staff:intake", "staff:search", "staff:letters", "staff:revisits", "staff:approvals", "staff:extensions", "staff:home"])
def test_q(client, world, url):
    for _ in range(2):
        flow.returned(world)
    for i in range(3):
        register(world, title=f"诉求{i}")
    flow.replied(world); flow.confirmed(world); flow.awaiting_approval(world)
    client.force_login(world.staff)
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(reverse(url))
    print(url, len(ctx.captured_queries))
    for q in ctx.captured_queries:
        print("   ", q["sql"][:150])
