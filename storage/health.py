"""`fieldbot db check`: what an operator looks at before and after a backup or an
upgrade — row counts, photos on disk against the answers, open drafts, and inbox or
outbox rows that have waited too long."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, inspect, select, table
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Answer, ChecklistRun, InboxUpdate, OutboxMessage, utcnow

# A row still pending after this long means the bot is stopped or stuck on it.
STUCK_AFTER = timedelta(minutes=15)
# Generated files (reports, exports) live in the media folder too; they are not photos.
NOT_PHOTOS = ("reports",)


@dataclass
class Health:
    rows: dict[str, int] = field(default_factory=dict)
    photos_on_disk: int = 0
    orphan_files: list[str] = field(default_factory=list)  # files no answer names
    missing_photos: list[str] = field(default_factory=list)  # answers whose file is gone
    open_drafts: int = 0
    oldest_draft: datetime | None = None
    stuck_inbox: int = 0
    stuck_outbox: int = 0
    failed_outbox: int = 0

    @property
    def problems(self) -> bool:
        return bool(self.missing_photos or self.stuck_inbox or self.stuck_outbox)


def photo_key(path: str | Path) -> str:
    """A photo by its run folder and name (``12/q5-ab12cd34.jpg``): the same file
    whether the media folder is given relatively, absolutely, or moved by a restore."""
    path = Path(path)
    return f"{path.parent.name}/{path.name}"


async def _row_counts(session: AsyncSession) -> dict[str, int]:
    connection = await session.connection()
    names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    counts = {}
    for name in sorted(names):
        counts[name] = (await session.execute(select(func.count()).select_from(table(name)))).one()[
            0
        ]
    return counts


async def _photo_answers(session: AsyncSession) -> set[str]:
    # Photo answers are the ones whose text is a stored file's path (see the photo type).
    rows = await session.execute(
        select(Answer.value_text).where(
            Answer.value_text.is_not(None), Answer.value_text.like("%.jpg")
        )
    )
    return {photo_key(value) for (value,) in rows}


def _files(media_dir: Path) -> set[str]:
    if not media_dir.is_dir():
        return set()
    return {
        photo_key(path)
        for path in media_dir.rglob("*")
        if path.is_file() and path.relative_to(media_dir).parts[0] not in NOT_PHOTOS
    }


async def check(session: AsyncSession, media_dir: Path, now: datetime | None = None) -> Health:
    now = now or utcnow()
    health = Health(rows=await _row_counts(session))
    answered, on_disk = await _photo_answers(session), _files(media_dir)
    health.photos_on_disk = len(on_disk)
    health.orphan_files = sorted(on_disk - answered)
    health.missing_photos = sorted(answered - on_disk)
    drafts = await session.execute(
        select(func.count(), func.min(ChecklistRun.started_at)).where(
            ChecklistRun.status == "draft"
        )
    )
    health.open_drafts, health.oldest_draft = drafts.one()
    stale = now - STUCK_AFTER
    health.stuck_inbox = await _count(
        session, InboxUpdate, InboxUpdate.status == "pending", InboxUpdate.received_at < stale
    )
    health.stuck_outbox = await _count(
        session, OutboxMessage, OutboxMessage.status == "pending", OutboxMessage.created_at < stale
    )
    health.failed_outbox = await _count(session, OutboxMessage, OutboxMessage.status == "failed")
    return health


async def _count(session: AsyncSession, model, *conditions) -> int:
    statement = select(func.count()).select_from(model).where(*conditions)
    return (await session.execute(statement)).one()[0]
