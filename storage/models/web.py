"""The office web console (bot/web): sign-in links, sessions, the cookie key."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models.base import utcnow


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
