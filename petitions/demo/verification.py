"""Firms at each stage of verification, so that the task force's queue has something to show
(docs/decisions.md D43): one waiting with its first account, one refused with the reason, one the
task force imported and invited by SMS."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from petitions import verification
from petitions.demo.world import World
from petitions.models import Enterprise, Role, User
from petitions.validators import uscc_check_character

TASK_FORCE_USERNAME = "zhuanban"

FIRMS = [
    # (first 17 characters of the code, name, contact, phone, with an account)
    ("91440507MA5DEM001", "汕头市新澄电子科技有限公司", "林晓东", "13690002101", True),
    ("91440507MA5DEM002", "汕头市海湾食品贸易有限公司", "郑雅琪", "13690002102", True),
    ("91440507MA5DEM003", "汕头市濠江港口物流有限公司", "蔡志强", "13690002103", False),
]


def create(world: World, password: str) -> None:
    staff = world.users[TASK_FORCE_USERNAME]
    city = world.units["city"]
    firms = []
    for first17, name, contact, phone, with_account in FIRMS:
        firm = Enterprise.objects.create(
            uscc=first17 + uscc_check_character(first17),
            name=name,
            contact_name=contact,
            contact_phone=phone,
            jurisdiction=city,
            is_verified=False,
        )
        if with_account:
            User.objects.create(
                username=f"firm{first17[-3:]}",
                first_name=contact,
                role=Role.ENTERPRISE,
                enterprise=firm,
                mobile=phone,
                password=make_password(password),
            )
        firms.append(firm)
    verification.refuse(
        enterprise_id=firms[1].pk,
        actor=staff,
        reason="营业执照照片不清晰，且联系人与法定代表人不一致，请补正后重新提交。",
    )
    verification.invite(enterprise_id=firms[2].pk, actor=staff)
