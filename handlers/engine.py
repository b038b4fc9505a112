"""The conversation engine: one Inbound in, Replies out, state in the database.

Each call runs in one transaction: the update's receipt, the answer and the
run's new position are committed together, so a crash between two messages
loses nothing and a repeated delivery changes nothing. What a turn does is in
handlers/conversation/; this module owns the transaction around it.
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

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import reports
from handlers.catalog import t
from handlers.checklist import ChecklistRegistry
from handlers.conversation.turn import MAX_INPUT, Turn
from handlers.messages import Inbound, Reply
from handlers.privacy import PrivacySettings
from storage import people, runs
from storage.db import Database
from storage.kpis import Targets
from storage.models import Person

__all__ = ["MAX_INPUT", "Engine", "EngineSettings", "Turn"]

log = logging.getLogger(__name__)


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
        )
        # SQLite has one writer at a time and every turn writes (the update's receipt).
        # Turns take their turn here, first come first served: left to SQLite's busy
        # timeout, waiting writers poll and, with many people at once, some wait past
        # the timeout and fail with "database is locked".
        self._writer = asyncio.Lock() if db.is_sqlite else contextlib.nullcontext()

    def now_local(self) -> datetime:
        return datetime.now(self.settings.timezone)

    @contextlib.asynccontextmanager
    async def transaction(self):
        """A session for one turn, behind the SQLite writer queue; the caller commits."""
        async with self._writer, self.db.session() as session:
            yield session

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """One update, start to finish, in its own transaction (the terminal, tests)."""
        photo_path = await self.prepare(inbound)
        async with self.transaction() as session:
            replies, _language = await self.apply(session, inbound, photo_path)
            await session.commit()
        return replies

    async def prepare(self, inbound: Inbound) -> Path | None:
        """Work that must not hold the database: the photo download, when expected."""
        return await self._fetch_photo_if_expected(inbound)

    async def apply(
        self, session: AsyncSession, inbound: Inbound, photo_path: Path | None = None
    ) -> tuple[list[Reply], str]:
        """The turn inside the caller's transaction (not committed here): the replies,
        and the language they are in (for channels that render them later)."""
        person = await people.find_by_account(session, inbound.channel, inbound.sender_id)
        if person is not None and not self.db.is_sqlite:
            # Several workers behind one webhook: one person's turns never overlap,
            # so each answer lands on the question that was current when it came.
            await people.lock_person(session, person.id)
        turn = Turn(self, session, inbound, person, photo_path)
        if inbound.update_key:
            try:
                claimed = await runs.claim_inbound(session, inbound.channel, inbound.update_key)
            except IntegrityError:  # the same update, claimed by another worker just now
                await session.rollback()
                claimed = False
            if not claimed:
                return [], turn.lang
        replies = await turn.dispatch()
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
        if command != "/summary" and not can_receive_files:
            key = "files_elsewhere" if person.role == "admin" else "admins_only"
            return [Reply(t(person.language, key))]
        build = {
            "/summary": reports.summary_command,
            "/export": reports.export_command,
            "/report": reports.report_command,
        }[command]
        return await build(session, person, argument, self.report_settings)

    async def _fetch_photo_if_expected(self, inbound: Inbound) -> Path | None:
        """Downloads a photo before the transaction starts (network time must not
        hold the database), and only when the sender's open run asks for one."""
        if inbound.photo is None:
            return None
        async with self.db.session() as session:
            if inbound.update_key and await runs.seen_inbound(
                session, inbound.channel, inbound.update_key
            ):
                return None  # a repeated delivery: nothing will be stored, fetch nothing
            person = await people.find_by_account(session, inbound.channel, inbound.sender_id)
            run = await runs.open_run(session, person.id) if person else None
            checklist = self.checklists.get(run.checklist_id) if run else None
            question = checklist.question(run.current_question or "") if checklist and run else None
            if not question or run.phase != "question" or question.type != "photo":
                return None
        folder = self.settings.media_dir / str(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{question.id}-{uuid.uuid4().hex[:8]}.jpg"
        await inbound.photo.download(path)
        return path
