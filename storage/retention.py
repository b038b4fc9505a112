"""Retention: what `fieldbot data purge` removes, counted first, removed only when asked.

Photos and locations older than the configured years go (a precise location is sensitive
personal data; a photo shows people and places); drafts nobody touched for the configured
days go with their answers; messages the inbox and outbox kept after they were handled go
after their own period (they hold names, ids and what people typed). Submitted checks and
their other answers stay: they are the office's records.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Answer, ChecklistRun, InboxUpdate, OutboxMessage


def years_before(moment: datetime, years: int) -> datetime:
    """The same day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


@dataclass
class PurgePlan:
    photo_answers: list[int] = field(default_factory=list)
    photo_files: list[Path] = field(default_factory=list)
    location_answers: list[int] = field(default_factory=list)
    drafts: list[int] = field(default_factory=list)
    # media/<run id> folders of runs that are gone or going (drafts, forgotten people).
    folders: list[Path] = field(default_factory=list)
    inbox_rows: list[int] = field(default_factory=list)
    outbox_rows: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "photos": len(self.photo_answers),
            "photo_files": len(self.photo_files) + sum(_files_in(f) for f in self.folders),
            "locations": len(self.location_answers),
            "drafts": len(self.drafts),
            "messages": len(self.inbox_rows) + len(self.outbox_rows),
        }


def _files_in(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


async def _old_answers(
    session: AsyncSession,
    plan: PurgePlan,
    before: datetime,
    photo_questions: set[tuple[str, str]],
    media_dir: Path,
) -> None:
    """Photo answers (a question of type photo, or a stored path into the media folder,
    for questions removed from their checklist since) and location answers."""
    statement = (
        select(
            Answer.id,
            Answer.question_id,
            Answer.value_text,
            Answer.value_json,
            ChecklistRun.checklist_id,
        )
        .join(ChecklistRun, col(ChecklistRun.id) == Answer.run_id)
        .where(Answer.answered_at < before)
        .where(or_(col(Answer.value_json).is_not(None), col(Answer.value_text).is_not(None)))
    )
    for answer_id, question_id, text, value, checklist_id in (await session.exec(statement)).all():
        if isinstance(value, dict) and {"lat", "lon"} <= set(value):
            plan.location_answers.append(answer_id)
        elif text and (
            (checklist_id, question_id) in photo_questions or _inside(Path(text), media_dir)
        ):
            plan.photo_answers.append(answer_id)
            if Path(text).is_file() and _inside(Path(text), media_dir):
                plan.photo_files.append(Path(text))


async def plan_purge(
    session: AsyncSession,
    *,
    now: datetime,
    retention_years: int,
    draft_days: int,
    message_days: int,
    photo_questions: set[tuple[str, str]],
    media_dir: Path,
) -> PurgePlan:
    """What a purge at ``now`` would remove; nothing is changed."""
    plan = PurgePlan()
    await _old_answers(
        session, plan, years_before(now, retention_years), photo_questions, media_dir
    )
    drafts = select(ChecklistRun.id).where(
        ChecklistRun.status == "draft", ChecklistRun.updated_at < now - timedelta(days=draft_days)
    )
    plan.drafts = list((await session.exec(drafts)).all())
    known = set((await session.exec(select(ChecklistRun.id))).all()) - set(plan.drafts)
    if media_dir.is_dir():
        plan.folders = sorted(
            folder
            for folder in media_dir.iterdir()
            if folder.is_dir() and folder.name.isdigit() and int(folder.name) not in known
        )
    since = now - timedelta(days=message_days)
    outbox = select(OutboxMessage.id).where(
        col(OutboxMessage.status).in_(("sent", "failed")), OutboxMessage.created_at < since
    )
    plan.outbox_rows = list((await session.exec(outbox)).all())
    still_needed = select(OutboxMessage.inbox_id).where(
        col(OutboxMessage.inbox_id).is_not(None), col(OutboxMessage.id).not_in(plan.outbox_rows)
    )
    inbox = select(InboxUpdate.id).where(
        col(InboxUpdate.status).in_(("done", "set_aside")),
        InboxUpdate.received_at < since,
        col(InboxUpdate.id).not_in(still_needed),
    )
    plan.inbox_rows = list((await session.exec(inbox)).all())
    return plan


async def delete_runs(session: AsyncSession, run_ids: list[int]) -> None:
    """Runs and their answers (the runs' media folders go at the next purge)."""
    if not run_ids:
        return
    await session.exec(delete(Answer).where(col(Answer.run_id).in_(run_ids)))
    await session.exec(delete(ChecklistRun).where(col(ChecklistRun.id).in_(run_ids)))


async def apply_purge(session: AsyncSession, plan: PurgePlan) -> None:
    """Removes the planned rows; no commit. Files go after the commit (``remove_files``),
    so a failed commit leaves every photo its row points to."""
    answers = plan.photo_answers + plan.location_answers
    for chunk in _chunks(answers):
        await session.exec(delete(Answer).where(col(Answer.id).in_(chunk)))
    for chunk in _chunks(plan.drafts):
        await delete_runs(session, chunk)
    for chunk in _chunks(plan.outbox_rows):
        await session.exec(delete(OutboxMessage).where(col(OutboxMessage.id).in_(chunk)))
    for chunk in _chunks(plan.inbox_rows):
        await session.exec(delete(InboxUpdate).where(col(InboxUpdate.id).in_(chunk)))
    await session.flush()


def remove_files(plan: PurgePlan) -> int:
    """Deletes the planned photo files and folders; returns how many files went."""
    removed = 0
    for path in plan.photo_files:
        if path.is_file():
            path.unlink()
            removed += 1
    for folder in plan.folders:
        removed += _files_in(folder)
        shutil.rmtree(folder, ignore_errors=True)
    for folder in {path.parent for path in plan.photo_files}:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed


def _chunks(ids: Iterable[int], size: int = 500) -> list[list[int]]:
    # SQLite limits the parameters of one statement; 500 stays well under it.
    ids = list(ids)
    return [ids[start : start + size] for start in range(0, len(ids), size)]
