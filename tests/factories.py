"""Deterministic test data (docs/conventions.md C9): sequences and fixed values, no random text.

Names and titles carry the sequence number at a fixed width (`label`), so they read the same whichever
tests ran before: a name that grew with the number of earlier tests once wrapped in a PDF table cell
and made a test depend on the order the suite ran in.
"""

import factory
from django.utils import timezone

from petitions.models import (
    Channel,
    Enterprise,
    OrgUnit,
    Petition,
    PetitionType,
    Role,
    Theme,
    UnitKind,
    User,
)
from petitions.validators import uscc_check_character


def label(n: int) -> str:
    """The sequence number, four digits wide whatever it has reached (unique within any one test)."""
    return f"{n % 10_000:04d}"


def make_uscc(n: int) -> str:
    first17 = f"91440500{n:09d}"
    return first17 + uscc_check_character(first17)


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{label(n)}")
    kind = UnitKind.DEPARTMENT


class CityFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"测试市{label(n)}")
    kind = UnitKind.CITY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.cn")
    password = factory.django.Password("pass-for-tests-1")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    # Far above the codes tests pick by hand (make_uscc(501), (777), (999_999)…): a long run must
    # never reach one, or a "no such firm was created" assertion finds a factory firm.
    uscc = factory.Sequence(lambda n: make_uscc(10_000_000 + n))
    name = factory.Sequence(lambda n: f"测试企业{label(n)}有限公司")
    contact_name = "张经理"
    contact_phone = "13800138000"
    email = factory.Sequence(lambda n: f"firm{n}@example.com")
    jurisdiction = factory.SubFactory(CityFactory)
    is_verified = True


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("code",)

    code = "financing"
    name = "融资"


class PetitionFactory(factory.django.DjangoModelFactory):
    """A petition as registered; tests of later states go through petitions/workflow.py."""

    class Meta:
        model = Petition

    number = factory.Sequence(lambda n: f"ZQ2026-9{n:05d}")
    enterprise = factory.SubFactory(EnterpriseFactory)
    channel = Channel.PORTAL
    received_at = factory.LazyFunction(timezone.now)
    type = PetitionType.COMPLAINT
    theme = factory.SubFactory(ThemeFactory)
    title = factory.Sequence(lambda n: f"诉求{label(n)}")
    content = "企业反映用电报装审批时间过长，影响投产。"
    jurisdiction = factory.LazyAttribute(lambda o: o.enterprise.jurisdiction)


def member(unit: OrgUnit, role: str, **kwargs: object) -> User:
    return UserFactory(unit=unit, role=role, **kwargs)


def firm_user(enterprise: Enterprise, **kwargs: object) -> User:
    return UserFactory(enterprise=enterprise, role=Role.ENTERPRISE, **kwargs)
