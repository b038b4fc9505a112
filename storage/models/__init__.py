"""The tables. Times are timezone-aware and stored in UTC (SQLModel's UTCDateTime);
conversion to Asia/Ho_Chi_Minh happens only when something is shown to a person.

One module per job; importing this package registers every table on
``SQLModel.metadata`` (the migrations' env.py and ``create_all`` rely on it), and
``from storage.models import X`` works for every table and value list."""

from __future__ import annotations

from storage.models.base import utcnow
from storage.models.dept_reports import DEPT_REPORT_STATUSES, DeptReport
from storage.models.inbox_outbox import (
    INBOX_STATUSES,
    OUTBOX_STATUSES,
    InboxUpdate,
    OutboxMessage,
)
from storage.models.people import (
    CHANNELS,
    DEPARTMENTS,
    ROLES,
    ChannelAccount,
    Department,
    Invite,
    Person,
)
from storage.models.privacy import (
    CONSENT_DECISIONS,
    FORGET_STATUSES,
    AccessLog,
    Consent,
    ForgetRequest,
)
from storage.models.reminders import (
    DELIVERY_STATUSES,
    Deadline,
    ReminderDelivery,
    ReportConfirmation,
)
from storage.models.review import (
    REVIEW_STATES,
    AnswerChange,
    ReviewCorrection,
    ReviewDraft,
    ReviewEvent,
    ReviewNudge,
)
from storage.models.runs import (
    ENTERPRISE_KEY_LENGTH,
    RUN_PHASES,
    RUN_STATUSES,
    Answer,
    ChecklistRun,
    OfferedChoices,
)
from storage.models.sites import SITE_KINDS, SITE_STATUSES, ProposedSite, Site
from storage.models.web import WebLoginLink, WebSecret, WebSession

__all__ = [
    "CHANNELS",
    "ENTERPRISE_KEY_LENGTH",
    "CONSENT_DECISIONS",
    "DELIVERY_STATUSES",
    "DEPARTMENTS",
    "DEPT_REPORT_STATUSES",
    "FORGET_STATUSES",
    "INBOX_STATUSES",
    "OUTBOX_STATUSES",
    "REVIEW_STATES",
    "ROLES",
    "RUN_PHASES",
    "RUN_STATUSES",
    "SITE_KINDS",
    "SITE_STATUSES",
    "AccessLog",
    "Answer",
    "AnswerChange",
    "ChannelAccount",
    "ChecklistRun",
    "Consent",
    "Deadline",
    "Department",
    "DeptReport",
    "ForgetRequest",
    "InboxUpdate",
    "Invite",
    "OfferedChoices",
    "OutboxMessage",
    "Person",
    "ProposedSite",
    "ReminderDelivery",
    "ReportConfirmation",
    "ReviewCorrection",
    "ReviewDraft",
    "ReviewEvent",
    "ReviewNudge",
    "Site",
    "WebLoginLink",
    "WebSecret",
    "WebSession",
    "utcnow",
]
