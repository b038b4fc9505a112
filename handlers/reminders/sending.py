"""One tick: claims and sends everything due now, then records each outcome.

A delivery is recorded "sending" before the message leaves and "sent" (or
"failed") after; a "sending" row is never sent again, so when the bookkeeping
write fails it is the write that is retried, not the message.
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
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(item: Planned) -> None:
            async with gate:
                await self._send_one(item, send, report)

        await asyncio.gather(*(one(item) for item in planned))
        return report

    async def _claim(self, item: Planned, report: TickReport) -> tuple[int, bool] | None:
        """(delivery id, the person has an account), or None when there is nothing to
        send. No database connection is held while the message travels: the sender
        may need one itself, and a tick sends to many people at once."""
        try:
            async with self.db.session() as session:
                claimed = await store.claim(session, item.key, self.settings.max_attempts)
                if claimed is None:
                    report.skipped += 1
                    return None
                reachable = await store.has_account(session, item.person.id)
                if reachable:
                    # From here on the message may have left: never sent again.
                    await store.mark_sending(session, claimed)
                return claimed, reachable
        except Exception as error:  # noqa: BLE001 - nothing was sent; the next tick retries
            reason = f"{type(error).__name__}: {error}"
            log.warning("reminder to person %s not claimed: %s", item.person.id, reason)
            report.failed += 1
            report.errors.append(reason)
            return None

    async def _send_one(self, item: Planned, send: Sender, report: TickReport) -> None:
        claim = await self._claim(item, report)
        if claim is None:
            return
        claimed, reachable = claim
        status, channel, reason = "unreachable", None, "no messenger account"
        if reachable:
            try:
                channel = await send(item.person, item.message)
                status, reason = "sent", None
            except Unreachable as error:
                reason = str(error)
            except Exception as error:  # noqa: BLE001 - every failure is recorded, then retried
                status, reason = "failed", f"{type(error).__name__}: {error}"
                log.warning("reminder %s to person %s failed: %s", claimed, item.person.id, reason)
                report.errors.append(reason)
        await self._write_outcome((claimed, status, channel, reason), report)
        if status == "sent":
            report.sent += 1
        elif status == "failed":
            report.failed += 1
        else:
            report.unreachable += 1

    async def _write_outcome(self, outcome: Outcome, report: TickReport) -> bool:
        """Records a send's outcome, trying again a few times; if the database still
        refuses, keeps it for the next tick. The message itself is not sent again."""
        delivery_id, status, channel, reason = outcome
        for attempt in range(BOOKKEEPING_ATTEMPTS):
            try:
                async with self.db.session() as session:
                    await store.record_outcome(
                        session, delivery_id, status, channel=channel, error=reason
                    )
                return True
            except Exception as error:  # noqa: BLE001 - e.g. "database is locked"
                last = f"{type(error).__name__}: {error}"
                if attempt + 1 < BOOKKEEPING_ATTEMPTS:
                    await asyncio.sleep(self.settings.bookkeeping_delay * 2**attempt)
        log.error(
            "reminder %s was %s but could not be recorded (%s); recording at the next tick",
            delivery_id,
            status,
            last,
        )
        report.errors.append(f"recording reminder {delivery_id}: {last}")
        self.pending_outcomes.append(outcome)
        return False

    async def _write_pending_outcomes(self, report: TickReport) -> None:
        pending, self.pending_outcomes = self.pending_outcomes, []
        for outcome in pending:
            await self._write_outcome(outcome, report)
