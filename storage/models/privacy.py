"""Personal data (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): consent, the
access log, requests to be forgotten."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models.base import utcnow

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
