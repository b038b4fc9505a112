"""One tick: claims and sends everything due now, then records each outcome.

A delivery is recorded "sending" before the message leaves and "sent" (or
"failed") after; a "sending" row is never sent again, so when the bookkeeping
write fails it is the write that is retried, not the message.

The database work is batched, the sends are not: reminders are claimed
``claim_batch`` at a time in one transaction, as sends finish and leave room (at
most ``concurrency`` are "sending" and not yet delivered, the ones a crash would
leave "sent?"); the sends run concurrently, the channel's rate limiter pacing them;
their outcomes are written together, one transaction for each ``outcome_linger``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from handlers.reminders.planning import Planned, Planner
from handlers.reminders.settings import (
    BOOKKEEPING_ATTEMPTS,
    Sender,
    TickReport,
    Unreachable,
)
from storage import deliveries
from storage import reminders as store

log = logging.getLogger(__name__)

# (delivery id, status, channel, error) of a send whose outcome is not written yet.
Outcome = tuple[int, str, str | None, str | None]


class Reminders(Planner):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Outcomes of sends whose bookkeeping write failed, written again at the next
        # tick (never sent again).
        self.pending_outcomes: list[Outcome] = []

    async def tick(self, now: datetime, send: Sender) -> TickReport:
        """Claims and sends everything due at ``now``; safe to run any number of times.
        Outside working hours it only writes outcomes left over from a failed write."""
        local = now.astimezone(self.settings.timezone)
        report = TickReport()
        await self._write_pending_outcomes(report)
        if not self.in_working_hours(local):
            return report
        planned = await self.plan(local.date(), skip_handled=True)
        outcomes = _Outcomes(self, report, self.settings.outcome_linger)
        gate = asyncio.Semaphore(self.settings.concurrency)
        sends: list[asyncio.Task] = []
        size = max(1, min(self.settings.claim_batch, self.settings.concurrency))
        try:
            for start in range(0, len(planned), size):
                batch = planned[start : start + size]
                for _item in batch:  # room for the whole batch before it is claimed
                    await gate.acquire()
                for item, claimed in zip(batch, await self._claim(batch, report), strict=True):
                    if claimed is None:
                        gate.release()
                        continue
                    task = asyncio.create_task(self._send_one(item, claimed, send, outcomes))
                    task.add_done_callback(lambda _task: gate.release())
                    sends.append(task)
            await asyncio.gather(*sends)
        except BaseException:  # cancelled (shutdown): what is under way stops as before
            for task in sends:
                task.cancel()
            await asyncio.gather(*sends, return_exceptions=True)
            raise
        finally:
            await outcomes.close()
        return report

    async def _claim(self, batch: list[Planned], report: TickReport) -> list[int | None]:
        """The delivery id of each reminder of the batch to send now (None: nothing to
        send), in one transaction, tried again a few times (nothing was sent yet). The
        ones without an account are recorded "unreachable" by the same transaction. No
        database connection is held while the messages travel: the sender may need one
        itself, and a tick sends to many people at once."""
        for attempt in range(BOOKKEEPING_ATTEMPTS):
            try:
                async with self.db.session() as session:
                    reachable = await store.people_with_accounts(
                        session, sorted({item.person.id for item in batch})
                    )
                    wanted = [(item.key, item.person.id in reachable) for item in batch]
                    ids = await deliveries.claim_many(session, wanted, self.settings.max_attempts)
                    await session.commit()
                break
            except Exception as error:  # noqa: BLE001 - rolled back: nothing was claimed
                reason = f"{type(error).__name__}: {error}"
                if attempt + 1 < BOOKKEEPING_ATTEMPTS:
                    await asyncio.sleep(self.settings.bookkeeping_delay * 2**attempt)
        else:  # nothing was sent; the next tick retries
            log.warning("%d reminders not claimed: %s", len(batch), reason)
            report.failed += len(batch)
            report.errors.append(reason)
            return [None] * len(batch)
        result = []
        for (_key, reachable), claimed in zip(wanted, ids, strict=True):
            if claimed is None:
                report.skipped += 1
            elif not reachable:
                report.unreachable += 1
                claimed = None
            result.append(claimed)
        return result

    async def _send_one(
        self, item: Planned, claimed: int, send: Sender, outcomes: _Outcomes
    ) -> None:
        """One claimed ("sending") reminder: sent, then its outcome handed to the writer."""
        report = outcomes.report
        status, channel, reason = "unreachable", None, "no messenger account"
        try:
            channel = await send(item.person, item.message)
            status, reason = "sent", None
        except Unreachable as error:
            reason = str(error)
        except Exception as error:  # noqa: BLE001 - every failure is recorded, then retried
            status, reason = "failed", f"{type(error).__name__}: {error}"
            log.warning("reminder %s to person %s failed: %s", claimed, item.person.id, reason)
            report.errors.append(reason)
        outcomes.add((claimed, status, channel, reason))
        if status == "sent":
            report.sent += 1
        elif status == "failed":
            report.failed += 1
        else:
            report.unreachable += 1

    async def _write_outcomes(self, batch: list[Outcome], report: TickReport) -> bool:
        """Records sends' outcomes in one transaction, trying again a few times; if the
        database still refuses, keeps them for the next tick. No message is sent again."""
        for attempt in range(BOOKKEEPING_ATTEMPTS):
            try:
                async with self.db.session() as session:
                    await deliveries.record_outcomes(session, batch)
                    await session.commit()
                return True
            except Exception as error:  # noqa: BLE001 - e.g. "database is locked"
                last = f"{type(error).__name__}: {error}"
                if attempt + 1 < BOOKKEEPING_ATTEMPTS:
                    await asyncio.sleep(self.settings.bookkeeping_delay * 2**attempt)
        log.error(
            "%d reminders (%s) were sent or tried but could not be recorded (%s); "
            "recording at the next tick",
            len(batch),
            ", ".join(f"{outcome[0]} {outcome[1]}" for outcome in batch[:10]),
            last,
        )
        report.errors.extend(f"recording reminder {outcome[0]}: {last}" for outcome in batch)
        self.pending_outcomes.extend(batch)
        return False

    async def _write_pending_outcomes(self, report: TickReport) -> None:
        pending, self.pending_outcomes = self.pending_outcomes, []
        if pending:
            await self._write_outcomes(pending, report)


class _Outcomes:
    """The outcomes of a tick's sends, written together: the first waits up to
    ``linger`` seconds for others, then one transaction writes all that came (a
    thousand reminders make a few dozen commits, not a thousand)."""

    def __init__(self, reminders: Reminders, report: TickReport, linger: float) -> None:
        self.reminders = reminders
        self.report = report
        self.linger = linger
        self._pending: list[Outcome] = []
        self._writer: asyncio.Task | None = None
        self._closing = asyncio.Event()

    def add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._pending:
            if not self._closing.is_set():
                try:
                    await asyncio.wait_for(self._closing.wait(), self.linger)
                except TimeoutError:
                    pass
            batch, self._pending = self._pending, []
            await self.reminders._write_outcomes(batch, self.report)

    async def close(self) -> None:
        """Writes what is left, now."""
        self._closing.set()
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)
        if self._pending:  # pragma: no cover - the writer takes everything it finds
            await self.reminders._write_outcomes(self._pending, self.report)
            self._pending = []
