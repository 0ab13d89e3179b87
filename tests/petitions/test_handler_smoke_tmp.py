import pytest
from django.urls import reverse
from tests.petitions import flow

pytestmark = pytest.mark.django_db

def test_smoke(client, world):
    p1 = flow.proposed(world)
    p2 = flow.in_progress(world, co_units=[world.other_dept])
    client.force_login(world.handler)
    for tab in ["confirm","handling","due_soon","overdue","co","replied","concluded"]:
        r = client.get(reverse("handler:inbox"), {"tab": tab})
        assert r.status_code == 200, r.content[:2000]
    r = client.get(reverse("handler:inbox"), {"tab": "handling", "q": "用电", "type": "complaint"})
    assert r.status_code == 200
    open("/tmp/scratch/inbox.html","wb").write(r.content)
    r = client.get(reverse("handler:petition", args=[p2.pk]))
    assert r.status_code == 200, r.content[:3000]
    open("/tmp/scratch/detail.html","wb").write(r.content)
    r = client.get(reverse("handler:petition", args=[p1.pk]))
    assert r.status_code == 200
    client.force_login(world.other_handler)
    r = client.get(reverse("handler:petition", args=[p2.pk]))
    assert r.status_code == 200
    open("/tmp/scratch/detail_co.html","wb").write(r.content)
