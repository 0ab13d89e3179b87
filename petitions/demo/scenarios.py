"""The demo's cases: which petitions there are, the steps each goes through, and the texts and delays
of those steps. Plain data; petitions/demo/plan.py turns it into dated steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from petitions.models import (
    Channel,
    ContactMethod,
    PetitionType,
    Rating,
    ReturnReason,
)

# A plausible wrong first choice of lead unit, for petitions that are returned (退回).
WRONG_UNIT = {
    "gongxin": "fagai",
    "fagai": "gongxin",
    "ziran": "zhujian",
    "zhujian": "ziran",
    "shijian": "zhengshu",
    "zhengshu": "shijian",
    "renshe": "gongxin",
    "shuiwu": "caizheng",
    "caizheng": "shuiwu",
    "gongdian": "fagai",
    "shengtai": "zhujian",
    "shangwu": "gongxin",
    "jinrong": "gongxin",
}

# Channels in turn; the portal is used only by firms with an account, others come in by 粤商通.
CHANNELS = [
    Channel.PORTAL,
    Channel.HOTLINE_12345,
    Channel.VISIT,
    Channel.PORTAL,
    Channel.MEETING,
    Channel.PROVINCIAL_APP,
    Channel.MEAL_OR_PHONE,
    Channel.HOTLINE_12345,
    Channel.DEPUTY,
    Channel.ACFIC,
    Channel.HOTLINE_96888,
    Channel.SERVICE_HALL,
]
TICKET_PREFIX = {Channel.HOTLINE_12345: "12345", Channel.HOTLINE_96888: "96888"}

# Firms with portal accounts, in the order they take cases that need one (the first firm most).
ACCOUNT_FIRM_TURNS = [0, 1, 0, 2, 0, 3, 5, 0, 7]

CONTACT_SUMMARIES = [
    (ContactMethod.PHONE, "电话联系企业负责人，进一步了解诉求细节和企业期望的解决时限。"),
    (ContactMethod.VISIT, "上门走访企业，现场查看有关情况，听取企业意见。"),
    (ContactMethod.MEETING, "约请企业负责人到单位座谈，核实有关情况并商议办理方案。"),
    (ContactMethod.ONLINE, "通过政企沟通群与企业联系人对接，收集了补充材料。"),
]
PROGRESS_TEXTS = [
    "已召集相关科室研究，正在会同有关单位核实情况，形成初步办理方案。",
    "已开展现场踏勘，相关材料已报送主管部门审核，预计下周反馈意见。",
    "已组织协调会，明确各方分工，正在按计划推进，企业已知悉进展。",
    "办理方案已报分管领导审定，正在落实具体措施。",
]
OPINION_TEXT = (
    "经核查，涉及我单位职责的事项已按程序办理完毕，具体意见已函复牵头单位，请统筹答复企业。"
)
EXTENSION_REASON = (
    "该事项涉及多个部门及上级审批，需等待省级部门意见，无法在原定期限内办结，申请延期。"
)
APPROVAL_NOTE = "该事项涉及多部门协调，需由市领导统筹，呈请审批。"
APPROVE_TEXT = "同意。请牵头单位会同相关部门抓紧办理，两周内向企业反馈。"
SEND_BACK_TEXT = "请先征求市财政局意见，明确资金来源后再报。"
WITHDRAW_NOTE = "问题已与对方协商解决，申请撤回。"
CONCLUDE_NOTE = "企业负责人多次电话未接通，经与企业联系人确认问题已解决，予以办结。"
EVALUATION_COMMENTS = {
    Rating.SATISFIED: "问题已解决，感谢有关部门高效服务。",
    Rating.BASICALLY_SATISFIED: "问题基本解决，希望后续继续跟进落实。",
    Rating.UNSATISFIED: "答复未解决实际问题，希望进一步协调处理。",
}
REVISIT_METHODS = [ContactMethod.PHONE, ContactMethod.VISIT]


# --- the plan -------------------------------------------------------------------------------------

A, P, C, L, K, PR, R = (
    ("accept", {}),
    ("propose", {}),
    ("confirm", {}),
    ("letter", {}),
    ("contact", {}),
    ("progress", {}),
    ("reply", {}),
)
HANDLING = [A, P, C, L, K]
SUBMIT, APPROVE = ("submit", {}), ("approve", {})


def _evaluate(rating: str, by: str = "auto") -> tuple[str, dict[str, Any]]:
    return ("evaluate", {"rating": rating, "by": by})


SAT, BASIC, UNSAT = Rating.SATISFIED, Rating.BASICALLY_SATISFIED, Rating.UNSATISFIED


@dataclass(frozen=True)
class Scenario:
    """`count` petitions that follow `script` after registration, received `days` ago (lo, hi)."""

    name: str
    count: int
    days: tuple[int, int]
    script: list[tuple[str, dict[str, Any]]]
    needs_account: bool = False  # the firm itself acts (withdraws, rates)
    city_only: bool = False  # city-level firm, so city departments can handle it
    with_co_units: bool = False
    types: tuple[str, ...] = ()
    # A case of fixtures/demo.json "level_topics": its firm, text and units are fixed there.
    topic: str = ""


COORD = (PetitionType.COORDINATION,)
SCENARIOS = [
    Scenario("registered", 6, (0, 4), []),
    Scenario("withdrawn", 2, (8, 30), [("withdraw", {})], needs_account=True),
    Scenario(
        "withdrawn_archived", 1, (50, 50), [("withdraw", {}), ("archive", {})], needs_account=True
    ),
    Scenario("rejected", 5, (2, 40), [("reject", {})]),
    Scenario("rejected_archived", 3, (42, 58), [("reject", {}), ("archive", {})]),
    Scenario("accepted", 4, (0, 3), [A]),
    Scenario("proposed", 6, (0, 7), [A, P]),
    Scenario(
        "returned",
        3,
        (1, 6),
        [A, ("propose", {"wrong": True}), ("return", {"code": ReturnReason.NOT_OUR_REMIT})],
        city_only=True,
    ),
    Scenario("confirmed", 2, (0, 2), [A, P, C]),
    Scenario(
        "confirmed_overruled",
        1,
        (3, 3),
        [A, P, ("return", {"code": ReturnReason.OTHER_UNIT_LEADS}), ("overrule", {})],
        city_only=True,
    ),
    Scenario("confirmed_sent_back", 1, (5, 5), [A, P, C, SUBMIT, ("send_back", {})], types=COORD),
    Scenario("awaiting_approval", 3, (1, 6), [A, P, C, SUBMIT], types=COORD),
    Scenario("assigned", 4, (0, 8), [A, P, C, L]),
    Scenario("assigned_approved", 1, (6, 6), [A, P, C, SUBMIT, APPROVE, L], types=COORD),
    Scenario("in_progress", 3, (2, 12), HANDLING),
    Scenario("in_progress_reported", 3, (14, 30), [*HANDLING, PR, PR], types=COORD),
    Scenario(
        "in_progress_opinion",
        2,
        (8, 20),
        [*HANDLING, ("opinion", {}), PR],
        city_only=True,
        with_co_units=True,
    ),
    Scenario("in_progress_extension_pending", 2, (6, 14), [*HANDLING, PR, ("extend", {})]),
    Scenario(
        "in_progress_extension_approved",
        2,
        (10, 25),
        [*HANDLING, ("extend", {}), ("decide", {"approve": True}), PR],
        types=COORD,
    ),
    Scenario(
        "in_progress_extension_denied",
        1,
        (10, 10),
        [*HANDLING, ("extend", {}), ("decide", {"approve": False})],
    ),
    Scenario(
        "in_progress_reassigned",
        1,
        (12, 12),
        [
            A,
            ("propose", {"wrong": True}),
            ("return", {"code": ReturnReason.NOT_OUR_REMIT}),
            ("uphold", {}),
            C,
            L,
            K,
        ],
        city_only=True,
    ),
    Scenario("in_progress_rehandled", 2, (12, 25), [*HANDLING, R, _evaluate(UNSAT, "revisit")]),
    Scenario(
        "in_progress_approved", 1, (16, 16), [A, P, C, SUBMIT, APPROVE, L, K, PR, PR], types=COORD
    ),
    Scenario("replied", 8, (1, 14), [*HANDLING, R]),
    Scenario(
        "concluded_by_firm", 5, (10, 40), [*HANDLING, R, _evaluate(SAT, "firm")], needs_account=True
    ),
    Scenario(
        "concluded_by_firm_basic",
        2,
        (12, 35),
        [*HANDLING, R, _evaluate(BASIC, "firm")],
        needs_account=True,
    ),
    Scenario("concluded_revisit", 5, (8, 45), [*HANDLING, R, _evaluate(SAT, "revisit")]),
    Scenario("concluded_revisit_basic", 4, (10, 40), [*HANDLING, R, _evaluate(BASIC, "revisit")]),
    Scenario("concluded_without_rating", 1, (20, 20), [*HANDLING, R, ("conclude", {})]),
    Scenario(
        "concluded_after_rehandling",
        2,
        (25, 40),
        [*HANDLING, R, _evaluate(UNSAT), PR, R, _evaluate(SAT)],
        needs_account=True,
    ),
    Scenario(
        "concluded_extended",
        1,
        (30, 30),
        [
            *HANDLING,
            ("extend", {}),
            ("decide", {"approve": True}),
            PR,
            R,
            _evaluate(SAT, "revisit"),
        ],
        types=COORD,
    ),
    Scenario(
        "concluded_approved",
        1,
        (35, 35),
        [A, P, C, SUBMIT, APPROVE, L, K, PR, R, _evaluate(BASIC, "revisit")],
        city_only=True,
        with_co_units=True,
    ),
    Scenario("archived", 8, (38, 60), [*HANDLING, R, _evaluate(SAT), ("archive", {})]),
    # Between levels (docs/rules.md §1): 龙湖区 triages a case and passes it up; the city assigns it
    # to a stationed unit (中直、省直驻汕单位) with 龙湖区's 工信局 co-handling.
    Scenario(
        "passed_up",
        1,
        (18, 18),
        [A, ("pass_up", {}), A, P, C, L, K, ("opinion", {}), R],
        topic="passed_up",
    ),
    # The city hands a case of a city-level firm down to 金平区, where the matter lies.
    Scenario(
        "handed_down",
        1,
        (9, 9),
        [("hand_down", {"to": "jinping"}), *HANDLING, PR],
        topic="handed_down",
    ),
    # The city keeps a case and has a district's government lead it, its 住建局 co-handling.
    Scenario("assigned_to_district", 1, (12, 12), [*HANDLING, PR], topic="assigned_to_district"),
    # Wrong remit in the zone: the unit returns the case naming the competent one, the zone's task
    # force upholds the return and reassigns (Hailar 二(四)2; docs/rules.md §3, §4.3).
    Scenario(
        "zone_reassigned",
        1,
        (11, 11),
        [
            A,
            ("propose", {"wrong": True}),
            ("return", {"code": ReturnReason.NOT_OUR_REMIT}),
            ("uphold", {}),
            C,
            L,
            K,
        ],
        topic="zone_reassigned",
    ),
]
# Duplicates (重复件) follow an earlier accepted petition of the same firm.
DUPLICATE_SCRIPTS = [
    [("duplicate", {})],
    [("duplicate", {})],
    [("duplicate", {})],
    [("duplicate", {}), ("archive", {})],
]
DUPLICATE_ORIGINS = ("archived", "concluded_revisit", "in_progress_reported", "archived")

# When each step happens: (working days after the previous step, hour of day).
DELAYS: dict[str, tuple[int, int]] = {
    "withdraw": (1, 10),
    "pass_up": (1, 10),
    "hand_down": (0, 17),
    "reject": (1, 10),
    "duplicate": (1, 9),
    "accept": (0, 15),
    "propose": (0, 16),
    "confirm": (1, 10),
    "return": (1, 11),
    "uphold": (1, 9),
    "overrule": (1, 9),
    "submit": (0, 15),
    "approve": (2, 11),
    "send_back": (2, 11),
    "letter": (0, 16),
    "contact": (1, 10),
    "opinion": (2, 14),
    "extend": (3, 10),
    "decide": (1, 11),
    "evaluate": (2, 10),
    "conclude": (4, 10),
    "archive": (7, 16),
}
REPLY_DELAY = {
    PetitionType.CONSULTATION: 1,
    PetitionType.SUGGESTION: 2,
    PetitionType.COMPLAINT: 3,
    PetitionType.COORDINATION: 8,
}
