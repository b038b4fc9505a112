"""The inbox and outbox workers: stored updates become turns, stored replies leave.

Intake    writes fetched updates (polling or webhook) to the inbox in one statement and
          commits before the messenger is told we have them, then hands the new rows
          to the InboxWorker in memory.
InboxWorker applies each pending update once, one sender strictly in order: the first
          statement of the turn's transaction marks it done (a rollback puts it back),
          the same transaction writes its replies to the outbox.
OutboxSender delivers each chat's replies in order, one messenger message at a time,
          with retries; the turn hands them over in memory, leased to this process for a
          while, and the marks of many messages are written together (each before that
          chat's next part). A row ends sent or failed, never silently dropped.

A periodic sweep reads what was not handed over (left by a killed process, retried,
written by another worker). On PostgreSQL several workers share the work: a
transaction-scoped advisory lock per sender (per chat) keeps one worker on it, and a
killed worker's locks vanish with its connection. SQLite serves one process.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.channels import Channel, DeliveryError, Parsed, person_language
from bot.queues import Marks, Workers, booked
from handlers.catalog import t
from handlers.engine import Engine
from handlers.messages import Reply, reply_from_json, reply_to_json
from storage import inbox
from storage.db import SENDS_AT_ONCE, TURNS_AT_ONCE
from storage.inbox import Outgoing, Queued
from storage.models import utcnow

log = logging.getLogger(__name__)

# The sweep's item for a chat: its due messages; at start-up, also those leased by a
# process that is gone.
SWEPT, LEFT = "swept", "left"

# An update that fails this many times is set aside and the person gets the apology.
MAX_TURN_ATTEMPTS = 3
# A reply that cannot leave is tried this many times (backing off), then marked failed.
MAX_SEND_ATTEMPTS = 8
# A turn's replies are this process's to deliver for this long; then any sweep may.
LEASE_SECONDS = 30.0


class OutboxSender(Workers):
    def __init__(
        self,
        engine: Engine,
        channels: dict[str, Channel],
        concurrency: int = SENDS_AT_ONCE,
        sweep_seconds: float = 1.0,
    ) -> None:
        super().__init__(concurrency, sweep_seconds)
        self.engine = engine
        self.channels = channels
        self.marks = Marks(engine)
        # Handed over by a turn here and not delivered yet (queued, or dropped from a
        # queue held back by a retry): ours to send without waiting for the lease.
        self._mine: set[int] = set()
        self._held: set[tuple[str, str]] = set()  # oldest message waits for a retry
        self._taken_over = False
        # SQLite serves one process: what a turn hands over is ours alone.
        self._shared = not engine.db.is_sqlite

    def offer(self, messages: list[Outgoing]) -> None:
        for message in messages:
            if message.channel in self.channels:
                self._mine.add(message.id)
                self.enqueue((message.channel, message.chat_id), [message])

    async def take_over(self) -> None:
        """What an earlier process left, leased or not, before any new turn (start-up)."""
        await self._sweep_safely()

    async def sweep(self) -> None:
        # The first sweep takes leased messages too: their process is gone.
        now = utcnow() + (timedelta(0) if self._taken_over else timedelta(days=3650))
        item = SWEPT if self._taken_over else LEFT
        async with self.engine.db.session() as session:
            chats = await inbox.pending_chats(session, now)
        self._taken_over = True
        for chat in chats:
            if chat[0] in self.channels and chat not in self._active:
                self.enqueue(chat, [item])

    async def work_on(self, key: tuple[str, str], item) -> bool:
        if isinstance(item, Outgoing) and not self._shared and key not in self._held:
            return await self._deliver(self.channels[key[0]], key, item)
        while True:  # one message per session: each read sees the marks just written
            async with self.engine.db.session() as session:
                # PostgreSQL: this transaction holds the chat while its message goes out.
                if not await inbox.try_lock(session, f"out:{key[0]}:{key[1]}"):
                    return False
                row = await inbox.oldest_unsent(session, *key)
                queued = {q.id for q in self._queues.get(key, ()) if isinstance(q, Outgoing)}
                if row is None or row.id in queued:
                    self._held.discard(key)
                    return True  # nothing older waits; the rest is queued here
                due = row.next_attempt_at <= utcnow() or row.id in self._mine
                if not (due or (item == LEFT and row.attempts == 0)):
                    self._held.add(key)
                    return False
                self._held.discard(key)
                if not await self._deliver(self.channels[key[0]], key, Outgoing.of(row)):
                    return False
            if isinstance(item, Outgoing) and row.id == item.id:
                return True

    async def _deliver(self, channel: Channel, key, message: Outgoing) -> bool:
        try:
            parts = channel.render([reply_from_json(r) for r in message.replies], message.language)
            if message.parts_sent >= len(parts):
                await self.marks.record(message.id, max(len(parts), 1), max(len(parts), 1))
                return True
            for out in range(message.parts_sent + 1, len(parts) + 1):
                try:
                    await channel.send_part(message.chat_id, parts[out - 1])
                except Exception as error:  # noqa: BLE001 - every failure is recorded
                    return await self._failed(key, message, error)
                await self.marks.record(message.id, out, len(parts))
            return True
        finally:
            self._mine.discard(message.id)

    async def _failed(self, key, message: Outgoing, error: Exception) -> bool:
        permanent = isinstance(error, DeliveryError) and error.permanent
        summary = str(error) if isinstance(error, DeliveryError) else type(error).__name__
        last_try = permanent or message.attempts + 1 >= MAX_SEND_ATTEMPTS
        retry_in = None if last_try else min(2.0 * 2**message.attempts, 300.0)
        log.warning(
            "reply %s to %s chat %s not delivered (%s); %s",
            message.id,
            message.channel,
            message.chat_id,
            summary,
            "failed for good" if retry_in is None else f"again in {retry_in:.0f} s",
        )
        await booked(self.engine, inbox.record_send_failure, message.id, summary, retry_in)
        # A message failed for good lets the chat's later messages go; one that will be
        # tried again holds them back, so the chat reads in order.
        if retry_in is not None:
            self._held.add(key)
        return retry_in is None


class InboxWorker(Workers):
    def __init__(
        self,
        engine: Engine,
        channels: dict[str, Channel],
        outbox: OutboxSender | None = None,
        concurrency: int = TURNS_AT_ONCE,
        sweep_seconds: float = 1.0,
    ) -> None:
        super().__init__(concurrency, sweep_seconds)
        self.engine = engine
        self.channels = channels
        self.outbox = outbox
        self.set_aside = 0
        self._known: set[int] = set()  # queued or under way here

    def offer(self, rows: list[Queued]) -> None:
        for row in rows:
            if row.channel in self.channels and row.id not in self._known:
                self._known.add(row.id)
                self.enqueue((row.channel, row.sender), [row])

    def forget(self, key, items: list) -> None:
        self._known.difference_update(item.id for item in items)

    async def sweep(self) -> None:
        async with self.engine.db.session() as session:
            rows = await inbox.pending_updates(session)
        self.offer(rows)

    async def work_on(self, key: tuple[str, str], item: Queued) -> bool:
        try:
            return await self._turn(item)
        finally:
            self._known.discard(item.id)

    async def _turn(self, item: Queued) -> bool:
        channel = self.channels[item.channel]
        if item.raw is None:  # found by the sweep: the body is read now
            async with self.engine.db.session() as session:
                item = await inbox.pending_body(session, item.id)
            if item is None:
                return True
        try:
            parsed = channel.parse(item.raw)
        except Exception as error:  # noqa: BLE001 - one bad update never stops the rest
            await self._set_aside_unparseable(item.id, item.channel, error)
            return True
        # The inbox claim applies an update once: the engine's own receipt is not needed.
        inbound = replace(parsed.inbound, update_key=None) if parsed.inbound else None
        # A tapped button stops spinning while the turn runs, not before it.
        ack = (
            asyncio.create_task(self._acknowledge(channel, item.raw)) if not item.attempts else None
        )
        try:
            photo = await self.engine.prepare(inbound) if inbound else None
            state, outgoing = await self._apply(item, parsed, inbound, photo)
        except Exception as error:  # noqa: BLE001 - recorded, retried, then set aside
            if ack is not None:
                await ack
            return await self._turn_failed(item, parsed, error)
        # The replies need not wait for the acknowledgement: it is awaited after.
        if outgoing and self.outbox is not None:
            self.outbox.offer(outgoing)
        if ack is not None:
            await ack
        if state == inbox.BUSY:  # another worker is on this sender: look again soon
            asyncio.get_running_loop().call_later(0.05, self.wake)
            return False
        return True

    @staticmethod
    async def _acknowledge(channel: Channel, raw: Any) -> None:
        try:
            await channel.acknowledge(raw)
        except Exception as error:  # noqa: BLE001 - best effort
            log.info("%s: not acknowledged (%s)", channel.name, type(error).__name__)

    async def _apply(self, item: Queued, parsed: Parsed, inbound, photo):
        async with self.engine.transaction() as session:
            state = await inbox.claim(session, item.id, item.channel, item.sender)
            if state != inbox.CLAIMED:
                return state, []
            if inbound is not None:
                replies, language = await self.engine.apply(session, inbound, photo)
            else:
                replies, language = await self._notice(session, item.channel, parsed)
            if parsed.chat_id:
                inbox.add_replies(
                    session,
                    item.channel,
                    parsed.chat_id,
                    language,
                    [reply_to_json(reply) for reply in replies],
                    inbox_id=item.id,
                )
            outgoing = inbox.lease_new_messages(session, LEASE_SECONDS)
            await session.commit()
        return state, [Outgoing.of(row) for row in outgoing]

    async def _language(self, session, channel: str, sender: str) -> str:
        return await person_language(
            session, channel, sender, self.engine.settings.default_language
        )

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

    async def _turn_failed(self, item: Queued, parsed: Parsed, error: Exception) -> bool:
        final = item.attempts + 1 >= MAX_TURN_ATTEMPTS
        log.error(
            "%s update %s failed (%s), attempt %d%s",
            item.channel,
            item.id,
            type(error).__name__,
            item.attempts + 1,
            ": set aside" if final else "",
            exc_info=error if final else None,
        )
        async with self.engine.transaction() as session:
            await inbox.record_failure(session, item.id, type(error).__name__, set_aside=final)
            if final and parsed.chat_id:
                language = await self._language(session, item.channel, parsed.sender)
                reply = reply_to_json(Reply(t(language, "error_generic")))
                inbox.add_replies(session, item.channel, parsed.chat_id, language, [reply], item.id)
            outgoing = inbox.lease_new_messages(session, LEASE_SECONDS)
            await session.commit()
        if outgoing and self.outbox is not None:
            self.outbox.offer([Outgoing.of(row) for row in outgoing])
        return final  # a retried update holds the sender's later ones back


class Intake:
    """Where channels put what they fetched: stored and committed, then acknowledged.
    Stores that arrive together (webhook requests) share one transaction."""

    def __init__(self, engine: Engine, worker: InboxWorker | None = None) -> None:
        self.engine = engine
        self.worker = worker
        self._waiting: list[tuple[str, list, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def store(self, channel: str, updates: list[tuple[str, str, Any]]) -> int:
        if not updates:
            return 0
        stored = asyncio.get_running_loop().create_future()
        self._waiting.append((channel, updates, stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await stored

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                new = await self._store_batch(batch)
            except Exception as error:  # noqa: BLE001 - each caller gets it (not stored)
                for _channel, _updates, stored in batch:
                    stored.set_exception(error)
                continue
            for (_channel, _updates, stored), rows in zip(batch, new, strict=True):
                stored.set_result(len(rows))
                if self.worker is not None:
                    self.worker.offer(rows)

    async def _store_batch(self, batch) -> list[list[Queued]]:
        by_channel: dict[str, list] = {}
        for channel, updates, _stored in batch:
            by_channel.setdefault(channel, []).extend(updates)
        async with self.engine.transaction() as session:
            new = {c: await inbox.store_updates(session, c, rows) for c, rows in by_channel.items()}
            await session.commit()
        # Each caller learns what was new among its own updates.
        keys = {c: {row.id: row for row in rows} for c, rows in new.items()}
        result = []
        for channel, updates, _stored in batch:
            wanted = {key[:64] for key, _sender, _raw in updates}
            result.append([r for r in keys[channel].values() if r.key in wanted])
        return result
