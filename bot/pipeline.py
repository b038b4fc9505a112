"""The inbox and outbox workers: stored updates become turns, stored replies leave.

Intake    writes fetched updates (polling or webhook) to the inbox and commits before
          the messenger is told we have them.
InboxWorker applies each pending update once, one sender strictly in order, in the
          transaction that marks it done and writes its replies to the outbox.
OutboxSender delivers each chat's replies in order, one messenger message at a
          time, with retries; a row ends sent or failed, never silently dropped.

On PostgreSQL several workers share the work: a transaction-scoped advisory lock per
sender (per chat) keeps one worker on it, and a killed worker's locks vanish with its
connection. SQLite serves one process: an in-process set plays that part.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels import Channel, DeliveryError, Parsed
from handlers.catalog import t
from handlers.engine import Engine
from handlers.messages import Reply, reply_from_json, reply_to_json
from storage import inbox, people
from storage.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# An update that fails this many times is set aside and the person gets the apology.
MAX_TURN_ATTEMPTS = 3
# A reply that cannot leave is tried this many times (backing off), then marked failed.
MAX_SEND_ATTEMPTS = 8
BOOKKEEPING_ATTEMPTS = 5


class _Workers:
    """A dispatcher that finds keys with work and drains each key in its own task."""

    def __init__(self, concurrency: int, sweep_seconds: float) -> None:
        self._wake = asyncio.Event()
        self._active: dict[tuple[str, str], asyncio.Task] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._sweep = sweep_seconds
        self._loop_task: asyncio.Task | None = None
        self.stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def keys_with_work(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    async def work_on(self, key: tuple[str, str]) -> bool:
        """One unit of work for ``key``; False when there is nothing more to do now."""
        raise NotImplementedError

    async def dispatch(self) -> None:
        try:
            keys = await self.keys_with_work()
        except Exception as error:  # noqa: BLE001 - the database may be away; sweep again
            log.warning("%s: cannot read work (%s)", type(self).__name__, type(error).__name__)
            return
        for key in keys:
            if key not in self._active and not self.stopping:
                task = asyncio.create_task(self._drain(key))
                self._active[key] = task

    async def _drain(self, key: tuple[str, str]) -> None:
        try:
            while not self.stopping:
                async with self._slots:
                    if not await self.work_on(key):
                        break
        except Exception:  # a bug here must not kill the worker; the sweep retries
            log.exception("%s: unexpected failure", type(self).__name__)
        finally:
            self._active.pop(key, None)

    async def run_until_idle(self) -> None:
        """Everything pending now, then return (start-up, tests)."""
        await self.dispatch()
        while self._active:
            await asyncio.gather(*list(self._active.values()), return_exceptions=True)

    async def _run(self) -> None:
        while not self.stopping:
            self._wake.clear()  # before, not after: a wake during dispatch is kept
            await self.dispatch()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._sweep)

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name=type(self).__name__)

    async def stop(self, grace: float = 10.0) -> None:
        """Stops taking work; what is under way finishes (up to ``grace`` seconds)."""
        self.stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        running = list(self._active.values())
        if running:
            _done, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)


class OutboxSender(_Workers):
    def __init__(
        self,
        engine: Engine,
        channels: dict[str, Channel],
        concurrency: int = 8,
        sweep_seconds: float = 1.0,
    ) -> None:
        super().__init__(concurrency, sweep_seconds)
        self.engine = engine
        self.channels = channels

    async def keys_with_work(self) -> list[tuple[str, str]]:
        async with self.engine.db.session() as session:
            chats = await inbox.pending_chats(session, utcnow())
        return [chat for chat in chats if chat[0] in self.channels]

    async def work_on(self, key: tuple[str, str]) -> bool:
        channel_name, chat_id = key
        async with self.engine.db.session() as session:
            # PostgreSQL: this transaction holds the chat while its messages go out.
            if not await inbox.try_lock(session, f"out:{channel_name}:{chat_id}"):
                return False
            row = await inbox.oldest_unsent(session, channel_name, chat_id)
            if row is None or row.next_attempt_at > utcnow():
                return False
            return await self._deliver(self.channels[channel_name], row)

    async def _deliver(self, channel: Channel, row: OutboxMessage) -> bool:
        parts = channel.render([reply_from_json(r) for r in row.replies], row.language)
        if row.parts_sent >= len(parts):
            await self._book(inbox.record_part_sent, row.id, max(len(parts), 1))
            return True
        for part in parts[row.parts_sent :]:
            try:
                await channel.send_part(row.chat_id, part)
            except Exception as error:  # noqa: BLE001 - every failure is recorded
                return await self._failed(row, error)
            await self._book(inbox.record_part_sent, row.id, len(parts))
        return True

    async def _failed(self, row: OutboxMessage, error: Exception) -> bool:
        permanent = isinstance(error, DeliveryError) and error.permanent
        summary = str(error) if isinstance(error, DeliveryError) else type(error).__name__
        last_try = permanent or row.attempts + 1 >= MAX_SEND_ATTEMPTS
        retry_in = None if last_try else min(2.0 * 2**row.attempts, 300.0)
        log.warning(
            "reply %s to %s chat %s not delivered (%s); %s",
            row.id,
            row.channel,
            row.chat_id,
            summary,
            "failed for good" if retry_in is None else f"again in {retry_in:.0f} s",
        )
        await self._book(inbox.record_send_failure, row.id, summary, retry_in)
        # A message failed for good lets the chat's later messages go; one that will be
        # tried again holds them back, so the chat reads in order.
        return retry_in is None

    async def _book(self, record: Callable[..., Awaitable[None]], *args: Any) -> None:
        """The bookkeeping after a send is retried on its own: the message is out and
        must not be sent again because a database write failed once."""
        for attempt in range(1, BOOKKEEPING_ATTEMPTS + 1):
            try:
                async with self.engine.transaction() as session:
                    await record(session, *args)
                    await session.commit()
                return
            except Exception as error:  # noqa: BLE001
                if attempt == BOOKKEEPING_ATTEMPTS:
                    log.error("outbox bookkeeping failed: %s", type(error).__name__)
                    raise
                await asyncio.sleep(0.2 * attempt)


class InboxWorker(_Workers):
    def __init__(
        self,
        engine: Engine,
        channels: dict[str, Channel],
        outbox: OutboxSender | None = None,
        concurrency: int = 8,
        sweep_seconds: float = 1.0,
    ) -> None:
        super().__init__(concurrency, sweep_seconds)
        self.engine = engine
        self.channels = channels
        self.outbox = outbox
        self.set_aside = 0

    async def keys_with_work(self) -> list[tuple[str, str]]:
        async with self.engine.db.session() as session:
            senders = await inbox.pending_senders(session)
        return [sender for sender in senders if sender[0] in self.channels]

    async def work_on(self, key: tuple[str, str]) -> bool:
        channel_name, sender = key
        channel = self.channels[channel_name]
        async with self.engine.db.session() as session:
            row = await inbox.oldest_pending(session, channel_name, sender)
        if row is None:
            return False
        try:
            parsed = channel.parse(row.raw)
        except Exception as error:  # noqa: BLE001 - one bad update never stops the rest
            await self._set_aside_unparseable(row.id, channel_name, error)
            return True
        try:
            if row.attempts == 0:
                await channel.acknowledge(row.raw)
            photo = await self.engine.prepare(parsed.inbound) if parsed.inbound else None
            applied = await self._apply(row.id, channel_name, sender, parsed, photo)
        except Exception as error:  # noqa: BLE001 - recorded, retried, then set aside
            return await self._turn_failed(row.id, row.attempts, channel_name, parsed, error)
        if applied and self.outbox is not None:
            self.outbox.wake()
        return applied

    async def _apply(self, row_id: int, channel: str, sender: str, parsed: Parsed, photo):
        async with self.engine.transaction() as session:
            if not await inbox.try_lock(session, f"in:{channel}:{sender}"):
                return False  # another worker is on this sender
            current = await inbox.oldest_pending(session, channel, sender)
            if current is None or current.id != row_id:
                return current is not None  # applied meanwhile elsewhere: read again
            if parsed.inbound is not None:
                replies, language = await self.engine.apply(session, parsed.inbound, photo)
            else:
                replies, language = await self._notice(session, channel, parsed)
            if parsed.chat_id:
                inbox.add_replies(
                    session,
                    channel,
                    parsed.chat_id,
                    language,
                    [reply_to_json(reply) for reply in replies],
                    inbox_id=row_id,
                )
            await inbox.mark_done(session, row_id)
            await session.commit()
        return True

    async def _language(self, session, channel: str, sender: str) -> str:
        person = await people.find_by_account(session, channel, sender) if sender else None
        return person.language if person else self.engine.settings.default_language

    async def _notice(self, session, channel: str, parsed: Parsed) -> tuple[list[Reply], str]:
        language = await self._language(session, channel, parsed.sender)
        return ([Reply(t(language, parsed.notice))] if parsed.notice else []), language

    async def _set_aside_unparseable(self, row_id: int, channel: str, error: Exception) -> None:
        self.set_aside += 1
        log.warning(
            "%s update %s cannot be read (%s): set aside (%d so far)",
            channel,
            row_id,
            type(error).__name__,
            self.set_aside,
        )
        async with self.engine.transaction() as session:
            await inbox.record_failure(session, row_id, type(error).__name__, set_aside=True)
            await session.commit()

    async def _turn_failed(self, row_id, attempts, channel, parsed: Parsed, error) -> bool:
        final = attempts + 1 >= MAX_TURN_ATTEMPTS
        log.error(
            "%s update %s failed (%s), attempt %d%s",
            channel,
            row_id,
            type(error).__name__,
            attempts + 1,
            ": set aside" if final else "",
            exc_info=error if final else None,
        )
        async with self.engine.transaction() as session:
            await inbox.record_failure(session, row_id, type(error).__name__, set_aside=final)
            if final and parsed.chat_id:
                language = await self._language(session, channel, parsed.sender)
                reply = reply_to_json(Reply(t(language, "error_generic")))
                inbox.add_replies(session, channel, parsed.chat_id, language, [reply], row_id)
            await session.commit()
        if final and self.outbox is not None:
            self.outbox.wake()
        return final  # a retried update holds the sender's later ones back


class Intake:
    """Where channels put what they fetched: stored and committed, then acknowledged."""

    def __init__(self, engine: Engine, worker: InboxWorker | None = None) -> None:
        self.engine = engine
        self.worker = worker

    async def store(self, channel: str, updates: list[tuple[str, str, Any]]) -> int:
        if not updates:
            return 0
        async with self.engine.transaction() as session:
            new = await inbox.store_updates(session, channel, updates)
            await session.commit()
        if self.worker is not None:
            self.worker.wake()
        return new
