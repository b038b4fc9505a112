"""The conversation engine: one Inbound in, Replies out, state in the database.

Each call runs in the caller's transaction: the inbox's claim of the update, the
answer, the run's new position and the replies are committed together, so a
crash between two messages loses nothing and a repeated delivery changes nothing.
What a turn does is in handlers/conversation/; this module owns the transaction
around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import make_url
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import report_worker, reports
from handlers.catalog import t
from handlers.checklist import ChecklistRegistry
from handlers.conversation.commands import REPORT_COMMANDS, command_word
from handlers.conversation.turn import MAX_INPUT, Turn
from handlers.messages import Inbound, PhotoTooLarge, Reply
from handlers.privacy import PrivacySettings
from handlers.targets import Targets
from storage import people, prefetch, runs
from storage.db import Database
from storage.models import Person
from storage.textnorm import clean_text

__all__ = ["MAX_INPUT", "Engine", "EngineSettings", "Turn"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """What engine.prepare did before the turn's transaction: a photo fetched, or an
    admin's report read (replies the turn then sends through the outbox)."""

    photo_path: Path | None = None
    report: list[Reply] | None = None
    # The size in bytes of a photo refused for being over the limit (never downloaded).
    photo_too_large: int | None = None


@dataclass(frozen=True)
class EngineSettings:
    timezone: ZoneInfo
    media_dir: Path
    default_language: str = "vi"
    invite_valid_days: int = 7
    duplicate_period: str = "month"
    # For invite deep links: t.me/<bot_username>?start=<code>
    bot_username: str | None = None
    targets: Targets = field(default_factory=Targets)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    # The web console's address for /web sign-in links; empty = the console is off.
    web_base_url: str = ""
    # Which checks the indicators count ([review] indicators): "all" or "approved".
    review_rule: str = "all"
    # Photos over this many bytes are refused, not downloaded ([bot] max_photo_mb).
    max_photo_bytes: int = 10 * 1024 * 1024


