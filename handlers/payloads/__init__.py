"""Typed button payloads: what a pressed button (or a typed choice) asks for, as data.

A payload travels as short text (Telegram allows 64 bytes of callback data, and
offered screens and the outbox store it), e.g. ``a:12:bags:yes``. This module is
the only place that writes or reads that text: ``encode()`` on each class,
``decode()`` for any string. Anything ``encode`` could not have produced —
forged, truncated, from another version, ids with leading zeros or too many
digits — decodes to None, and the engine treats None as a stale button.

Every payload that acts on a checklist run names the run (``run_id``): the engine
refuses it unless it is the sender's open run, in the phase the button was for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import ClassVar

from handlers.report_forms.flow import CODES as FORM_CODES

# Row ids, years: canonical digits only (int() would read "²" or "007"), and at most
# nine of them (10**20 fits no column).
_ID = re.compile(r"0|[1-9][0-9]{0,8}")
_POSITIVE = re.compile(r"[1-9][0-9]{0,8}")
_FIELD = {
    "checklist_id": re.compile(r"[a-z0-9_]{1,40}"),
    "question_id": re.compile(r"[a-z][a-z0-9_]{0,39}"),
    # An option id, yes/no, "today", a quick number ("25", "12.5", "-3").
    "code": re.compile(r"-?[a-z0-9][a-z0-9_.]{0,39}"),
    "department": re.compile(r"[A-Z0-9_]{1,16}"),
    # A site search as folded text (storage.textnorm.fold: [a-z0-9 ] only).
    "query": re.compile(r"[a-z0-9]([a-z0-9 ]{0,38}[a-z0-9])?"),
    # One of the department report form's own choices (handlers/report_forms/flow.py).
    "choice": re.compile("|".join(re.escape(code) for code in FORM_CODES)),
}


@dataclass(frozen=True)
class Payload:
    """``tag[:subtag]:field:field[:suffix]``; a suffix tells apart payloads with the same
    fields, a subtag the payloads of one family; ``ids``: what their ids may be."""

    tag: ClassVar[str]
    subtag: ClassVar[str | None] = None
    suffix: ClassVar[str | None] = None
    ids: ClassVar[re.Pattern[str]] = _ID

    def encode(self) -> str:
        head = [self.tag, *([self.subtag] if self.subtag else [])]
        parts = [*head, *(str(getattr(self, f.name)) for f in fields(self))]
        return ":".join(parts + ([self.suffix] if self.suffix else []))


@dataclass(frozen=True)
class OpenChecklist(Payload):
    tag = "cl"
    checklist_id: str


@dataclass(frozen=True)
class ConfirmReport(Payload):
    """A reminder's "report submitted" (answered whatever checklist is open)."""

    tag = "rc"
    deadline_id: int
    year: int
    department: str


@dataclass(frozen=True)
class ResumeRun(Payload):
    tag, suffix = "r", "c"
    run_id: int


@dataclass(frozen=True)
class DiscardRun(Payload):
    tag, suffix = "r", "d"
    run_id: int


@dataclass(frozen=True)
class ConfirmCancel(Payload):
    tag, suffix = "k", "y"
    run_id: int


@dataclass(frozen=True)
class KeepRun(Payload):
    tag, suffix = "k", "n"
    run_id: int


@dataclass(frozen=True)
class Back(Payload):
    tag = "b"
    run_id: int


@dataclass(frozen=True)
class PickSite(Payload):
    tag = "s"
    run_id: int
    site_id: int


@dataclass(frozen=True)
class UpdateCheck(Payload):
    """The site was checked recently: update that check."""

    tag, suffix = "u", "u"
    run_id: int


@dataclass(frozen=True)
class NewCheck(Payload):
    """The site was checked recently: file a new check all the same."""

    tag, suffix = "u", "n"
    run_id: int


@dataclass(frozen=True)
class Edit(Payload):
    tag = "e"
    run_id: int
    question_id: str


@dataclass(frozen=True)
class Submit(Payload):
    tag = "x"
    run_id: int


@dataclass(frozen=True)
class Skip(Payload):
    tag, suffix = "a", "_skip"
    run_id: int
    question_id: str


@dataclass(frozen=True)
class Pick(Payload):
    """One answer to the question (a yes/no, an option, a quick number, "today")."""

    tag = "a"
    run_id: int
    question_id: str
    code: str


@dataclass(frozen=True)
class Done(Payload):
    """A multiple choice is ticked as wanted."""

    tag, suffix = "m", "_done"
    run_id: int
    question_id: str


@dataclass(frozen=True)
class Toggle(Payload):
    """Ticks or unticks one option of a multiple choice."""

    tag = "m"
    run_id: int
    question_id: str
    code: str


# --- fewer steps (issue 12): start at a recent site, page through a search, say a
# site is missing, reuse the last check's answers.


@dataclass(frozen=True)
class StartAt(Payload):
    """The menu's recent site: start this checklist there in one step."""

    tag = "sa"
    checklist_id: str
    site_id: int


