"""Excel imports on /staff/: the enterprise registry and batches of 12345 tickets (docs/rules.md §2, §3).

Every import is all or nothing. `preview` runs the whole file in a transaction that is always
rolled back (a dry run), and reports each row by its Excel row number; `commit` runs it again and
keeps it only if every row went through. Re-importing the same file creates no duplicates: firms are
updated by their unified social credit code, and a ticket whose number is already registered is
skipped (and the row says so).
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

import openpyxl
import tablib
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.results import RowResult

from petitions import access, workflow
from petitions.exceptions import WorkflowError
from petitions.models import Enterprise, Petition, User
from petitions.resources import (
    ENTERPRISE_HEADERS,
    TICKET_HEADERS,
    EnterpriseResource,
    TicketResource,
)

KINDS = ("enterprises", "tickets")
REQUIRED = {
    "enterprises": ("统一社会信用代码", "企业名称", "联系人", "联系电话", "所属辖区"),
    "tickets": ("工单编号", "统一社会信用代码", "受理时间", "类型", "标题", "内容"),
}
HEADERS = {"enterprises": ENTERPRISE_HEADERS, "tickets": TICKET_HEADERS}
MAX_ROWS = 5000
STASH_DIR = "imports"
STASH_SALT = "petitions.imports"
STASH_MAX_AGE = 60 * 60  # an upload may be confirmed within an hour of its preview
# Older than twice the token's life, no stashed upload can be confirmed any more.
PURGE_AFTER = timedelta(seconds=2 * STASH_MAX_AGE)

STATUS_LABELS = {
    "new": gettext_lazy("New"),
    "update": gettext_lazy("Update"),
    "unchanged": gettext_lazy("Unchanged"),
    "skipped": gettext_lazy("Already registered, skipped"),
    "error": gettext_lazy("Error"),
}


class ImportFileError(Exception):
    """The file cannot be read as the expected workbook at all."""


@dataclass
class RowReport:
    number: int  # the row's number in Excel (the header is row 1)
    status: str
    key: str = ""
    label: str = ""
    errors: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class ImportReport:
    kind: str
    rows: list[RowReport]
    written: bool = False

    @property
    def error_rows(self) -> list[RowReport]:
        return [r for r in self.rows if r.status == "error"]

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.error_rows

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in STATUS_LABELS}


# --- reading the workbook --------------------------------------------------------------------------


def read_workbook(data: bytes, kind: str) -> tuple[tablib.Dataset, list[int]]:
    """The first sheet as a dataset, without blank lines, and the Excel row number of each row."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise ImportFileError(_("This file cannot be read as an Excel workbook.")) from e
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None) or ()
    headers = [str(h).strip() if h is not None else "" for h in header]
    missing = [h for h in REQUIRED[kind] if h not in headers]
    if missing:
        raise ImportFileError(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": "、".join(missing)}
        )
    keep = [i for i, h in enumerate(headers) if h in HEADERS[kind]]
    dataset = tablib.Dataset(headers=[headers[i] for i in keep])
    numbers = []
    for number, line in enumerate(lines, start=2):
        values = [line[i] if i < len(line) else None for i in keep]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        dataset.append(values)
        numbers.append(number)
        if len(numbers) > MAX_ROWS:
            raise ImportFileError(_("At most %(n)d rows per workbook.") % {"n": MAX_ROWS})
    book.close()
    if not numbers:
        raise ImportFileError(_("The workbook has no rows below the column names."))
    for column in HEADERS[kind]:
        if column not in dataset.headers:
            dataset.append_col([""] * len(dataset), header=column)
    return dataset, numbers


# --- the enterprise registry -------------------------------------------------------------------------


def _enterprise_messages(resource: EnterpriseResource, row_result: RowResult) -> list[str]:
    messages = []
    if row_result.validation_error is not None:
        for name, errors in row_result.validation_error.message_dict.items():
            field_ = resource.fields.get(name)
            column = field_.column_name if field_ else ""
            for error in errors:
                messages.append(f"{column}：{error}" if column else error)
    for error in row_result.errors:
        messages.append(str(error.error))
    return messages


def _enterprises(
    dataset: tablib.Dataset, numbers: list[int], user: User, dry_run: bool
) -> list[RowReport]:
    resource = EnterpriseResource(jurisdiction_ids=access.jurisdiction_ids_under(user.unit))
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )
    reports = []
    base = [str(e.error) for e in result.base_errors]
    for number, values, row_result in zip(numbers, dataset.dict, result.rows, strict=True):
        status = {
            RowResult.IMPORT_TYPE_NEW: "new",
            RowResult.IMPORT_TYPE_UPDATE: "update",
            RowResult.IMPORT_TYPE_SKIP: "unchanged",
        }.get(row_result.import_type, "error")
        reports.append(
            RowReport(
                number=number,
                status=status,
                key=str(values.get("统一社会信用代码") or ""),
                label=str(values.get("企业名称") or ""),
                errors=_enterprise_messages(resource, row_result),
            )
        )
    if base and reports:
        reports[0].status = "error"
        reports[0].errors.extend(base)
    return reports


# --- 12345 tickets ---------------------------------------------------------------------------------


