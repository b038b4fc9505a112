"""The tables. Times are timezone-aware and stored in UTC (SQLModel's UTCDateTime);
conversion to Asia/Ho_Chi_Minh happens only when something is shown to a person."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

ROLES = ("inspector", "head", "admin")
CHANNELS = ("telegram", "zalo", "terminal")
SITE_KINDS = ("supermarket", "trade_centre", "industrial_cluster")
SITE_STATUSES = ("operating", "planned", "closed")
# superseded: a submitted check later replaced by an "update that check" run.
RUN_STATUSES = ("draft", "submitted", "cancelled", "superseded")
# Where an open run waits: choosing a site, confirming a site checked recently,
# answering a question, or reviewing before submit.
RUN_PHASES = ("site", "site_duplicate", "question", "review")
DELIVERY_STATUSES = ("claimed", "sent", "failed", "unreachable")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Department(SQLModel, table=True):
    __tablename__ = "department"

    code: str = Field(primary_key=True, max_length=16)
    name_vi: str = Field(max_length=200)
    name_en: str = Field(max_length=200)


class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    department_code: str = Field(foreign_key="department.code", max_length=16, index=True)
    language: str = Field(default="vi", max_length=2)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class ChannelAccount(SQLModel, table=True):
    """A person's identity on one messenger; a person may have several."""

    __tablename__ = "channel_account"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    __tablename__ = "invite"

    code: str = Field(primary_key=True, max_length=32)
    role: str = Field(max_length=16)
    department_code: str = Field(foreign_key="department.code", max_length=16)
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by_id: int | None = Field(default=None, foreign_key="person.id")


class Site(SQLModel, table=True):
    __tablename__ = "site"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    # Lower-case name without accents, so "co op quang ngai" finds "Co.opmart Quảng Ngãi".
    search_name: str = Field(max_length=300)
    kind: str = Field(max_length=32, index=True)
    commune: str = Field(default="", max_length=200)
    old_district: str = Field(default="", max_length=200)
    province: str = Field(default="", max_length=200)
    status: str = Field(default="operating", max_length=16)
    note: str = Field(default="", max_length=500)
    latitude: float | None = None
    longitude: float | None = None