@dataclass(frozen=True)
class SitePage(Payload):
    """The next page of a site search (the folded query travels along)."""

    tag = "sp"
    run_id: int
    page: int
    query: str


@dataclass(frozen=True)
class NotThisSite(Payload):
    """The one site a search found is not the one: back to the search."""

    tag, suffix = "sn", "n"
    run_id: int


@dataclass(frozen=True)
class ProposeSite(Payload):
    """The site is not on the list: the next message proposes it to an admin."""

    tag, suffix = "sn", "p"
    run_id: int


@dataclass(frozen=True)
class ReuseAnswers(Payload):
    """Fill the draft with the answers of the site's last check (``source_id``)."""

    tag = "ru"
    run_id: int
    source_id: int


FEWER_STEPS_KINDS: tuple[type[Payload], ...] = (
    StartAt,
    SitePage,
    NotThisSite,
    ProposeSite,
    ReuseAnswers,
)


# --- review of submitted checks (handlers/conversation/review.py) --------------------
# These name a submitted check (check_id), not the open run, and the review step the
# card showed (seq): a choice made on an older card is stale and changes nothing.


@dataclass(frozen=True)
class ReviewOpen(Payload):
    tag = "ro"
    check_id: int


@dataclass(frozen=True)
class ReviewApprove(Payload):
    tag, suffix = "rv", "a"
    check_id: int
    seq: int


@dataclass(frozen=True)
class ReviewSendBack(Payload):
    tag, suffix = "rv", "c"
    check_id: int
    seq: int


@dataclass(frozen=True)
class ReviewSkip(Payload):
    tag, suffix = "rv", "s"
    check_id: int
    seq: int


@dataclass(frozen=True)
class ReviewReject(Payload):
    tag, suffix = "rv", "r"
    check_id: int
    seq: int


@dataclass(frozen=True)
class ReviewCancel(Payload):
    """Back from choosing answers (or typing a comment) to the card."""

    tag, suffix = "rv", "x"
    check_id: int
    seq: int


@dataclass(frozen=True)
class ReviewFlagsDone(Payload):
    tag, suffix = "rq", "_done"
    check_id: int
    seq: int


@dataclass(frozen=True)
class ReviewFlag(Payload):
    """Ticks or unticks one answer to send back for correction."""

    tag = "rq"
    check_id: int
    seq: int
    question_id: str


@dataclass(frozen=True)
class StartCorrection(Payload):
    """The inspector's "Sửa ngay": reopen the questions the request names."""

    tag = "fx"
    check_id: int
    seq: int


REVIEW_KINDS: tuple[type[Payload], ...] = (
    ReviewOpen,
    ReviewApprove,
    ReviewSendBack,
    ReviewSkip,
    ReviewReject,
    ReviewCancel,
    ReviewFlagsDone,
    ReviewFlag,
    StartCorrection,
)


# --- the department's yearly report (handlers/conversation/department_report.py) ------
# ``dr:<subtag>:<value>``: one value each, and none of their ids or years is ever 0.


@dataclass(frozen=True)
class DeptReportPayload(Payload):
    tag = "dr"
    ids = _POSITIVE


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


# Suffixed kinds first: "a:1:q:_skip" is a Skip, never a Pick of "_skip" (which the
# code pattern refuses anyway).
KINDS: tuple[type[Payload], ...] = (
    OpenChecklist,
    ConfirmReport,
    ResumeRun,
    DiscardRun,
    ConfirmCancel,
    KeepRun,
    Back,
    PickSite,
    UpdateCheck,
    NewCheck,
    Edit,
    Submit,
    Skip,
    Pick,
    Done,
    Toggle,
    *FEWER_STEPS_KINDS,
    *REVIEW_KINDS,
    *DEPT_REPORT_KINDS,
)


def _read(kind: type[Payload], parts: list[str]) -> Payload | None:
    if kind.subtag is not None:
        if not parts or parts[0] != kind.subtag:
            return None
        parts = parts[1:]
    if kind.suffix is not None:
        if not parts or parts[-1] != kind.suffix:
            return None
        parts = parts[:-1]
    names = [f for f in fields(kind)]
    if len(parts) != len(names):
        return None
    values = {}
    for field, text in zip(names, parts, strict=True):
        pattern = kind.ids if field.type == "int" else _FIELD[field.name]
        if not pattern.fullmatch(text):
            return None
        values[field.name] = int(text) if field.type == "int" else text
    return kind(**values)


def decode(data: str | None) -> Payload | None:
    """The payload ``data`` encodes, or None for anything ``encode`` never writes."""
    if not data or len(data) > 64:
        return None
    tag, *parts = data.split(":")
    for kind in KINDS:
        if kind.tag == tag:
            payload = _read(kind, parts)
            if payload is not None:
                return payload
    return None


def answers_the_question(payload: Payload | None) -> bool:
    """An option of the question itself, as opposed to moving about (Xong, Bỏ qua,
    « Quay lại) or any other screen's choice."""
    return isinstance(payload, Pick | Toggle)