class Engine:
    def __init__(self, db: Database, checklists: ChecklistRegistry, settings: EngineSettings):
        self.db = db
        self.checklists = checklists
        self.settings = settings
        self.report_settings = reports.ReportSettings(
            timezone=settings.timezone,
            out_dir=settings.media_dir / "reports",
            targets=settings.targets,
            checklists=checklists,
            review_rule=settings.review_rule,
        )
        # SQLite has one writer at a time and every turn writes (the inbox claim).
        # Turns take their turn here, first come first served: left to SQLite's busy
        # timeout, waiting writers poll and, with many people at once, some wait past
        # the timeout and fail with "database is locked".
        self._writer = asyncio.Lock() if db.is_sqlite else contextlib.nullcontext()
        # One report at a time: each is heavy, and matplotlib's state is per process.
        self._reports = asyncio.Lock()
        self._in_memory = db.is_sqlite and make_url(db.url).database in (None, "", ":memory:")

    def now_local(self) -> datetime:
        return datetime.now(self.settings.timezone)

    @contextlib.asynccontextmanager
    async def transaction(self):
        """A session for one turn, behind the SQLite writer queue; the caller commits."""
        async with self._writer, self.db.session() as session:
            yield session

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """One update, start to finish, in its own transaction (the terminal, tests)."""
        prepared = await self.prepare(inbound)
        async with self.transaction() as session:
            replies, _language = await self.apply(session, inbound, prepared)
            await session.commit()
        return replies

    async def prepare(self, inbound: Inbound) -> Prepared | None:
        """Work that must not hold the database: the photo download, when expected,
        and the admin's reports (/summary, /export, /report), read in their own
        read-only session outside the writer queue and the turn's transaction, so
        no inspector's turn waits for an export."""
        report = await self._report_if_asked(inbound)
        if report is not None:
            return Prepared(report=report)
        return await self._fetch_photo_if_expected(inbound)

    async def apply(
        self, session: AsyncSession, inbound: Inbound, prepared: Prepared | Path | None = None
    ) -> tuple[list[Reply], str]:
        """The turn inside the caller's transaction (not committed here): the replies,
        and the language they are in (for channels that render them later)."""
        if not isinstance(prepared, Prepared):  # a photo path, from older callers
            prepared = Prepared(photo_path=prepared)
        # One statement: the sender, their open draft, its answers and their last screen.
        # One person's turns never overlap: the inbox claims them one at a time (on
        # PostgreSQL under a per-sender lock), and an update is applied once.
        person = await prefetch.person_and_open_run(session, inbound.channel, inbound.sender_id)
        try:
            return await self._turn(session, inbound, person, prepared)
        finally:
            prefetch.forget(session)

    async def _turn(
        self, session: AsyncSession, inbound: Inbound, person: Person | None, prepared: Prepared
    ) -> tuple[list[Reply], str]:
        turn = Turn(self, session, inbound, person, prepared.photo_path, prepared.report)
        replies = await turn.dispatch()
        if prepared.photo_too_large is not None:  # the turn asks for the photo again
            replies.insert(0, Reply(photo_refusal(turn.lang, prepared.photo_too_large, self)))
        if turn.person is not None:
            offered = [c.payload for r in replies for c in r.choices]
            if offered:
                await runs.remember_offered(session, turn.person.id, offered)
        return replies, turn.lang

    async def run_report(
        self,
        session: AsyncSession,
        person: Person,
        command: str,
        argument: str,
        can_receive_files: bool,
    ) -> list[Reply]:
        """/summary, /export, /report: handlers.reports decides who may see what."""
        return await report_worker.run_report(
            session, person, command, argument, can_receive_files, self.report_settings
        )

    async def _report_if_asked(self, inbound: Inbound) -> list[Reply] | None:
        """The replies to /summary, /export or /report from a registered, active
        person, read before the turn; None for anything else (the turn decides)."""
        text = clean_text(inbound.text or "").strip()
        if inbound.payload is not None or not text.startswith("/") or len(text) > MAX_INPUT:
            return None
        command, argument = command_word(text)
        if command not in REPORT_COMMANDS:
            return None
        async with self.db.session() as session:
            person = await people.find_by_account(session, inbound.channel, inbound.sender_id)
        if person is None or not person.active:
            return None
        files = inbound.can_receive_files
        if self._in_memory:  # no second connection sees it: read here, still unlocked
            async with self.db.session() as session:
                return await self.run_report(session, person, command, argument, files)
        settings = self.report_settings
        refused = report_worker.refusal(person, command, argument, files, settings)
        if refused is not None:  # answered here: no worker needed to say no
            return refused
        async with self._reports:
            return await report_worker.read_report_elsewhere(
                self.db.url, self.report_settings, person.id, command, argument, files
            )

    async def _fetch_photo_if_expected(self, inbound: Inbound) -> Prepared | None:
        """Downloads a photo before the transaction starts (network time must not
        hold the database), only when the sender's open run asks for one and only
        when it is within the limit (announced by the messenger or found while
        downloading: a photo over it is refused, not stored)."""
        if inbound.photo is None:
            return None
        async with self.db.session() as session:
            person = await prefetch.person_and_open_run(session, inbound.channel, inbound.sender_id)
            run = await runs.open_run(session, person.id) if person else None  # no query
            checklist = self.checklists.get(run.checklist_id) if run else None
            question = checklist.question(run.current_question or "") if checklist and run else None
            if not question or run.phase != "question" or question.type != "photo":
                return None
        limit = self.settings.max_photo_bytes
        if inbound.photo.size is not None and inbound.photo.size > limit:
            return Prepared(photo_too_large=inbound.photo.size)
        folder = self.settings.media_dir / str(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{question.id}-{uuid.uuid4().hex[:8]}.jpg"
        try:
            await inbound.photo.download(path)
        except PhotoTooLarge as refused:
            path.unlink(missing_ok=True)
            return Prepared(photo_too_large=refused.size)
        return Prepared(photo_path=path)


def photo_refusal(language: str, size: int, engine: Engine) -> str:
    """'12,4 MB' and the limit, in the catalog's words."""

    def megabytes(count: int) -> str:
        shown = f"{count / (1024 * 1024):.1f}".removesuffix(".0")
        return shown.replace(".", ",") if language == "vi" else shown

    limit = engine.settings.max_photo_bytes
    return t(language, "photo_too_large", size=megabytes(size), limit=megabytes(limit))