def _tickets(
    dataset: tablib.Dataset, numbers: list[int], user: User, dry_run: bool
) -> list[RowReport]:
    resource = TicketResource()
    parsed = [resource.parse(row) for row in dataset.dict]
    codes = {values.get("uscc") for values, _errors in parsed if values.get("uscc")}
    enterprises = {
        e.uscc: e
        for e in Enterprise.objects.filter(
            uscc__in=codes, jurisdiction_id__in=access.jurisdiction_ids_under(user.unit)
        )
    }
    refs = {values.get("ref") for values, _errors in parsed if values.get("ref")}
    registered = dict(
        Petition.objects.filter(channel=TicketResource.CHANNEL, channel_ref__in=refs).values_list(
            "channel_ref", "number"
        )
    )
    first_seen: dict[str, int] = {}

    def column(name: str) -> str:
        return f"{resource.fields[name].column_name}："

    reports = []
    with transaction.atomic():
        for number, (values, cell_errors) in zip(numbers, parsed, strict=True):
            ref = values.get("ref") or ""
            report = RowReport(
                number=number, status="new", key=ref, label=values.get("title") or ""
            )
            report.errors = [f"{column}：{message}" for column, message in cell_errors.items()]
            for name in ("ref", "uscc", "received_at", "type", "title", "content"):
                if not values.get(name) and resource.fields[name].column_name not in cell_errors:
                    report.errors.append(column(name) + _("This cell is required."))
            if ref in first_seen:
                report.errors.append(
                    column("ref")
                    + _("The same ticket number is already in row %(row)d.")
                    % {"row": first_seen[ref]}
                )
            elif ref:
                first_seen[ref] = number
            enterprise = enterprises.get(values.get("uscc"))
            if values.get("uscc") and enterprise is None:
                report.errors.append(
                    column("uscc")
                    + _("No enterprise with this code is registered in your jurisdiction.")
                )
            if report.errors:
                report.status = "error"
            elif ref in registered:
                report.status = "skipped"
                report.note = _("Already registered as %(number)s.") % {"number": registered[ref]}
            else:
                try:
                    with transaction.atomic():
                        petition = workflow.register(
                            actor=user,
                            enterprise=enterprise,
                            channel=TicketResource.CHANNEL,
                            channel_ref=ref,
                            type=values["type"],
                            theme_id=values["theme"].pk if values.get("theme") else None,
                            title=values["title"],
                            content=values["content"],
                            request=values.get("request") or "",
                            received_at=values["received_at"],
                        )
                except WorkflowError as e:
                    report.status = "error"
                    report.errors.extend(e.messages)
                else:
                    report.note = "" if dry_run else petition.number
            reports.append(report)
        if dry_run or any(r.status == "error" for r in reports):
            transaction.set_rollback(True)
    return reports


# --- entry points ---------------------------------------------------------------------------------


def _run(kind: str, data: bytes, user: User, dry_run: bool) -> ImportReport:
    if kind not in KINDS:
        raise ImportFileError(_("Unknown kind of import."))
    dataset, numbers = read_workbook(data, kind)
    run = _enterprises if kind == "enterprises" else _tickets
    rows = run(dataset, numbers, user, dry_run)
    report = ImportReport(kind=kind, rows=rows)
    report.written = not dry_run and report.is_valid
    return report


def preview(kind: str, data: bytes, user: User) -> ImportReport:
    """A dry run: every row checked and reported, nothing written."""
    return _run(kind, data, user, dry_run=True)


def commit(kind: str, data: bytes, user: User) -> ImportReport:
    """The real import, in one transaction: written only if every row is valid."""
    with transaction.atomic():
        report = _run(kind, data, user, dry_run=False)
        if not report.is_valid:
            transaction.set_rollback(True)
            report.written = False
    return report


# --- keeping the upload between the preview and the confirmation --------------------------------
#
# Registry workbooks carry names and phone numbers, so a stashed upload lives only as long as it can
# be used: it is deleted when confirmed, cancelled or found expired, and `purge_stale_uploads` (beat,
# hourly) deletes what was previewed and then abandoned. A preview with errors is never stashed.


def stash(data: bytes, kind: str, user: User) -> str:
    """Keep the uploaded workbook (through the storage API) and return a signed token for it."""
    name = default_storage.save(f"{STASH_DIR}/{uuid.uuid4().hex}.xlsx", ContentFile(data))
    return signing.dumps({"name": name, "kind": kind, "user": user.pk}, salt=STASH_SALT)


def unstash(token: str, user: User) -> tuple[str, bytes]:
    """Take this user's stashed upload out of the stash: its kind and bytes, the file deleted.

    Whatever follows (an import, with or without errors, or a cancellation), the file is gone. An
    expired upload is deleted too (it can never be imported); another user's live upload is
    refused and left alone.
    """
    expired = ImportFileError(_("This upload has expired; upload the workbook again."))
    try:
        payload = signing.loads(token, salt=STASH_SALT, max_age=STASH_MAX_AGE)
    except signing.SignatureExpired as e:
        default_storage.delete(signing.loads(token, salt=STASH_SALT)["name"])
        raise expired from e
    except signing.BadSignature as e:
        raise expired from e
    if payload.get("user") != user.pk or payload.get("kind") not in KINDS:
        raise expired
    try:
        with default_storage.open(payload["name"], "rb") as handle:
            data = handle.read()
    except FileNotFoundError as e:
        raise expired from e
    default_storage.delete(payload["name"])
    return payload["kind"], data


def purge_stale_uploads(*, older_than: timedelta = PURGE_AFTER) -> int:
    """Delete stashed uploads older than `older_than`; the number deleted. Safe to run twice."""
    cutoff = timezone.now() - older_than
    try:
        _folders, files = default_storage.listdir(STASH_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for file_name in files:
        name = f"{STASH_DIR}/{file_name}"
        try:
            if default_storage.get_modified_time(name) > cutoff:
                continue
            default_storage.delete(name)
        except FileNotFoundError:  # confirmed or cancelled meanwhile
            continue
        deleted += 1
    return deleted
