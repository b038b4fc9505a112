"""The review of submitted checks (handlers/conversation/review.py)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.payloads.base import Payload

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
