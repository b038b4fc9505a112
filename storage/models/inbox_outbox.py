"""Incoming updates stored before they are acknowledged, and the replies
waiting to be delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from storage.models.base import utcnow

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
