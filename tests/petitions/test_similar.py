"""Look-alike open petitions of the same firm, offered before a new one is submitted (docs/rules.md §10 并单)."""

import pytest

from petitions import similar, workflow
from petitions.models import Channel, PetitionType
from tests.petitions import flow

pytestmark = pytest.mark.django_db

POWER = ("用电报装审批时间过长", "企业新厂房用电报装已提交两个月，仍未审批，影响投产。")


def submit(world, title, content, *, by=None, enterprise=None):
    return workflow.register(
        actor=by or world.firm_user,
        enterprise=enterprise or world.firm,
        channel=Channel.PORTAL,
        type=PetitionType.CONSULTATION,
        title=title,
        content=content,
    )


def test_bigrams_ignore_case_width_spaces_and_punctuation():
    full_width_a = "\uff21"
    assert (
        similar.bigrams(f"{full_width_a}b，c d") == similar.bigrams("ab c。D") == {"ab", "bc", "cd"}
    )
    assert similar.bigrams("") == frozenset()
    assert similar.bigrams("电") == {"电"}


def test_dice_is_one_for_the_same_text_and_zero_for_nothing_in_common():
    a = similar.bigrams("用电报装")
    assert similar.dice(a, a) == 1
    assert similar.dice(a, similar.bigrams("融资贷款")) == 0
    assert similar.dice(a, frozenset()) == 0


def test_a_reworded_petition_about_the_same_matter_is_found_with_its_score(world):
    original = submit(world, *POWER)
    submit(world, "融资贷款难", "企业申请贷款被银行拒绝，希望协调融资担保。")
    matches = similar.similar_open_petitions(
        enterprise_id=world.firm.pk,
        title="新厂房用电报装迟迟未批",
        content="我司厂房用电报装申请提交两个月了还没有审批，影响投产，请协调。",
    )
    assert [m.petition for m in matches] == [original]
    assert 40 <= matches[0].percent <= 60


def test_only_the_firms_own_open_petitions_are_candidates(world):
    submit(world, *POWER, by=world.other_firm_user, enterprise=world.other_firm)
    withdrawn = submit(world, *POWER)
    workflow.withdraw(petition_id=withdrawn.pk, actor=world.firm_user)
    concluded = flow.concluded(world)
    matches = similar.similar_open_petitions(
        enterprise_id=world.firm.pk, title=POWER[0], content=POWER[1]
    )
    assert matches == []
    assert concluded.title == POWER[0]  # the same text, but finished


def test_at_most_five_best_first(world):
    for i in range(7):
        submit(world, f"{POWER[0]}{i}", POWER[1] + "补充" * i)
    matches = similar.similar_open_petitions(
        enterprise_id=world.firm.pk, title=POWER[0], content=POWER[1]
    )
    assert len(matches) == 5
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert matches[0].petition.title == f"{POWER[0]}0"


def test_empty_text_finds_nothing_and_costs_no_query(world, django_assert_num_queries):
    submit(world, *POWER)
    with django_assert_num_queries(0):
        assert (
            similar.similar_open_petitions(enterprise_id=world.firm.pk, title=" ", content="") == []
        )


def test_candidates_cost_one_query(world, django_assert_num_queries):
    for _ in range(3):
        submit(world, *POWER)
    with django_assert_num_queries(1):  # the firm's open petitions, only the columns scored
        matches = similar.similar_open_petitions(
            enterprise_id=world.firm.pk, title=POWER[0], content=POWER[1]
        )
        assert [m.petition.number for m in matches]  # numbers were loaded with the row
