"""The department's yearly report (handlers/conversation/department_report.py)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.payloads.base import POSITIVE_ID, Payload

# ``dr:<subtag>:<value>``: one value each, and none of their ids or years is ever 0.


@dataclass(frozen=True)
class DeptReportPayload(Payload):
    tag = "dr"
    ids = POSITIVE_ID


@dataclass(frozen=True)
class FormChoice(DeptReportPayload):
    """One of the form's own choices (Xong, Bỏ qua, Giữ nguyên, …)."""

    subtag = "c"
    choice: str


@dataclass(frozen=True)
class OpenForm(DeptReportPayload):
    """Open the year's form where it stopped (the reminder's "Lập báo cáo")."""

    subtag = "op"
    year: int


@dataclass(frozen=True)
class NameFiller(DeptReportPayload):
    """The head names a colleague to fill the form in."""

    subtag = "dg"
    person_id: int


@dataclass(frozen=True)
class SendBackReport(DeptReportPayload):
    """KTATMT sends a submitted report back (the comment follows)."""

    subtag = "rt"
    report_id: int


@dataclass(frozen=True)
class ReportFile(DeptReportPayload):
    """KTATMT gets a department's report as DOCX."""

    subtag = "fl"
    report_id: int


DEPT_REPORT_KINDS: tuple[type[DeptReportPayload], ...] = (
    FormChoice,
    OpenForm,
    NameFiller,
    SendBackReport,
    ReportFile,
)
