"""Excel files of the supervision pages: the ledger, the sweep notice and the periodic reports.

The column headers are the format the governments' own spreadsheets use, so they are fixed Chinese
strings (as in petitions/resources.py), not translated interface text. Workbooks are written in
openpyxl's write-only mode, row by row, so a long ledger does not sit in memory as cells. Every
cell goes through zqztc/spreadsheets.py, so a title typed as "=…" stays text.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from petitions.models import OrgUnit, Petition, State
from supervision import selectors
from zqztc import spreadsheets

MAX_ROWS = 20000
STATES = dict(State.choices)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)

LEDGER_HEADERS = [
    "编号",
    "诉求标题",
    "企业名称",
    "类型",
    "主题",
    "承办单位",
    "转办函号",
    "交办日期",
    "答复期限",
    "办结日期",
    "延期次数",
    "销号情况",
    "本周进展未报",
    "当前状态",
]
SUMMARY_HEADERS = ["承办单位", "未办结件数", "逾期件数", "拟列入重点督办件数", "最长逾期（工作日）"]
OVERDUE_HEADERS = [
    "编号",
    "诉求标题",
    "企业名称",
    "承办单位",
    "所属辖区",
    "当前状态",
    "期限",
    "逾期（工作日）",
    "延期次数",
    "退回次数",
    "拟列入重点督办",
]
RATE_HEADERS = [
    "承办单位",
    "收件数",
    "应签收数",
    "按时签收数",
    "按时签收率（%）",
    "办结数",
    "按时办结数",
    "按时办结率（%）",
    "有效评价数",
    "满意",
    "基本满意",
    "满意率（%）",
]
LEVEL_HEADERS = [
    "层级",
    "收件数",
    "受理数",
    "办结数",
    "超期件数",
    "应签收数",
    "按时签收数",
    "按时签收率（%）",
    "应办结数",
    "按时办结数",
    "按时办结率（%）",
    "有效评价数",
    "满意率（%）",
]
PASSED_ON_HEADERS = ["编号", "诉求标题", "企业名称", "现承办层级", "当前状态", "收到日期"]
KEY_HEADERS = ["编号", "诉求标题", "企业名称", "承办单位", "状态", "列入时间", "下次跟进期限"]


def _local_day(value: datetime | None) -> date | None:
    return timezone.localdate(value) if value else None


def _cell(sheet: WriteOnlyWorksheet, value: object, font: Font | None = None) -> Cell:
    if isinstance(value, Decimal):
        value = float(value)
    number_format = "yyyy-mm-dd" if isinstance(value, date) else None
    return spreadsheets.cell(sheet, value, font=font, number_format=number_format)


def _header(sheet: WriteOnlyWorksheet, headers: list[str], widths: list[int] | None = None) -> None:
    for index, width in enumerate(widths or [14] * len(headers)):
        sheet.column_dimensions[_column(index)].width = width
    spreadsheets.append(sheet, [_cell(sheet, h, BOLD) for h in headers])


def _column(index: int) -> str:
    return get_column_letter(index + 1)


def _yes(value: bool) -> str:
    return "是" if value else ""


def ledger_workbook(rows: Iterable[Petition], today: date) -> bytes:
    """台账: one row per assigned petition, as selectors.ledger annotated it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("工作台账")
    _header(sheet, LEDGER_HEADERS, [16, 36, 28, 12, 14, 24, 14, 12, 12, 12, 10, 12, 12, 14])
    closeout = dict(selectors.Closeout.choices)
    for p in rows:
        spreadsheets.append(
            sheet,
            [
                p.number,
                p.title,
                p.enterprise.name,
                str(p.get_type_display()),
                p.theme.name if p.theme_id else "",
                p.lead_unit.name if p.lead_unit_id else "",
                p.transfer_letter_no,
                _cell(sheet, _local_day(p.transfer_letter_issued_at)),
                _cell(sheet, p.reply_due_on),
                _cell(sheet, _local_day(p.concluded_at)),
                p.extension_count,
                str(closeout[p.closeout]),
                _yes(p.no_progress),
                str(p.get_state_display()),
            ],
        )
    return spreadsheets.to_bytes(workbook)


def notice_workbook(context: dict) -> bytes:
    """通报: the counts by lead unit, and every overdue item."""
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("汇总")
    spreadsheets.append(summary, [_cell(summary, context["title"], TITLE)])
    spreadsheets.append(
        summary, [f"{context['jurisdiction'].name}　{context['sweep'].run_on:%Y-%m-%d}"]
    )
    spreadsheets.append(summary, [])
    _header(summary, SUMMARY_HEADERS, [30, 14, 12, 20, 18])
    for line in [*context["lines"], context["total"]]:
        spreadsheets.append(
            summary, [line.unit, line.items, line.overdue, line.proposed, line.worst]
        )
    overdue = workbook.create_sheet("逾期清单")
    _header(overdue, OVERDUE_HEADERS, [16, 36, 28, 24, 12, 14, 12, 14, 10, 10, 14])
    for item in context["overdue"]:
        p = item.petition
        spreadsheets.append(
            overdue,
            [
                p.number,
                p.title,
                p.enterprise.name,
                item.lead_unit.name if item.lead_unit_id else "",
                item.jurisdiction.name,
                str(STATES.get(item.state, item.state)),
                _cell(overdue, item.due_on),
                item.working_days_overdue,
                item.extensions,
                item.returns,
                _yes(item.proposed_for_key),
            ],
        )
    return spreadsheets.to_bytes(workbook)


