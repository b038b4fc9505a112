"""Typed button payloads: what a pressed button (or a typed choice) asks for, as data.

A payload travels as short text (Telegram allows 64 bytes of callback data, and
offered screens and the outbox store it), e.g. ``a:12:bags:yes``. This package is
the only place that writes or reads that text: ``encode()`` on each class,
``decode()`` for any string (the grammar is in ``base.py``, the kinds by job in
``runs.py``, ``review.py`` and ``dept_report.py``). Anything ``encode`` could not
have produced — forged, truncated, from another version, ids with leading zeros or
too many digits — decodes to None, and the engine treats None as a stale button.

Every payload that acts on a checklist run names the run (``run_id``): the engine
refuses it unless it is the sender's open run, in the phase the button was for.
"""

from __future__ import annotations

from handlers.payloads.base import Payload, read
from handlers.payloads.dept_report import (
    DEPT_REPORT_KINDS,
    DeptReportPayload,
    FormChoice,
    NameFiller,
    OpenForm,
    ReportFile,
    SendBackReport,
)
from handlers.payloads.review import (
    REVIEW_KINDS,
    ReviewApprove,
    ReviewCancel,
    ReviewFlag,
    ReviewFlagsDone,
    ReviewOpen,
    ReviewReject,
    ReviewSendBack,
    ReviewSkip,
    StartCorrection,
)
from handlers.payloads.runs import (
    FEWER_STEPS_KINDS,
    Back,
    ConfirmCancel,
    ConfirmReport,
    DiscardRun,
    Done,
    Edit,
    KeepRun,
    NewCheck,
    NotThisSite,
    OpenChecklist,
    Pick,
    PickSite,
    ProposeSite,
    ResumeRun,
    ReuseAnswers,
    SitePage,
    Skip,
    StartAt,
    Submit,
    Toggle,
    UpdateCheck,
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


def decode(data: str | None) -> Payload | None:
    """The payload ``data`` encodes, or None for anything ``encode`` never writes."""
    if not data or len(data) > 64:
        return None
    tag, *parts = data.split(":")
    for kind in KINDS:
        if kind.tag == tag:
            payload = read(kind, parts)
            if payload is not None:
                return payload
    return None


def answers_the_question(payload: Payload | None) -> bool:
    """An option of the question itself, as opposed to moving about (Xong, Bỏ qua,
    « Quay lại) or any other screen's choice."""
    return isinstance(payload, Pick | Toggle)


__all__ = [
    "Payload",
    "DeptReportPayload",
    "FormChoice",
    "OpenForm",
    "NameFiller",
    "SendBackReport",
    "ReportFile",
    "DEPT_REPORT_KINDS",
    "ReviewOpen",
    "ReviewApprove",
    "ReviewSendBack",
    "ReviewSkip",
    "ReviewReject",
    "ReviewCancel",
    "ReviewFlagsDone",
    "ReviewFlag",
    "StartCorrection",
    "REVIEW_KINDS",
    "OpenChecklist",
    "ConfirmReport",
    "ResumeRun",
    "DiscardRun",
    "ConfirmCancel",
    "KeepRun",
    "Back",
    "PickSite",
    "UpdateCheck",
    "NewCheck",
    "Edit",
    "Submit",
    "Skip",
    "Pick",
    "Done",
    "Toggle",
    "StartAt",
    "SitePage",
    "NotThisSite",
    "ProposeSite",
    "ReuseAnswers",
    "FEWER_STEPS_KINDS",
    "KINDS",
    "answers_the_question",
    "decode",
]