class ChecklistRun(SQLModel, table=True):
    """One filling of one checklist; while a draft, it is the conversation state."""

    __tablename__ = "checklist_run"
    __table_args__ = (
        sa.Index("ix_run_site_status_submitted", "site_id", "status", "submitted_at"),
        sa.Index("ix_run_person_status", "person_id", "status"),
        sa.Index("ix_run_checklist_status_submitted", "checklist_id", "status", "submitted_at"),
        # The year's checks over every checklist (/summary): migration 0007.
        sa.Index("ix_run_status_submitted", "status", "submitted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    site_id: int | None = Field(default=None, foreign_key="site.id")
    checklist_id: str = Field(max_length=64)
    checklist_version: int
    status: str = Field(default="draft", max_length=16)
    phase: str = Field(default="site", max_length=16)
    current_question: str | None = Field(default=None, max_length=64)
    # After an edit from the review screen the run returns to the review.
    editing: bool = Field(default=False)
    # The submitted run this draft will replace ("update that check").
    supersedes_id: int | None = Field(default=None, foreign_key="checklist_run.id")
    # Site picked but checked recently: waiting for "update" or "new".
    pending_site_id: int | None = Field(default=None, foreign_key="site.id")
    # The earlier check whose answers filled this draft ("Dùng lại câu trả lời lần
    # trước"): the review marks what changed since (migration 0008).
    reused_from_id: int | None = Field(default=None, foreign_key="checklist_run.id")
    channel: str = Field(default="telegram", max_length=16)
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None


class Answer(SQLModel, table=True):
    """One answer, typed: choices and text in value_text, numbers in value_number,
    dates in value_date, several choices or a location in value_json."""

    __tablename__ = "answer"
    __table_args__ = (sa.UniqueConstraint("run_id", "question_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    question_id: str = Field(max_length=64)
    value_text: str | None = Field(default=None, max_length=4000)
    value_number: float | None = None
    value_date: date | None = None
    value_json: Any | None = Field(default=None, sa_column=Column(JSON))
    skipped: bool = Field(default=False)
    answered_at: datetime = Field(default_factory=utcnow)


class OfferedChoices(SQLModel, table=True):
    """The choices last shown to a person, so a typed number ("2") on a channel
    without buttons means the same as pressing the second button."""

    __tablename__ = "offered_choices"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    payloads: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


# Where an incoming update stands: waiting, applied, or set aside (it could not be
# parsed or failed again and again; kept for a person to look at, never retried).
INBOX_STATUSES = ("pending", "done", "set_aside")
OUTBOX_STATUSES = ("pending", "sent", "failed")


class InboxUpdate(SQLModel, table=True):
    """An update as the messenger sent it, stored before it is acknowledged (the next
    getUpdates offset, the webhook's 200), so a crash before it is applied loses nothing."""

    __tablename__ = "inbox_update"
    __table_args__ = (
        sa.UniqueConstraint("channel", "update_key"),
        sa.Index("ix_inbox_status_sender", "status", "channel", "sender_key", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    # The messenger's id of the update (a digest of the body when it has none).
    update_key: str = Field(max_length=64)
    # Whose update it is: one sender's updates are applied strictly in order.
    sender_key: str = Field(max_length=64)
    raw: Any = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None


class OutboxMessage(SQLModel, table=True):
    """The replies of one turn, written in the turn's transaction and delivered after it;
    ``parts_sent`` counts the messenger messages already out, so a crash resends at most one."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_status_chat", "status", "channel", "chat_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    language: str = Field(default="vi", max_length=2)
    replies: Any = Field(sa_column=Column(JSON, nullable=False))
    parts_sent: int = Field(default=0)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=200)
    inbox_id: int | None = Field(default=None, foreign_key="inbox_update.id")
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class Deadline(SQLModel, table=True):
    """A reporting deadline: a fixed date, or a day and month every year."""

    __tablename__ = "deadline"

    id: int | None = Field(default=None, primary_key=True)
    title_vi: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    due_date: date | None = None
    yearly_month: int | None = None
    yearly_day: int | None = None
    # Department codes; empty means every department.
    departments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Days before the due date (0 = on the day).
    offsets: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    repeat_overdue: bool = Field(default=True)
    escalate_to: str | None = Field(default=None, foreign_key="department.code", max_length=16)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class ReminderDelivery(SQLModel, table=True):
    """A reminder claimed before it is sent: the unique key makes it exactly-once."""

    __tablename__ = "reminder_delivery"
    __table_args__ = (
        sa.UniqueConstraint(
            "deadline_id", "department_code", "recipient_id", "year", "offset_days", "kind"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id")
    department_code: str = Field(foreign_key="department.code", max_length=16)
    recipient_id: int = Field(foreign_key="person.id")
    year: int
    # Days before the due date; negative after it (overdue repeats).
    offset_days: int
    # "reminder" to the department's head, or "escalation" to the coordinating
    # department (whose head may also get a reminder for its own report).
    kind: str = Field(default="reminder", max_length=16)
    status: str = Field(default="claimed", max_length=16)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    channel: str | None = Field(default=None, max_length=16)
    claimed_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class ReportConfirmation(SQLModel, table=True):
    """A head's "report submitted" for one deadline, department and year."""

    __tablename__ = "report_confirmation"
    __table_args__ = (sa.UniqueConstraint("deadline_id", "department_code", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id")
    department_code: str = Field(foreign_key="department.code", max_length=16)
    year: int
    confirmed_by_id: int = Field(foreign_key="person.id")
    confirmed_at: datetime = Field(default_factory=utcnow)


DEPARTMENTS = [
    ("KTATMT", "Phòng Kỹ thuật an toàn – Môi trường", "Technical Safety and Environment Division"),
    ("QLTM", "Phòng Quản lý thương mại", "Trade Management Division"),
    ("QLCN", "Phòng Quản lý công nghiệp", "Industry Management Division"),
    ("QLNL", "Phòng Quản lý năng lượng", "Energy Management Division"),
    (
        "TTKC",
        "Trung tâm Khuyến công và Xúc tiến thương mại",
        "Industrial and Trade Promotion Centre",
    ),
    ("KHAC", "Các phòng khác thuộc Sở", "Other divisions of the Department"),
]


# --- personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP) ---------------------

# pending: the notice was shown at registration and the person has not answered yet
# (they can do nothing else); accepted: they may use the bot. A refusal leaves no row:
# the person and their account are removed at once.
CONSENT_DECISIONS = ("pending", "accepted")
FORGET_STATUSES = ("pending", "approved", "declined")


class Consent(SQLModel, table=True):
    """A person's answer to one version of the privacy notice, with its time."""

    __tablename__ = "consent"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    notice_version: str = Field(max_length=32)
    decision: str = Field(default="pending", max_length=16)
    channel: str = Field(default="", max_length=16)
    shown_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class AccessLog(SQLModel, table=True):
    """Who exported or viewed what: a person in a chat, or an operator at the command line.
    The person is kept as an id (never a name), so pseudonymising them covers this log too."""

    __tablename__ = "access_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    # The operator's login for CLI work ("" for a person in a chat).
    operator: str = Field(default="", max_length=100)
    # telegram / zalo / terminal / cli / web
    source: str = Field(max_length=16)
    action: str = Field(max_length=32)
    detail: str = Field(default="", max_length=300)


class ForgetRequest(SQLModel, table=True):
    """A person's /forget, waiting for an admin's approval."""

    __tablename__ = "forget_request"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(default="pending", max_length=16)
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None


# --- review of submitted checks (issue 13) ------------------------------------------

# A submitted check with no review row is "received"; every decision after that is a
# row, and the row with the highest seq is the check's state now.
REVIEW_STATES = ("received", "approved", "needs_correction", "corrected", "rejected")


class ReviewEvent(SQLModel, table=True):
    """One step of a check's review: who, when, why. A decision names the step it
    follows (seq = that step + 1), so of two reviewers acting at once one row goes in
    and the other hits the unique key."""

    __tablename__ = "review_event"
    __table_args__ = (sa.UniqueConstraint("run_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    seq: int
    state: str = Field(max_length=24)
    actor_id: int = Field(foreign_key="person.id")
    channel: str = Field(default="", max_length=16)
    # The request to correct, or the reason for a rejection.
    comment: str = Field(default="", max_length=1000)
    # The questions a request to correct concerns.
    question_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    at: datetime = Field(default_factory=utcnow)


class AnswerChange(SQLModel, table=True):
    """One change to an answer of a submitted check: the old and new value as JSON
    ({"text", "number", "date", "json", "skipped"}; null = no answer)."""

    __tablename__ = "answer_change"
    __table_args__ = (sa.Index("ix_answer_change_run", "run_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    question_id: str = Field(max_length=64)
    old_value: Any | None = Field(default=None, sa_column=Column(JSON))
    new_value: Any | None = Field(default=None, sa_column=Column(JSON))
    changed_by_id: int = Field(foreign_key="person.id")
    changed_at: datetime = Field(default_factory=utcnow)
    reason: str = Field(default="", max_length=1000)
    review_event_id: int | None = Field(default=None, foreign_key="review_event.id")


class ReviewCorrection(SQLModel, table=True):
    """A draft that corrects a submitted check: on resubmit its answers go back into the
    check (which keeps its id, its review rows and its place in the indicators)."""

    __tablename__ = "review_correction"

    draft_run_id: int = Field(foreign_key="checklist_run.id", primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id", index=True)
    # The needs_correction step this draft answers.
    request_seq: int
    created_at: datetime = Field(default_factory=utcnow)


class ReviewDraft(SQLModel, table=True):
    """A reviewer half-way through a decision: the answers picked so far, and whether
    the next message is the comment (or the reason for a rejection)."""

    __tablename__ = "review_draft"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    seq: int
    action: str = Field(max_length=24)
    question_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    waiting_for: str = Field(default="pick", max_length=16)
    updated_at: datetime = Field(default_factory=utcnow)


class ReviewNudge(SQLModel, table=True):
    """A reminder about a pending correction (once a working day, a few at most), or the
    one nudge about a draft left untouched (request_seq 0); the key makes each once."""

    __tablename__ = "review_nudge"
    __table_args__ = (sa.UniqueConstraint("run_id", "request_seq", "sent_on"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="checklist_run.id")
    request_seq: int
    sent_on: date
    sent_at: datetime = Field(default_factory=utcnow)


# --- the office web console (bot/web) ------------------------------------------------


class WebLoginLink(SQLModel, table=True):
    """A one-time sign-in link sent in the chat (/web): only its SHA-256 is kept, so the
    table alone cannot sign anyone in; ``used_at`` makes it single use."""

    __tablename__ = "web_login_link"

    token_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class WebSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds the session id, the table its SHA-256."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    # Every form carries this token; a form posted from elsewhere lacks it.
    csrf_token: str = Field(max_length=64)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class WebSecret(SQLModel, table=True):
    """The key that signs session cookies, made once per database so that several
    workers (and restarts) accept each other's cookies without configuration."""

    __tablename__ = "web_secret"

    id: int = Field(primary_key=True)
    secret: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


# --- department annual reports (issue 14) ------------------------------------------

# draft: being filled; submitted: sent to KTATMT (confirms the report and stops its
# reminders); returned: KTATMT sent it back with a comment, the head corrects it.
DEPT_REPORT_STATUSES = ("draft", "submitted", "returned")


class DeptReport(SQLModel, table=True):
    """One department's report for a year (handlers/report_forms/department_report.toml):
    the answers as one JSON object (question id -> text, number, or a list of entries
    for a repeatable group) and where the person filling it stopped (``cursor``)."""

    __tablename__ = "dept_report"
    __table_args__ = (sa.UniqueConstraint("department_code", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    department_code: str = Field(foreign_key="department.code", max_length=16)
    year: int
    status: str = Field(default="draft", max_length=16)
    form_version: int = Field(default=1)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    cursor: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The person the head named to fill it in (the head may always fill it in).
    delegate_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime | None = None
    submitted_by_id: int | None = Field(default=None, foreign_key="person.id")
    returned_at: datetime | None = None
    returned_by_id: int | None = Field(default=None, foreign_key="person.id")
    return_comment: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProposedSite(SQLModel, table=True):
    """A site an inspector could not find ("Không tìm thấy? Báo cơ sở mới"), waiting
    for an admin to add it to the site list (or to turn it down)."""

    __tablename__ = "proposed_site"

    id: int | None = Field(default=None, primary_key=True)
    # What the inspector typed: a name and usually an address.
    text: str = Field(max_length=500)
    checklist_id: str = Field(max_length=64)
    person_id: int = Field(foreign_key="person.id")
    status: str = Field(default="proposed", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