def report_workbook(
    report: selectors.Report, jurisdiction: OrgUnit, *, own_level: bool = False
) -> bytes:
    """月报/季报: overview, the roll-up by level (when the report covers lower levels), rates per
    unit, recurring problems, 每月一题, the key list, and what this level passed up."""
    stats = report.statistics
    overall = stats.overall
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("概况")
    spreadsheets.append(sheet, [_cell(sheet, report.title, TITLE)])
    spreadsheets.append(
        sheet, [f"{jurisdiction.name}（仅本级）" if own_level else jurisdiction.name]
    )
    spreadsheets.append(sheet, [])
    _header(sheet, ["指标", "数值"], [28, 24])
    for label, value in [
        ("统计时段", f"{report.period.start:%Y-%m-%d} 至 {report.period.end:%Y-%m-%d}"),
        ("报送期限", report.due_on),
        ("收到诉求（件）", report.received),
        ("受理（件）", report.accepted),
        ("办结（件）", report.concluded),
        ("超期未办或超期办理（件）", report.overdue),
        ("按时签收率（%）", overall.confirm_rate),
        ("按时办结率（%）", overall.conclude_rate),
        ("满意率（%）", overall.satisfaction_rate),
        ("“基本满意”计分权重", Decimal(stats.policy.basic_satisfied_weight)),
    ]:
        spreadsheets.append(sheet, [label, _cell(sheet, value)])

    if stats.levels:
        _level_sheet(workbook, stats)

    units = workbook.create_sheet("单位")
    _header(units, RATE_HEADERS, [28, *[12] * 11])
    for r in [*stats.rates, overall]:
        spreadsheets.append(
            units,
            [
                r.unit,
                r.received,
                r.confirm_total,
                r.confirm_on_time,
                _cell(units, r.confirm_rate),
                r.conclude_total,
                r.conclude_on_time,
                _cell(units, r.conclude_rate),
                r.evaluations,
                r.satisfied,
                r.basically,
                _cell(units, r.satisfaction_rate),
            ],
        )

    recurring = workbook.create_sheet("重复问题")
    _header(recurring, ["范围", "辖区或单位", "主题", "件数"], [10, 28, 20, 10])
    for scope, rows in (("辖区", stats.recurring_jurisdictions), ("单位", stats.recurring_units)):
        for r in rows:
            spreadsheets.append(recurring, [scope, r.where, r.theme, r.count])

    issues = workbook.create_sheet("每月一题")
    _header(issues, ["月份", "辖区", "主题", "件数"], [10, 28, 20, 10])
    for i in stats.monthly_issues:
        spreadsheets.append(issues, [f"{i.month:%Y-%m}", i.jurisdiction, i.theme, i.count])

    keys = workbook.create_sheet("重点督办")
    _header(keys, KEY_HEADERS, [16, 36, 28, 24, 12, 12, 14])
    for k in report.keys:
        p = k.petition
        spreadsheets.append(
            keys,
            [
                p.number,
                p.title,
                p.enterprise.name,
                p.lead_unit.name if p.lead_unit_id else "",
                str(k.get_status_display()),
                _cell(keys, _local_day(k.decided_at or k.created_at)),
                _cell(keys, k.follow_up_due_on),
            ],
        )
    if report.passed_on:
        _passed_on_sheet(workbook, report.passed_on)
    return spreadsheets.to_bytes(workbook)


def _level_sheet(workbook: Workbook, stats: selectors.Statistics) -> None:
    """分级汇总: one row per level (this level's own petitions, then each district or zone with the
    levels below it) and the total; a petition counts at the level that runs it now."""
    sheet = workbook.create_sheet("分级汇总")
    _header(sheet, LEVEL_HEADERS, [28, *[12] * 12])
    for r in [*stats.levels, stats.levels_total]:
        spreadsheets.append(
            sheet,
            [
                f"{r.unit}（本级）" if r.own else r.unit if r.unit_id else "合计",
                r.received,
                r.accepted,
                r.concluded,
                r.overdue,
                r.confirm_total,
                r.confirm_on_time,
                _cell(sheet, r.confirm_rate),
                r.conclude_total,
                r.conclude_on_time,
                _cell(sheet, r.conclude_rate),
                r.evaluations,
                _cell(sheet, r.satisfaction_rate),
            ],
        )


def _passed_on_sheet(workbook: Workbook, petitions: list[Petition]) -> None:
    """上交上级: petitions received in the period that this level passed up; they count there."""
    sheet = workbook.create_sheet("上交上级")
    _header(sheet, PASSED_ON_HEADERS, [16, 36, 28, 20, 14, 12])
    for p in petitions[: selectors.PASSED_ON_MAX]:
        spreadsheets.append(
            sheet,
            [
                p.number,
                p.title,
                p.enterprise.name,
                p.jurisdiction.name,
                str(STATES.get(p.state, p.state)),
                _cell(sheet, _local_day(p.received_at)),
            ],
        )
